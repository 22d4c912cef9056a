package io.strata.jms.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.jms.destination.StrataQueue;
import jakarta.jms.JMSException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ObjectMessageTest {

    /** A class of the application's own, which the default allow-list does not name. */
    record Order(String id, int quantity) implements Serializable {
    }

    @Test
    void theObjectIsCopiedWhenSetSoLaterChangesDoNotReachTheMessage() throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage();
        ArrayList<String> list = new ArrayList<>(List.of("a"));
        message.setObject(list);
        list.add("b");

        assertThat(message.getObject()).isEqualTo(List.of("a"));
    }

    @Test
    void theDefaultAllowListTakesJdkValueTypesAndPrimitiveArrays() throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage();
        message.setObject(new int[] {1, 2});
        assertThat((int[]) message.getObject()).containsExactly(1, 2);

        message.setObject(new StrataQueue("orders"));
        assertThat(message.getObject()).isEqualTo(new StrataQueue("orders"));
    }

    @Test
    void aClassTheAllowListDoesNotNameIsRefusedWithAnExplanation() throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage();
        message.setObject(new Order("o-1", 2));

        assertThatThrownBy(message::getObject).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("allow-list").hasMessageContaining(ObjectMessageAllowList.PROPERTY);
    }

    @Test
    void anAllowListNamingTheClassLetsItThrough() throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage(
                new ObjectMessageAllowList("java.lang.*;" + Order.class.getName()));
        message.setObject(new Order("o-1", 2));

        assertThat(message.getObject()).isEqualTo(new Order("o-1", 2));
        assertThat(message.getBody(Order.class)).isEqualTo(new Order("o-1", 2));
        assertThat(message.isBodyAssignableTo(Serializable.class)).isTrue();
        assertThat(message.isBodyAssignableTo(String.class)).isFalse();
    }

    @Test
    void anAllowListWithRejectionsOrLimitsIsRefused() {
        assertThatThrownBy(() -> new ObjectMessageAllowList("java.**;!java.rmi.*"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ObjectMessageAllowList("maxdepth=5")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ObjectMessageAllowList(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUnserializableObjectIsAMessageFormatException() {
        StrataObjectMessage message = new StrataObjectMessage();
        ArrayList<Object> holder = new ArrayList<>();
        holder.add(new Object());

        assertThatThrownBy(() -> message.setObject(holder)).isInstanceOf(MessageFormatException.class);
    }

    @Test
    void garbageBytesAreAMessageFormatException() throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage();
        message.setSerializedObject(new byte[] {1, 2, 3});

        assertThatThrownBy(message::getObject).isInstanceOf(MessageFormatException.class);
    }

    @Test
    void receivedObjectMessageIsReadOnlyUntilClearBody() throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage();
        message.setObject("x");
        message.setReadOnly();

        assertThatThrownBy(() -> message.setObject("y")).isInstanceOf(MessageNotWriteableException.class);
        message.clearBody();
        assertThat(message.getObject()).isNull();
        assertThat(message.getBody(Integer.class)).isNull();
        message.setObject("y");
        assertThat(message.getObject()).isEqualTo("y");
    }
}

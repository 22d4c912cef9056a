package io.strata.jms.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class MessageHeaderTest {

    @Test
    void aNewMessageHasJmsDefaults() {
        Message message = new StrataMessage();

        assertThat(message).satisfies(m -> {
            assertThat(m.getJMSDeliveryMode()).isEqualTo(DeliveryMode.PERSISTENT);
            assertThat(m.getJMSPriority()).isEqualTo(4);
            assertThat(m.getJMSRedelivered()).isFalse();
            assertThat(m.getJMSMessageID()).isNull();
            assertThat(m.getJMSExpiration()).isZero();
            assertThat(m.getJMSDeliveryTime()).isZero();
        });
    }

    @Test
    void aCorrelationIdSetAsBytesIsReadAsTheSameBytesAndNotAsText() throws JMSException {
        Message message = new StrataMessage();
        byte[] id = {(byte) 0xff, 0, 1};
        message.setJMSCorrelationIDAsBytes(id);
        id[0] = 0;

        assertThat(message.getJMSCorrelationIDAsBytes()).containsExactly(0xff, 0, 1);
        assertThat(message.getJMSCorrelationID()).isNull();
    }

    @Test
    void aCorrelationIdSetAsTextIsAlsoItsUtf8Bytes() throws JMSException {
        Message message = new StrataMessage();
        message.setJMSCorrelationID("réponse");

        assertThat(message.getJMSCorrelationIDAsBytes()).isEqualTo("réponse".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void headerFieldsStaySettableOnAReceivedMessage() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setReadOnly();

        message.setJMSType("t");
        message.setJMSPriority(9);

        assertThat(message.getJMSType()).isEqualTo("t");
        assertThat(message.getJMSPriority()).isEqualTo(9);
    }

    @Test
    void aMessageWithoutBodyGivesNullForAnyType() throws JMSException {
        Message message = new StrataMessage();

        assertThat(message.getBody(String.class)).isNull();
        assertThat(message.isBodyAssignableTo(Integer.class)).isTrue();
    }

    @Test
    void textMessageBodyRulesFollowJms() throws JMSException {
        StrataTextMessage message = new StrataTextMessage("hi");

        assertThat(message.getBody(String.class)).isEqualTo("hi");
        assertThat(message.getBody(CharSequence.class)).isEqualTo("hi");
        assertThatThrownBy(() -> message.getBody(Integer.class)).isInstanceOf(MessageFormatException.class);

        message.setReadOnly();
        assertThatThrownBy(() -> message.setText("x")).isInstanceOf(MessageNotWriteableException.class);
        message.clearBody();
        assertThat(message.getBody(Integer.class)).as("no body: any type").isNull();
        message.setText("x");
        assertThat(message.getText()).isEqualTo("x");
    }

    @Test
    void acknowledgeDelegatesToTheSessionsAcknowledger() throws JMSException {
        StrataMessage message = new StrataMessage();
        List<Message> acknowledged = new ArrayList<>();
        message.acknowledge();
        assertThat(acknowledged).as("a message not received has nothing to acknowledge").isEmpty();

        message.setAcknowledger(acknowledged::add);
        message.acknowledge();

        assertThat(acknowledged).containsExactly(message);
    }
}

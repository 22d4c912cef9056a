package io.strata.jms.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.jms.JMSException;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotReadableException;
import jakarta.jms.MessageNotWriteableException;

import java.util.List;

import org.junit.jupiter.api.Test;

class BytesMessageTest {

    @Test
    void aNewBytesMessageIsWriteOnly() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeInt(42);

        assertThatThrownBy(message::readInt).isInstanceOf(MessageNotReadableException.class);
        assertThatThrownBy(message::getBodyLength).isInstanceOf(MessageNotReadableException.class);
    }

    @Test
    void resetMakesItReadableFromTheStartAndEveryTypeReadsBack() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeBoolean(true);
        message.writeByte((byte) -2);
        message.writeShort((short) -3);
        message.writeChar('é');
        message.writeInt(70_000);
        message.writeLong(5_000_000_000L);
        message.writeFloat(1.5f);
        message.writeDouble(2.25);
        message.writeUTF("grüß");
        message.writeBytes(new byte[] {9, 8, 7}, 1, 2);

        message.reset();

        assertThat(message.readBoolean()).isTrue();
        assertThat(message.readUnsignedByte()).isEqualTo(254);
        assertThat(message.readShort()).isEqualTo((short) -3);
        assertThat(message.readChar()).isEqualTo('é');
        assertThat(message.readInt()).isEqualTo(70_000);
        assertThat(message.readLong()).isEqualTo(5_000_000_000L);
        assertThat(message.readFloat()).isEqualTo(1.5f);
        assertThat(message.readDouble()).isEqualTo(2.25);
        assertThat(message.readUTF()).isEqualTo("grüß");
        byte[] tail = new byte[5];
        assertThat(message.readBytes(tail)).isEqualTo(2);
        assertThat(tail).startsWith(8, 7);
        assertThat(message.readBytes(tail)).isEqualTo(-1);
    }

    @Test
    void readingPastTheEndThrowsMessageEOFException() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeShort((short) 1);
        message.reset();

        assertThatThrownBy(message::readInt).isInstanceOf(MessageEOFException.class);
    }

    @Test
    void writingInReadOnlyModeThrowsUntilClearBody() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeInt(1);
        message.reset();

        assertThatThrownBy(() -> message.writeInt(2)).isInstanceOf(MessageNotWriteableException.class);

        message.clearBody();
        message.writeInt(2);
        message.reset();
        assertThat(message.getBodyLength()).isEqualTo(4);
        assertThat(message.readInt()).isEqualTo(2);
    }

    @Test
    void receivedMessageBodyIsReadOnlyUntilClearBody() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeLong(7);
        message.setReadOnly();

        assertThat(message.readLong()).isEqualTo(7);
        assertThatThrownBy(() -> message.writeInt(1)).isInstanceOf(MessageNotWriteableException.class);

        message.clearBody();
        message.writeInt(1);
        assertThat(message.bodyBytes()).containsExactly(0, 0, 0, 1);
    }

    @Test
    void resetAgainRereadsFromTheStart() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeInt(5);
        message.reset();
        message.readInt();

        message.reset();

        assertThat(message.readInt()).isEqualTo(5);
    }

    @Test
    void writeObjectTakesPrimitivesStringsAndBytesOnly() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeObject(3);
        message.writeObject("s");
        message.writeObject(new byte[] {1});

        assertThatThrownBy(() -> message.writeObject(List.of())).isInstanceOf(MessageFormatException.class);
        assertThatThrownBy(() -> message.writeObject(null)).isInstanceOf(NullPointerException.class);
        message.reset();
        assertThat(message.readInt()).isEqualTo(3);
        assertThat(message.readUTF()).isEqualTo("s");
        assertThat(message.readByte()).isEqualTo((byte) 1);
    }

    @Test
    void getBodyGivesTheWholeBodyAsBytesInEitherModeWithoutMovingTheReader() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeInt(258);
        assertThat(message.getBody(byte[].class)).containsExactly(0, 0, 1, 2);

        message.reset();
        message.readByte();
        assertThat(message.getBody(byte[].class)).containsExactly(0, 0, 1, 2);
        assertThat(message.readByte()).isEqualTo((byte) 0);
        assertThat(message.isBodyAssignableTo(byte[].class)).isTrue();
        assertThat(message.isBodyAssignableTo(String.class)).isFalse();
        assertThatThrownBy(() -> message.getBody(String.class)).isInstanceOf(MessageFormatException.class);
    }

    @Test
    void anEmptyBytesMessageHasNoBodyForGetBody() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();

        assertThat(message.getBody(String.class)).isNull();
        assertThat(message.isBodyAssignableTo(Long.class)).isTrue();
    }
}

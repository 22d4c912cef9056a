package io.strata.jms.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.jms.JMSException;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotReadableException;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.StreamMessage;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StreamMessageTest {

    static Stream<Arguments> everyBodyTypePair() {
        return ConversionTable.pairs(ConversionTable.BODY_TYPES);
    }

    @ParameterizedTest(name = "{0} read as {1}")
    @MethodSource("everyBodyTypePair")
    void aFieldConvertsExactlyAsTheStreamMessageTableSays(String written, String read) throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        message.writeObject(ConversionTable.SAMPLES.get(written));
        message.reset();

        if (ConversionTable.allowed(written, read)) {
            Object value = read(message, read);
            assertThat(ConversionTable.sameValue(ConversionTable.expected(written, read), value))
                    .as("%s read as %s gave %s", written, read, value).isTrue();
            assertThatThrownBy(message::readObject).isInstanceOf(MessageEOFException.class);
        } else {
            assertThatThrownBy(() -> read(message, read)).isInstanceOf(MessageFormatException.class);
            assertThat(ConversionTable.sameValue(ConversionTable.SAMPLES.get(written), message.readObject()))
                    .as("the failed read left the position on the field").isTrue();
        }
    }

    @Test
    void aFailedConversionDoesNotMoveThePosition() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        message.writeString("not a number");
        message.writeInt(5);
        message.reset();

        assertThatThrownBy(message::readInt).isInstanceOf(NumberFormatException.class);
        assertThat(message.readString()).isEqualTo("not a number");
        assertThat(message.readInt()).isEqualTo(5);
    }

    @Test
    void aNullFieldReadsAsValueOfNull() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        message.writeObject(null);
        message.reset();

        assertThatThrownBy(message::readInt).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(message::readFloat).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(message::readChar).isInstanceOf(NullPointerException.class);
        assertThat(message.readBoolean()).isFalse();
    }

    @Test
    void aNullBytesFieldReadsAsMinusOne() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        message.writeBytes(null);
        message.writeInt(1);
        message.reset();

        assertThat(message.readBytes(new byte[4])).isEqualTo(-1);
        assertThat(message.readInt()).isEqualTo(1);
    }

    @Test
    void aLongBytesFieldIsReadInPartsThenMinusOne() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        message.writeBytes(new byte[] {1, 2, 3, 4});
        message.writeString("next");
        message.reset();
        byte[] buffer = new byte[2];

        assertThat(message.readBytes(buffer)).isEqualTo(2);
        assertThat(buffer).containsExactly(1, 2);
        assertThatThrownBy(message::readString).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("read it to its end");
        assertThat(message.readBytes(buffer)).isEqualTo(2);
        assertThat(buffer).containsExactly(3, 4);
        assertThat(message.readBytes(buffer)).isEqualTo(-1);
        assertThat(message.readString()).isEqualTo("next");
    }

    @Test
    void aShorterReadEndsTheBytesField() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        message.writeBytes(new byte[] {1, 2, 3});
        message.writeBytes(new byte[0]);
        message.writeBoolean(true);
        message.reset();
        byte[] buffer = new byte[2];

        assertThat(message.readBytes(buffer)).isEqualTo(2);
        assertThat(message.readBytes(buffer)).isEqualTo(1);
        assertThat(buffer[0]).isEqualTo((byte) 3);
        assertThat(message.readBytes(buffer)).as("the empty field").isZero();
        assertThat(message.readBoolean()).isTrue();
    }

    @Test
    void modesAreWriteOnlyThenReadOnlyAfterReset() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        message.writeInt(1);

        assertThatThrownBy(message::readInt).isInstanceOf(MessageNotReadableException.class);
        message.reset();
        assertThatThrownBy(() -> message.writeInt(2)).isInstanceOf(MessageNotWriteableException.class);
        assertThat(message.readInt()).isEqualTo(1);
        assertThatThrownBy(message::readInt).isInstanceOf(MessageEOFException.class);

        message.clearBody();
        message.writeInt(3);
        message.reset();
        assertThat(message.readInt()).isEqualTo(3);
    }

    @Test
    void writeObjectRefusesOtherTypes() {
        assertThatThrownBy(() -> new StrataStreamMessage().writeObject(List.of()))
                .isInstanceOf(MessageFormatException.class);
    }

    @Test
    void writtenBytesAreCopied() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        byte[] bytes = {1, 2};
        message.writeBytes(bytes);
        bytes[0] = 9;
        message.reset();

        assertThat((byte[]) message.readObject()).containsExactly(1, 2);
    }

    @Test
    void aStreamMessageBodyIsNeverAssignable() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        assertThat(message.isBodyAssignableTo(Object.class)).isFalse();
        assertThatThrownBy(() -> message.getBody(Object.class)).isInstanceOf(MessageFormatException.class);

        message.writeInt(1);
        assertThat(message.isBodyAssignableTo(Object.class)).isFalse();
    }

    static Object read(StreamMessage message, String type) throws JMSException {
        return switch (type) {
            case "boolean" -> message.readBoolean();
            case "byte" -> message.readByte();
            case "short" -> message.readShort();
            case "char" -> message.readChar();
            case "int" -> message.readInt();
            case "long" -> message.readLong();
            case "float" -> message.readFloat();
            case "double" -> message.readDouble();
            case "String" -> message.readString();
            case "byte[]" -> {
                byte[] buffer = new byte[16];
                int length = message.readBytes(buffer);
                yield java.util.Arrays.copyOf(buffer, length);
            }
            default -> throw new IllegalArgumentException(type);
        };
    }
}

package io.strata.jms.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MapMessageTest {

    static Stream<Arguments> everyBodyTypePair() {
        return ConversionTable.pairs(ConversionTable.BODY_TYPES);
    }

    @ParameterizedTest(name = "{0} read as {1}")
    @MethodSource("everyBodyTypePair")
    void anEntryConvertsExactlyAsTheMapMessageTableSays(String written, String read) throws JMSException {
        MapMessage message = new StrataMapMessage();
        message.setObject("e", ConversionTable.SAMPLES.get(written));

        if (ConversionTable.allowed(written, read)) {
            Object value = read(message, read);
            assertThat(ConversionTable.sameValue(ConversionTable.expected(written, read), value))
                    .as("%s read as %s gave %s", written, read, value).isTrue();
        } else {
            assertThatThrownBy(() -> read(message, read)).isInstanceOf(MessageFormatException.class);
        }
    }

    @Test
    void aMissingEntryReadsAsValueOfNull() throws JMSException {
        MapMessage message = new StrataMapMessage();

        assertThat(message.getBoolean("none")).isFalse();
        assertThat(message.getString("none")).isNull();
        assertThat(message.getBytes("none")).isNull();
        assertThat(message.getObject("none")).isNull();
        assertThat(message.itemExists("none")).isFalse();
        assertThatThrownBy(() -> message.getInt("none")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> message.getDouble("none")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> message.getChar("none")).isInstanceOf(NullPointerException.class);
    }

    @Test
    void entryNamesMustNotBeNullOrEmpty() {
        MapMessage message = new StrataMapMessage();

        assertThatThrownBy(() -> message.setInt("", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> message.setString(null, "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void setObjectRefusesOtherTypes() {
        assertThatThrownBy(() -> new StrataMapMessage().setObject("list", List.of()))
                .isInstanceOf(MessageFormatException.class).hasMessageContaining("list");
    }

    @Test
    void bytesAreCopiedInAndOut() throws JMSException {
        MapMessage message = new StrataMapMessage();
        byte[] bytes = {1, 2, 3};
        message.setBytes("b", bytes);
        message.setBytes("part", bytes, 1, 2);
        bytes[0] = 9;

        byte[] read = message.getBytes("b");
        read[1] = 9;
        assertThat(message.getBytes("b")).containsExactly(1, 2, 3);
        assertThat(message.getBytes("part")).containsExactly(2, 3);
    }

    @Test
    void mapNamesListEveryEntry() throws JMSException {
        MapMessage message = new StrataMapMessage();
        message.setInt("one", 1);
        message.setString("two", "2");

        assertThat(Collections.list(message.getMapNames())).containsExactlyInAnyOrder("one", "two");
    }

    @Test
    void receivedMapIsReadOnlyUntilClearBody() throws JMSException {
        StrataMapMessage message = new StrataMapMessage();
        message.setInt("n", 1);
        message.setReadOnly();

        assertThatThrownBy(() -> message.setInt("n", 2)).isInstanceOf(MessageNotWriteableException.class);
        assertThat(message.getInt("n")).isEqualTo(1);

        message.clearBody();
        assertThat(message.itemExists("n")).isFalse();
        message.setInt("n", 2);
        assertThat(message.getInt("n")).isEqualTo(2);
    }

    @Test
    void getBodyGivesTheEntriesAsAMapAndNullWhenEmpty() throws JMSException {
        StrataMapMessage message = new StrataMapMessage();
        assertThat(message.getBody(Map.class)).isNull();

        message.setLong("n", 4L);
        assertThat(message.getBody(Map.class)).isEqualTo(Map.of("n", 4L));
        assertThat(message.isBodyAssignableTo(Map.class)).isTrue();
        assertThat(message.isBodyAssignableTo(String.class)).isFalse();
        assertThatThrownBy(() -> message.getBody(String.class)).isInstanceOf(MessageFormatException.class);
    }

    static Object read(MapMessage message, String type) throws JMSException {
        return switch (type) {
            case "boolean" -> message.getBoolean("e");
            case "byte" -> message.getByte("e");
            case "short" -> message.getShort("e");
            case "char" -> message.getChar("e");
            case "int" -> message.getInt("e");
            case "long" -> message.getLong("e");
            case "float" -> message.getFloat("e");
            case "double" -> message.getDouble("e");
            case "String" -> message.getString("e");
            case "byte[]" -> message.getBytes("e");
            default -> throw new IllegalArgumentException(type);
        };
    }
}

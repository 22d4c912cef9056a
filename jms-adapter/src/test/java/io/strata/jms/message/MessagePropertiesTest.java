package io.strata.jms.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;

import java.util.Collections;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class MessagePropertiesTest {

    static Stream<Arguments> everyPropertyTypePair() {
        return ConversionTable.pairs(ConversionTable.PROPERTY_TYPES);
    }

    @ParameterizedTest(name = "{0} read as {1}")
    @MethodSource("everyPropertyTypePair")
    void aPropertyConvertsExactlyAsTheConversionTableSays(String written, String read) throws JMSException {
        Message message = new StrataMessage();
        message.setObjectProperty("p", ConversionTable.SAMPLES.get(written));

        if (ConversionTable.allowed(written, read)) {
            assertThat(read(message, read)).isEqualTo(ConversionTable.expected(written, read));
        } else {
            assertThatThrownBy(() -> read(message, read)).isInstanceOf(MessageFormatException.class)
                    .hasMessageContaining("cannot be read as " + read);
        }
    }

    @Test
    void aStringPropertyReadAsIntThrowsNumberFormatException() throws JMSException {
        Message message = new StrataMessage();
        message.setStringProperty("colour", "red");

        assertThatThrownBy(() -> message.getIntProperty("colour")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> message.getDoubleProperty("colour")).isInstanceOf(NumberFormatException.class);
        assertThat(message.getBooleanProperty("colour")).isFalse();
    }

    @Test
    void aMissingPropertyReadsAsValueOfNull() throws JMSException {
        Message message = new StrataMessage();

        assertThat(message.getBooleanProperty("missing")).isFalse();
        assertThat(message.getStringProperty("missing")).isNull();
        assertThat(message.getObjectProperty("missing")).isNull();
        assertThatThrownBy(() -> message.getByteProperty("missing")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> message.getShortProperty("missing")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> message.getIntProperty("missing")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> message.getLongProperty("missing")).isInstanceOf(NumberFormatException.class);
        assertThatThrownBy(() -> message.getFloatProperty("missing")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> message.getDoubleProperty("missing")).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aNullStringPropertyExistsAndReadsAsNull() throws JMSException {
        Message message = new StrataMessage();
        message.setStringProperty("note", null);

        assertThat(message.propertyExists("note")).isTrue();
        assertThat(message.getStringProperty("note")).isNull();
        assertThatThrownBy(() -> message.getIntProperty("note")).isInstanceOf(NumberFormatException.class);
    }

    @Test
    void setObjectPropertyTakesOnlyObjectifiedPrimitivesAndStrings() {
        Message message = new StrataMessage();

        assertThatThrownBy(() -> message.setObjectProperty("c", 'c')).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("char");
        assertThatThrownBy(() -> message.setObjectProperty("b", new byte[1])).isInstanceOf(MessageFormatException.class);
        assertThatThrownBy(() -> message.setObjectProperty("l", Collections.emptyList()))
                .isInstanceOf(MessageFormatException.class);
    }

    @Test
    void getObjectPropertyGivesTheObjectifiedValueAsSet() throws JMSException {
        Message message = new StrataMessage();
        message.setIntProperty("count", 3);
        message.setFloatProperty("ratio", 0.5f);

        assertThat(message.getObjectProperty("count")).isEqualTo(3);
        assertThat(message.getObjectProperty("ratio")).isEqualTo(0.5f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1abc", "has-dash", "has space", "NULL", "true", "Not", "and", "OR", "between", "LIKE",
            "in", "Is", "escape", "JMSXFoo", "JMSPriority", "JMSFoo"})
    void anInvalidPropertyNameIsRefused(String name) {
        Message message = new StrataMessage();

        assertThatThrownBy(() -> message.setStringProperty(name, "v")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNullPropertyNameIsRefused() {
        assertThatThrownBy(() -> new StrataMessage().setIntProperty(null, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"colour", "_x", "$price", "région", "JMSXGroupID", "JMSXGroupSeq", "JMSXUserID",
            "JMS_Strata_Trace", "NULLABLE", "Islands"})
    void aValidPropertyNameIsTaken(String name) throws JMSException {
        Message message = new StrataMessage();
        message.setStringProperty(name, "v");

        assertThat(message.getStringProperty(name)).isEqualTo("v");
    }

    @Test
    void aNameLongerThanTheBoundIsRefused() {
        String name = "a".repeat(PropertyNames.NAME_LENGTH_MAX + 1);

        assertThatThrownBy(() -> new StrataMessage().setStringProperty(name, "v"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than");
    }

    @Test
    void propertyNamesListEveryPropertyInTheOrderSet() throws JMSException {
        Message message = new StrataMessage();
        message.setIntProperty("b", 1);
        message.setStringProperty("a", "x");
        message.setBooleanProperty("c", true);

        assertThat(Collections.list(message.getPropertyNames())).containsExactly("b", "a", "c");
        assertThat(message.propertyExists("a")).isTrue();
        assertThat(message.propertyExists("z")).isFalse();
    }

    @Test
    void receivedMessagePropertiesAreReadOnlyUntilClearProperties() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setIntProperty("n", 1);
        message.setReadOnly();

        assertThatThrownBy(() -> message.setIntProperty("n", 2)).isInstanceOf(MessageNotWriteableException.class);
        assertThat(message.getIntProperty("n")).isEqualTo(1);

        message.clearProperties();
        assertThat(message.propertyExists("n")).isFalse();
        message.setIntProperty("n", 2);
        assertThat(message.getIntProperty("n")).isEqualTo(2);
    }

    @Test
    void clearBodyLeavesPropertiesAlone() throws JMSException {
        StrataTextMessage message = new StrataTextMessage("hello");
        message.setStringProperty("k", "v");

        message.clearBody();

        assertThat(message.getText()).isNull();
        assertThat(message.getStringProperty("k")).isEqualTo("v");
    }

    static Object read(Message message, String type) throws JMSException {
        return switch (type) {
            case "boolean" -> message.getBooleanProperty("p");
            case "byte" -> message.getByteProperty("p");
            case "short" -> message.getShortProperty("p");
            case "int" -> message.getIntProperty("p");
            case "long" -> message.getLongProperty("p");
            case "float" -> message.getFloatProperty("p");
            case "double" -> message.getDoubleProperty("p");
            case "String" -> message.getStringProperty("p");
            default -> throw new IllegalArgumentException(type);
        };
    }
}

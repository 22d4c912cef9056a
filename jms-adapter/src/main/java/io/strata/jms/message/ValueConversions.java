package io.strata.jms.message;

import jakarta.jms.MessageFormatException;

/**
 * The value conversions of JMS 3.1: message properties (section 3.5.4), and the bodies of MapMessage and StreamMessage
 * (the conversion tables in their javadoc). One table serves all three, because the property table is the body table
 * without {@code char} and {@code byte[]}, and a property can never hold those (setting one is refused).
 *
 * <p>A value written as one type can be read as a wider one of the same kind, and every value can be read as a String
 * (except {@code byte[]}); a String can be read as any type but {@code char} and {@code byte[]}, through the type's
 * {@code valueOf(String)}, which throws {@link NumberFormatException} for text that is not a number. A null value
 * read as a primitive is {@code valueOf(null)}, as the specification says: false for boolean, a
 * {@link NumberFormatException} for the integral types, a {@link NullPointerException} for float, double and char.
 * Every other pair is a {@link MessageFormatException}.
 *
 * <p>Stateless, so thread-safe.
 */
public final class ValueConversions {

    private ValueConversions() {
    }

    public static boolean toBoolean(Object value) throws MessageFormatException {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value == null || value instanceof String) {
            return Boolean.valueOf((String) value);
        }
        throw notConvertible(value, "boolean");
    }

    public static byte toByte(Object value) throws MessageFormatException {
        if (value instanceof Byte b) {
            return b;
        }
        if (value == null || value instanceof String) {
            return Byte.valueOf((String) value);
        }
        throw notConvertible(value, "byte");
    }

    public static short toShort(Object value) throws MessageFormatException {
        if (value instanceof Short || value instanceof Byte) {
            return ((Number) value).shortValue();
        }
        if (value == null || value instanceof String) {
            return Short.valueOf((String) value);
        }
        throw notConvertible(value, "short");
    }

    public static int toInt(Object value) throws MessageFormatException {
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).intValue();
        }
        if (value == null || value instanceof String) {
            return Integer.valueOf((String) value);
        }
        throw notConvertible(value, "int");
    }

    public static long toLong(Object value) throws MessageFormatException {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value == null || value instanceof String) {
            return Long.valueOf((String) value);
        }
        throw notConvertible(value, "long");
    }

    public static float toFloat(Object value) throws MessageFormatException {
        if (value instanceof Float f) {
            return f;
        }
        if (value == null || value instanceof String) {
            // Float.valueOf(null) throws NullPointerException: that is what the specification asks for.
            return Float.valueOf((String) value);
        }
        throw notConvertible(value, "float");
    }

    public static double toDouble(Object value) throws MessageFormatException {
        if (value instanceof Double || value instanceof Float) {
            return ((Number) value).doubleValue();
        }
        if (value == null || value instanceof String) {
            return Double.valueOf((String) value);
        }
        throw notConvertible(value, "double");
    }

    /** A char is only ever read from a char; null has no {@code valueOf(String)} for char, so it is a NullPointerException. */
    public static char toChar(Object value) throws MessageFormatException {
        if (value instanceof Character c) {
            return c;
        }
        if (value == null) {
            throw new NullPointerException("a null value cannot be read as a char");
        }
        throw notConvertible(value, "char");
    }

    public static String toText(Object value) throws MessageFormatException {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[]) {
            throw notConvertible(value, "String");
        }
        return value.toString();
    }

    /** A copy, so that the caller cannot change the message's value. */
    public static byte[] toBytes(Object value) throws MessageFormatException {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[] bytes) {
            return bytes.clone();
        }
        throw notConvertible(value, "byte[]");
    }

    /** The JMS name of a value's type, for messages: {@code int} rather than {@code java.lang.Integer}. */
    public static String typeName(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof byte[]) {
            return "byte[]";
        }
        return switch (value.getClass().getSimpleName()) {
            case "Boolean" -> "boolean";
            case "Byte" -> "byte";
            case "Short" -> "short";
            case "Character" -> "char";
            case "Integer" -> "int";
            case "Long" -> "long";
            case "Float" -> "float";
            case "Double" -> "double";
            default -> value.getClass().getName();
        };
    }

    private static MessageFormatException notConvertible(Object value, String type) {
        return new MessageFormatException("a " + typeName(value) + " value cannot be read as " + type
                + " (JMS 3.1 conversion table)");
    }
}

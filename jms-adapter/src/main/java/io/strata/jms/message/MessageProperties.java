package io.strata.jms.message;

import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;

import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The properties of one message: names (checked by {@link PropertyNames}), values of the eight property types
 * (Boolean, Byte, Short, Integer, Long, Float, Double, String, or null), the conversions of JMS 3.5.4 when read
 * ({@link ValueConversions}), and the read-only state a received message's properties are in until
 * {@link #clear()}.
 *
 * <p>Insertion order is kept, so a message's properties are written to a record in the order the application set
 * them. Not thread-safe, as JMS messages are not.
 */
public final class MessageProperties {

    private final Map<String, Object> values = new LinkedHashMap<>();
    private boolean readOnly;

    /** Sets a property: the value must be null or one of the eight property types. */
    public void set(String name, Object value) throws MessageFormatException, MessageNotWriteableException {
        PropertyNames.check(name);
        if (readOnly) {
            throw new MessageNotWriteableException("the properties of a received message are read-only;"
                    + " clearProperties() makes them writable (setting '" + name + "')");
        }
        checkType(name, value);
        values.put(name, value);
    }

    /** Whether {@code value} may be a property value: null, a String or an objectified primitive other than char. */
    public static boolean isPropertyType(Object value) {
        return value == null || value instanceof String || value instanceof Boolean || value instanceof Byte
                || value instanceof Short || value instanceof Integer || value instanceof Long
                || value instanceof Float || value instanceof Double;
    }

    private static void checkType(String name, Object value) throws MessageFormatException {
        if (!isPropertyType(value)) {
            throw new MessageFormatException("property '" + name + "' cannot hold a " + ValueConversions.typeName(value)
                    + ": a property is a boolean, byte, short, int, long, float, double or String (JMS 3.5.4)");
        }
    }

    /** The value, or null when there is none. */
    public Object get(String name) {
        return values.get(name);
    }

    public boolean exists(String name) {
        return values.containsKey(name);
    }

    public Enumeration<String> names() {
        return Collections.enumeration(values.keySet().stream().toList());
    }

    /** The properties in the order they were set, as a read-only view. */
    public Map<String, Object> asMap() {
        return Collections.unmodifiableMap(values);
    }

    /** Removes every property and makes the properties writable again (JMS {@code clearProperties}). */
    public void clear() {
        values.clear();
        readOnly = false;
    }

    public void setReadOnly() {
        readOnly = true;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    public boolean getBoolean(String name) throws MessageFormatException {
        return ValueConversions.toBoolean(values.get(name));
    }

    public byte getByte(String name) throws MessageFormatException {
        return ValueConversions.toByte(values.get(name));
    }

    public short getShort(String name) throws MessageFormatException {
        return ValueConversions.toShort(values.get(name));
    }

    public int getInt(String name) throws MessageFormatException {
        return ValueConversions.toInt(values.get(name));
    }

    public long getLong(String name) throws MessageFormatException {
        return ValueConversions.toLong(values.get(name));
    }

    public float getFloat(String name) throws MessageFormatException {
        return ValueConversions.toFloat(values.get(name));
    }

    public double getDouble(String name) throws MessageFormatException {
        return ValueConversions.toDouble(values.get(name));
    }

    public String getString(String name) throws MessageFormatException {
        return ValueConversions.toText(values.get(name));
    }
}

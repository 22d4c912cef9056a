package io.strata.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.MessageFormatException;

import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A MapMessage: a body of named values, each a boolean, byte, short, char, int, long, float, double, String, byte[]
 * or null, read with the conversions of the MapMessage table ({@link ValueConversions}). Names are not null and not
 * empty. Entries keep the order they were set in (JMS leaves it undefined; a stable order makes the encoded body
 * stable). Writable when created and after {@link #clearBody()}, read-only when received.
 *
 * <p>Not thread-safe, as JMS messages are not.
 */
public class StrataMapMessage extends StrataMessage implements MapMessage {

    private final Map<String, Object> entries = new LinkedHashMap<>();

    @Override
    public boolean getBoolean(String name) throws JMSException {
        return ValueConversions.toBoolean(entries.get(name));
    }

    @Override
    public byte getByte(String name) throws JMSException {
        return ValueConversions.toByte(entries.get(name));
    }

    @Override
    public short getShort(String name) throws JMSException {
        return ValueConversions.toShort(entries.get(name));
    }

    @Override
    public char getChar(String name) throws JMSException {
        return ValueConversions.toChar(entries.get(name));
    }

    @Override
    public int getInt(String name) throws JMSException {
        return ValueConversions.toInt(entries.get(name));
    }

    @Override
    public long getLong(String name) throws JMSException {
        return ValueConversions.toLong(entries.get(name));
    }

    @Override
    public float getFloat(String name) throws JMSException {
        return ValueConversions.toFloat(entries.get(name));
    }

    @Override
    public double getDouble(String name) throws JMSException {
        return ValueConversions.toDouble(entries.get(name));
    }

    @Override
    public String getString(String name) throws JMSException {
        return ValueConversions.toText(entries.get(name));
    }

    @Override
    public byte[] getBytes(String name) throws JMSException {
        return ValueConversions.toBytes(entries.get(name));
    }

    /** The value as written (a byte[] copied), or null when there is no such entry. */
    @Override
    public Object getObject(String name) {
        Object value = entries.get(name);
        return value instanceof byte[] bytes ? bytes.clone() : value;
    }

    @Override
    public Enumeration<String> getMapNames() {
        return Collections.enumeration(entries.keySet().stream().toList());
    }

    @Override
    public void setBoolean(String name, boolean value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setByte(String name, byte value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setShort(String name, short value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setChar(String name, char value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setInt(String name, int value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setLong(String name, long value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setFloat(String name, float value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setDouble(String name, double value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setString(String name, String value) throws JMSException {
        put(name, value);
    }

    @Override
    public void setBytes(String name, byte[] value) throws JMSException {
        put(name, value == null ? null : value.clone());
    }

    @Override
    public void setBytes(String name, byte[] value, int offset, int length) throws JMSException {
        put(name, Arrays.copyOfRange(value, offset, offset + length));
    }

    /** Sets an objectified primitive, a String, a byte[] (copied) or null; any other type is refused. */
    @Override
    public void setObject(String name, Object value) throws JMSException {
        if (!isMapType(value)) {
            checkName(name);
            throw new MessageFormatException("a MapMessage cannot hold a " + value.getClass().getName()
                    + ": only objectified primitives, String and byte[] (entry '" + name + "')");
        }
        put(name, value instanceof byte[] bytes ? bytes.clone() : value);
    }

    @Override
    public boolean itemExists(String name) {
        return entries.containsKey(name);
    }

    /** The entries in the order they were set, as a read-only view (byte[] values are the message's own). */
    public Map<String, Object> entries() {
        return Collections.unmodifiableMap(entries);
    }

    /** Whether {@code value} may be a MapMessage or StreamMessage value. */
    public static boolean isMapType(Object value) {
        return value == null || MessageProperties.isPropertyType(value) || value instanceof Character
                || value instanceof byte[];
    }

    private void put(String name, Object value) throws JMSException {
        checkName(name);
        checkBodyWritable();
        entries.put(name, value);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a MapMessage entry name must not be null or empty");
        }
    }

    @Override
    protected void clearBodyContent() {
        entries.clear();
    }

    @Override
    protected boolean hasNoBody() {
        return entries.isEmpty();
    }

    /** A copy as a Map, as {@code getBody(Map.class)} returns (byte[] values copied). */
    @Override
    protected Object bodyObject() {
        Map<String, Object> copy = new LinkedHashMap<>();
        entries.forEach((name, value) -> copy.put(name, value instanceof byte[] bytes ? bytes.clone() : value));
        return copy;
    }
}

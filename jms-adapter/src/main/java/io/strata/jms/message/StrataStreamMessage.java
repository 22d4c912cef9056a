package io.strata.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotReadableException;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.StreamMessage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A StreamMessage: a sequence of typed values (boolean, byte, short, char, int, long, float, double, String, byte[],
 * or null), written in order and read in order with the conversions of the StreamMessage table
 * ({@link ValueConversions}).
 *
 * <p>Modes as for a BytesMessage: write-only when created and after {@link #clearBody()}, read-only after
 * {@link #reset()} and when received. A read that fails to convert (MessageFormatException, NumberFormatException,
 * NullPointerException) does not move the position, so the value can be read again as another type. A byte[] field
 * may be read in parts by successive {@code readBytes} calls; once begun, it must be read to its end (a call answering
 * less than the buffer, or -1) before another field is read, or that read is a {@link MessageFormatException}.
 *
 * <p>Not thread-safe, as JMS messages are not.
 */
public class StrataStreamMessage extends StrataMessage implements StreamMessage {

    /** Field values as written; byte[] values are the message's own copies. */
    private final List<Object> values = new ArrayList<>();
    private boolean readable;
    /** Index of the next field to read. */
    private int position;
    /** How much of the byte[] field at {@link #position} readBytes has given; -1 when none of it yet. */
    private int bytesFieldOffset = -1;

    @Override
    public boolean readBoolean() throws JMSException {
        boolean value = ValueConversions.toBoolean(current());
        position++;
        return value;
    }

    @Override
    public byte readByte() throws JMSException {
        byte value = ValueConversions.toByte(current());
        position++;
        return value;
    }

    @Override
    public short readShort() throws JMSException {
        short value = ValueConversions.toShort(current());
        position++;
        return value;
    }

    @Override
    public char readChar() throws JMSException {
        char value = ValueConversions.toChar(current());
        position++;
        return value;
    }

    @Override
    public int readInt() throws JMSException {
        int value = ValueConversions.toInt(current());
        position++;
        return value;
    }

    @Override
    public long readLong() throws JMSException {
        long value = ValueConversions.toLong(current());
        position++;
        return value;
    }

    @Override
    public float readFloat() throws JMSException {
        float value = ValueConversions.toFloat(current());
        position++;
        return value;
    }

    @Override
    public double readDouble() throws JMSException {
        double value = ValueConversions.toDouble(current());
        position++;
        return value;
    }

    @Override
    public String readString() throws JMSException {
        String value = ValueConversions.toText(current());
        position++;
        return value;
    }

    /**
     * Reads a byte[] field into {@code value}, in parts when it is longer: answers how many bytes were copied, -1 when
     * the field is null or was given in full by the previous call. A call that copies less than the buffer's length
     * ends the field.
     */
    @Override
    public int readBytes(byte[] value) throws JMSException {
        checkReadable();
        checkNotAtEnd();
        Object field = values.get(position);
        if (field == null) {
            position++;
            return -1;
        }
        if (!(field instanceof byte[] bytes)) {
            throw new MessageFormatException("the field is a " + ValueConversions.typeName(field)
                    + ", which cannot be read as byte[]");
        }
        int offset = Math.max(bytesFieldOffset, 0);
        int remaining = bytes.length - offset;
        if (bytesFieldOffset > 0 && remaining == 0) {
            endBytesField();
            return -1;
        }
        int copied = Math.min(value.length, remaining);
        System.arraycopy(bytes, offset, value, 0, copied);
        if (copied < value.length) {
            endBytesField();
        } else {
            bytesFieldOffset = offset + copied;
        }
        return copied;
    }

    /** The field's value as written (a byte[] copied), or null. */
    @Override
    public Object readObject() throws JMSException {
        Object value = current();
        position++;
        return value instanceof byte[] bytes ? bytes.clone() : value;
    }

    @Override
    public void writeBoolean(boolean value) throws JMSException {
        append(value);
    }

    @Override
    public void writeByte(byte value) throws JMSException {
        append(value);
    }

    @Override
    public void writeShort(short value) throws JMSException {
        append(value);
    }

    @Override
    public void writeChar(char value) throws JMSException {
        append(value);
    }

    @Override
    public void writeInt(int value) throws JMSException {
        append(value);
    }

    @Override
    public void writeLong(long value) throws JMSException {
        append(value);
    }

    @Override
    public void writeFloat(float value) throws JMSException {
        append(value);
    }

    @Override
    public void writeDouble(double value) throws JMSException {
        append(value);
    }

    @Override
    public void writeString(String value) throws JMSException {
        append(value);
    }

    @Override
    public void writeBytes(byte[] value) throws JMSException {
        append(value == null ? null : value.clone());
    }

    @Override
    public void writeBytes(byte[] value, int offset, int length) throws JMSException {
        append(Arrays.copyOfRange(value, offset, offset + length));
    }

    /** Writes an objectified primitive, a String, a byte[] (copied) or null; any other type is refused. */
    @Override
    public void writeObject(Object value) throws JMSException {
        if (!StrataMapMessage.isMapType(value)) {
            throw new MessageFormatException("a StreamMessage cannot hold a " + value.getClass().getName()
                    + ": only objectified primitives, String and byte[]");
        }
        append(value instanceof byte[] bytes ? bytes.clone() : value);
    }

    /** Puts the body in read-only mode at its first field. */
    @Override
    public void reset() {
        readable = true;
        position = 0;
        bytesFieldOffset = -1;
    }

    @Override
    public void setReadOnly() throws JMSException {
        super.setReadOnly();
        reset();
    }

    /** The fields as written, whatever the mode, as a read-only view (byte[] values are the message's own). */
    public List<Object> fields() {
        return Collections.unmodifiableList(values);
    }

    /** A StreamMessage's body is never given as one object (JMS 2.0 {@code getBody}). */
    @Override
    public <T> T getBody(Class<T> c) throws JMSException {
        throw new MessageFormatException("the body of a StreamMessage cannot be had with getBody; read it field by"
                + " field");
    }

    @SuppressWarnings("rawtypes")
    @Override
    public boolean isBodyAssignableTo(Class c) {
        return false;
    }

    @Override
    protected void clearBodyContent() {
        values.clear();
        readable = false;
        position = 0;
        bytesFieldOffset = -1;
    }

    @Override
    protected boolean hasNoBody() {
        return values.isEmpty();
    }

    /** The field at the read position, not moving it; refused mid-way through a byte[] field. */
    private Object current() throws JMSException {
        checkReadable();
        checkNotAtEnd();
        if (bytesFieldOffset >= 0) {
            throw new MessageFormatException("a byte[] field is being read with readBytes; read it to its end first");
        }
        return values.get(position);
    }

    private void checkNotAtEnd() throws MessageEOFException {
        if (position >= values.size()) {
            throw new MessageEOFException("read past the end of the StreamMessage body (" + values.size()
                    + " fields)");
        }
    }

    private void endBytesField() {
        bytesFieldOffset = -1;
        position++;
    }

    private void append(Object value) throws JMSException {
        checkBodyWritable();
        if (readable) {
            throw new MessageNotWriteableException("the StreamMessage is in read-only mode; clearBody() makes it"
                    + " writable");
        }
        values.add(value);
    }

    private void checkReadable() throws MessageNotReadableException {
        if (!readable) {
            throw new MessageNotReadableException("the StreamMessage is in write-only mode; reset() makes it"
                    + " readable");
        }
    }
}

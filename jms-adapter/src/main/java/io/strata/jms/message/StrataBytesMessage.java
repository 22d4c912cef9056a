package io.strata.jms.message;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotReadableException;
import jakarta.jms.MessageNotWriteableException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;

/**
 * A BytesMessage: a body of uninterpreted bytes, written and read as {@link java.io.DataOutputStream} and
 * {@link java.io.DataInputStream} do (big-endian; {@code writeUTF} in Java's modified UTF-8).
 *
 * <p>Two modes, as JMS says: write-only when created and after {@link #clearBody()}; read-only from the start after
 * {@link #reset()}, and so when received. Reading in write-only mode is a {@link MessageNotReadableException};
 * writing in read-only mode a {@link MessageNotWriteableException}; reading past the end a
 * {@link MessageEOFException} ({@code readBytes} answers -1 instead).
 *
 * <p>Not thread-safe, as JMS messages are not.
 */
public class StrataBytesMessage extends StrataMessage implements BytesMessage {

    /** The body being written; null in read-only mode. */
    private ByteArrayOutputStream written = new ByteArrayOutputStream();
    private DataOutputStream writer = new DataOutputStream(written);
    /** The body being read; null in write-only mode. */
    private byte[] body;
    private DataInputStream reader;

    @Override
    public long getBodyLength() throws JMSException {
        checkReadable();
        return body.length;
    }

    /** The whole body whatever the mode, not moving the read position: what the codec sends. */
    public byte[] bodyBytes() {
        return body != null ? body.clone() : written.toByteArray();
    }

    @Override
    public boolean readBoolean() throws JMSException {
        checkReadable();
        try {
            return reader.readBoolean();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public byte readByte() throws JMSException {
        checkReadable();
        try {
            return reader.readByte();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public int readUnsignedByte() throws JMSException {
        checkReadable();
        try {
            return reader.readUnsignedByte();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public short readShort() throws JMSException {
        checkReadable();
        try {
            return reader.readShort();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public int readUnsignedShort() throws JMSException {
        checkReadable();
        try {
            return reader.readUnsignedShort();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public char readChar() throws JMSException {
        checkReadable();
        try {
            return reader.readChar();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public int readInt() throws JMSException {
        checkReadable();
        try {
            return reader.readInt();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public long readLong() throws JMSException {
        checkReadable();
        try {
            return reader.readLong();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public float readFloat() throws JMSException {
        checkReadable();
        try {
            return reader.readFloat();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public double readDouble() throws JMSException {
        checkReadable();
        try {
            return reader.readDouble();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public String readUTF() throws JMSException {
        checkReadable();
        try {
            return reader.readUTF();
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    /** Reads up to {@code value.length} bytes; -1 when the body has no more. */
    @Override
    public int readBytes(byte[] value) throws JMSException {
        return readBytes(value, value.length);
    }

    @Override
    public int readBytes(byte[] value, int length) throws JMSException {
        checkReadable();
        if (length < 0 || length > value.length) {
            throw new IndexOutOfBoundsException("length " + length + " is not within the buffer of " + value.length);
        }
        if (length == 0) {
            return 0;
        }
        try {
            return reader.read(value, 0, length);
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    @Override
    public void writeBoolean(boolean value) throws JMSException {
        checkWritable();
        try {
            writer.writeBoolean(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeByte(byte value) throws JMSException {
        checkWritable();
        try {
            writer.writeByte(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeShort(short value) throws JMSException {
        checkWritable();
        try {
            writer.writeShort(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeChar(char value) throws JMSException {
        checkWritable();
        try {
            writer.writeChar(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeInt(int value) throws JMSException {
        checkWritable();
        try {
            writer.writeInt(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeLong(long value) throws JMSException {
        checkWritable();
        try {
            writer.writeLong(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeFloat(float value) throws JMSException {
        checkWritable();
        try {
            writer.writeFloat(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeDouble(double value) throws JMSException {
        checkWritable();
        try {
            writer.writeDouble(value);
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeUTF(String value) throws JMSException {
        checkWritable();
        try {
            writer.writeUTF(value);
        } catch (UTFDataFormatException e) {
            throw new MessageFormatException("writeUTF takes at most 65535 bytes of modified UTF-8: " + e.getMessage());
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    @Override
    public void writeBytes(byte[] value) throws JMSException {
        writeBytes(value, 0, value.length);
    }

    @Override
    public void writeBytes(byte[] value, int offset, int length) throws JMSException {
        checkWritable();
        // DataOutputStream does not buffer, so the bytes go straight to the body.
        written.write(value, offset, length);
    }

    /**
     * Writes an objectified primitive, a String or a byte[]; null is a NullPointerException and any other type a
     * {@link MessageFormatException}, as the API says.
     */
    @Override
    public void writeObject(Object value) throws JMSException {
        if (value == null) {
            throw new NullPointerException("a BytesMessage cannot write a null object");
        }
        if (value instanceof Boolean v) {
            writeBoolean(v);
        } else if (value instanceof Byte v) {
            writeByte(v);
        } else if (value instanceof Short v) {
            writeShort(v);
        } else if (value instanceof Character v) {
            writeChar(v);
        } else if (value instanceof Integer v) {
            writeInt(v);
        } else if (value instanceof Long v) {
            writeLong(v);
        } else if (value instanceof Float v) {
            writeFloat(v);
        } else if (value instanceof Double v) {
            writeDouble(v);
        } else if (value instanceof String v) {
            writeUTF(v);
        } else if (value instanceof byte[] v) {
            writeBytes(v);
        } else {
            throw new MessageFormatException("a BytesMessage cannot write a " + value.getClass().getName()
                    + ": only objectified primitives, String and byte[]");
        }
    }

    /** Puts the body in read-only mode, positioned at its start; what was written stays. */
    @Override
    public void reset() {
        if (body == null) {
            body = written.toByteArray();
            written = null;
            writer = null;
        }
        reader = new DataInputStream(new ByteArrayInputStream(body));
    }

    @Override
    public void setReadOnly() throws JMSException {
        super.setReadOnly();
        reset();
    }

    @Override
    protected void clearBodyContent() {
        body = null;
        reader = null;
        written = new ByteArrayOutputStream();
        writer = new DataOutputStream(written);
    }

    @Override
    protected boolean hasNoBody() {
        return body != null ? body.length == 0 : written.size() == 0;
    }

    @Override
    protected Object bodyObject() {
        return bodyBytes();
    }

    private void checkReadable() throws MessageNotReadableException {
        if (reader == null) {
            throw new MessageNotReadableException("the BytesMessage is in write-only mode; reset() makes it readable");
        }
    }

    private void checkWritable() throws MessageNotWriteableException {
        checkBodyWritable();
        if (writer == null) {
            throw new MessageNotWriteableException("the BytesMessage is in read-only mode; clearBody() makes it"
                    + " writable");
        }
    }

    private static JMSException readFailure(IOException e) {
        JMSException failure = e instanceof EOFException
                ? new MessageEOFException("read past the end of the BytesMessage body")
                : e instanceof UTFDataFormatException
                        ? new MessageFormatException("the bytes are not modified UTF-8: " + e.getMessage())
                        : new JMSException("reading the BytesMessage body failed: " + e.getMessage());
        failure.initCause(e);
        return failure;
    }

    private static JMSException writeFailure(IOException e) {
        JMSException failure = new JMSException("writing the BytesMessage body failed: " + e.getMessage());
        failure.initCause(e);
        return failure;
    }
}

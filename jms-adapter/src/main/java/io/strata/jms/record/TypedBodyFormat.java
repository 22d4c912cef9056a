package io.strata.jms.record;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary body of a MapMessage and a StreamMessage in a record (docs/jms-mapping.md, "MapMessage and
 * StreamMessage bodies"): a format version byte ({@value #VERSION}), an int32 count, then per entry (a map's name
 * first, as a string) one typed value: a tag byte and the value, big-endian, strings and byte arrays as an int32
 * length and the bytes, strings in UTF-8.
 *
 * <p>Binary rather than JSON because JMS reads values by the type they were written as (a short is not an int, a
 * char is not a String, byte[] is not text), which JSON cannot say without a schema of its own; the format is small
 * enough to read in any language from its description.
 *
 * <p>Reading never trusts a length: counts and lengths are checked against the bytes left before anything is
 * allocated, and bytes left over are an error, so a malformed body from any producer costs at most its own size.
 * Stateless, so thread-safe.
 */
final class TypedBodyFormat {

    static final int VERSION = 1;

    static final byte NULL = 0;
    static final byte BOOLEAN = 1;
    static final byte BYTE = 2;
    static final byte SHORT = 3;
    static final byte CHAR = 4;
    static final byte INT = 5;
    static final byte LONG = 6;
    static final byte FLOAT = 7;
    static final byte DOUBLE = 8;
    static final byte STRING = 9;
    static final byte BYTES = 10;

    /** A body that does not follow the format; the message says where. */
    static final class MalformedBodyException extends Exception {
        MalformedBodyException(String message) {
            super(message);
        }
    }

    private TypedBodyFormat() {
    }

    static byte[] writeMap(Map<String, Object> entries) {
        return write(entries.size(), out -> {
            for (Map.Entry<String, Object> entry : entries.entrySet()) {
                writeString(out, entry.getKey());
                writeValue(out, entry.getValue());
            }
        });
    }

    static byte[] writeStream(List<Object> fields) {
        return write(fields.size(), out -> {
            for (Object field : fields) {
                writeValue(out, field);
            }
        });
    }

    static Map<String, Object> readMap(byte[] body) throws MalformedBodyException {
        ByteBuffer in = open(body);
        int count = readCount(in);
        Map<String, Object> entries = new LinkedHashMap<>();
        try {
            for (int i = 0; i < count; i++) {
                String name = readString(in);
                if (name.isEmpty()) {
                    throw new MalformedBodyException("entry " + i + " has an empty name");
                }
                entries.put(name, readValue(in));
            }
        } catch (BufferUnderflowException e) {
            throw new MalformedBodyException("the body ends inside entry " + entries.size() + " of " + count);
        }
        checkFullyRead(in);
        return entries;
    }

    static List<Object> readStream(byte[] body) throws MalformedBodyException {
        ByteBuffer in = open(body);
        int count = readCount(in);
        List<Object> fields = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                fields.add(readValue(in));
            }
        } catch (BufferUnderflowException e) {
            throw new MalformedBodyException("the body ends inside field " + fields.size() + " of " + count);
        }
        checkFullyRead(in);
        return fields;
    }

    private interface BodyWriter {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] write(int count, BodyWriter writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeByte(VERSION);
            out.writeInt(count);
            writer.write(out);
        } catch (IOException e) {
            // A ByteArrayOutputStream does not fail: this is a programming error.
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeValue(DataOutputStream out, Object value) throws IOException {
        if (value == null) {
            out.writeByte(NULL);
        } else if (value instanceof Boolean v) {
            out.writeByte(BOOLEAN);
            out.writeBoolean(v);
        } else if (value instanceof Byte v) {
            out.writeByte(BYTE);
            out.writeByte(v);
        } else if (value instanceof Short v) {
            out.writeByte(SHORT);
            out.writeShort(v);
        } else if (value instanceof Character v) {
            out.writeByte(CHAR);
            out.writeChar(v);
        } else if (value instanceof Integer v) {
            out.writeByte(INT);
            out.writeInt(v);
        } else if (value instanceof Long v) {
            out.writeByte(LONG);
            out.writeLong(v);
        } else if (value instanceof Float v) {
            out.writeByte(FLOAT);
            out.writeFloat(v);
        } else if (value instanceof Double v) {
            out.writeByte(DOUBLE);
            out.writeDouble(v);
        } else if (value instanceof String v) {
            out.writeByte(STRING);
            writeString(out, v);
        } else if (value instanceof byte[] v) {
            out.writeByte(BYTES);
            out.writeInt(v.length);
            out.write(v);
        } else {
            throw new IllegalArgumentException("not a MapMessage or StreamMessage value: " + value.getClass().getName());
        }
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static ByteBuffer open(byte[] body) throws MalformedBodyException {
        if (body.length < 5) {
            throw new MalformedBodyException("a body of " + body.length + " bytes is shorter than its 5-byte start");
        }
        ByteBuffer in = ByteBuffer.wrap(body);
        int version = in.get();
        if (version != VERSION) {
            throw new MalformedBodyException("format version " + version + " is not " + VERSION);
        }
        return in;
    }

    /** Each entry takes at least one byte, so a count beyond the bytes left is a lie. */
    private static int readCount(ByteBuffer in) throws MalformedBodyException {
        int count = in.getInt();
        if (count < 0 || count > in.remaining()) {
            throw new MalformedBodyException("count " + count + " does not fit the " + in.remaining()
                    + " bytes left");
        }
        return count;
    }

    private static Object readValue(ByteBuffer in) throws MalformedBodyException {
        byte tag = in.get();
        return switch (tag) {
            case NULL -> null;
            case BOOLEAN -> switch (in.get()) {
                case 0 -> Boolean.FALSE;
                case 1 -> Boolean.TRUE;
                default -> throw new MalformedBodyException("a boolean is neither 0 nor 1");
            };
            case BYTE -> in.get();
            case SHORT -> in.getShort();
            case CHAR -> in.getChar();
            case INT -> in.getInt();
            case LONG -> in.getLong();
            case FLOAT -> in.getFloat();
            case DOUBLE -> in.getDouble();
            case STRING -> readString(in);
            case BYTES -> readBytes(in);
            default -> throw new MalformedBodyException("unknown value tag " + tag);
        };
    }

    private static String readString(ByteBuffer in) throws MalformedBodyException {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(ByteBuffer in) throws MalformedBodyException {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new MalformedBodyException("length " + length + " does not fit the " + in.remaining()
                    + " bytes left");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }

    private static void checkFullyRead(ByteBuffer in) throws MalformedBodyException {
        if (in.hasRemaining()) {
            throw new MalformedBodyException(in.remaining() + " bytes follow the last value");
        }
    }
}

package io.strata.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.ObjectMessage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;

/**
 * An ObjectMessage: a body that is one Serializable object, kept as its Java serialization. {@link #setObject}
 * serializes at once, so later changes to the object do not change the message; {@link #getObject} deserializes a
 * new copy each time, allowing only the classes of the message's {@link ObjectMessageAllowList}, and resolving
 * them through the thread's context class loader first (an application server's application classes live there).
 *
 * <p>Writable when created and after {@link #clearBody()}, read-only when received. Not thread-safe, as JMS messages
 * are not.
 */
public class StrataObjectMessage extends StrataMessage implements ObjectMessage {

    private final ObjectMessageAllowList allowList;
    /** The serialized object; null when there is none. */
    private byte[] serialized;

    public StrataObjectMessage() {
        this(ObjectMessageAllowList.defaults());
    }

    public StrataObjectMessage(ObjectMessageAllowList allowList) {
        if (allowList == null) {
            throw new IllegalArgumentException("an ObjectMessage needs an allow-list");
        }
        this.allowList = allowList;
    }

    @Override
    public void setObject(Serializable object) throws JMSException {
        checkBodyWritable();
        serialized = object == null ? null : serialize(object);
    }

    /** Sets the body from its serialized form, as it came in a record; nothing is deserialized until asked for. */
    public void setSerializedObject(byte[] bytes) throws JMSException {
        checkBodyWritable();
        serialized = bytes == null ? null : bytes.clone();
    }

    /** The body's Java serialization, or null: what the codec sends. */
    public byte[] serializedObject() {
        return serialized == null ? null : serialized.clone();
    }

    @Override
    public Serializable getObject() throws JMSException {
        return serialized == null ? null : deserialize(serialized);
    }

    @Override
    protected void clearBodyContent() {
        serialized = null;
    }

    @Override
    protected boolean hasNoBody() {
        return serialized == null;
    }

    @Override
    protected Object bodyObject() throws JMSException {
        return getObject();
    }

    private static byte[] serialize(Serializable object) throws MessageFormatException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        } catch (IOException e) {
            throw formatFailure("the object of an ObjectMessage cannot be serialized: " + e, e);
        }
        return bytes.toByteArray();
    }

    private Serializable deserialize(byte[] bytes) throws MessageFormatException {
        try (ObjectInputStream in = new ContextClassLoaderInputStream(new ByteArrayInputStream(bytes))) {
            in.setObjectInputFilter(allowList.filter());
            Object object = in.readObject();
            if (!(object instanceof Serializable serializable)) {
                throw new MessageFormatException("the ObjectMessage body is a " + object.getClass().getName()
                        + ", not Serializable");
            }
            return serializable;
        } catch (InvalidClassException e) {
            throw formatFailure("the ObjectMessage body holds a class its allow-list refuses (" + e.getMessage()
                    + "); allowed: " + allowList + "; allow more with the system property "
                    + ObjectMessageAllowList.PROPERTY, e);
        } catch (IOException | ClassNotFoundException e) {
            throw formatFailure("the ObjectMessage body cannot be deserialized: " + e, e);
        }
    }

    private static MessageFormatException formatFailure(String reason, Exception cause) {
        MessageFormatException failure = new MessageFormatException(reason);
        failure.initCause(cause);
        failure.setLinkedException(cause);
        return failure;
    }

    /** Resolves classes through the thread's context class loader, then as Java does by default. */
    private static final class ContextClassLoaderInputStream extends ObjectInputStream {

        ContextClassLoaderInputStream(InputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass description) throws IOException, ClassNotFoundException {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            if (loader != null) {
                try {
                    return Class.forName(description.getName(), false, loader);
                } catch (ClassNotFoundException e) {
                    // Not there: a JDK or provider class, which the default resolution finds.
                }
            }
            return super.resolveClass(description);
        }
    }
}

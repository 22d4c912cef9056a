package io.strata.jms.message;

import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;

import java.nio.charset.StandardCharsets;
import java.util.Enumeration;

/**
 * A JMS message of Strata without a body (JMS 3.1 chapter 3), and the base of the five message types: it owns the
 * header fields, the properties ({@link MessageProperties}), the read-only state of a received message, and the
 * acknowledgement hook the consumer sets.
 *
 * <p>A message the application creates is writable. A message the codec decodes from a record is made read-only
 * ({@link #setReadOnly()}): its properties until {@link #clearProperties()}, its body until {@link #clearBody()}.
 * Header fields stay settable, as the provider sets them on send and JMS puts no mode on them.
 *
 * <p>Not thread-safe: JMS messages are used by one thread at a time (JMS 3.1 section 2.14).
 */
public class StrataMessage implements Message {

    private String messageId;
    private long timestampMs;
    private String correlationId;
    /** A correlation ID set as bytes: kept apart, as the bytes need not be text. */
    private byte[] correlationIdBytes;
    private Destination replyTo;
    private Destination destination;
    private int deliveryMode = DeliveryMode.PERSISTENT;
    private boolean redelivered;
    private String type;
    private long expirationMs;
    private long deliveryTimeMs;
    private int priority = Message.DEFAULT_PRIORITY;

    private final MessageProperties properties = new MessageProperties();
    private boolean bodyReadOnly;
    private MessageAcknowledger acknowledger;

    @Override
    public String getJMSMessageID() {
        return messageId;
    }

    @Override
    public void setJMSMessageID(String id) {
        this.messageId = id;
    }

    @Override
    public long getJMSTimestamp() {
        return timestampMs;
    }

    @Override
    public void setJMSTimestamp(long timestamp) {
        this.timestampMs = timestamp;
    }

    /** The correlation ID set as bytes, or else the UTF-8 bytes of the one set as a String, or null. */
    @Override
    public byte[] getJMSCorrelationIDAsBytes() {
        if (correlationIdBytes != null) {
            return correlationIdBytes.clone();
        }
        return correlationId == null ? null : correlationId.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void setJMSCorrelationIDAsBytes(byte[] correlationID) {
        this.correlationIdBytes = correlationID == null ? null : correlationID.clone();
        this.correlationId = null;
    }

    @Override
    public void setJMSCorrelationID(String correlationID) {
        this.correlationId = correlationID;
        this.correlationIdBytes = null;
    }

    /** The correlation ID set as a String; null when it was set as bytes, which need not be text. */
    @Override
    public String getJMSCorrelationID() {
        return correlationId;
    }

    @Override
    public Destination getJMSReplyTo() {
        return replyTo;
    }

    @Override
    public void setJMSReplyTo(Destination replyTo) {
        this.replyTo = replyTo;
    }

    @Override
    public Destination getJMSDestination() {
        return destination;
    }

    @Override
    public void setJMSDestination(Destination destination) {
        this.destination = destination;
    }

    @Override
    public int getJMSDeliveryMode() {
        return deliveryMode;
    }

    @Override
    public void setJMSDeliveryMode(int deliveryMode) {
        this.deliveryMode = deliveryMode;
    }

    @Override
    public boolean getJMSRedelivered() {
        return redelivered;
    }

    @Override
    public void setJMSRedelivered(boolean redelivered) {
        this.redelivered = redelivered;
    }

    @Override
    public String getJMSType() {
        return type;
    }

    @Override
    public void setJMSType(String type) {
        this.type = type;
    }

    @Override
    public long getJMSExpiration() {
        return expirationMs;
    }

    @Override
    public void setJMSExpiration(long expiration) {
        this.expirationMs = expiration;
    }

    @Override
    public long getJMSDeliveryTime() {
        return deliveryTimeMs;
    }

    @Override
    public void setJMSDeliveryTime(long deliveryTime) {
        this.deliveryTimeMs = deliveryTime;
    }

    @Override
    public int getJMSPriority() {
        return priority;
    }

    @Override
    public void setJMSPriority(int priority) {
        this.priority = priority;
    }

    @Override
    public void clearProperties() {
        properties.clear();
    }

    @Override
    public boolean propertyExists(String name) {
        return properties.exists(name);
    }

    @Override
    public boolean getBooleanProperty(String name) throws JMSException {
        return properties.getBoolean(name);
    }

    @Override
    public byte getByteProperty(String name) throws JMSException {
        return properties.getByte(name);
    }

    @Override
    public short getShortProperty(String name) throws JMSException {
        return properties.getShort(name);
    }

    @Override
    public int getIntProperty(String name) throws JMSException {
        return properties.getInt(name);
    }

    @Override
    public long getLongProperty(String name) throws JMSException {
        return properties.getLong(name);
    }

    @Override
    public float getFloatProperty(String name) throws JMSException {
        return properties.getFloat(name);
    }

    @Override
    public double getDoubleProperty(String name) throws JMSException {
        return properties.getDouble(name);
    }

    @Override
    public String getStringProperty(String name) throws JMSException {
        return properties.getString(name);
    }

    @Override
    public Object getObjectProperty(String name) {
        return properties.get(name);
    }

    @Override
    public Enumeration<String> getPropertyNames() {
        return properties.names();
    }

    @Override
    public void setBooleanProperty(String name, boolean value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setByteProperty(String name, byte value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setShortProperty(String name, short value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setIntProperty(String name, int value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setLongProperty(String name, long value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setFloatProperty(String name, float value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setDoubleProperty(String name, double value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setStringProperty(String name, String value) throws JMSException {
        properties.set(name, value);
    }

    @Override
    public void setObjectProperty(String name, Object value) throws JMSException {
        properties.set(name, value);
    }

    /** The properties themselves, for the codec and the session, which read them without the JMS conversions. */
    public MessageProperties properties() {
        return properties;
    }

    /** Acknowledges through the delivering session; a message that was not received has nothing to acknowledge. */
    @Override
    public void acknowledge() throws JMSException {
        if (acknowledger != null) {
            acknowledger.acknowledge(this);
        }
    }

    /** Set by the consumer that delivers this message. */
    public void setAcknowledger(MessageAcknowledger acknowledger) {
        this.acknowledger = acknowledger;
    }

    /** Empties the body and makes it writable (JMS {@code clearBody}); the properties are untouched. */
    @Override
    public void clearBody() throws JMSException {
        clearBodyContent();
        bodyReadOnly = false;
    }

    /**
     * Makes the message as a received one is: properties and body read-only, and a BytesMessage or StreamMessage
     * reset for reading. The codec calls it on every message it decodes.
     */
    public void setReadOnly() throws JMSException {
        properties.setReadOnly();
        bodyReadOnly = true;
    }

    public boolean isBodyReadOnly() {
        return bodyReadOnly;
    }

    /** Throws when the body is read-only; every body setter calls it first. */
    protected final void checkBodyWritable() throws MessageNotWriteableException {
        if (bodyReadOnly) {
            throw new MessageNotWriteableException("the body of a received message is read-only;"
                    + " clearBody() makes it writable");
        }
    }

    /**
     * The body as {@code c}, or null when there is no body (JMS 2.0 {@code getBody}). A body that is not a {@code c} is
     * a {@link MessageFormatException}.
     */
    @Override
    public <T> T getBody(Class<T> c) throws JMSException {
        if (hasNoBody()) {
            return null;
        }
        Object body = bodyObject();
        if (!c.isInstance(body)) {
            throw new MessageFormatException("the body of this " + getClass().getSimpleName() + " is a "
                    + body.getClass().getName() + ", which cannot be assigned to " + c.getName());
        }
        return c.cast(body);
    }

    @SuppressWarnings("rawtypes")
    @Override
    public boolean isBodyAssignableTo(Class c) throws JMSException {
        return hasNoBody() || c.isInstance(bodyObject());
    }

    /** Empties the body; the message without body has none to empty. */
    protected void clearBodyContent() throws JMSException {
    }

    /** Whether the message has no body, so that {@code getBody} answers null for any type. */
    protected boolean hasNoBody() throws JMSException {
        return true;
    }

    /** The body as {@code getBody} returns it, when there is one. */
    protected Object bodyObject() throws JMSException {
        throw new IllegalStateException("a message without body has no body object");
    }
}

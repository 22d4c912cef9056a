package io.strata.jms.client;

import io.strata.jms.message.StrataMessage;
import jakarta.jms.BytesMessage;
import jakarta.jms.CompletionListener;
import jakarta.jms.Destination;
import jakarta.jms.JMSProducer;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatRuntimeException;

import java.io.Serializable;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static io.strata.jms.client.StrataJMSContext.call;
import static io.strata.jms.client.StrataJMSContext.run;

/**
 * The simplified API's producer: settings and message properties kept here and applied to each message it sends
 * through an unidentified classic {@link StrataMessageProducer} of its context's session (JMS 3.1 section 7.2).
 * Properties are validated and converted as a message's are (they are kept in a {@link StrataMessage}). Thread-safety:
 * as its context.
 */
final class StrataJMSProducer implements JMSProducer {

    private final StrataJMSContext context;
    private final StrataMessageProducer producer;
    private final StrataMessage properties = new StrataMessage();
    private CompletionListener async;
    private String correlationId;
    private byte[] correlationIdBytes;
    private String type;
    private Destination replyTo;

    StrataJMSProducer(StrataJMSContext context, StrataMessageProducer producer) {
        this.context = context;
        this.producer = producer;
    }

    @Override
    public JMSProducer send(Destination destination, Message message) {
        if (message == null) {
            throw new MessageFormatRuntimeException("the message to send is null");
        }
        run(() -> {
            for (String name : propertyNames()) {
                message.setObjectProperty(name, properties.getObjectProperty(name));
            }
            if (correlationId != null) {
                message.setJMSCorrelationID(correlationId);
            }
            if (correlationIdBytes != null) {
                message.setJMSCorrelationIDAsBytes(correlationIdBytes);
            }
            if (type != null) {
                message.setJMSType(type);
            }
            if (replyTo != null) {
                message.setJMSReplyTo(replyTo);
            }
            if (async == null) {
                producer.send(destination, message);
            } else {
                producer.send(destination, message, async);
            }
        });
        return this;
    }

    @Override
    public JMSProducer send(Destination destination, String body) {
        return send(destination, context.createTextMessage(body));
    }

    @Override
    public JMSProducer send(Destination destination, Map<String, Object> body) {
        MapMessage message = context.createMapMessage();
        if (body != null) {
            run(() -> {
                for (Map.Entry<String, Object> entry : body.entrySet()) {
                    message.setObject(entry.getKey(), entry.getValue());
                }
            });
        }
        return send(destination, message);
    }

    @Override
    public JMSProducer send(Destination destination, byte[] body) {
        BytesMessage message = context.createBytesMessage();
        if (body != null) {
            run(() -> message.writeBytes(body));
        }
        return send(destination, message);
    }

    @Override
    public JMSProducer send(Destination destination, Serializable body) {
        return send(destination, context.createObjectMessage(body));
    }

    @Override
    public JMSProducer setDisableMessageID(boolean value) {
        run(() -> producer.setDisableMessageID(value));
        return this;
    }

    @Override
    public boolean getDisableMessageID() {
        return call(producer::getDisableMessageID);
    }

    @Override
    public JMSProducer setDisableMessageTimestamp(boolean value) {
        run(() -> producer.setDisableMessageTimestamp(value));
        return this;
    }

    @Override
    public boolean getDisableMessageTimestamp() {
        return call(producer::getDisableMessageTimestamp);
    }

    @Override
    public JMSProducer setDeliveryMode(int deliveryMode) {
        run(() -> producer.setDeliveryMode(deliveryMode));
        return this;
    }

    @Override
    public int getDeliveryMode() {
        return call(producer::getDeliveryMode);
    }

    @Override
    public JMSProducer setPriority(int priority) {
        run(() -> producer.setPriority(priority));
        return this;
    }

    @Override
    public int getPriority() {
        return call(producer::getPriority);
    }

    @Override
    public JMSProducer setTimeToLive(long timeToLive) {
        run(() -> producer.setTimeToLive(timeToLive));
        return this;
    }

    @Override
    public long getTimeToLive() {
        return call(producer::getTimeToLive);
    }

    @Override
    public JMSProducer setDeliveryDelay(long deliveryDelay) {
        run(() -> producer.setDeliveryDelay(deliveryDelay));
        return this;
    }

    @Override
    public long getDeliveryDelay() {
        return call(producer::getDeliveryDelay);
    }

    @Override
    public JMSProducer setAsync(CompletionListener completionListener) {
        async = completionListener;
        return this;
    }

    @Override
    public CompletionListener getAsync() {
        return async;
    }

    @Override
    public JMSProducer setProperty(String name, boolean value) {
        run(() -> properties.setBooleanProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, byte value) {
        run(() -> properties.setByteProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, short value) {
        run(() -> properties.setShortProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, int value) {
        run(() -> properties.setIntProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, long value) {
        run(() -> properties.setLongProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, float value) {
        run(() -> properties.setFloatProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, double value) {
        run(() -> properties.setDoubleProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, String value) {
        run(() -> properties.setStringProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer setProperty(String name, Object value) {
        run(() -> properties.setObjectProperty(name, value));
        return this;
    }

    @Override
    public JMSProducer clearProperties() {
        properties.clearProperties();
        return this;
    }

    @Override
    public boolean propertyExists(String name) {
        return properties.propertyExists(name);
    }

    @Override
    public boolean getBooleanProperty(String name) {
        return call(() -> properties.getBooleanProperty(name));
    }

    @Override
    public byte getByteProperty(String name) {
        return call(() -> properties.getByteProperty(name));
    }

    @Override
    public short getShortProperty(String name) {
        return call(() -> properties.getShortProperty(name));
    }

    @Override
    public int getIntProperty(String name) {
        return call(() -> properties.getIntProperty(name));
    }

    @Override
    public long getLongProperty(String name) {
        return call(() -> properties.getLongProperty(name));
    }

    @Override
    public float getFloatProperty(String name) {
        return call(() -> properties.getFloatProperty(name));
    }

    @Override
    public double getDoubleProperty(String name) {
        return call(() -> properties.getDoubleProperty(name));
    }

    @Override
    public String getStringProperty(String name) {
        return call(() -> properties.getStringProperty(name));
    }

    @Override
    public Object getObjectProperty(String name) {
        return properties.getObjectProperty(name);
    }

    @Override
    public Set<String> getPropertyNames() {
        return Collections.unmodifiableSet(propertyNames());
    }

    private Set<String> propertyNames() {
        Set<String> names = new HashSet<>();
        Enumeration<String> all = properties.getPropertyNames();
        while (all.hasMoreElements()) {
            names.add(all.nextElement());
        }
        return names;
    }

    @Override
    public JMSProducer setJMSCorrelationIDAsBytes(byte[] correlationID) {
        correlationIdBytes = correlationID == null ? null : correlationID.clone();
        correlationId = null;
        return this;
    }

    @Override
    public byte[] getJMSCorrelationIDAsBytes() {
        return correlationIdBytes == null ? null : correlationIdBytes.clone();
    }

    @Override
    public JMSProducer setJMSCorrelationID(String correlationID) {
        correlationId = correlationID;
        correlationIdBytes = null;
        return this;
    }

    @Override
    public String getJMSCorrelationID() {
        return correlationId;
    }

    @Override
    public JMSProducer setJMSType(String type) {
        this.type = type;
        return this;
    }

    @Override
    public String getJMSType() {
        return type;
    }

    @Override
    public JMSProducer setJMSReplyTo(Destination replyTo) {
        this.replyTo = replyTo;
        return this;
    }

    @Override
    public Destination getJMSReplyTo() {
        return replyTo;
    }
}

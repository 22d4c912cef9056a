package io.strata.jms.ra;

import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSConsumer;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageListener;

/**
 * A {@code JMSConsumer} of a {@link ContextHandle}: the session's consumer, unchecked. Its message listener is the
 * container's (JMS 3.1 section 12.2). Used by one thread at a time.
 */
final class ContextConsumer implements JMSConsumer {

    private final ContextHandle context;
    private final MessageConsumer consumer;

    ContextConsumer(ContextHandle context, MessageConsumer consumer) {
        this.context = context;
        this.consumer = consumer;
    }

    @Override
    public String getMessageSelector() {
        return ContextHandle.call(consumer::getMessageSelector);
    }

    @Override
    public MessageListener getMessageListener() {
        throw new IllegalStateRuntimeException("JMSConsumer.getMessageListener must not be called by an application"
                + " in a Jakarta EE web or EJB container (JMS 3.1 section 12.2)");
    }

    @Override
    public void setMessageListener(MessageListener listener) {
        throw new IllegalStateRuntimeException("JMSConsumer.setMessageListener must not be called by an application"
                + " in a Jakarta EE web or EJB container (JMS 3.1 section 12.2); consume with a message-driven bean");
    }

    @Override
    public Message receive() {
        return delivered(ContextHandle.call(consumer::receive));
    }

    @Override
    public Message receive(long timeout) {
        return delivered(ContextHandle.call(() -> consumer.receive(timeout)));
    }

    @Override
    public Message receiveNoWait() {
        return delivered(ContextHandle.call(consumer::receiveNoWait));
    }

    @Override
    public void close() {
        ContextHandle.run(consumer::close);
    }

    @Override
    public <T> T receiveBody(Class<T> c) {
        return body(receive(), c);
    }

    @Override
    public <T> T receiveBody(Class<T> c, long timeout) {
        return body(receive(timeout), c);
    }

    @Override
    public <T> T receiveBodyNoWait(Class<T> c) {
        return body(receiveNoWait(), c);
    }

    private Message delivered(Message message) {
        context.delivered(message);
        return message;
    }

    private static <T> T body(Message message, Class<T> type) {
        return message == null ? null : ContextHandle.call(() -> message.getBody(type));
    }
}

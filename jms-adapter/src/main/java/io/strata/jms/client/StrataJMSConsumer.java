package io.strata.jms.client;

import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageFormatRuntimeException;
import jakarta.jms.MessageListener;

import static io.strata.jms.client.StrataJMSContext.call;
import static io.strata.jms.client.StrataJMSContext.run;

/**
 * The simplified API's consumer: a {@link MessageConsumer} with unchecked exceptions, and {@code receiveBody}, which
 * gives the body of the next message; a message whose body is not of the class asked for throws
 * {@code MessageFormatRuntimeException}; in AUTO_ACKNOWLEDGE and DUPS_OK_ACKNOWLEDGE that message is not acknowledged
 * and stays first for the next receive, as JMS 3.1 wants.
 * Thread-safety: as its context.
 */
final class StrataJMSConsumer implements JMSConsumer {

    private final MessageConsumer consumer;

    StrataJMSConsumer(MessageConsumer consumer) {
        this.consumer = consumer;
    }

    @Override
    public String getMessageSelector() {
        return call(consumer::getMessageSelector);
    }

    @Override
    public MessageListener getMessageListener() {
        return call(consumer::getMessageListener);
    }

    @Override
    public void setMessageListener(MessageListener listener) {
        run(() -> consumer.setMessageListener(listener));
    }

    @Override
    public Message receive() {
        return call(consumer::receive);
    }

    @Override
    public Message receive(long timeout) {
        return call(() -> consumer.receive(timeout));
    }

    @Override
    public Message receiveNoWait() {
        return call(consumer::receiveNoWait);
    }

    @Override
    public void close() {
        run(consumer::close);
    }

    @Override
    public <T> T receiveBody(Class<T> type) {
        return body(receiveFor(type, 0), type);
    }

    @Override
    public <T> T receiveBody(Class<T> type, long timeout) {
        return body(receiveFor(type, timeout <= 0 ? 0 : timeout), type);
    }

    @Override
    public <T> T receiveBodyNoWait(Class<T> type) {
        return body(receiveFor(type, -1), type);
    }

    private Message receiveFor(Class<?> type, long timeout) {
        if (!(consumer instanceof StrataMessageConsumer strata)) {
            return timeout < 0 ? receiveNoWait() : receive(timeout);
        }
        try {
            return strata.receiveBody(type, timeout);
        } catch (JMSException e) {
            throw JmsErrors.unchecked(e);
        }
    }

    private <T> T body(Message message, Class<T> type) {
        if (message == null) {
            return null;
        }
        try {
            if (!message.isBodyAssignableTo(type)) {
                throw new MessageFormatRuntimeException("the message's body cannot be read as " + type.getName());
            }
            return message.getBody(type);
        } catch (JMSException e) {
            throw JmsErrors.unchecked(e);
        }
    }
}

package io.strata.jms.ra;

import io.strata.jms.client.UncheckedJmsExceptions;
import jakarta.jms.BytesMessage;
import jakarta.jms.ConnectionMetaData;
import jakarta.jms.Destination;
import jakarta.jms.ExceptionListener;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSProducer;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;

import java.io.Serializable;

/**
 * The {@code JMSContext} an application gets in a container: a {@link ConnectionHandle} and its one session (made at
 * the first need, in the transaction of that moment), every checked exception turned into its unchecked twin. Closing
 * it closes both and gives the physical connection back to the pool.
 *
 * <p>JMS 3.1 section 12.2: {@code setClientID}, {@code setExceptionListener}, {@code stop} and
 * {@code createContext(int)} (a second session on the connection) throw {@link IllegalStateRuntimeException}.
 *
 * <p>Used by one thread at a time, as a JMSContext is.
 */
final class ContextHandle implements JMSContext {

    private final ConnectionHandle connection;
    private final int sessionMode;
    private Session session;
    private boolean autoStart = true;
    private boolean closed;
    /** The last message a consumer of this context delivered, for {@link #acknowledge()}. */
    private Message lastDelivered;

    ContextHandle(ConnectionHandle connection, int sessionMode) {
        this.connection = connection;
        this.sessionMode = sessionMode;
    }

    synchronized Session session() {
        checkOpen();
        if (session == null) {
            session = call(() -> connection.createSession(sessionMode));
        }
        return session;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateRuntimeException("the JMSContext is closed");
        }
    }

    void delivered(Message message) {
        if (message != null) {
            lastDelivered = message;
        }
    }

    void startIfAuto() {
        if (autoStart) {
            run(connection::start);
        }
    }

    @Override
    public JMSContext createContext(int sessionMode) {
        checkOpen();
        throw new IllegalStateRuntimeException("createContext(int) must not be called by an application in a Jakarta"
                + " EE web or EJB container: it would be a second session on the connection (JMS 3.1 section"
                + " 12.2); inject or create another JMSContext");
    }

    @Override
    public JMSProducer createProducer() {
        return new ContextProducer(this, call(() -> session().createProducer(null)));
    }

    @Override
    public String getClientID() {
        checkOpen();
        return call(connection::getClientID);
    }

    @Override
    public void setClientID(String clientID) {
        checkOpen();
        run(() -> connection.setClientID(clientID));
    }

    @Override
    public ConnectionMetaData getMetaData() {
        checkOpen();
        return call(connection::getMetaData);
    }

    @Override
    public ExceptionListener getExceptionListener() {
        checkOpen();
        return call(connection::getExceptionListener);
    }

    @Override
    public void setExceptionListener(ExceptionListener listener) {
        checkOpen();
        run(() -> connection.setExceptionListener(listener));
    }

    @Override
    public void start() {
        checkOpen();
        run(connection::start);
    }

    @Override
    public void stop() {
        checkOpen();
        run(connection::stop);
    }

    @Override
    public void setAutoStart(boolean autoStart) {
        checkOpen();
        this.autoStart = autoStart;
    }

    @Override
    public boolean getAutoStart() {
        checkOpen();
        return autoStart;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        run(connection::close);
    }

    @Override
    public BytesMessage createBytesMessage() {
        return call(() -> session().createBytesMessage());
    }

    @Override
    public MapMessage createMapMessage() {
        return call(() -> session().createMapMessage());
    }

    @Override
    public Message createMessage() {
        return call(() -> session().createMessage());
    }

    @Override
    public ObjectMessage createObjectMessage() {
        return call(() -> session().createObjectMessage());
    }

    @Override
    public ObjectMessage createObjectMessage(Serializable object) {
        return call(() -> session().createObjectMessage(object));
    }

    @Override
    public StreamMessage createStreamMessage() {
        return call(() -> session().createStreamMessage());
    }

    @Override
    public TextMessage createTextMessage() {
        return call(() -> session().createTextMessage());
    }

    @Override
    public TextMessage createTextMessage(String text) {
        return call(() -> session().createTextMessage(text));
    }

    @Override
    public boolean getTransacted() {
        return call(() -> session().getTransacted());
    }

    @Override
    public int getSessionMode() {
        checkOpen();
        return call(() -> session().getAcknowledgeMode());
    }

    @Override
    public void commit() {
        run(() -> session().commit());
    }

    @Override
    public void rollback() {
        run(() -> session().rollback());
    }

    @Override
    public void recover() {
        run(() -> session().recover());
    }

    /** In CLIENT_ACKNOWLEDGE, acknowledges every message the session delivered (one message's acknowledge does). */
    @Override
    public void acknowledge() {
        checkOpen();
        Message last = lastDelivered;
        if (last != null && sessionMode == CLIENT_ACKNOWLEDGE) {
            run(last::acknowledge);
        }
    }

    @Override
    public JMSConsumer createConsumer(Destination destination) {
        return consumer(call(() -> session().createConsumer(destination)));
    }

    @Override
    public JMSConsumer createConsumer(Destination destination, String messageSelector) {
        return consumer(call(() -> session().createConsumer(destination, messageSelector)));
    }

    @Override
    public JMSConsumer createConsumer(Destination destination, String messageSelector, boolean noLocal) {
        return consumer(call(() -> session().createConsumer(destination, messageSelector, noLocal)));
    }

    @Override
    public JMSConsumer createDurableConsumer(Topic topic, String name) {
        return consumer(call(() -> session().createDurableConsumer(topic, name)));
    }

    @Override
    public JMSConsumer createDurableConsumer(Topic topic, String name, String messageSelector, boolean noLocal) {
        return consumer(call(() -> session().createDurableConsumer(topic, name, messageSelector, noLocal)));
    }

    @Override
    public JMSConsumer createSharedDurableConsumer(Topic topic, String name) {
        return consumer(call(() -> session().createSharedDurableConsumer(topic, name)));
    }

    @Override
    public JMSConsumer createSharedDurableConsumer(Topic topic, String name, String messageSelector) {
        return consumer(call(() -> session().createSharedDurableConsumer(topic, name, messageSelector)));
    }

    @Override
    public JMSConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName) {
        return consumer(call(() -> session().createSharedConsumer(topic, sharedSubscriptionName)));
    }

    @Override
    public JMSConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName, String messageSelector) {
        return consumer(call(() -> session().createSharedConsumer(topic, sharedSubscriptionName, messageSelector)));
    }

    private JMSConsumer consumer(jakarta.jms.MessageConsumer consumer) {
        startIfAuto();
        return new ContextConsumer(this, consumer);
    }

    @Override
    public QueueBrowser createBrowser(Queue queue) {
        return call(() -> session().createBrowser(queue));
    }

    @Override
    public QueueBrowser createBrowser(Queue queue, String messageSelector) {
        return call(() -> session().createBrowser(queue, messageSelector));
    }

    @Override
    public Queue createQueue(String queueName) {
        return call(() -> session().createQueue(queueName));
    }

    @Override
    public Topic createTopic(String topicName) {
        return call(() -> session().createTopic(topicName));
    }

    @Override
    public TemporaryQueue createTemporaryQueue() {
        return call(() -> session().createTemporaryQueue());
    }

    @Override
    public TemporaryTopic createTemporaryTopic() {
        return call(() -> session().createTemporaryTopic());
    }

    @Override
    public void unsubscribe(String name) {
        run(() -> session().unsubscribe(name));
    }

    /** A call of the classic API whose checked exception becomes its unchecked twin. */
    interface JmsCall<T> {
        T call() throws JMSException;
    }

    interface JmsRun {
        void run() throws JMSException;
    }

    static <T> T call(JmsCall<T> call) {
        try {
            return call.call();
        } catch (JMSException e) {
            throw UncheckedJmsExceptions.of(e);
        }
    }

    static void run(JmsRun run) {
        try {
            run.run();
        } catch (JMSException e) {
            throw UncheckedJmsExceptions.of(e);
        }
    }

    static JMSRuntimeException unchecked(JMSException e) {
        return UncheckedJmsExceptions.of(e);
    }
}

package io.strata.jms.client;

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
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;

import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simplified API's context (JMS 3.1 section 2.8): a thin layer over one {@link StrataConnection} and one
 * {@link StrataSession}, every checked exception turned into its unchecked twin ({@link JmsErrors#unchecked}).
 * Contexts made by {@link #createContext(int)} share the connection; it closes with the last of them. The
 * connection starts when the first consumer is created, unless {@link #setAutoStart} said otherwise.
 *
 * <p>Thread-safety: as a session, used by one thread at a time.
 */
class StrataJMSContext implements JMSContext {

    private final StrataConnection connection;
    private final AtomicInteger connectionUsers;
    private final int sessionMode;
    private StrataSession session;
    private boolean autoStart = true;
    private boolean closed;

    StrataJMSContext(StrataConnection connection, int sessionMode, boolean ownsConnection) {
        this(connection, sessionMode, new AtomicInteger(1));
    }

    StrataJMSContext(StrataConnection connection, int sessionMode, AtomicInteger connectionUsers) {
        this.connection = connection;
        this.sessionMode = sessionMode;
        this.connectionUsers = connectionUsers;
        if (sessionMode != SESSION_TRANSACTED && sessionMode != AUTO_ACKNOWLEDGE && sessionMode != CLIENT_ACKNOWLEDGE
                && sessionMode != DUPS_OK_ACKNOWLEDGE) {
            throw new JMSRuntimeException("session mode " + sessionMode + " is none of AUTO_ACKNOWLEDGE (1),"
                    + " CLIENT_ACKNOWLEDGE (2), DUPS_OK_ACKNOWLEDGE (3), SESSION_TRANSACTED (0)");
        }
    }

    /** The session, made on first need, so that setClientID may still come first. */
    synchronized StrataSession session() {
        checkOpen();
        if (session == null) {
            session = call(this::newSession);
        }
        return session;
    }

    /** The session of this context: of its mode ({@link StrataXAJMSContext} makes an XA session). */
    StrataSession newSession() throws JMSException {
        return connection.createSession(sessionMode);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateRuntimeException("the JMSContext is closed");
        }
    }

    @Override
    public JMSContext createContext(int sessionMode) {
        checkOpen();
        connectionUsers.incrementAndGet();
        return new StrataJMSContext(connection, sessionMode, connectionUsers);
    }

    @Override
    public JMSProducer createProducer() {
        return new StrataJMSProducer(this, call(() -> session().createProducer(null)));
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

    /** Closes the session, and the connection when no other context shares it; not from a listener of it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (StrataSession.onListenerThread()) {
            throw new IllegalStateRuntimeException("a message listener must not close its own JMSContext");
        }
        StrataSession own;
        synchronized (this) {
            own = session;
            if (own != null && own.asyncSends().onCompletionThread()) {
                throw new IllegalStateRuntimeException("a CompletionListener must not close its own JMSContext"
                        + " (JMS 3.1 section 7.3.4)");
            }
            closed = true;
        }
        if (own != null) {
            run(own::close);
        }
        if (connectionUsers.decrementAndGet() == 0) {
            run(connection::close);
        }
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
        checkOpen();
        return sessionMode == SESSION_TRANSACTED;
    }

    @Override
    public int getSessionMode() {
        checkOpen();
        return sessionMode;
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

    @Override
    public JMSConsumer createConsumer(Destination destination) {
        return consumer(() -> session().createConsumer(destination));
    }

    @Override
    public JMSConsumer createConsumer(Destination destination, String messageSelector) {
        return consumer(() -> session().createConsumer(destination, messageSelector));
    }

    @Override
    public JMSConsumer createConsumer(Destination destination, String messageSelector, boolean noLocal) {
        return consumer(() -> session().createConsumer(destination, messageSelector, noLocal));
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
    public JMSConsumer createDurableConsumer(Topic topic, String name) {
        return consumer(() -> session().createDurableConsumer(topic, name));
    }

    @Override
    public JMSConsumer createDurableConsumer(Topic topic, String name, String messageSelector, boolean noLocal) {
        return consumer(() -> session().createDurableConsumer(topic, name, messageSelector, noLocal));
    }

    @Override
    public JMSConsumer createSharedDurableConsumer(Topic topic, String name) {
        return consumer(() -> session().createSharedDurableConsumer(topic, name));
    }

    @Override
    public JMSConsumer createSharedDurableConsumer(Topic topic, String name, String messageSelector) {
        return consumer(() -> session().createSharedDurableConsumer(topic, name, messageSelector));
    }

    @Override
    public JMSConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName) {
        return consumer(() -> session().createSharedConsumer(topic, sharedSubscriptionName));
    }

    @Override
    public JMSConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName, String messageSelector) {
        return consumer(() -> session().createSharedConsumer(topic, sharedSubscriptionName, messageSelector));
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

    /** Acknowledges every message the context's session delivered (CLIENT_ACKNOWLEDGE); otherwise nothing. */
    @Override
    public void acknowledge() {
        StrataSession own = session();
        if (own.mode() == CLIENT_ACKNOWLEDGE) {
            run(() -> own.acknowledgeAll());
        }
    }

    private JMSConsumer consumer(JmsCall<jakarta.jms.MessageConsumer> create) {
        StrataJMSConsumer consumer = new StrataJMSConsumer(call(create));
        if (autoStart) {
            run(connection::start);
        }
        return consumer;
    }

    /** A call of the classic API. */
    interface JmsCall<T> {
        T call() throws JMSException;
    }

    /** A call of the classic API without result. */
    interface JmsRun {
        void run() throws JMSException;
    }

    static <T> T call(JmsCall<T> call) {
        try {
            return call.call();
        } catch (JMSException e) {
            throw JmsErrors.unchecked(e);
        }
    }

    static void run(JmsRun run) {
        try {
            run.run();
        } catch (JMSException e) {
            throw JmsErrors.unchecked(e);
        }
    }
}

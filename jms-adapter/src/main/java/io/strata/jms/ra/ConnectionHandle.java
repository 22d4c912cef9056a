package io.strata.jms.ra;

import jakarta.jms.ConnectionConsumer;
import jakarta.jms.ConnectionMetaData;
import jakarta.jms.Destination;
import jakarta.jms.ExceptionListener;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.Queue;
import jakarta.jms.QueueConnection;
import jakarta.jms.QueueSession;
import jakarta.jms.ServerSessionPool;
import jakarta.jms.Session;
import jakarta.jms.Topic;
import jakarta.jms.TopicConnection;
import jakarta.jms.TopicSession;

/**
 * The connection an application holds in a Jakarta EE container: a handle on a pooled {@link StrataManagedConnection}.
 * {@link #close()} gives the physical connection back to the container's pool (CONNECTION_CLOSED), closing the
 * handle's session first.
 *
 * <p>JMS 3.1 section 12.2: at most one open session per connection, and {@code setClientID},
 * {@code setExceptionListener}, {@code stop} and the connection consumers are the container's, so they throw
 * {@link IllegalStateException}. The client identifier of pooled connections is set administratively (the factory's
 * {@code clientId}).
 *
 * <p>Used by one application thread at a time, as JMS connections in a container are; {@link #invalidate} may come
 * from the container's thread.
 */
final class ConnectionHandle implements QueueConnection, TopicConnection {

    private volatile StrataManagedConnection managed;
    private volatile SessionHandle session;
    private volatile boolean closed;

    ConnectionHandle(StrataManagedConnection managed) {
        this.managed = managed;
    }

    StrataManagedConnection managedConnection() {
        return managed;
    }

    /** The container moved this handle to another physical connection (Connectors 2.1 section 6.5.4.2). */
    void associate(StrataManagedConnection other) {
        this.managed = other;
    }

    @Override
    public Session createSession(boolean transacted, int acknowledgeMode) throws JMSException {
        return createSession(transacted ? Session.SESSION_TRANSACTED : acknowledgeMode);
    }

    @Override
    public synchronized Session createSession(int sessionMode) throws JMSException {
        checkOpen();
        if (session != null && !session.isClosed()) {
            throw new IllegalStateException("this connection already has an open session: in a Jakarta EE"
                    + " container a connection has at most one (JMS 3.1 section 12.2); close it, or use another"
                    + " connection");
        }
        StrataManagedConnection.SessionChoice choice = managed.sessionFor(sessionMode);
        session = new SessionHandle(this, choice.session(), choice.containerTransaction());
        return session;
    }

    @Override
    public Session createSession() throws JMSException {
        return createSession(Session.AUTO_ACKNOWLEDGE);
    }

    @Override
    public QueueSession createQueueSession(boolean transacted, int acknowledgeMode) throws JMSException {
        return (QueueSession) createSession(transacted, acknowledgeMode);
    }

    @Override
    public TopicSession createTopicSession(boolean transacted, int acknowledgeMode) throws JMSException {
        return (TopicSession) createSession(transacted, acknowledgeMode);
    }

    @Override
    public String getClientID() throws JMSException {
        checkOpen();
        return managed.physical().getClientID();
    }

    @Override
    public void setClientID(String clientID) throws JMSException {
        checkOpen();
        throw forbidden("setClientID", "set the connection factory's clientId instead");
    }

    @Override
    public ConnectionMetaData getMetaData() throws JMSException {
        checkOpen();
        return managed.physical().getMetaData();
    }

    /** None: an application in a container cannot set one. */
    @Override
    public ExceptionListener getExceptionListener() throws JMSException {
        checkOpen();
        return null;
    }

    @Override
    public void setExceptionListener(ExceptionListener listener) throws JMSException {
        checkOpen();
        throw forbidden("setExceptionListener", "the container watches the connection");
    }

    @Override
    public void start() throws JMSException {
        checkOpen();
        managed.physical().start();
    }

    @Override
    public void stop() throws JMSException {
        checkOpen();
        throw forbidden("stop", "close the connection instead");
    }

    /** Closes the session and gives the physical connection back to the pool. Idempotent. */
    @Override
    public void close() throws JMSException {
        if (closed) {
            return;
        }
        closeSession();
        closed = true;
        managed.handleClosed(this);
    }

    /** Closed by the container's cleanup: no event, errors only logged. */
    void closeQuietly() {
        try {
            closeSession();
        } catch (JMSException | RuntimeException e) {
            java.util.logging.Logger.getLogger(ConnectionHandle.class.getName()).fine("Closing a handle's session at"
                    + " cleanup failed: " + e);
        }
        closed = true;
    }

    /** The physical connection is gone: every later call fails. */
    void invalidate() {
        closed = true;
    }

    private void closeSession() throws JMSException {
        SessionHandle open = session;
        session = null;
        if (open != null) {
            open.close();
        }
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() throws IllegalStateException {
        if (closed) {
            throw new IllegalStateException("the connection is closed");
        }
    }

    static IllegalStateException forbidden(String method, String instead) {
        return new IllegalStateException(method + " must not be called by an application in a Jakarta EE web or EJB"
                + " container (JMS 3.1 section 12.2); " + instead);
    }

    @Override
    public ConnectionConsumer createConnectionConsumer(Destination destination, String messageSelector,
                                                       ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        checkOpen();
        throw forbidden("createConnectionConsumer", "consume with a message-driven bean");
    }

    @Override
    public ConnectionConsumer createConnectionConsumer(Queue queue, String messageSelector,
                                                       ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        return createConnectionConsumer((Destination) queue, messageSelector, sessionPool, maxMessages);
    }

    @Override
    public ConnectionConsumer createConnectionConsumer(Topic topic, String messageSelector,
                                                       ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        return createConnectionConsumer((Destination) topic, messageSelector, sessionPool, maxMessages);
    }

    @Override
    public ConnectionConsumer createSharedConnectionConsumer(Topic topic, String subscriptionName,
                                                             String messageSelector, ServerSessionPool sessionPool,
                                                             int maxMessages) throws JMSException {
        checkOpen();
        throw forbidden("createSharedConnectionConsumer", "consume with a message-driven bean");
    }

    @Override
    public ConnectionConsumer createDurableConnectionConsumer(Topic topic, String subscriptionName,
                                                              String messageSelector, ServerSessionPool sessionPool,
                                                              int maxMessages) throws JMSException {
        checkOpen();
        throw forbidden("createDurableConnectionConsumer", "consume with a message-driven bean");
    }

    @Override
    public ConnectionConsumer createSharedDurableConnectionConsumer(Topic topic, String subscriptionName,
                                                                    String messageSelector,
                                                                    ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        checkOpen();
        throw forbidden("createSharedDurableConnectionConsumer", "consume with a message-driven bean");
    }
}

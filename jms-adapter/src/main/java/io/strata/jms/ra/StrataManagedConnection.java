package io.strata.jms.ra;

import io.strata.jms.client.StrataXAConnection;
import io.strata.jms.client.StrataXASession;
import jakarta.jms.JMSException;
import jakarta.jms.Session;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.LocalTransaction;
import jakarta.resource.spi.LocalTransactionException;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionMetaData;

import javax.security.auth.Subject;
import javax.transaction.xa.XAResource;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A physical connection the container pools: one provider XA connection ({@link StrataXAConnection}) signed on as one
 * user, and the {@link ConnectionHandle}s applications hold on it.
 *
 * <p><b>Sessions.</b> What a handle's session is depends on the transaction it is made in:
 * <ul>
 *   <li>in the container's JTA transaction (the container enlisted {@link #getXAResource()}, which started a branch):
 *       the connection's one XA session, made with the first {@code getXAResource()} and kept for the connection's
 *       life (the container holds on to its resource), shared by the handles; its work is the branch's, committed or
 *       rolled back by the transaction manager, never by the application ({@code TransactionInProgressException});
 *       the arguments of {@code createSession} are ignored (JMS 3.1 section 12.3);</li>
 *   <li>in the container's local transaction ({@link #getLocalTransaction()} begun): the connection's one
 *       transacted session, shared by its handles and kept across them (its transactional producer is costly to
 *       make), committed or rolled back by the container, never by the application
 *       ({@code TransactionInProgressException}); the arguments of {@code createSession} are ignored (JMS 3.1
 *       section 12.3);</li>
 *   <li>outside a transaction: a session of the mode the application asks for, its own, closed with the handle; a
 *       transacted one is the application's local transaction, announced to the container with
 *       LOCAL_TRANSACTION_STARTED, _COMMITTED and _ROLLEDBACK events (a JMS transacted session always has one
 *       open: STARTED again after each end).</li>
 * </ul>
 *
 * <p><b>Events.</b> CONNECTION_CLOSED when a handle closes (the container may then pool the connection again);
 * CONNECTION_ERROR_OCCURRED once when the provider's exception listener says the brokers stopped answering (the
 * provider asks them every 2 s while a listener is set), so that the container destroys this connection rather than
 * hand it out again.
 *
 * <p>Thread-safe: the container and the handles' threads meet on this object's lock for the transaction state.
 */
final class StrataManagedConnection implements ManagedConnection {

    private static final Logger LOG = Logger.getLogger(StrataManagedConnection.class.getName());

    private final StrataManagedConnectionFactory factory;
    private final Credentials credentials;
    private final StrataXAConnection physical;
    private final List<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();
    private final List<ConnectionHandle> handles = new CopyOnWriteArrayList<>();
    private final ManagedLocalTransaction localTransaction = new ManagedLocalTransaction();
    /** The transacted session of the container's local transactions; made at the first one's first session. */
    private Session transactedSession;
    /** The XA session of the container's JTA transactions and its resource; made at the first getXAResource. */
    private StrataXASession xaSession;
    private ContainerXAResource xaResource;
    private boolean inLocalTransaction;
    private volatile boolean broken;
    private volatile boolean destroyed;
    private PrintWriter logWriter;

    StrataManagedConnection(StrataManagedConnectionFactory factory, Credentials credentials,
                            StrataXAConnection physical) throws JMSException {
        this.factory = factory;
        this.credentials = credentials;
        this.physical = physical;
        physical.setExceptionListener(this::brokersLost);
    }

    StrataManagedConnectionFactory factory() {
        return factory;
    }

    Credentials credentials() {
        return credentials;
    }

    StrataXAConnection physical() {
        return physical;
    }

    /** Whether it may be handed out: not destroyed, and its brokers did not stop answering. */
    boolean usable() {
        return !broken && !destroyed;
    }

    /** A new handle; the user must be the one this connection signed on as (no re-authentication). */
    @Override
    public Object getConnection(Subject subject, ConnectionRequestInfo requestInfo) throws ResourceException {
        checkNotDestroyed();
        Credentials wanted = factory.credentials(subject, requestInfo);
        if (!wanted.equals(credentials)) {
            throw new jakarta.resource.spi.SecurityException("this connection is signed on as " + credentials
                    + ", not " + wanted + "; Strata's connections are not re-authenticated");
        }
        ConnectionHandle handle = new ConnectionHandle(this);
        handles.add(handle);
        return handle;
    }

    @Override
    public void associateConnection(Object connection) throws ResourceException {
        checkNotDestroyed();
        if (!(connection instanceof ConnectionHandle handle)) {
            throw new jakarta.resource.spi.IllegalStateException("not a handle of Strata's resource adapter: "
                    + connection);
        }
        StrataManagedConnection previous = handle.managedConnection();
        if (previous != this) {
            previous.handles.remove(handle);
            handle.associate(this);
            handles.add(handle);
        }
    }

    /**
     * The session for a handle's {@code createSession(mode)}: the XA session in the container's JTA transaction, the
     * shared transacted one in its local transaction, else a new one of that mode.
     */
    synchronized SessionChoice sessionFor(int requestedMode) throws JMSException {
        return ProviderClassLoader.call(() -> chooseSession(requestedMode));
    }

    private SessionChoice chooseSession(int requestedMode) throws JMSException {
        if (xaResource != null && xaResource.associated()) {
            return new SessionChoice(xaSession, true);
        }
        if (inLocalTransaction) {
            if (transactedSession == null) {
                transactedSession = physical.createSession(Session.SESSION_TRANSACTED);
            }
            return new SessionChoice(transactedSession, true);
        }
        return new SessionChoice(physical.createSession(requestedMode), false);
    }

    /**
     * A physical session and whether it is the container's transaction's (shared, ended by the container). A class,
     * not a record: jms-adapter-javax's transformer leaves a record's component types in {@code jakarta.jms}.
     */
    static final class SessionChoice {
        private final Session session;
        private final boolean containerTransaction;

        SessionChoice(Session session, boolean containerTransaction) {
            this.session = session;
            this.containerTransaction = containerTransaction;
        }

        Session session() {
            return session;
        }

        boolean containerTransaction() {
            return containerTransaction;
        }
    }

    void handleClosed(ConnectionHandle handle) {
        if (handles.remove(handle)) {
            ConnectionEvent event = new ConnectionEvent(this, ConnectionEvent.CONNECTION_CLOSED);
            event.setConnectionHandle(handle);
            fire(event, ConnectionEventListener::connectionClosed);
        }
    }

    /** The application's own transacted session began, committed or rolled back a transaction. */
    void applicationTransaction(int eventType) {
        ConnectionEvent event = new ConnectionEvent(this, eventType);
        switch (eventType) {
            case ConnectionEvent.LOCAL_TRANSACTION_STARTED -> fire(event, ConnectionEventListener::localTransactionStarted);
            case ConnectionEvent.LOCAL_TRANSACTION_COMMITTED ->
                    fire(event, ConnectionEventListener::localTransactionCommitted);
            case ConnectionEvent.LOCAL_TRANSACTION_ROLLEDBACK ->
                    fire(event, ConnectionEventListener::localTransactionRolledback);
            default -> throw new IllegalArgumentException("not a local transaction event: " + eventType);
        }
    }

    private void brokersLost(JMSException lost) {
        if (broken || destroyed) {
            return;
        }
        broken = true;
        LOG.log(Level.WARNING, "A pooled Strata connection lost its brokers; the container is told to destroy it:"
                + " {0}", lost.getMessage());
        fire(new ConnectionEvent(this, ConnectionEvent.CONNECTION_ERROR_OCCURRED, lost),
                ConnectionEventListener::connectionErrorOccurred);
    }

    private void fire(ConnectionEvent event, BiConsumer<ConnectionEventListener, ConnectionEvent> call) {
        for (ConnectionEventListener listener : listeners) {
            call.accept(listener, event);
        }
    }

    /**
     * Makes the connection fit to be handed out again: its handles are closed (their sessions, consumers, producers,
     * browsers and temporary destinations with them) without events, a local transaction left open is rolled back,
     * and delivery stops until a new handle starts it.
     */
    @Override
    public void cleanup() throws ResourceException {
        checkNotDestroyed();
        for (ConnectionHandle handle : List.copyOf(handles)) {
            handle.closeQuietly();
        }
        handles.clear();
        synchronized (this) {
            if (inLocalTransaction) {
                inLocalTransaction = false;
                rollbackTransactedSession();
            }
        }
        try {
            physical.stop();
        } catch (JMSException e) {
            throw new ResourceException("the connection could not be cleaned up: " + e.getMessage(), e);
        }
    }

    @Override
    public void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        for (ConnectionHandle handle : List.copyOf(handles)) {
            handle.invalidate();
        }
        handles.clear();
        try {
            physical.close();
        } catch (JMSException | RuntimeException e) {
            // also kafka-clients' InterruptException: a container that destroys the connection from within the
            // CONNECTION_ERROR_OCCURRED event runs on the provider's health check, which the close interrupts
            LOG.log(Level.FINE, "Closing a destroyed Strata connection failed: {0}", e.toString());
        }
    }

    @Override
    public void addConnectionEventListener(ConnectionEventListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeConnectionEventListener(ConnectionEventListener listener) {
        listeners.remove(listener);
    }

    /**
     * The XA resource of this connection's XA session, made at the first call and the same afterwards. The brokers
     * must support XA ({@code strata.transaction.prepare}); when they do not, the container is told so here.
     */
    @Override
    public synchronized XAResource getXAResource() throws ResourceException {
        checkNotDestroyed();
        if (xaResource == null) {
            try {
                xaSession = ProviderClassLoader.call(physical::createXASession);
            } catch (JMSException e) {
                throw new ResourceException("the connection cannot take part in XA transactions: " + e.getMessage(),
                        e);
            }
            xaResource = new ContainerXAResource(xaSession.getXAResource());
        }
        return xaResource;
    }

    @Override
    public LocalTransaction getLocalTransaction() {
        return localTransaction;
    }

    @Override
    public ManagedConnectionMetaData getMetaData() {
        return new ManagedConnectionMetaData() {
            @Override
            public String getEISProductName() {
                return "Strata";
            }

            @Override
            public String getEISProductVersion() {
                return StrataManagedConnection.class.getPackage().getImplementationVersion() == null ? "unknown"
                        : StrataManagedConnection.class.getPackage().getImplementationVersion();
            }

            @Override
            public int getMaxConnections() {
                return 0; // no limit of the broker's
            }

            @Override
            public String getUserName() {
                return credentials.userName();
            }
        };
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    private void checkNotDestroyed() throws ResourceException {
        if (destroyed) {
            throw new jakarta.resource.spi.IllegalStateException("this Strata connection was destroyed");
        }
    }

    private void rollbackTransactedSession() {
        if (transactedSession != null) {
            try {
                transactedSession.rollback();
            } catch (JMSException e) {
                LOG.log(Level.WARNING, "Rolling back a container transaction left open failed: {0}", e.toString());
            }
        }
    }

    /** The container's local transaction: the shared transacted session's. */
    private final class ManagedLocalTransaction implements LocalTransaction {

        @Override
        public void begin() throws ResourceException {
            synchronized (StrataManagedConnection.this) {
                checkNotDestroyed();
                if (inLocalTransaction) {
                    throw new LocalTransactionException("a local transaction is already in progress on this"
                            + " connection");
                }
                inLocalTransaction = true;
            }
        }

        @Override
        public void commit() throws ResourceException {
            end(true);
        }

        @Override
        public void rollback() throws ResourceException {
            end(false);
        }

        private void end(boolean commit) throws ResourceException {
            synchronized (StrataManagedConnection.this) {
                if (!inLocalTransaction) {
                    throw new LocalTransactionException("no local transaction is in progress on this connection");
                }
                inLocalTransaction = false;
                if (transactedSession == null) {
                    return; // no session took part: nothing was sent or received
                }
                try {
                    if (commit) {
                        transactedSession.commit();
                    } else {
                        transactedSession.rollback();
                    }
                } catch (JMSException e) {
                    throw new LocalTransactionException("the local transaction could not be "
                            + (commit ? "committed" : "rolled back") + ": " + e.getMessage(), e);
                }
            }
        }
    }
}

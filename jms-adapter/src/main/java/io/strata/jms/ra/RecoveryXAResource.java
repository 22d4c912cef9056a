package io.strata.jms.ra;

import io.strata.jms.client.StrataXAConnection;
import io.strata.jms.client.StrataXAConnectionFactory;
import jakarta.jms.JMSException;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An XA resource for the transaction manager's recovery of one cluster ({@code ResourceAdapter.getXAResources}): it
 * lists the cluster's prepared branches ({@link #recover}) and commits or rolls them back, whoever prepared them. The
 * connection behind it (an XA connection and one XA session of the provider) is made at the first call, not when the
 * container asks for the resource, since a recovery scan may come while the cluster is away; a call the brokers did not
 * answer (XAER_RMFAIL) closes it, so the next call connects again. {@link #close} closes it for good, with the
 * adapter.
 *
 * <p>Thread-safe: the connection is made and dropped under this object's monitor.
 */
final class RecoveryXAResource implements XAResource {

    private static final Logger LOG = Logger.getLogger(RecoveryXAResource.class.getName());

    private final Properties properties;
    private final String userName;
    private final String password;
    private StrataXAConnection connection;
    private XAResource resource;
    private boolean closed;

    RecoveryXAResource(Properties properties, String userName, String password) {
        this.properties = properties;
        this.userName = userName;
        this.password = password;
    }

    /** The XA session's resource, connecting first when there is none. */
    synchronized XAResource connected() throws XAException {
        if (closed) {
            throw error(XAException.XAER_RMFAIL, "the resource adapter stopped; its recovery resources are closed");
        }
        if (resource == null) {
            try {
                ProviderClassLoader.call(() -> {
                    connection = (StrataXAConnection) new StrataXAConnectionFactory(properties)
                            .createXAConnection(userName, password);
                    resource = connection.createXASession().getXAResource();
                    return null;
                });
            } catch (JMSException | RuntimeException e) {
                disconnect();
                throw error(XAException.XAER_RMFAIL, "the brokers at " + properties.getProperty("bootstrap.servers")
                        + " could not be reached for recovery: " + e.getMessage());
            }
        }
        return resource;
    }

    private interface XaCall<T> {
        T call(XAResource resource) throws XAException;
    }

    private <T> T call(XaCall<T> call) throws XAException {
        XAResource connected = connected();
        try {
            return ProviderClassLoader.call(() -> call.call(connected));
        } catch (XAException e) {
            if (e.errorCode == XAException.XAER_RMFAIL) {
                synchronized (this) {
                    disconnect();
                }
            }
            throw e;
        }
    }

    @Override
    public Xid[] recover(int flag) throws XAException {
        return call(resource -> resource.recover(flag));
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        call(resource -> {
            resource.commit(xid, onePhase);
            return null;
        });
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        call(resource -> {
            resource.rollback(xid);
            return null;
        });
    }

    @Override
    public void forget(Xid xid) throws XAException {
        call(resource -> {
            resource.forget(xid);
            return null;
        });
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        return call(resource -> resource.prepare(xid));
    }

    /** Recovery starts no branch: a transaction manager enlists the connections of its pools for that. */
    @Override
    public void start(Xid xid, int flags) throws XAException {
        throw error(XAException.XAER_PROTO, "a recovery resource takes part in no new branch; enlist a pooled"
                + " connection's resource");
    }

    @Override
    public void end(Xid xid, int flags) throws XAException {
        throw error(XAException.XAER_PROTO, "a recovery resource works in no branch");
    }

    @Override
    public boolean isSameRM(XAResource other) throws XAException {
        return call(resource -> resource.isSameRM(ContainerXAResource.unwrap(other)));
    }

    @Override
    public int getTransactionTimeout() {
        return 0;
    }

    @Override
    public boolean setTransactionTimeout(int seconds) {
        return false; // it starts no branch for a timeout to apply to
    }

    /** Closes the connection; later calls fail with XAER_RMFAIL. */
    synchronized void close() {
        closed = true;
        disconnect();
    }

    private void disconnect() {
        StrataXAConnection closing = connection;
        connection = null;
        resource = null;
        if (closing != null) {
            try {
                closing.close();
            } catch (JMSException e) {
                LOG.log(Level.FINE, "Closing a recovery connection failed: {0}", e.toString());
            }
        }
    }

    private static XAException error(int code, String message) {
        XAException exception = new XAException(message);
        exception.errorCode = code;
        return exception;
    }

    @Override
    public String toString() {
        return "Strata recovery resource for " + properties.getProperty("bootstrap.servers", "localhost:9092");
    }
}

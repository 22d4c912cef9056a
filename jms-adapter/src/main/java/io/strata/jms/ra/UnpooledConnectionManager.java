package io.strata.jms.ra;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;

import java.io.Serial;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The connection manager of a non-managed environment (Connectors 2.1 section 6.5.1.4, the resource adapter used
 * without an application server): a managed connection per allocation, destroyed when its handle closes or it fails.
 * Stateless, so thread-safe.
 */
final class UnpooledConnectionManager implements ConnectionManager {

    @Serial
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(UnpooledConnectionManager.class.getName());

    @Override
    public Object allocateConnection(ManagedConnectionFactory factory, ConnectionRequestInfo requestInfo)
            throws ResourceException {
        ManagedConnection connection = factory.createManagedConnection(null, requestInfo);
        connection.addConnectionEventListener(new ConnectionEventListener() {
            @Override
            public void connectionClosed(ConnectionEvent event) {
                destroy(connection);
            }

            @Override
            public void connectionErrorOccurred(ConnectionEvent event) {
                destroy(connection);
            }

            @Override
            public void localTransactionStarted(ConnectionEvent event) {
                // the application's own transacted session: nothing for a manager without transactions to do
            }

            @Override
            public void localTransactionCommitted(ConnectionEvent event) {
                // as above
            }

            @Override
            public void localTransactionRolledback(ConnectionEvent event) {
                // as above
            }
        });
        return connection.getConnection(null, requestInfo);
    }

    private static void destroy(ManagedConnection connection) {
        try {
            connection.destroy();
        } catch (ResourceException e) {
            LOG.log(Level.FINE, "An unpooled Strata connection could not be destroyed: {0}", e.toString());
        }
    }
}

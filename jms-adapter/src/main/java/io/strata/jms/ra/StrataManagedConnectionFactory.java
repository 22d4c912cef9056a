package io.strata.jms.ra;

import io.strata.jms.client.StrataXAConnection;
import io.strata.jms.client.StrataXAConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.JMSSecurityException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterAssociation;
import jakarta.resource.spi.ResourceAllocationException;
import jakarta.resource.spi.security.PasswordCredential;

import javax.security.auth.Subject;
import java.io.PrintWriter;
import java.io.Serial;
import java.util.Set;

/**
 * The outbound side of the resource adapter: makes the physical connections the container pools
 * ({@link StrataManagedConnection}, one provider connection each) and the factory applications inject
 * ({@link ContainerConnectionFactory}). Its {@link ProviderConfiguration} properties override the resource adapter's;
 * two factories with the same properties are equal, as Connectors 2.1 section 6.5.3.2 requires for pooling.
 *
 * <p><b>Sign-on.</b> A connection is made as the user of the container's {@link PasswordCredential} for this
 * factory (container-managed sign-on, {@code res-auth=Container}), else the application's
 * ({@code createConnection(user, password)}, in the {@link Credentials} request info), else the factory's
 * {@code userName}; the provider sends it with the factory's SASL mechanism and the broker decides
 * (jms-adapter/README.md, "Credentials"). A user the broker refuses fails with
 * {@link jakarta.resource.spi.SecurityException}, which the application sees as {@code JMSSecurityException}.
 *
 * <p><b>Transactions.</b> ra.xml declares XATransaction, the most a connection offers (an XA session's resource, a
 * local transaction, or neither); a pool configured for LocalTransaction or NoTransaction uses less. The factory does
 * not implement {@code TransactionSupport}: a level it answered at run time would override the pool's.
 *
 * <p>Not thread-safe while configured; afterwards its methods only read the configuration.
 */
public class StrataManagedConnectionFactory extends ProviderConfiguration
        implements ManagedConnectionFactory, ResourceAdapterAssociation {

    @Serial
    private static final long serialVersionUID = 1L;

    private transient ResourceAdapter resourceAdapter;
    private transient PrintWriter logWriter;

    @Override
    public Object createConnectionFactory(ConnectionManager connectionManager) {
        return new ContainerConnectionFactory(this, connectionManager);
    }

    /** A factory outside an application server: each connection is made for it and destroyed when it closes. */
    @Override
    public Object createConnectionFactory() {
        return new ContainerConnectionFactory(this, new UnpooledConnectionManager());
    }

    /** A physical connection, made with the adapter's class loader as context ({@link ProviderClassLoader}). */
    @Override
    public ManagedConnection createManagedConnection(Subject subject, ConnectionRequestInfo requestInfo)
            throws ResourceException {
        return ProviderClassLoader.call(() -> makeManagedConnection(subject, requestInfo));
    }

    private ManagedConnection makeManagedConnection(Subject subject, ConnectionRequestInfo requestInfo)
            throws ResourceException {
        Credentials credentials = credentials(subject, requestInfo);
        StrataXAConnectionFactory factory;
        try {
            factory = new StrataXAConnectionFactory(providerProperties(inherited()));
        } catch (IllegalArgumentException e) {
            throw new jakarta.resource.spi.InvalidPropertyException("the connection factory's settings are"
                    + " refused: " + e.getMessage(), e);
        }
        try {
            StrataXAConnection connection = (StrataXAConnection) factory.createXAConnection(credentials.userName(),
                    credentials.password());
            return new StrataManagedConnection(this, credentials, connection);
        } catch (JMSSecurityException e) {
            throw new jakarta.resource.spi.SecurityException(e.getMessage(), e);
        } catch (JMSException e) {
            throw new ResourceAllocationException("a connection to the brokers at " + factory.getBootstrapServers()
                    + " could not be made: " + e.getMessage(), e);
        }
    }

    /** A pooled connection of this factory signed on as the same user, or null for a new one. */
    @Override
    @SuppressWarnings("rawtypes")
    public ManagedConnection matchManagedConnections(Set connections, Subject subject,
                                                     ConnectionRequestInfo requestInfo) throws ResourceException {
        Credentials wanted = credentials(subject, requestInfo);
        for (Object candidate : connections) {
            if (candidate instanceof StrataManagedConnection connection && connection.factory().equals(this)
                    && connection.credentials().equals(wanted) && connection.usable()) {
                return connection;
            }
        }
        return null;
    }

    /** Who a connection is made as: the container's credential, else the application's, else the factory's. */
    Credentials credentials(Subject subject, ConnectionRequestInfo requestInfo) {
        if (subject != null) {
            for (PasswordCredential credential : subject.getPrivateCredentials(PasswordCredential.class)) {
                if (credential.getManagedConnectionFactory() == null
                        || equals(credential.getManagedConnectionFactory())) {
                    return new Credentials(credential.getUserName(), credential.getPassword() == null ? null
                            : new String(credential.getPassword()));
                }
            }
        } else if (requestInfo instanceof Credentials given && given.userName() != null) {
            return given;
        }
        String user = userName(inherited());
        return user == null ? Credentials.NONE : new Credentials(user, password(inherited()));
    }

    private ProviderConfiguration inherited() {
        return resourceAdapter instanceof ProviderConfiguration configuration ? configuration : null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public ResourceAdapter getResourceAdapter() {
        return resourceAdapter;
    }

    @Override
    public void setResourceAdapter(ResourceAdapter resourceAdapter) {
        this.resourceAdapter = resourceAdapter;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StrataManagedConnectionFactory factory && factory.getClass() == getClass()
                && sameConfiguration(factory) && resourceAdapter == factory.resourceAdapter;
    }

    @Override
    public int hashCode() {
        return configurationHash();
    }
}

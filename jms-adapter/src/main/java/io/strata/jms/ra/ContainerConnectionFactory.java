package io.strata.jms.ra;

import io.strata.jms.client.UncheckedJmsExceptions;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.QueueConnection;
import jakarta.jms.QueueConnectionFactory;
import jakarta.jms.TopicConnection;
import jakarta.jms.TopicConnectionFactory;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;

import javax.naming.Reference;
import java.io.Serial;
import java.io.Serializable;

/**
 * The connection factory applications get from the container ({@code @Resource ConnectionFactory}, a JNDI lookup,
 * {@code @Inject JMSContext}): every connection is a handle the container's {@link ConnectionManager} allocates from
 * its pool of {@link StrataManagedConnection}s, and closing it gives the physical connection back. A
 * {@code JMSContext} is such a connection with its one session.
 *
 * <p>Serializable and {@link jakarta.resource.Referenceable}, as Connectors 2.1 section 6.5.1.3 requires of a
 * connection factory the container binds in JNDI; the container sets its reference. Thread-safe: it only reads its
 * fields.
 */
public class ContainerConnectionFactory implements ConnectionFactory, QueueConnectionFactory, TopicConnectionFactory,
        Serializable, jakarta.resource.Referenceable {

    @Serial
    private static final long serialVersionUID = 1L;

    private final StrataManagedConnectionFactory managedFactory;
    private final ConnectionManager connectionManager;
    private Reference reference;

    ContainerConnectionFactory(StrataManagedConnectionFactory managedFactory, ConnectionManager connectionManager) {
        this.managedFactory = managedFactory;
        this.connectionManager = connectionManager;
    }

    @Override
    public Connection createConnection() throws JMSException {
        return allocate(Credentials.NONE);
    }

    /** A connection signed on as {@code userName}, when the container does not sign on itself (res-auth=Application). */
    @Override
    public Connection createConnection(String userName, String password) throws JMSException {
        return allocate(new Credentials(userName, password));
    }

    @Override
    public QueueConnection createQueueConnection() throws JMSException {
        return allocate(Credentials.NONE);
    }

    @Override
    public QueueConnection createQueueConnection(String userName, String password) throws JMSException {
        return allocate(new Credentials(userName, password));
    }

    @Override
    public TopicConnection createTopicConnection() throws JMSException {
        return allocate(Credentials.NONE);
    }

    @Override
    public TopicConnection createTopicConnection(String userName, String password) throws JMSException {
        return allocate(new Credentials(userName, password));
    }

    @Override
    public JMSContext createContext() {
        return createContext(null, null, JMSContext.AUTO_ACKNOWLEDGE);
    }

    @Override
    public JMSContext createContext(String userName, String password) {
        return createContext(userName, password, JMSContext.AUTO_ACKNOWLEDGE);
    }

    @Override
    public JMSContext createContext(int sessionMode) {
        return createContext(null, null, sessionMode);
    }

    @Override
    public JMSContext createContext(String userName, String password, int sessionMode) {
        try {
            return new ContextHandle(allocate(new Credentials(userName, password)), sessionMode);
        } catch (JMSException e) {
            throw UncheckedJmsExceptions.of(e);
        }
    }

    private ConnectionHandle allocate(Credentials credentials) throws JMSException {
        try {
            return (ConnectionHandle) connectionManager.allocateConnection(managedFactory, credentials);
        } catch (ResourceException e) {
            throw translate(e, credentials);
        }
    }

    /** The container's failure as the JMS exception the application expects: a refused user is JMSSecurityException. */
    private static JMSException translate(ResourceException e, Credentials credentials) {
        JMSException translated;
        if (findSecurityCause(e) != null) {
            translated = new JMSSecurityException(findSecurityCause(e).getMessage());
        } else {
            translated = new JMSException("the container could not give a Strata connection for " + credentials
                    + ": " + e.getMessage(), e.getErrorCode());
        }
        translated.initCause(e);
        translated.setLinkedException(e);
        return translated;
    }

    private static Throwable findSecurityCause(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof JMSSecurityException || cause instanceof jakarta.resource.spi.SecurityException) {
                return cause;
            }
        }
        return null;
    }

    @Override
    public void setReference(Reference reference) {
        this.reference = reference;
    }

    @Override
    public Reference getReference() {
        return reference;
    }
}

package io.strata.jms.client;

import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.XAConnection;
import jakarta.jms.XAConnectionFactory;
import jakarta.jms.XAJMSContext;
import jakarta.jms.XAQueueConnection;
import jakarta.jms.XAQueueConnectionFactory;
import jakarta.jms.XATopicConnection;
import jakarta.jms.XATopicConnectionFactory;

import java.io.Serial;
import java.util.Properties;

/**
 * The connection factory of XA connections (JMS 3.1 {@code XAConnectionFactory}), for a transaction manager or a
 * resource adapter: the same settings and constructors as {@link StrataConnectionFactory}, whose plain connections
 * and contexts it makes as well. Every connection it makes is a {@link StrataXAConnection}; XA sessions need brokers
 * that advertise {@code strata.transaction.prepare}.
 *
 * <p>Thread-safe, serializable and referenceable as {@link StrataConnectionFactory}.
 */
public class StrataXAConnectionFactory extends StrataConnectionFactory
        implements XAConnectionFactory, XAQueueConnectionFactory, XATopicConnectionFactory {

    @Serial
    private static final long serialVersionUID = 1L;

    /** A factory for a broker at {@code localhost:9092}. */
    public StrataXAConnectionFactory() {
        super();
    }

    /** A factory for the brokers {@code bootstrapServers} ({@code host:port,...}). */
    public StrataXAConnectionFactory(String bootstrapServers) {
        super(bootstrapServers);
    }

    /** A factory with these kafka-clients and {@code strata.jms.*} properties; {@code bootstrap.servers} required. */
    public StrataXAConnectionFactory(Properties properties) {
        super(properties);
    }

    @Override
    StrataConnection newConnection(ProviderSettings settings, GroupConfigurer groupConfigurer) {
        return new StrataXAConnection(settings, groupConfigurer);
    }

    @Override
    public XAConnection createXAConnection() throws JMSException {
        return createXAConnection(null, null);
    }

    @Override
    public XAConnection createXAConnection(String userName, String password) throws JMSException {
        return (StrataXAConnection) createConnection(userName, password);
    }

    @Override
    public XAQueueConnection createXAQueueConnection() throws JMSException {
        return createXAQueueConnection(null, null);
    }

    @Override
    public XAQueueConnection createXAQueueConnection(String userName, String password) throws JMSException {
        return (StrataXAConnection) createConnection(userName, password);
    }

    @Override
    public XATopicConnection createXATopicConnection() throws JMSException {
        return createXATopicConnection(null, null);
    }

    @Override
    public XATopicConnection createXATopicConnection(String userName, String password) throws JMSException {
        return (StrataXAConnection) createConnection(userName, password);
    }

    @Override
    public XAJMSContext createXAContext() {
        return createXAContext(null, null);
    }

    @Override
    public XAJMSContext createXAContext(String userName, String password) {
        try {
            return new StrataXAJMSContext((StrataXAConnection) createConnection(userName, password));
        } catch (JMSException e) {
            throw JmsErrors.unchecked(e);
        } catch (ClassCastException e) {
            throw new JMSRuntimeException("not an XA connection: " + e.getMessage());
        }
    }
}

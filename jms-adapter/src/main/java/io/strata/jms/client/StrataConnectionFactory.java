package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.QueueConnection;
import jakarta.jms.QueueConnectionFactory;
import jakarta.jms.TopicConnection;
import jakarta.jms.TopicConnectionFactory;
import org.apache.kafka.clients.CommonClientConfigs;

import java.io.Serial;
import java.io.Serializable;
import java.util.Properties;

/**
 * The entry point of Strata's JMS provider: connections to a Strata cluster (or any broker that speaks Kafka's
 * protocol with share groups), configured by kafka-clients properties and the provider's own {@code strata.jms.*}
 * settings ({@link ProviderSettings}):
 *
 * <pre>
 *   ConnectionFactory factory = new StrataConnectionFactory("broker1:9092,broker2:9092");
 *   factory.setProperty("request.timeout.ms", "10000");
 * </pre>
 *
 * <p><b>Credentials.</b> {@code createConnection(user, password)} with a user passes the credentials as SASL PLAIN
 * when the properties set {@code sasl.mechanism=PLAIN} (and a SASL {@code security.protocol}); without a SASL
 * mechanism configured it refuses them with {@link JMSSecurityException}, rather than connect unauthenticated while
 * the application believes it authenticated. A null user (or {@code createConnection()}) uses the properties as
 * they are.
 *
 * <p>Serializable with its properties (for JNDI). Thread-safe: the setters are synchronized and every connection takes
 * a snapshot of the properties when it is created.
 */
public class StrataConnectionFactory implements ConnectionFactory, QueueConnectionFactory, TopicConnectionFactory,
        Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    private final Properties properties = new Properties();

    /** A factory for a broker at {@code localhost:9092}. */
    public StrataConnectionFactory() {
        this("localhost:9092");
    }

    /** A factory for the brokers {@code bootstrapServers} ({@code host:port,...}). */
    public StrataConnectionFactory(String bootstrapServers) {
        setBootstrapServers(bootstrapServers);
    }

    /** A factory with these kafka-clients and {@code strata.jms.*} properties; {@code bootstrap.servers} required. */
    public StrataConnectionFactory(Properties properties) {
        this.properties.putAll(properties);
        ProviderSettings.of(this.properties); // fails now on what would fail at every connection
    }

    public synchronized void setBootstrapServers(String bootstrapServers) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers must name at least one broker, host:port");
        }
        properties.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }

    public synchronized String getBootstrapServers() {
        return properties.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    }

    /** Sets a kafka-clients property or a {@code strata.jms.*} setting; a null value removes it. */
    public synchronized void setProperty(String name, String value) {
        if (value == null) {
            properties.remove(name);
        } else {
            properties.setProperty(name, value);
        }
    }

    /** The JMS client identifier every connection of this factory gets ({@code strata.jms.client.id}). */
    public synchronized void setClientID(String clientId) {
        setProperty(ProviderSettings.CLIENT_ID, clientId);
    }

    /** A copy of the properties. */
    public synchronized Properties getProperties() {
        Properties copy = new Properties();
        copy.putAll(properties);
        return copy;
    }

    @Override
    public Connection createConnection() throws JMSException {
        return createConnection(null, null);
    }

    @Override
    public StrataConnection createConnection(String userName, String password) throws JMSException {
        return new StrataConnection(settings(userName, password));
    }

    @Override
    public QueueConnection createQueueConnection() throws JMSException {
        return createConnection(null, null);
    }

    @Override
    public QueueConnection createQueueConnection(String userName, String password) throws JMSException {
        return createConnection(userName, password);
    }

    @Override
    public TopicConnection createTopicConnection() throws JMSException {
        return createConnection(null, null);
    }

    @Override
    public TopicConnection createTopicConnection(String userName, String password) throws JMSException {
        return createConnection(userName, password);
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
            StrataConnection connection = createConnection(userName, password);
            return new StrataJMSContext(connection, sessionMode, true);
        } catch (JMSException e) {
            throw JmsErrors.unchecked(e);
        }
    }

    private synchronized ProviderSettings settings(String userName, String password) throws JMSException {
        Properties snapshot = getProperties();
        if (userName != null) {
            String mechanism = snapshot.getProperty("sasl.mechanism");
            if (!"PLAIN".equals(mechanism)) {
                throw new JMSSecurityException("user '" + userName + "' cannot be authenticated: security is not"
                        + " configured on this connection factory (set sasl.mechanism=PLAIN and security.protocol="
                        + "SASL_PLAINTEXT or SASL_SSL to send credentials); connect without credentials otherwise");
            }
            snapshot.setProperty("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule"
                    + " required username=\"" + jaasQuoted(userName) + "\" password=\""
                    + jaasQuoted(password == null ? "" : password) + "\";");
        }
        try {
            return ProviderSettings.of(snapshot);
        } catch (IllegalArgumentException e) {
            throw JmsErrors.withCause(new JMSException(e.getMessage()), e);
        }
    }

    private static String jaasQuoted(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

}

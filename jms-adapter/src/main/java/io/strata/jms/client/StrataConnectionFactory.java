package io.strata.jms.client;

import io.strata.jms.jndi.StrataObjectFactory;
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
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.errors.AuthenticationException;

import javax.naming.Reference;
import javax.naming.Referenceable;
import javax.naming.StringRefAddr;
import java.io.Serial;
import java.io.Serializable;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
 * <p><b>Credentials.</b> What {@code createConnection(user, password)} does with a user depends on the security the
 * factory is configured for, as on a JMS broker whose security can be switched off (Artemis with security disabled
 * accepts any user):
 * <ul>
 *   <li>no {@code sasl.mechanism} set (the default, for a broker's PLAINTEXT listener, which authenticates no one):
 *       the credentials are accepted and not sent anywhere, and the connection runs with the factory's own settings,
 *       as {@code createConnection()} does;</li>
 *   <li>{@code sasl.mechanism=PLAIN}, {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512} (with a SASL
 *       {@code security.protocol}): the credentials are sent with that mechanism, in place of any
 *       {@code sasl.jaas.config} of the factory, and the broker decides (Strata's SASL_PLAINTEXT listeners serve
 *       PLAIN; SCRAM comes with issue 19);</li>
 *   <li>another mechanism (GSSAPI, OAUTHBEARER): a user and password cannot be expressed in it, so the connection is
 *       refused with {@link JMSSecurityException} rather than made with other credentials than the application
 *       gave.</li>
 * </ul>
 * A null user (or {@code createConnection()}) uses the properties as they are. With a SASL {@code security.protocol}
 * every connection authenticates once with a broker before {@code createConnection} returns, so that credentials
 * the broker refuses fail there, with {@link JMSSecurityException} ({@code JMSSecurityRuntimeException} from
 * {@code createContext}) carrying the broker's message, rather than at the first send or receive; a broker that does
 * not answer within {@value #AUTHENTICATION_TIMEOUT_MS} ms fails it with {@link JMSException}.
 *
 * <p>Serializable with its properties, and {@link Referenceable} (one address per property, rebuilt by
 * {@link StrataObjectFactory}), so that a JNDI server can store it. Thread-safe: the setters are synchronized and
 * every connection takes a snapshot of the properties when it is created.
 */
public class StrataConnectionFactory implements ConnectionFactory, QueueConnectionFactory, TopicConnectionFactory,
        Serializable, Referenceable {

    @Serial
    private static final long serialVersionUID = 1L;
    /** How long {@code createConnection} waits for a broker to take the connection's credentials. */
    static final long AUTHENTICATION_TIMEOUT_MS = 30_000;

    private final Properties properties = new Properties();
    /** The share groups this factory's connections configured; made anew after deserialization. */
    private transient volatile GroupConfigurer groupConfigurer;

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
        ProviderSettings settings = settings(userName, password);
        StrataConnection connection = newConnection(settings, groupConfigurer());
        String protocol = settings.kafka().getProperty(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "");
        if (protocol.trim().toUpperCase(java.util.Locale.ROOT).startsWith("SASL_")) {
            authenticate(connection, settings, userName);
        }
        return connection;
    }

    /** A connection of this factory's kind ({@link StrataXAConnectionFactory} makes XA ones). */
    StrataConnection newConnection(ProviderSettings settings, GroupConfigurer groupConfigurer) {
        return new StrataConnection(settings, groupConfigurer);
    }

    /**
     * Has a broker take the connection's credentials, through the admin client the connection uses anyway, closing the
     * connection if it does not.
     */
    private static void authenticate(StrataConnection connection, ProviderSettings settings, String userName)
            throws JMSException {
        String who = userName == null ? "the factory's user (sasl.jaas.config)" : "user '" + userName + "'";
        try {
            connection.admin().describeCluster(new DescribeClusterOptions().timeoutMs((int) AUTHENTICATION_TIMEOUT_MS))
                    .clusterId().get(AUTHENTICATION_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            closeQuietly(connection);
            if (e.getCause() instanceof AuthenticationException refused) {
                throw JmsErrors.withCause(new JMSSecurityException(who + " was refused by the brokers at "
                        + settings.bootstrapServers() + ": " + refused.getMessage()), refused);
            }
            throw JmsErrors.jms(who + " could not be authenticated by the brokers at " + settings.bootstrapServers(),
                    e.getCause());
        } catch (TimeoutException e) {
            closeQuietly(connection);
            throw JmsErrors.jms(who + " could not be authenticated: the brokers at " + settings.bootstrapServers()
                    + " did not answer within " + AUTHENTICATION_TIMEOUT_MS + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(connection);
            throw JmsErrors.jms("interrupted while " + who + " was being authenticated", e);
        }
    }

    private static void closeQuietly(StrataConnection connection) {
        try {
            connection.close();
        } catch (JMSException e) {
            // The connection never served anything; what it held is released as far as it can be.
        }
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
        String mechanism = snapshot.getProperty("sasl.mechanism");
        if (userName != null && mechanism != null && !mechanism.isBlank()) {
            String loginModule = switch (mechanism.trim()) {
                case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
                case "SCRAM-SHA-256", "SCRAM-SHA-512" -> "org.apache.kafka.common.security.scram.ScramLoginModule";
                default -> throw new JMSSecurityException("user '" + userName + "' cannot be authenticated with"
                        + " sasl.mechanism=" + mechanism + ": a user and password are sent only with PLAIN,"
                        + " SCRAM-SHA-256 or SCRAM-SHA-512; connect without credentials to use the factory's own");
            };
            snapshot.setProperty("sasl.jaas.config", loginModule + " required username=\"" + jaasQuoted(userName)
                    + "\" password=\"" + jaasQuoted(password == null ? "" : password) + "\";");
        }
        try {
            return ProviderSettings.of(snapshot);
        } catch (IllegalArgumentException e) {
            throw JmsErrors.withCause(new JMSException(e.getMessage()), e);
        }
    }

    private GroupConfigurer groupConfigurer() {
        GroupConfigurer configurer = groupConfigurer;
        if (configurer == null) {
            synchronized (this) {
                if (groupConfigurer == null) {
                    groupConfigurer = new GroupConfigurer();
                }
                configurer = groupConfigurer;
            }
        }
        return configurer;
    }

    /**
     * One {@code StringRefAddr} per property, for {@link StrataObjectFactory}; the class named is
     * {@link StrataXAConnectionFactory} for one (an XA factory comes back as one), else this class.
     */
    @Override
    public synchronized Reference getReference() {
        Class<?> named = this instanceof StrataXAConnectionFactory ? StrataXAConnectionFactory.class
                : StrataConnectionFactory.class;
        Reference reference = new Reference(named.getName(),
                StrataObjectFactory.class.getName(), null);
        new TreeSet<>(properties.stringPropertyNames())
                .forEach(name -> reference.add(new StringRefAddr(name, properties.getProperty(name))));
        return reference;
    }

    private static String jaasQuoted(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

}

package io.strata.jms.ra;

import java.io.Serial;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The settings of Strata's provider as JavaBean properties, the form Jakarta Connectors configures a resource adapter
 * and a managed connection factory in ({@code config-property} of ra.xml, a connection pool's properties): each maps
 * to one setting of {@code io.strata.jms.client.StrataConnectionFactory} (jms-adapter/README.md, "Configuration"),
 * and {@link #setProperties} takes any other kafka-clients or {@code strata.jms.*} setting.
 *
 * <p>An unset property (null) is left to the configuration this one {@linkplain #providerProperties inherits}: a
 * managed connection factory inherits the resource adapter's, so the cluster is configured once, on the adapter.
 * {@code userName} and {@code password} are not provider settings: they are the credentials connections are made with
 * when neither the container nor the application gives any.
 *
 * <p>Not thread-safe: set up by the container before use, read afterwards.
 */
public abstract class ProviderConfiguration implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    private String bootstrapServers;
    private String userName;
    private String password;
    private String clientId;
    private String securityProtocol;
    private String saslMechanism;
    private Integer consumerPrefetch;
    private String deadLetterTopic;
    private Integer deliveryLimit;
    private Boolean destinationAutoCreate;
    private Integer destinationPartitions;
    private String properties;

    /** The brokers, {@code host:port,...} ({@code bootstrap.servers}). */
    public String getBootstrapServers() {
        return bootstrapServers;
    }

    public void setBootstrapServers(String bootstrapServers) {
        this.bootstrapServers = blankToNull(bootstrapServers);
    }

    /** The user connections are made as when neither the container nor the application names one. */
    public String getUserName() {
        return userName;
    }

    public void setUserName(String userName) {
        this.userName = blankToNull(userName);
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    /** The JMS client identifier of every connection ({@code strata.jms.client.id}). */
    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = blankToNull(clientId);
    }

    /** {@code security.protocol}: PLAINTEXT, SASL_PLAINTEXT, ... */
    public String getSecurityProtocol() {
        return securityProtocol;
    }

    public void setSecurityProtocol(String securityProtocol) {
        this.securityProtocol = blankToNull(securityProtocol);
    }

    /** {@code sasl.mechanism}: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
    public String getSaslMechanism() {
        return saslMechanism;
    }

    public void setSaslMechanism(String saslMechanism) {
        this.saslMechanism = blankToNull(saslMechanism);
    }

    /** {@code strata.jms.consumer.prefetch}. */
    public Integer getConsumerPrefetch() {
        return consumerPrefetch;
    }

    public void setConsumerPrefetch(Integer consumerPrefetch) {
        this.consumerPrefetch = consumerPrefetch;
    }

    /** {@code strata.jms.dead.letter.topic}. */
    public String getDeadLetterTopic() {
        return deadLetterTopic;
    }

    public void setDeadLetterTopic(String deadLetterTopic) {
        this.deadLetterTopic = deadLetterTopic;
    }

    /** {@code strata.jms.delivery.limit}. */
    public Integer getDeliveryLimit() {
        return deliveryLimit;
    }

    public void setDeliveryLimit(Integer deliveryLimit) {
        this.deliveryLimit = deliveryLimit;
    }

    /** {@code strata.jms.destination.auto.create}. */
    public Boolean getDestinationAutoCreate() {
        return destinationAutoCreate;
    }

    public void setDestinationAutoCreate(Boolean destinationAutoCreate) {
        this.destinationAutoCreate = destinationAutoCreate;
    }

    /** {@code strata.jms.destination.partitions}. */
    public Integer getDestinationPartitions() {
        return destinationPartitions;
    }

    public void setDestinationPartitions(Integer destinationPartitions) {
        this.destinationPartitions = destinationPartitions;
    }

    /**
     * Any other settings, {@code name=value} separated by {@code ;} or new lines, e.g.
     * {@code request.timeout.ms=10000;sasl.jaas.config=...}: a value may hold {@code =} but not {@code ;}. The
     * properties above win over the same setting here.
     */
    public String getProperties() {
        return properties;
    }

    public void setProperties(String properties) {
        this.properties = blankToNull(properties);
    }

    /**
     * The provider's properties: {@code inherited}'s (may be null), then this configuration's, each set property
     * winning over the inherited one.
     *
     * @throws IllegalArgumentException when {@link #getProperties} is malformed
     */
    Properties providerProperties(ProviderConfiguration inherited) {
        Properties result = inherited == null ? new Properties() : inherited.providerProperties(null);
        result.putAll(parse(properties));
        settings().forEach((name, value) -> {
            if (value != null) {
                result.setProperty(name, value.toString());
            }
        });
        return result;
    }

    /** The user of {@code inherited} when this configuration names none. */
    String userName(ProviderConfiguration inherited) {
        return userName != null || inherited == null ? userName : inherited.getUserName();
    }

    /** The password going with {@link #userName}. */
    String password(ProviderConfiguration inherited) {
        return userName != null || inherited == null ? password : inherited.getPassword();
    }

    private Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("bootstrap.servers", bootstrapServers);
        settings.put("strata.jms.client.id", clientId);
        settings.put("security.protocol", securityProtocol);
        settings.put("sasl.mechanism", saslMechanism);
        settings.put("strata.jms.consumer.prefetch", consumerPrefetch);
        settings.put("strata.jms.dead.letter.topic", deadLetterTopic);
        settings.put("strata.jms.delivery.limit", deliveryLimit);
        settings.put("strata.jms.destination.auto.create", destinationAutoCreate);
        settings.put("strata.jms.destination.partitions", destinationPartitions);
        return settings;
    }

    /** {@code name=value} pairs separated by {@code ;} or new lines. */
    static Properties parse(String text) {
        Properties parsed = new Properties();
        if (text == null) {
            return parsed;
        }
        for (String entry : text.split("[;\\n]")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int equals = trimmed.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("the property '" + trimmed + "' of the properties setting is not"
                        + " name=value");
            }
            parsed.setProperty(trimmed.substring(0, equals).trim(), trimmed.substring(equals + 1).trim());
        }
        return parsed;
    }

    /** Whether {@code other} holds the same settings and credentials (for a managed connection factory's equals). */
    boolean sameConfiguration(ProviderConfiguration other) {
        return settings().equals(other.settings()) && Objects.equals(properties, other.properties)
                && Objects.equals(userName, other.userName) && Objects.equals(password, other.password);
    }

    int configurationHash() {
        return Objects.hash(settings(), properties, userName, password);
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.trim();
    }
}

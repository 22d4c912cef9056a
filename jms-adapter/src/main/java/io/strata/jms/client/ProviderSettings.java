package io.strata.jms.client;

import org.apache.kafka.clients.CommonClientConfigs;

import java.io.Serializable;
import java.util.Properties;

/**
 * What a connection factory holds: kafka-clients properties ({@code bootstrap.servers}, {@code security.protocol},
 * {@code sasl.*}, {@code ssl.*}, {@code request.timeout.ms}, ...), passed through to the producer, the consumers and
 * the admin client of each connection, and the provider's own settings, whose names start with {@code strata.jms.}
 * and which are taken out before the rest goes to kafka-clients:
 *
 * <ul>
 *   <li>{@value #CLIENT_ID}: the JMS client identifier of every connection (the administrative way of JMS 6.1.2);
 *       unset by default.</li>
 *   <li>{@value #AUTO_CREATE}: whether a destination whose Kafka topic does not exist is created on first use, with
 *       {@value #PARTITIONS} partitions (default 1, so that a queue keeps JMS's order) and the broker's replication
 *       factor; default {@code true}. When false, or when the broker refuses, the send or the consumer creation
 *       fails with {@code InvalidDestinationException}.</li>
 *   <li>{@value #PREFETCH}: how many records a consumer fetches ahead of the application (default 100): they are
 *       held by this consumer, not given to another member, until delivered or the consumer closes; among them the
 *       highest JMSPriority is delivered first.</li>
 *   <li>{@value #DEAD_LETTER_TOPIC}: the dead-letter topic the provider gives the share groups it reads through
 *       (group config {@code errors.deadletterqueue.topic.name}, with {@code errors.deadletterqueue.copy.record
 *       .enable=true}), where a message goes once it was delivered as often as the group allows without being
 *       acknowledged; default {@value #DEAD_LETTER_TOPIC_DEFAULT}, empty for none. See {@link GroupConfigurer}.</li>
 *   <li>{@value #DELIVERY_LIMIT}: how often a message is delivered before it is dead-lettered (group config
 *       {@code share.delivery.count.limit}); unset by default: the broker's {@code group.share.delivery.count.limit},
 *       5 unless configured.</li>
 * </ul>
 *
 * Immutable; serializable, so a connection factory can be bound in JNDI.
 */
record ProviderSettings(Properties kafkaProperties, String clientId, boolean autoCreate, int partitions,
                        int prefetch, String deadLetterTopic, int deliveryLimit) implements Serializable {

    static final String PREFIX = "strata.jms.";
    static final String CLIENT_ID = "strata.jms.client.id";
    static final String AUTO_CREATE = "strata.jms.destination.auto.create";
    static final String PARTITIONS = "strata.jms.destination.partitions";
    static final String PREFETCH = "strata.jms.consumer.prefetch";
    static final String DEAD_LETTER_TOPIC = "strata.jms.dead.letter.topic";
    /** Has the broker's default {@code errors.deadletterqueue.topic.name.prefix}, {@code dlq.}. */
    static final String DEAD_LETTER_TOPIC_DEFAULT = "dlq.jms";
    static final String DELIVERY_LIMIT = "strata.jms.delivery.limit";
    /** {@link #deliveryLimit} when the provider leaves it to the broker. */
    static final int DELIVERY_LIMIT_BROKER = 0;

    /** Splits {@code all} into the kafka-clients part and the provider's own settings. */
    static ProviderSettings of(Properties all) {
        Properties kafka = new Properties();
        all.stringPropertyNames().forEach(name -> {
            if (!name.startsWith(PREFIX)) {
                kafka.setProperty(name, all.getProperty(name));
            }
        });
        if (kafka.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "").isBlank()) {
            throw new IllegalArgumentException("the connection factory has no bootstrap.servers");
        }
        int partitions = positive(all, PARTITIONS, 1);
        int prefetch = positive(all, PREFETCH, 100);
        String clientId = all.getProperty(CLIENT_ID);
        int deliveryLimit = all.getProperty(DELIVERY_LIMIT) == null ? DELIVERY_LIMIT_BROKER
                : positive(all, DELIVERY_LIMIT, DELIVERY_LIMIT_BROKER);
        return new ProviderSettings(kafka, clientId == null || clientId.isBlank() ? null : clientId,
                Boolean.parseBoolean(all.getProperty(AUTO_CREATE, "true")), partitions, prefetch,
                deadLetterTopic(all.getProperty(DEAD_LETTER_TOPIC, DEAD_LETTER_TOPIC_DEFAULT)), deliveryLimit);
    }

    /** Whether the provider gives its share groups a dead-letter topic. */
    boolean deadLettering() {
        return deadLetterTopic != null;
    }

    /** A dead-letter topic name as Kafka and KIP-1191 allow it, or null for an empty one (none). */
    private static String deadLetterTopic(String name) {
        String trimmed = name.trim();
        if (trimmed.isEmpty()) {
            return null;
        }
        try {
            Names.checkTopicName(trimmed, "dead-letter topic");
        } catch (jakarta.jms.InvalidDestinationException e) {
            throw new IllegalArgumentException(DEAD_LETTER_TOPIC + ": " + e.getMessage(), e);
        }
        if (trimmed.startsWith("__")) {
            throw new IllegalArgumentException(DEAD_LETTER_TOPIC + " '" + trimmed + "' starts with __, as only"
                    + " internal topics do");
        }
        return trimmed;
    }

    /** A copy of the kafka-clients properties, for one client to add its own to. */
    Properties kafka() {
        Properties copy = new Properties();
        copy.putAll(kafkaProperties);
        return copy;
    }

    String bootstrapServers() {
        return kafkaProperties.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    }

    private static int positive(Properties all, String name, int otherwise) {
        String text = all.getProperty(name);
        if (text == null) {
            return otherwise;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive integer; got '" + text + "'");
    }
}

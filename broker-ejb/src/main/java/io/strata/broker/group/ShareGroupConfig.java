package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.share.AutoOffsetReset;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.InvalidConfigurationException;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The settings of one share group (KIP-932 group configs): how long acquired records stay locked, how many deliveries
 * a record gets, where a partition without state starts, which records a member may read, and the member heartbeat
 * and session timeouts. A group's own values ({@code share.*} group configs) override the broker's
 * {@code group.share.*} defaults, within the broker's min/max bounds. The topic-partition leader serving ShareFetch
 * needs the first four; the group coordinator the next two.
 *
 * <p>KIP-1191's {@code errors.deadletterqueue.topic.name} names the group's dead-letter topic (empty, the default:
 * none), where the records it gives up on are written; {@code errors.deadletterqueue.copy.record.enable} (default
 * false, as in Kafka) copies their key, value and headers there. The name must be a valid topic name, not start with
 * {@code __}, and start with the broker's {@code errors.deadletterqueue.topic.name.prefix}: checked when it is set,
 * and again at each write since the prefix may change.
 *
 * <p>Immutable; thread-safe.
 */
public record ShareGroupConfig(int recordLockDurationMs, int deliveryCountLimit, AutoOffsetReset autoOffsetReset,
                               IsolationLevel isolationLevel, int heartbeatIntervalMs, int sessionTimeoutMs,
                               String deadLetterTopic, boolean deadLetterCopyRecord) {

    public static final String RECORD_LOCK_DURATION_MS = "share.record.lock.duration.ms";
    public static final String DELIVERY_COUNT_LIMIT = "share.delivery.count.limit";
    public static final String AUTO_OFFSET_RESET = "share.auto.offset.reset";
    public static final String ISOLATION_LEVEL = "share.isolation.level";
    public static final String HEARTBEAT_INTERVAL_MS = "share.heartbeat.interval.ms";
    public static final String SESSION_TIMEOUT_MS = "share.session.timeout.ms";
    public static final String DEAD_LETTER_TOPIC_NAME = "errors.deadletterqueue.topic.name";
    public static final String DEAD_LETTER_COPY_RECORD_ENABLE = "errors.deadletterqueue.copy.record.enable";
    /**
     * Strata's own: what a JMS durable subscription read by this group was made with (its selector and noLocal, as
     * the JMS provider writes them; docs/jms-mapping.md). Opaque to the broker, which only stores it, so that a
     * provider re-creating the subscription with other settings finds out and replaces it, as JMS requires.
     */
    public static final String JMS_SUBSCRIPTION = "strata.jms.subscription";
    /** The longest {@link #JMS_SUBSCRIPTION} value stored: a selector's text with room to spare. */
    public static final int JMS_SUBSCRIPTION_CHARS_MAX = 8192;
    /** The group configs a share group may set. */
    public static final Set<String> NAMES = Set.of(RECORD_LOCK_DURATION_MS, DELIVERY_COUNT_LIMIT, AUTO_OFFSET_RESET,
            ISOLATION_LEVEL, HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS, DEAD_LETTER_TOPIC_NAME,
            DEAD_LETTER_COPY_RECORD_ENABLE, JMS_SUBSCRIPTION);

    /** A group without a dead-letter topic. */
    public ShareGroupConfig(int recordLockDurationMs, int deliveryCountLimit, AutoOffsetReset autoOffsetReset,
                            IsolationLevel isolationLevel, int heartbeatIntervalMs, int sessionTimeoutMs) {
        this(recordLockDurationMs, deliveryCountLimit, autoOffsetReset, isolationLevel, heartbeatIntervalMs,
                sessionTimeoutMs, "", false);
    }

    public ShareGroupConfig {
        deadLetterTopic = deadLetterTopic == null ? "" : deadLetterTopic;
    }

    /** The broker's defaults: a group that set nothing. */
    public static ShareGroupConfig defaults(BrokerConfig config) {
        return new ShareGroupConfig(config.groupShareRecordLockDurationMs, config.groupShareDeliveryCountLimit,
                AutoOffsetReset.LATEST, IsolationLevel.READ_UNCOMMITTED, config.groupShareHeartbeatIntervalMs,
                config.groupShareSessionTimeoutMs);
    }

    /**
     * The group's settings: {@code overrides} (group config name to value) over the broker's defaults.
     *
     * @throws InvalidConfigurationException naming the config, for an unknown name, an unparsable value or one
     *                                       outside the broker's bounds (Kafka's INVALID_CONFIG)
     */
    public static ShareGroupConfig of(BrokerConfig config, Map<String, String> overrides) {
        ShareGroupConfig defaults = defaults(config);
        for (String name : overrides.keySet()) {
            if (!NAMES.contains(name)) {
                throw new InvalidConfigurationException("Unknown group config name: " + name + ". Share groups"
                        + " accept " + String.join(", ", new java.util.TreeSet<>(NAMES)) + ".");
            }
        }
        int lockMs = GroupConfigs.intWithin(config, overrides, RECORD_LOCK_DURATION_MS,
                defaults.recordLockDurationMs, BrokerConfig.GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS,
                BrokerConfig.GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS);
        int deliveries = GroupConfigs.intWithin(config, overrides, DELIVERY_COUNT_LIMIT, defaults.deliveryCountLimit,
                BrokerConfig.GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT, BrokerConfig.GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT);
        int heartbeatMs = GroupConfigs.intWithin(config, overrides, HEARTBEAT_INTERVAL_MS,
                defaults.heartbeatIntervalMs, BrokerConfig.GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS,
                BrokerConfig.GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS);
        int sessionMs = GroupConfigs.intWithin(config, overrides, SESSION_TIMEOUT_MS, defaults.sessionTimeoutMs,
                BrokerConfig.GROUP_SHARE_MIN_SESSION_TIMEOUT_MS, BrokerConfig.GROUP_SHARE_MAX_SESSION_TIMEOUT_MS);
        if (heartbeatMs >= sessionMs) {
            throw new InvalidConfigurationException("Group config " + HEARTBEAT_INTERVAL_MS + " (" + heartbeatMs
                    + ") must be lower than " + SESSION_TIMEOUT_MS + " (" + sessionMs + ").");
        }
        AutoOffsetReset reset = defaults.autoOffsetReset;
        if (overrides.containsKey(AUTO_OFFSET_RESET)) {
            try {
                reset = AutoOffsetReset.parse(overrides.get(AUTO_OFFSET_RESET));
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigurationException("Invalid value " + overrides.get(AUTO_OFFSET_RESET)
                        + " for group config " + AUTO_OFFSET_RESET + ": " + e.getMessage());
            }
        }
        IsolationLevel isolation = defaults.isolationLevel;
        if (overrides.containsKey(ISOLATION_LEVEL)) {
            String value = String.valueOf(overrides.get(ISOLATION_LEVEL)).toLowerCase(Locale.ROOT);
            if (!value.equals("read_committed") && !value.equals("read_uncommitted")) {
                throw new InvalidConfigurationException("Invalid value " + overrides.get(ISOLATION_LEVEL)
                        + " for group config " + ISOLATION_LEVEL + ": it must be read_committed or"
                        + " read_uncommitted.");
            }
            isolation = IsolationLevel.valueOf(value.toUpperCase(Locale.ROOT));
        }
        String deadLetterTopic = overrides.getOrDefault(DEAD_LETTER_TOPIC_NAME, "").trim();
        checkDeadLetterTopic(deadLetterTopic);
        String subscription = overrides.get(JMS_SUBSCRIPTION);
        if (subscription != null && subscription.length() > JMS_SUBSCRIPTION_CHARS_MAX) {
            throw new InvalidConfigurationException("Group config " + JMS_SUBSCRIPTION + " holds at most "
                    + JMS_SUBSCRIPTION_CHARS_MAX + " characters; got " + subscription.length() + ".");
        }
        boolean copyRecord = false;
        if (overrides.containsKey(DEAD_LETTER_COPY_RECORD_ENABLE)) {
            String value = String.valueOf(overrides.get(DEAD_LETTER_COPY_RECORD_ENABLE)).trim()
                    .toLowerCase(Locale.ROOT);
            if (!value.equals("true") && !value.equals("false")) {
                throw new InvalidConfigurationException("Invalid value " + overrides.get(
                        DEAD_LETTER_COPY_RECORD_ENABLE) + " for group config " + DEAD_LETTER_COPY_RECORD_ENABLE
                        + ": it must be true or false.");
            }
            copyRecord = Boolean.parseBoolean(value);
        }
        return new ShareGroupConfig(lockMs, deliveries, reset, isolation, heartbeatMs, sessionMs, deadLetterTopic,
                copyRecord);
    }

    /** A dead-letter topic name as KIP-1191 allows it (the prefix aside), or empty. */
    private static void checkDeadLetterTopic(String topic) {
        if (topic.isEmpty()) {
            return;
        }
        try {
            org.apache.kafka.common.internals.Topic.validate(topic);
        } catch (org.apache.kafka.common.errors.InvalidTopicException e) {
            throw new InvalidConfigurationException("Invalid value " + topic + " for group config "
                    + DEAD_LETTER_TOPIC_NAME + ": " + e.getMessage());
        }
        if (topic.startsWith("__")) {
            throw new InvalidConfigurationException("Invalid value " + topic + " for group config "
                    + DEAD_LETTER_TOPIC_NAME + ": a dead-letter topic name cannot start with __.");
        }
    }

    /**
     * Checks, as the group configs are set, that a dead-letter topic name has the broker's prefix. Only then: a
     * group whose name no longer fits a changed prefix keeps its other settings, and its dead-letter writes are
     * refused instead (see {@code DeadLetterTopics}).
     *
     * @throws InvalidConfigurationException naming the prefix
     */
    static void checkDeadLetterTopicPrefix(BrokerConfig config, Map<String, String> overrides) {
        String topic = overrides.getOrDefault(DEAD_LETTER_TOPIC_NAME, "").trim();
        String prefix = config.errorsDeadLetterQueueTopicNamePrefix;
        if (!topic.isEmpty() && !prefix.isEmpty() && !topic.startsWith(prefix)) {
            throw new InvalidConfigurationException("Invalid value " + topic + " for group config "
                    + DEAD_LETTER_TOPIC_NAME + ": a dead-letter topic name must start with " + prefix + " (broker"
                    + " setting " + BrokerConfig.ERRORS_DEADLETTERQUEUE_TOPIC_NAME_PREFIX + ").");
        }
    }
}

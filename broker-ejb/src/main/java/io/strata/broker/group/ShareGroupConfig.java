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
 * needs the first four; the group coordinator the last two.
 *
 * <p>Immutable; thread-safe.
 */
public record ShareGroupConfig(int recordLockDurationMs, int deliveryCountLimit, AutoOffsetReset autoOffsetReset,
                               IsolationLevel isolationLevel, int heartbeatIntervalMs, int sessionTimeoutMs) {

    public static final String RECORD_LOCK_DURATION_MS = "share.record.lock.duration.ms";
    public static final String DELIVERY_COUNT_LIMIT = "share.delivery.count.limit";
    public static final String AUTO_OFFSET_RESET = "share.auto.offset.reset";
    public static final String ISOLATION_LEVEL = "share.isolation.level";
    public static final String HEARTBEAT_INTERVAL_MS = "share.heartbeat.interval.ms";
    public static final String SESSION_TIMEOUT_MS = "share.session.timeout.ms";
    /** The group configs a share group may set. */
    public static final Set<String> NAMES = Set.of(RECORD_LOCK_DURATION_MS, DELIVERY_COUNT_LIMIT, AUTO_OFFSET_RESET,
            ISOLATION_LEVEL, HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS);

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
        return new ShareGroupConfig(lockMs, deliveries, reset, isolation, heartbeatMs, sessionMs);
    }
}

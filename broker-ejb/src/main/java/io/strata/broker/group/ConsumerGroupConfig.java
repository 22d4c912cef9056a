package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;

import java.util.Map;
import java.util.Set;

/**
 * The settings of one consumer-protocol (KIP-848) group that it may override with group configs: the heartbeat
 * interval its members are told and the session timeout after which a silent member is fenced. A group's values
 * ({@code consumer.*} group configs) override the broker's {@code group.consumer.*} defaults, within the broker's
 * min/max bounds.
 *
 * <p>Immutable; thread-safe.
 */
public record ConsumerGroupConfig(int heartbeatIntervalMs, int sessionTimeoutMs) {

    public static final String HEARTBEAT_INTERVAL_MS = "consumer.heartbeat.interval.ms";
    public static final String SESSION_TIMEOUT_MS = "consumer.session.timeout.ms";
    /** The group configs a consumer group may set. */
    public static final Set<String> NAMES = Set.of(HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS);

    public static ConsumerGroupConfig defaults(BrokerConfig config) {
        return new ConsumerGroupConfig(config.groupConsumerHeartbeatIntervalMs, config.groupConsumerSessionTimeoutMs);
    }

    /**
     * The group's settings: those of {@code overrides} (group config name to value) that are consumer ones, over the
     * broker's defaults.
     *
     * @throws InvalidConfigurationException naming the config and the bound it breaks (Kafka's INVALID_CONFIG)
     */
    public static ConsumerGroupConfig of(BrokerConfig config, Map<String, String> overrides) {
        ConsumerGroupConfig defaults = defaults(config);
        int heartbeatMs = GroupConfigs.intWithin(config, overrides, HEARTBEAT_INTERVAL_MS,
                defaults.heartbeatIntervalMs, BrokerConfig.GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS,
                BrokerConfig.GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS);
        int sessionMs = GroupConfigs.intWithin(config, overrides, SESSION_TIMEOUT_MS, defaults.sessionTimeoutMs,
                BrokerConfig.GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS, BrokerConfig.GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS);
        if (heartbeatMs >= sessionMs) {
            throw new InvalidConfigurationException("Group config " + HEARTBEAT_INTERVAL_MS + " (" + heartbeatMs
                    + ") must be lower than " + SESSION_TIMEOUT_MS + " (" + sessionMs + ").");
        }
        return new ConsumerGroupConfig(heartbeatMs, sessionMs);
    }
}

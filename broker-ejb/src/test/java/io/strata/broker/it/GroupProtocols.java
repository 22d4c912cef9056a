package io.strata.broker.it;

import org.apache.kafka.clients.consumer.ConsumerConfig;

import java.util.HashMap;
import java.util.Map;

/**
 * The two consumer group protocols the group tests run with ({@code group.protocol} classic and consumer), and the
 * broker settings that make consumer-protocol groups react in test time rather than Kafka's 45 s sessions and 5 s
 * heartbeats.
 */
final class GroupProtocols {

    /** Broker settings: consumer-protocol sessions of 6 s and heartbeats every 500 ms. */
    static final Map<String, Object> FAST_CONSUMER_GROUPS = Map.of(
            "group.consumer.min.session.timeout.ms", 6000, "group.consumer.session.timeout.ms", 6000,
            "group.consumer.min.heartbeat.interval.ms", 500, "group.consumer.heartbeat.interval.ms", 500);

    private GroupProtocols() {
    }

    /**
     * Consumer settings for {@code protocol}: {@code settings} with {@code group.protocol} set. The consumer protocol
     * takes its session timeout and heartbeat interval from the broker and assigns there, so the client-side settings
     * of those, which a consumer-protocol consumer refuses, are left out.
     */
    static Map<String, Object> consumerSettings(String protocol, Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(settings);
        all.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        if (protocol.equals("consumer")) {
            all.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
            all.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
            all.remove(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
        }
        return all;
    }

    /** Broker settings with {@link #FAST_CONSUMER_GROUPS} added. */
    static Map<String, Object> withFastConsumerGroups(Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(settings);
        all.putAll(FAST_CONSUMER_GROUPS);
        return all;
    }
}

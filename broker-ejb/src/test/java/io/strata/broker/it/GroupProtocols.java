package io.strata.broker.it;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

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
     * of those, which a consumer-protocol consumer refuses, are left out. A classic member heartbeats every 500 ms
     * unless {@code settings} say otherwise, as consumer-protocol members do here: it learns of a rebalance from a
     * heartbeat's answer, and the default 3 s between them made every rebalance wait that long.
     */
    static Map<String, Object> consumerSettings(String protocol, Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(settings);
        all.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        if (protocol.equals("classic")) {
            all.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        }
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

    /** Writes {@code perPartition} records to each of partitions 0 to {@code partitions - 1} of {@code topic}. */
    static void produce(TestBroker broker, String topic, int partitions, int perPartition) {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int p = 0; p < partitions; p++) {
                for (int i = 0; i < perPartition; i++) {
                    producer.send(new ProducerRecord<>(topic, p, "k", topic + "-" + p + "-" + i));
                }
            }
            producer.flush();
        }
    }

    /**
     * Polls every consumer in turn, adding what they read to {@code sink} (if not null), until {@code done}; fails
     * after {@code atMost}.
     */
    static void pollUntil(List<KafkaConsumer<String, String>> consumers, BooleanSupplier done,
                          List<ConsumerRecord<String, String>> sink, Duration atMost) {
        long deadline = System.currentTimeMillis() + atMost.toMillis();
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("condition not met in " + atMost);
            }
            for (KafkaConsumer<String, String> consumer : consumers) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(50))) {
                    if (sink != null) {
                        sink.add(record);
                    }
                }
            }
        }
    }
}

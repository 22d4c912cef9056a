package io.strata.jms.share;

import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the engine's tests share: broker settings under which share groups heartbeat every second and may lock
 * records for a second (Kafka's minimums would make a test of expiry take a minute), topics with records written by a
 * kafka-clients producer, group configs set through Admin, the group's start offset as Admin lists it, and a bounded
 * poll loop. Stateless.
 */
final class ShareTestCluster {

    static final Duration AT_MOST = Duration.ofSeconds(60);

    /** Share groups that heartbeat every second and may hold records for one; transactions in three partitions. */
    static final Map<String, Object> FAST_SHARE_GROUPS = Map.of(
            "group.share.min.record.lock.duration.ms", 1000,
            "group.share.min.heartbeat.interval.ms", 500,
            "group.share.heartbeat.interval.ms", 1000,
            "transaction.state.log.num.partitions", 3,
            "transaction.abort.timed.out.transaction.cleanup.interval.ms", 200L);

    private ShareTestCluster() {
    }

    /** A topic of one partition with {@code count} records {@code <topic>-<i>}, and a group reading from its start. */
    static void prepare(TestBroker broker, String topic, String group, int count) throws Exception {
        broker.createTopic(topic, 1, Map.of());
        produce(broker, topic, count, i -> Map.of());
        configure(broker, group, Map.of("share.auto.offset.reset", "earliest"));
    }

    /** Writes {@code count} records {@code <topic>-<i>} with the headers {@code headers} gives record i. */
    static void produce(TestBroker broker, String topic, int count,
                        java.util.function.IntFunction<Map<String, String>> headers) {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("linger.ms", 50))) {
            for (int i = 0; i < count; i++) {
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, 0, "k" + i, topic + "-" + i);
                headers.apply(i).forEach((key, value) -> record.headers().add(key,
                        value.getBytes(StandardCharsets.UTF_8)));
                producer.send(record);
            }
            producer.flush();
        }
    }

    static void configure(TestBroker broker, String group, Map<String, String> configs) throws Exception {
        List<AlterConfigOp> ops = new ArrayList<>();
        configs.forEach((name, value) -> ops.add(new AlterConfigOp(new ConfigEntry(name, value),
                AlterConfigOp.OpType.SET)));
        try (Admin admin = broker.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), ops)).all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** The group's start offset on partition 0 of {@code topic}, as Admin lists it; -1 when it has none. */
    static long startOffset(TestBroker broker, String group, String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin.listShareGroupOffsets(Map.of(group,
                            new ListShareGroupOffsetsSpec().topicPartitions(List.of(new TopicPartition(topic, 0)))))
                    .partitionsToOffsetInfo(group).get(30, TimeUnit.SECONDS);
            SharePartitionOffsetInfo info = offsets.get(new TopicPartition(topic, 0));
            return info == null ? -1 : info.startOffset();
        }
    }

    static ShareConsumerSettings settings(TestBroker broker, String group, String topic) {
        return ShareConsumerSettings.of(broker.bootstrapServers(), group, List.of(topic))
                .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    /** The record's value as text. */
    static String value(ShareRecord record) {
        return new String(record.value(), StandardCharsets.UTF_8);
    }

    /**
     * Polls the consumers in turn, handing each record to {@code handle} with the index of its consumer, until
     * {@code done} holds for all that came; fails after {@link #AT_MOST}.
     */
    static List<ShareRecord> pollUntil(List<StrataShareConsumer> consumers, RecordHandler handle,
                                       Predicate<List<ShareRecord>> done) {
        List<ShareRecord> all = new ArrayList<>();
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        while (!done.test(all)) {
            assertThat(System.nanoTime()).as("records in time; got " + all).isLessThan(deadline);
            for (int i = 0; i < consumers.size(); i++) {
                for (ShareRecord record : consumers.get(i).poll(100, Duration.ofMillis(100))) {
                    all.add(record);
                    handle.handle(i, record);
                }
            }
        }
        return all;
    }

    /** What a test does with each polled record. */
    interface RecordHandler {
        void handle(int consumer, ShareRecord record);
    }

    static Map<String, Object> settingsWith(Map<String, Object> extra) {
        Map<String, Object> settings = new HashMap<>(FAST_SHARE_GROUPS);
        settings.putAll(extra);
        return settings;
    }
}

package io.strata.broker.it;

import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePersister;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker that dies while share consumers hold records they were delivered and never acknowledged, then starts again
 * on the same data: the records come back with delivery count 2 (a JMS consumer sees JMSRedelivered), those
 * acknowledged before never come back, and the delivery limit counts the delivery the death interrupted. The leader
 * stored its delivery bound before it delivered them. The death is a crash as far as share state goes: from that
 * moment the broker's share-state writes are refused ({@link CrashingPersister}), so that the releases a graceful
 * stop makes as its connections close store nothing, as after SIGKILL. One crash serves both tests.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareDeliveryCountAfterRestartTest {

    private static final Duration AT_MOST = Duration.ofSeconds(60);
    @TempDir
    static Path dir;
    static TestBroker broker;
    static final CrashingPersister persister = new CrashingPersister();
    /** Offsets of {@code orders} that group {@code clerks} acknowledged before the crash. */
    static final Set<Long> acknowledged = new TreeSet<>();
    /** Offsets of {@code orders} that group {@code clerks} was delivered and held, unacknowledged, at the crash. */
    static final Set<Long> heldAtTheCrash = new TreeSet<>();

    @BeforeAll
    static void crashTheBrokerWhileRecordsAreHeld() throws Exception {
        broker = new TestBroker(dir, ShareGroups.FAST_SHARE_GROUPS);
        broker.serveShareGroups(persister, null);
        broker.start();

        prepare("orders", "clerks", 20, Map.of());
        KafkaShareConsumer<String, String> clerk = consumer("clerks", "orders");
        List<ConsumerRecord<String, String>> got = pollSome(clerk);
        got.forEach(record -> clerk.acknowledge(record, AcknowledgeType.ACCEPT));
        assertThat(clerk.commitSync().values()).allSatisfy(error -> assertThat(error).isEmpty());
        got.forEach(record -> acknowledged.add(record.offset()));
        pollSome(clerk).forEach(record -> {
            assertThat(record.deliveryCount()).contains((short) 1);
            heldAtTheCrash.add(record.offset());
        });

        prepare("payments", "payers", 1, Map.of("share.delivery.count.limit", "2"));
        KafkaShareConsumer<String, String> payer = consumer("payers", "payments");
        assertThat(pollSome(payer)).singleElement()
                .satisfies(record -> assertThat(record.deliveryCount()).contains((short) 1));

        persister.crash();
        clerk.close(Duration.ofSeconds(1));
        payer.close(Duration.ofSeconds(1));
        broker.stop();
        persister.recover();
        broker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void recordsDeliveredWhenTheBrokerCrashedComeBackWithDeliveryCountTwo() {
        Map<Long, Short> deliveryCounts = new TreeMap<>();
        try (KafkaShareConsumer<String, String> second = consumer("clerks", "orders")) {
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (deliveryCounts.size() < 20 - acknowledged.size()) {
                assertThat(System.nanoTime()).as("the rest delivered in time; got " + deliveryCounts.keySet())
                        .isLessThan(deadline);
                for (ConsumerRecord<String, String> record : second.poll(Duration.ofMillis(200))) {
                    second.acknowledge(record, AcknowledgeType.ACCEPT);
                    deliveryCounts.put(record.offset(), record.deliveryCount().orElseThrow());
                }
                second.commitSync();
            }
        }

        assertThat(deliveryCounts.keySet()).doesNotContainAnyElementsOf(acknowledged);
        assertThat(heldAtTheCrash).isNotEmpty().allSatisfy(offset ->
                assertThat(deliveryCounts).as("offset %d, delivered before the crash", offset)
                        .containsEntry(offset, (short) 2));
    }

    @Test
    void aDeliveryTheCrashInterruptedCountsTowardsTheDeliveryLimit() {
        try (KafkaShareConsumer<String, String> second = consumer("payers", "payments")) {
            ConsumerRecord<String, String> poison = pollSome(second).get(0);
            assertThat(poison.offset()).isZero();
            assertThat(poison.deliveryCount()).as("its second delivery").contains((short) 2);
            second.acknowledge(poison, AcknowledgeType.RELEASE);
            assertThat(second.commitSync().values()).allSatisfy(error -> assertThat(error).isEmpty());

            // At the limit, released: archived. A record appended after the restart comes next, delivered first.
            produce("payments", 1);
            List<ConsumerRecord<String, String>> next = pollSome(second);
            assertThat(next).singleElement().satisfies(record -> {
                assertThat(record.offset()).isEqualTo(1);
                assertThat(record.deliveryCount()).contains((short) 1);
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A topic of one partition holding {@code count} records, and a group reading it from its start. */
    private static void prepare(String topic, String group, int count, Map<String, String> groupConfigs)
            throws Exception {
        broker.createTopic(topic, 1, Map.of());
        produce(topic, count);
        Map<String, String> configs = new HashMap<>(groupConfigs);
        configs.put("share.auto.offset.reset", "earliest");
        try (Admin admin = broker.admin()) {
            ShareGroups.configure(admin, group, configs);
        }
    }

    private static void produce(String topic, int count) {
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, topic + "-" + i));
            }
            producer.flush();
        }
    }

    private static KafkaShareConsumer<String, String> consumer(String group, String topic) {
        KafkaShareConsumer<String, String> consumer = ShareGroups.consumer(broker.bootstrapServers(), group,
                "explicit", Map.of("max.poll.records", 5));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * The broker's own share-state persister, but for the writes made after {@link #crash}: those are refused with
     * COORDINATOR_NOT_AVAILABLE and store nothing, as the writes a SIGKILLed broker never made. Thread-safe.
     */
    static final class CrashingPersister implements SharePersister {
        private volatile boolean crashed;

        void crash() {
            crashed = true;
        }

        void recover() {
            crashed = false;
        }

        private SharePersister live() {
            return broker.server().sharePersister();
        }

        @Override
        public CompletableFuture<Errors> initialize(String groupId, Uuid topicId, int partition,
                                                   SharePartitionState state) {
            return crashed ? refused() : live().initialize(groupId, topicId, partition, state);
        }

        @Override
        public CompletableFuture<ReadResult> read(String groupId, Uuid topicId, int partition, int leaderEpoch) {
            return live().read(groupId, topicId, partition, leaderEpoch);
        }

        @Override
        public CompletableFuture<Errors> write(String groupId, Uuid topicId, int partition, int leaderEpoch,
                                              SharePartitionState state) {
            return crashed ? refused() : live().write(groupId, topicId, partition, leaderEpoch, state);
        }

        @Override
        public CompletableFuture<Summary> readSummary(String groupId, Uuid topicId, int partition) {
            return live().readSummary(groupId, topicId, partition);
        }

        @Override
        public CompletableFuture<Errors> delete(String groupId, Uuid topicId, int partition) {
            return crashed ? refused() : live().delete(groupId, topicId, partition);
        }

        private static CompletableFuture<Errors> refused() {
            return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
        }
    }

    /** Polls until at least one record comes, within {@link #AT_MOST}. */
    private static List<ConsumerRecord<String, String>> pollSome(KafkaShareConsumer<String, String> consumer) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        while (got.isEmpty()) {
            assertThat(System.nanoTime()).as("records in time").isLessThan(deadline);
            consumer.poll(Duration.ofMillis(200)).forEach(got::add);
        }
        return got;
    }
}

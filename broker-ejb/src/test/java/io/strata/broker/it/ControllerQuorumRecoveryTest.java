package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three brokers in three JVMs lose the majority of their controller quorum (Hazelcast's CP Subsystem keeps nothing on
 * disk and gives a restarted member a new identity), and the cluster must get a controller back by itself once the
 * brokers return, as a KRaft quorum does: then topics can be created, acks=all writes and group offset commits
 * succeed, and nothing acknowledged before is lost.
 */
@Timeout(900)
class ControllerQuorumRecoveryTest {

    private static final String TOPIC = "orders";
    private static final int PARTITIONS = 3;
    private static final String GROUP = "billing";
    /** How long the cluster may take from the restart of the brokers to its first metadata change. */
    private static final Duration RECOVERY_MAX = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private BrokerProcesses brokers;
    /** Every value a producer was told is stored. */
    private final List<Long> acknowledged = new ArrayList<>();

    private static void phase(String what) {
        System.err.println(java.time.LocalTime.now() + " quorum-recovery: " + what);
    }

    @AfterEach
    void killAll() {
        if (brokers != null) {
            brokers.close();
        }
    }

    @Test
    void controllerReturnsWhenTwoOfThreeKilledBrokersRestart() throws Exception {
        startClusterWithData("two-of-three");
        int controller = controllerId();
        int other = controller == 1 ? 2 : 1;
        int epochBefore = brokers.highestControllerEpochLogged();
        assertThat(epochBefore).as("the controller epoch logged before the kill").isPositive();
        brokers.killTogether(controller, other);
        phase("killed brokers " + controller + " and " + other + " together (the controller and one more)");
        long restarted = System.nanoTime();
        brokers.start(controller);
        brokers.start(other);
        awaitFirstMetadataChange(restarted);
        assertThat(brokers.highestControllerEpochLogged()).as("the epoch of the controller after the CP reset")
                .isGreaterThan(epochBefore);
        verifyWritesAndCommitsCarryOn();
    }

    @Test
    void controllerReturnsWhenAllThreeKilledBrokersRestart() throws Exception {
        startClusterWithData("all-three");
        int epochBefore = brokers.highestControllerEpochLogged();
        assertThat(epochBefore).as("the controller epoch logged before the kill").isPositive();
        brokers.killTogether(1, 2, 3);
        phase("killed all three brokers together");
        long restarted = System.nanoTime();
        for (int id = 1; id <= 3; id++) {
            brokers.start(id);
        }
        awaitFirstMetadataChange(restarted);
        assertThat(brokers.highestControllerEpochLogged()).as("the epoch of the controller after the restart")
                .isGreaterThan(epochBefore);
        verifyWritesAndCommitsCarryOn();
    }

    /**
     * A rolling restart, SIGKILL and start again one broker after the other, with the second's disk replaced by an
     * empty one: each restarted broker comes back as a new CP identity, and must count toward the quorum again within
     * seconds, before the next is killed, or that kill would leave no majority. At the end one more broker is killed
     * and the two left still elect a controller.
     */
    @Test
    void rollingRestartWithAnEmptyDiskKeepsTheControllerQuorum() throws Exception {
        startClusterWithData("rolling");
        for (int id = 1; id <= 3; id++) {
            brokers.kill(id);
            if (id == 2) {
                deleteRecursively(brokers.dataDirOf(id));
                phase("killed broker 2 and emptied its disk");
            } else {
                phase("killed broker " + id);
            }
            long started = System.nanoTime();
            brokers.start(id);
            brokers.awaitInControllerQuorum(id, Duration.ofSeconds(60));
            phase("broker " + id + " counts toward the controller quorum "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms after its start");
            awaitInEveryIsr(id);
            phase("broker " + id + " is back in every ISR");
        }
        int victim = controllerId();
        brokers.kill(victim);
        phase("killed the controller, broker " + victim);
        awaitFirstMetadataChange(System.nanoTime(), (short) 2, "the controller was killed");
        verifyWritesAndCommitsCarryOn();
        // The quorum never lost its majority here, so nothing was reset: a reset would cost a controller election.
        for (int id = 1; id <= 3; id++) {
            assertThat(java.nio.file.Files.readString(brokers.logOf(id))).as("log of broker %d", id)
                    .doesNotContain("Resetting the CP Subsystem");
        }
    }

    private void awaitInEveryIsr(int id) {
        try (Admin admin = brokers.admin()) {
            await("broker " + id + " in every ISR").atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .untilAsserted(() -> {
                        var topic = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
                                .get(TOPIC);
                        for (var partition : topic.partitions()) {
                            assertThat(partition.isr()).extracting(org.apache.kafka.common.Node::id).contains(id);
                        }
                    });
        }
    }

    private static void deleteRecursively(Path root) throws java.io.IOException {
        try (var paths = java.nio.file.Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(path);
            }
        }
    }

    private void startClusterWithData(String logFolder) throws Exception {
        brokers = new BrokerProcesses(dir, "quorum-recovery-logs/" + logFolder, 3);
        brokers.startAll(Duration.ofSeconds(120));
        phase("three brokers started, each in every CP group");
        brokers.createTopics(PARTITIONS, Map.of("min.insync.replicas", "2"), TOPIC);
        produce(0, 300);
        consumeAndCommit(300);
        phase("300 records acknowledged and committed by group " + GROUP);
    }

    /** Waits for a CreateTopics to succeed, and reports how long it took from the restart. */
    private void awaitFirstMetadataChange(long restartedNanos) {
        awaitFirstMetadataChange(restartedNanos, (short) 3, "the brokers were restarted");
    }

    /** Waits for a CreateTopics of {@code replicas} replicas to succeed, and reports how long it took since what. */
    private void awaitFirstMetadataChange(long sinceNanos, short replicas, String since) {
        String topic = "after-restart-" + UUID.randomUUID();
        try (Admin admin = brokers.admin()) {
            await("a topic created after the restart").atMost(RECOVERY_MAX).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().untilAsserted(() -> {
                        try {
                            admin.createTopics(List.of(new NewTopic(topic, 1, replicas))).all()
                                    .get(10, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.ExecutionException e) {
                            // An earlier attempt, which the client gave up waiting for, created it.
                            assertThat(e.getCause()).isInstanceOf(TopicExistsException.class);
                        }
                    });
        }
        phase("first metadata change " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos)
                + " ms after " + since);
    }

    private void verifyWritesAndCommitsCarryOn() throws Exception {
        produce(300, 600);
        consumeAndCommit(300);
        try (Admin admin = brokers.admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP)
                    .partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
            assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum())
                    .as("offsets the group committed before and after").isEqualTo(600);
        }
        List<Long> read = readAll();
        assertThat(read).as("no record twice").doesNotHaveDuplicates();
        assertThat(read).as("every acknowledged record").containsAll(acknowledged);
        phase("600 acknowledged records read back, group offsets committed");
    }

    /** Sends the values {@code from} (inclusive) to {@code to} with an idempotent acks=all producer; all must be acknowledged. */
    private void produce(long from, long to) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", brokers.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 90_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.LongSerializer");
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.LongSerializer");
        try (KafkaProducer<Long, Long> producer = new KafkaProducer<>(props)) {
            List<Future<?>> sends = new ArrayList<>();
            for (long value = from; value < to; value++) {
                sends.add(producer.send(new ProducerRecord<>(TOPIC, (int) (value % PARTITIONS), value, value)));
            }
            for (Future<?> send : sends) {
                send.get(120, TimeUnit.SECONDS);
            }
        }
        for (long value = from; value < to; value++) {
            acknowledged.add(value);
        }
    }

    /** Reads {@code expected} records in {@link #GROUP} from its committed offsets, then commits. */
    private void consumeAndCommit(int expected) {
        try (KafkaConsumer<Long, Long> consumer = new KafkaConsumer<>(consumerProps(GROUP))) {
            consumer.subscribe(List.of(TOPIC));
            int read = 0;
            Map<Integer, Integer> readPerPartition = new java.util.TreeMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (read < expected && System.nanoTime() < deadline) {
                for (org.apache.kafka.clients.consumer.ConsumerRecord<Long, Long> record
                        : consumer.poll(Duration.ofMillis(500))) {
                    readPerPartition.merge(record.partition(), 1, Integer::sum);
                    read++;
                }
            }
            if (read != expected) {
                // Say where the group stood, so that a stall can be told from a lost or skipped offset.
                Map<TopicPartition, Long> positions = new java.util.TreeMap<>(
                        java.util.Comparator.comparing(TopicPartition::toString));
                for (TopicPartition tp : consumer.assignment()) {
                    positions.put(tp, consumer.position(tp, Duration.ofSeconds(10)));
                }
                phase("the group read " + readPerPartition + " per partition; positions " + positions
                        + "; end offsets " + consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(10)));
            }
            assertThat(read).as("records the group read from its committed offsets").isEqualTo(expected);
            consumer.commitSync(Duration.ofSeconds(60));
        }
    }

    private List<Long> readAll() {
        List<Long> values = new ArrayList<>();
        try (KafkaConsumer<Long, Long> consumer = new KafkaConsumer<>(consumerProps("verify-" + UUID.randomUUID()))) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(TOPIC, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < acknowledged.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<Long, Long> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private int controllerId() throws Exception {
        try (Admin admin = brokers.admin()) {
            return admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
        }
    }

    private Map<String, Object> consumerProps(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", brokers.bootstrapServers());
        props.put("group.id", group);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", false);
        props.put("key.deserializer", "org.apache.kafka.common.serialization.LongDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.LongDeserializer");
        return props;
    }
}

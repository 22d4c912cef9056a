package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three brokers in three JVMs on loopback. An idempotent acks=all producer writes numbered records to a topic with
 * replication factor 3 and {@code min.insync.replicas=2} while the leader of a partition is killed with SIGKILL, again
 * and again, and comes back; a consumer group reads on through the failovers. At the end a consumer reads every
 * acknowledged record exactly once, in the order it was sent within each partition; then the whole cluster stops and
 * starts again and still holds all of it.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ClusterChaosTest {

    private static final String TOPIC = "chaos";
    private static final int PARTITIONS = 3;

    @TempDir
    Path dir;

    private BrokerProcesses brokers;
    /** Cleared to stop the producer and the group's consumer: at the end, or by killAll when the test failed. */
    private final AtomicBoolean producing = new AtomicBoolean(true);
    private final AtomicBoolean consuming = new AtomicBoolean(true);

    private static void phase(String what) {
        System.err.println(java.time.LocalTime.now() + " chaos: " + what);
    }

    @AfterEach
    void killAll() {
        // A failed run must not leave its clients running into the next test class of this JVM.
        producing.set(false);
        consuming.set(false);
        if (brokers != null) {
            brokers.close();
        }
    }

    @Test
    void acknowledgedRecordsSurviveRepeatedLeaderKills() throws Exception {
        brokers = new BrokerProcesses(dir, "cluster-chaos-logs", 3, Map.of("offsets.topic.num.partitions", 5));
        brokers.startAll(Duration.ofSeconds(90));
        phase("cluster of three formed, each broker in the CP Subsystem's groups");
        brokers.createTopics(PARTITIONS, Map.of("min.insync.replicas", "2"), TOPIC);

        // What the producer was told is stored: partition -> sequence numbers in acknowledgement order.
        Map<Integer, List<Long>> acknowledged = new ConcurrentHashMap<>();
        AtomicReference<Exception> producerFailure = new AtomicReference<>();
        AtomicLong acks = new AtomicLong();
        Thread producerThread = new Thread(() -> produce(producing, acknowledged, acks, producerFailure));
        producerThread.start();

        Map<Integer, AtomicLong> groupReceived = new ConcurrentHashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            acknowledged.put(p, java.util.Collections.synchronizedList(new ArrayList<>()));
            groupReceived.put(p, new AtomicLong());
        }
        Thread groupThread = new Thread(() -> consumeInGroup(consuming, groupReceived));
        groupThread.start();

        await().atMost(Duration.ofSeconds(60)).until(() -> acks.get() > 500
                && groupReceived.values().stream().allMatch(count -> count.get() > 10));
        for (int round = 0; round < 3; round++) {
            int partition = round % PARTITIONS;
            int victim = leaderOf(partition);
            brokers.kill(victim);
            phase("round " + round + ": killed broker " + victim + ", leader of partition " + partition);
            long acksAtKill = acknowledged.get(partition).size();
            long receivedAtKill = groupReceived.get(partition).get();
            try (Admin admin = admin()) {
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                    TopicPartitionInfo info = describe(admin).partitions().get(partition);
                    assertThat(info.leader().id()).isNotEqualTo(victim);
                });
            }
            phase("new leader elected");
            await("the producer writes to the partition again").atMost(Duration.ofSeconds(60))
                    .until(() -> acknowledged.get(partition).size() > acksAtKill + 100);
            phase("producer carries on");
            await("the group reads the partition again").atMost(Duration.ofSeconds(60))
                    .until(() -> groupReceived.get(partition).get() > receivedAtKill + 100);
            phase("group carries on");
            brokers.start(victim);
            try (Admin admin = admin()) {
                await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
                    for (TopicPartitionInfo info : describe(admin).partitions()) {
                        assertThat(info.isr()).extracting(Node::id).as("broker %d rejoined the ISR", victim)
                                .contains(victim);
                    }
                });
            }
            phase("broker " + victim + " back in the ISR");
            // Raft's majority of three survives one failure at a time: the next kill waits until the restarted
            // broker is back in the CP groups (what its readiness reports), as a rolling restart would.
            brokers.awaitInControllerQuorum(victim, Duration.ofSeconds(90));
            phase("broker " + victim + " back in the CP Subsystem's groups");
        }
        producing.set(false);
        producerThread.join(120_000);
        consuming.set(false);
        groupThread.join(30_000);
        assertThat(producerFailure.get()).as("the producer saw no error it could not retry").isNull();

        phase("producer stopped after " + acks.get() + " acknowledged records");
        verifyEveryAcknowledgedRecordOnce(acknowledged);
        phase("verified");

        // A full stop and start of all three keeps everything.
        // Stopped means exited: a broker leaving the CP Subsystem takes a moment, and holds its ports until then.
        brokers.stopAll(Duration.ofSeconds(60));
        phase("stopped all three");
        for (int id = 1; id <= 3; id++) {
            brokers.start(id);
        }
        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
                for (TopicPartitionInfo info : describe(admin).partitions()) {
                    assertThat(info.leader()).isNotNull();
                    assertThat(info.leader().id()).isPositive();
                }
            });
        }
        phase("restarted all three");
        verifyEveryAcknowledgedRecordOnce(acknowledged);
        phase("verified after the restart");
    }

    private void produce(AtomicBoolean producing, Map<Integer, List<Long>> acknowledged, AtomicLong acks,
                         AtomicReference<Exception> failure) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.LongSerializer");
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.LongSerializer");
        try (KafkaProducer<Long, Long> producer = new KafkaProducer<>(props)) {
            long sequence = 0;
            while (producing.get() && failure.get() == null) {
                long value = sequence++;
                int partition = (int) (value % PARTITIONS);
                producer.send(new ProducerRecord<>(TOPIC, partition, value, value), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    } else {
                        acknowledged.computeIfAbsent(metadata.partition(), p -> java.util.Collections
                                .synchronizedList(new ArrayList<>())).add(value);
                        acks.incrementAndGet();
                    }
                });
                if (sequence % 100 == 0) {
                    // About 2,000 records a second: enough to be writing at every kill, little for two cores.
                    Thread.sleep(50);
                }
            }
            producer.flush();
        } catch (Exception e) {
            failure.compareAndSet(null, e);
        }
    }

    private void consumeInGroup(AtomicBoolean consuming, Map<Integer, AtomicLong> received) {
        Map<String, Object> props = consumerProps("chaos-group");
        props.put("enable.auto.commit", true);
        props.put("auto.commit.interval.ms", 500);
        try (KafkaConsumer<Long, Long> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(TOPIC));
            while (consuming.get()) {
                for (ConsumerRecord<Long, Long> record : consumer.poll(Duration.ofMillis(200))) {
                    received.get(record.partition()).incrementAndGet();
                }
            }
        }
    }

    private void verifyEveryAcknowledgedRecordOnce(Map<Integer, List<Long>> acknowledged) {
        long expected = acknowledged.values().stream().mapToLong(List::size).sum();
        Map<Integer, List<Long>> read = new HashMap<>();
        Map<String, Object> props = consumerProps("verify-" + UUID.randomUUID());
        try (KafkaConsumer<Long, Long> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(TOPIC, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long total = 0;
            long deadline = System.currentTimeMillis() + 120_000;
            int emptyPolls = 0;
            while (System.currentTimeMillis() < deadline && (total < expected || emptyPolls < 5)) {
                int count = 0;
                for (ConsumerRecord<Long, Long> record : consumer.poll(Duration.ofMillis(500))) {
                    read.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(record.value());
                    count++;
                }
                total += count;
                emptyPolls = count == 0 ? emptyPolls + 1 : 0;
            }
        }
        for (int p = 0; p < PARTITIONS; p++) {
            List<Long> got = read.getOrDefault(p, List.of());
            List<Long> acked = acknowledged.getOrDefault(p, List.of());
            assertThat(got).as("partition %d holds no record twice", p).doesNotHaveDuplicates();
            assertThat(got).as("partition %d is in the order the records were sent", p).isSorted();
            Set<Long> gotSet = Set.copyOf(got);
            List<Long> missing = acked.stream().filter(value -> !gotSet.contains(value)).limit(20).toList();
            // Records sent but not acknowledged (in flight at the end) may be there too, never the other way round.
            assertThat(missing).as("acknowledged records of partition %d that are missing", p).isEmpty();
        }
    }

    private int leaderOf(int partition) throws Exception {
        try (Admin admin = admin()) {
            return describe(admin).partitions().get(partition).leader().id();
        }
    }

    private static TopicDescription describe(Admin admin) throws Exception {
        return admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS).get(TOPIC);
    }

    private Admin admin() {
        return brokers.admin();
    }

    private Map<String, Object> consumerProps(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap());
        props.put("group.id", group);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", false);
        props.put("key.deserializer", "org.apache.kafka.common.serialization.LongDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.LongDeserializer");
        return props;
    }

    private String bootstrap() {
        return brokers.bootstrapServers();
    }
}

package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
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

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
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

    /** Written to a broker's log before each start of it. */
    private static final String START_MARK = "--- start";

    private static final String TOPIC = "chaos";
    private static final int PARTITIONS = 3;

    @TempDir
    Path dir;

    private final Map<Integer, Process> processes = new HashMap<>();
    private final Map<Integer, Integer> kafkaPorts = new HashMap<>();
    private final Map<Integer, Integer> hazelcastPorts = new HashMap<>();
    private String clusterName;

    private static void phase(String what) {
        System.err.println(java.time.LocalTime.now() + " chaos: " + what);
    }

    @AfterEach
    void killAll() {
        processes.values().forEach(Process::destroyForcibly);
    }

    @Test
    void acknowledgedRecordsSurviveRepeatedLeaderKills() throws Exception {
        clusterName = "strata-chaos-" + UUID.randomUUID();
        for (int id = 1; id <= 3; id++) {
            kafkaPorts.put(id, freePort());
            hazelcastPorts.put(id, freePort());
        }
        for (int id = 1; id <= 3; id++) {
            start(id);
        }
        for (int id = 1; id <= 3; id++) {
            awaitInControllerQuorum(id);
        }
        phase("started three brokers, each in the CP Subsystem's groups");
        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() ->
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == 3);
            phase("cluster of three formed");
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        }

        // What the producer was told is stored: partition -> sequence numbers in acknowledgement order.
        Map<Integer, List<Long>> acknowledged = new ConcurrentHashMap<>();
        AtomicReference<Exception> producerFailure = new AtomicReference<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicLong acks = new AtomicLong();
        Thread producerThread = new Thread(() -> produce(producing, acknowledged, acks, producerFailure));
        producerThread.start();

        Map<Integer, AtomicLong> groupReceived = new ConcurrentHashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            acknowledged.put(p, java.util.Collections.synchronizedList(new ArrayList<>()));
            groupReceived.put(p, new AtomicLong());
        }
        AtomicBoolean consuming = new AtomicBoolean(true);
        Thread groupThread = new Thread(() -> consumeInGroup(consuming, groupReceived));
        groupThread.start();

        await().atMost(Duration.ofSeconds(60)).until(() -> acks.get() > 500
                && groupReceived.values().stream().allMatch(count -> count.get() > 10));
        for (int round = 0; round < 3; round++) {
            int partition = round % PARTITIONS;
            int victim = leaderOf(partition);
            processes.remove(victim).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
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
            start(victim);
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
            awaitInControllerQuorum(victim);
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
        List<Process> stopping = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            Process process = processes.remove(id);
            process.destroy();
            stopping.add(process);
        }
        // Stopped means exited: a broker leaving the CP Subsystem takes a moment, and holds its ports until then.
        for (Process process : stopping) {
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("a broker stopped on SIGTERM").isTrue();
        }
        phase("stopped all three");
        for (int id = 1; id <= 3; id++) {
            start(id);
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
        return Admin.create(Map.of("bootstrap.servers", bootstrap(), "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 20_000));
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
        StringBuilder servers = new StringBuilder();
        for (int id = 1; id <= 3; id++) {
            servers.append(id == 1 ? "" : ",").append("127.0.0.1:").append(kafkaPorts.get(id));
        }
        return servers.toString();
    }

    /** Waits until broker {@code id}, since its last start, logged that it is in every CP group. */
    private void awaitInControllerQuorum(int id) {
        String line = "Broker " + id + " is in every CP group";
        await("broker " + id + " in every CP group").atMost(Duration.ofSeconds(90)).until(() -> {
            String log = Files.readString(logOf(id));
            return log.indexOf(line, log.lastIndexOf(START_MARK)) >= 0;
        });
    }

    private static Path logOf(int id) {
        return Path.of("target", "cluster-chaos-logs", "broker-" + id + ".log");
    }

    private void start(int id) throws IOException {
        StringBuilder members = new StringBuilder("tcpip:");
        for (int other = 1; other <= 3; other++) {
            members.append(other == 1 ? "" : ",").append("127.0.0.1:").append(hazelcastPorts.get(other));
        }
        // Kept after the test (the data directory is not): the first place to look when it fails.
        Path logs = logOf(id);
        Files.createDirectories(logs.getParent());
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-cp", System.getProperty("java.class.path"), "io.strata.broker.server.StrataServer"));
        Map<String, Object> settings = new HashMap<>();
        settings.put("node.id", id);
        settings.put("listeners", "PLAINTEXT://127.0.0.1:" + kafkaPorts.get(id));
        settings.put("log.dirs", dir.resolve("data-" + id).toString());
        settings.put("cluster.join", members.toString());
        settings.put("cluster.port", hazelcastPorts.get(id));
        settings.put("cluster.name", clusterName);
        settings.put("broker.session.timeout.ms", 3000);
        settings.put("replica.lag.time.max.ms", 5000);
        settings.put("replica.fetch.backoff.ms", 200);
        settings.put("group.initial.rebalance.delay.ms", 0);
        settings.put("offsets.topic.num.partitions", 5);
        settings.put("num.io.threads", 4);
        settings.put("num.network.threads", 2);
        settings.forEach((key, value) -> {
            command.add("--override");
            command.add(key + "=" + value);
        });
        Files.writeString(logs, START_MARK + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        processes.put(id, new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.toFile())).start());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

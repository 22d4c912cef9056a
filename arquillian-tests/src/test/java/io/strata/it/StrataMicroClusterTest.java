package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue #5 on Payara Micro: three {@code bin/strata-micro} servers on 127.0.0.1 form one Payara cluster (tcpip
 * discovery, a cluster name of their own), and with {@code STRATA_CLUSTER_JOIN=payara} their brokers form one Strata
 * cluster through Payara's Hazelcast, whose CP Subsystem (three members) elects the controller by its FencedLock. A
 * topic with replication factor 3 and {@code min.insync.replicas=2} takes numbered records from an idempotent acks=all
 * producer and feeds a consumer group while the controller's server is killed with SIGKILL: another broker takes the
 * controller lock, the partition the dead one led gets a new leader, producing and consuming go on, and every
 * acknowledged record is in the log once, in order. The two others then stop cleanly on Ctrl-C.
 *
 * <p>Each server's log and data stay under {@code target/strata-micro-cluster-<time>/}; a failure names the logs.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class StrataMicroClusterTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    /**
     * HTTP/1.1 only: the default client upgrades to HTTP/2 over one shared connection, and a request that timed out
     * while Payara deployed left later requests queued on that connection, so readiness was never seen.
     */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String TOPIC = "orders";
    private static final int PARTITIONS = 3;
    private static final int SERVERS = 3;

    private final Path runDir = Path.of(System.getProperty("user.dir"), "target", "strata-micro-cluster-"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    /** The servers running, by broker id. */
    private final Map<Integer, Server> servers = new TreeMap<>();
    /** Every server's log, the killed one's too. */
    private final List<Path> logs = new ArrayList<>();
    private String clusterName;

    /** Names the servers' logs in the failure itself: surefire keeps the test's own output in a file. */
    @RegisterExtension
    final TestExecutionExceptionHandler logsOnFailure = (context, failure) -> {
        throw new AssertionError("Payara Micro logs: " + logs.stream().map(Path::toString)
                .collect(Collectors.joining(", ")) + "\n" + failure, failure);
    };

    /** A running bin/strata-micro: its broker id, ports, log and data directory. */
    private record Server(int nodeId, Process process, int httpPort, int kafkaPort, Path log, Path data) {
        String bootstrap() {
            return "127.0.0.1:" + kafkaPort;
        }
    }

    /** Where the group consumer read a record. */
    private record Position(int partition, long offset) {
    }

    /**
     * Kills what a failure left running, and removes the Payara Micro runtimes (140 MB each) that a killed server
     * left in its temporary directory; logs and data stay.
     */
    @AfterEach
    void killWhatIsLeftAndRemoveRuntimes() throws Exception {
        for (Server server : servers.values()) {
            server.process().destroyForcibly().waitFor(60, TimeUnit.SECONDS);
        }
        for (int id = 1; id <= SERVERS; id++) {
            Path tmp = runDir.resolve("tmp-" + id);
            if (Files.exists(tmp)) {
                try (Stream<Path> files = Files.walk(tmp)) {
                    for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(file);
                    }
                }
            }
        }
    }

    @Test
    void aReplicatedTopicKeepsEveryAcknowledgedRecordWhenTheControllersServerIsKilled() throws Exception {
        Files.createDirectories(runDir);
        buildOnce();
        startCluster();
        createReplicatedTopic();

        Traffic traffic = new Traffic(bootstrap(servers.values()));
        traffic.start();
        try {
            awaitTraffic("records produced and consumed before the kill", traffic).untilAsserted(() -> {
                assertThat(traffic.acknowledged()).isGreaterThan(300);
                assertThat(traffic.read()).isGreaterThan(100);
            });
            int victim = controllerId();
            int watched = partitionLedBy(victim);
            long acknowledgedAtKill = traffic.acknowledgedIn(watched);
            long readAtKill = traffic.offsetsReadIn(watched);
            kill(victim, watched);
            awaitTraffic("the producer writes to partition " + watched + " again", traffic).untilAsserted(() ->
                    assertThat(traffic.acknowledgedIn(watched)).isGreaterThan(acknowledgedAtKill + 100));
            awaitTraffic("the group reads partition " + watched + " again", traffic).untilAsserted(() ->
                    assertThat(traffic.offsetsReadIn(watched)).isGreaterThan(readAtKill + 100));
            phase("producing and consuming went on");

            traffic.stopProducing();
            Map<Integer, Long> endOffsets = endOffsets();
            awaitTraffic("the group has read every partition to its end " + endOffsets, traffic).untilAsserted(() -> {
                for (Map.Entry<Integer, Long> end : endOffsets.entrySet()) {
                    assertThat(traffic.offsetsReadIn(end.getKey())).as("offsets read in partition %d", end.getKey())
                            .isEqualTo(end.getValue());
                }
            });
        } finally {
            traffic.close();
        }
        traffic.assertNoFailure();
        traffic.assertEveryAcknowledgedRecordReadOnceInOrder();
        phase(traffic.acknowledged() + " acknowledged records, each read once");

        stopCleanly();
    }

    /** Checks that the three brokers are one cluster, through Payara's Hazelcast, and creates the topic on it. */
    private void createReplicatedTopic() throws Exception {
        try (Admin admin = admin(bootstrap(servers.values()))) {
            await("a Strata cluster of three").atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() ->
                    assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)).extracting(Node::id)
                            .containsExactlyInAnyOrder(1, 2, 3));
            for (Server server : servers.values()) {
                assertThat(Files.readString(server.log())).as("broker %d clustered through Payara's Hazelcast",
                        server.nodeId()).contains("Broker " + server.nodeId() + " joined cluster "
                        + clusterName + " as Hazelcast member");
            }
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(60, TimeUnit.SECONDS);
            await("every partition led, with three in-sync replicas").atMost(Duration.ofSeconds(60))
                    .ignoreExceptions().untilAsserted(() -> assertThat(describe(admin).partitions())
                            .allSatisfy(info -> assertThat(info.isr()).hasSize(3)));
        }
        phase("topic " + TOPIC + " created: " + PARTITIONS + " partitions, replication factor 3");
    }

    /**
     * The controller, which with three servers holds the controller lock of the CP Subsystem that bin/strata-micro
     * gives Payara's Hazelcast for three tcpip members.
     */
    private int controllerId() throws Exception {
        int controller;
        try (Admin admin = admin(bootstrap(servers.values()))) {
            controller = admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
        }
        assertThat(Files.readString(servers.get(controller).log())).as("broker %d's log", controller)
                .contains("Broker " + controller + " holds the controller lock with fencing token");
        return controller;
    }

    /** A partition of the topic that {@code broker} leads, or 0 if it leads none. */
    private int partitionLedBy(int broker) throws Exception {
        try (Admin admin = admin(bootstrap(servers.values()))) {
            return describe(admin).partitions().stream().filter(info -> info.leader().id() == broker)
                    .mapToInt(info -> info.partition()).findFirst().orElse(0);
        }
    }

    /**
     * SIGKILL to the controller's server: another broker must take the controller lock, which the dead one's CP
     * session held, and one of the two others must lead {@code watched}.
     */
    private void kill(int victimId, int watched) throws Exception {
        Server victim = servers.get(victimId);
        victim.process().destroyForcibly();
        assertThat(victim.process().waitFor(60, TimeUnit.SECONDS)).as("broker %d killed", victimId).isTrue();
        servers.remove(victimId);
        phase("killed broker " + victimId + " (SIGKILL), the controller and leader of partition " + watched);
        try (Admin admin = admin(bootstrap(servers.values()))) {
            await("a new controller").atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() ->
                    assertThat(admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id())
                            .isNotEqualTo(victimId).isIn(servers.keySet()));
            await("a new leader for partition " + watched).atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(describe(admin).partitions().get(watched).leader().id())
                            .isNotEqualTo(victimId).isIn(servers.keySet()));
        }
        controllerId();
        phase("a new controller holds the lock, and partition " + watched + " has a new leader");
    }

    /** A bounded wait on the clients' progress that stops at their first error that could not be retried. */
    private static ConditionFactory awaitTraffic(String what, Traffic traffic) {
        return await(what).atMost(Duration.ofSeconds(120)).failFast(traffic::assertNoFailure);
    }

    // --- the servers ---

    /**
     * bin/strata-micro builds Strata when its sources are newer than the WAR; one call that only asks Payara Micro
     * its version does that first, so the three parallel starts never run three builds in one tree.
     */
    private void buildOnce() throws Exception {
        Path log = runDir.resolve("build.log");
        Process version = new ProcessBuilder(ROOT.resolve("bin/strata-micro").toString(), "--version")
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(version.waitFor(10, TimeUnit.MINUTES)).as("bin/strata-micro --version ends; log: %s", log)
                .isTrue();
        // Payara Micro answers --version with exit status 1, so what it printed is the proof that it ran.
        assertThat(Files.readString(log)).as("bin/strata-micro built Strata and ran Payara Micro; log: %s", log)
                .contains("Payara Micro", "Build Number");
    }

    /** Starts the three servers in parallel and waits until each broker reports ready. */
    private void startCluster() throws Exception {
        clusterName = "strata-it-" + UUID.randomUUID().toString().substring(0, 8);
        Map<Integer, Integer> hazelcastPorts = new HashMap<>();
        for (int id = 1; id <= SERVERS; id++) {
            hazelcastPorts.put(id, freePort());
        }
        String members = hazelcastPorts.values().stream().map(port -> "127.0.0.1:" + port)
                .collect(Collectors.joining(","));
        for (int id = 1; id <= SERVERS; id++) {
            servers.put(id, start(id, hazelcastPorts.get(id), members));
        }
        phase("started three servers in cluster " + clusterName + "; logs: " + servers.values().stream()
                .map(server -> server.log().toString()).collect(Collectors.joining(", ")));
        // Bounded generously: three Payara Micro starts share two cores, which other work also uses.
        long deadlineNanos = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
        for (Server server : servers.values()) {
            awaitReady(server, Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
        }
        phase("all three ready");
    }

    private Server start(int nodeId, int hazelcastPort, String members) throws IOException {
        int httpPort = freePort();
        int kafkaPort = freePort();
        Path log = runDir.resolve("payara-" + nodeId + ".log");
        logs.add(log);
        Path data = runDir.resolve("data-" + nodeId);
        // Payara Micro unpacks its runtime into java.io.tmpdir and only a clean stop removes it: keep it in target.
        Path tmp = Files.createDirectories(runDir.resolve("tmp-" + nodeId));
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("bin/strata-micro").toString(),
                "--port", String.valueOf(httpPort),
                "--clustername", clusterName,
                "--clustermode", "tcpip:" + members,
                "--startport", String.valueOf(hazelcastPort),
                // One host: members talk over loopback, and backups of Hazelcast's data may live on the same IP.
                "--interfaces", "127.0.0.1",
                "--nohostaware",
                "--disablephonehome")
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("STRATA_CLUSTER_JOIN", "payara");
        env.put("STRATA_NODE_ID", String.valueOf(nodeId));
        env.put("STRATA_LISTENERS", "PLAINTEXT://127.0.0.1:" + kafkaPort);
        env.put("STRATA_LOG_DIRS", data.toString());
        // Five offsets partitions instead of fifty: less replication for two cores; the group still fails over.
        env.put("STRATA_OFFSETS_TOPIC_NUM_PARTITIONS", "5");
        env.put("STRATA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        env.put("STRATA_JVM_OPTS", "-Xmx512m -Djava.io.tmpdir=" + tmp);
        return new Server(nodeId, builder.start(), httpPort, kafkaPort, log, data);
    }

    /** Waits until the broker reports ready; a timeout says what /health/ready answered last. */
    private static void awaitReady(Server server, Duration atMost) {
        AtomicReference<String> lastAnswer = new AtomicReference<>("nothing yet");
        try {
            await("broker " + server.nodeId() + " ready").atMost(atMost).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        assertThat(server.process().isAlive()).as("the server of broker %d is running; its log: %s",
                                server.nodeId(), server.log()).isTrue();
                        try {
                            HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create(
                                    "http://127.0.0.1:" + server.httpPort() + "/health/ready"))
                                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                            lastAnswer.set(ready.statusCode() + " " + ready.body());
                            return ready.statusCode() == 200 && ready.body().contains("\"strata-broker\"");
                        } catch (IOException e) {
                            lastAnswer.set(e.toString());
                            return false;
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("Broker " + server.nodeId() + " was not ready in " + atMost
                    + "; /health/ready answered last: " + lastAnswer.get(), e);
        }
    }

    /** Ctrl-C to each server left: each stops by itself, its logs closed with the clean-shutdown marker. */
    private void stopCleanly() throws Exception {
        for (Server server : servers.values()) {
            Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(server.process().pid())).inheritIO()
                    .start();
            assertThat(kill.waitFor()).isZero();
        }
        for (Server server : servers.values()) {
            assertThat(server.process().waitFor(120, TimeUnit.SECONDS)).as("broker %d stopped after Ctrl-C",
                    server.nodeId()).isTrue();
            assertThat(server.data().resolve(".strata-clean-shutdown")).as("broker %d's clean-shutdown marker",
                    server.nodeId()).exists();
        }
        phase("the other two stopped cleanly");
    }

    /** The log end offset of each partition, asked of the servers still running. */
    private Map<Integer, Long> endOffsets() throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
        }
        Map<Integer, Long> ends = new TreeMap<>();
        try (Admin admin = admin(bootstrap(servers.values()))) {
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS)
                    .forEach((partition, info) -> ends.put(partition.partition(), info.offset()));
        }
        return ends;
    }

    private static TopicDescription describe(Admin admin) throws Exception {
        return admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS).get(TOPIC);
    }

    private static Admin admin(String bootstrap) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        return Admin.create(properties);
    }

    private static String bootstrap(Collection<Server> running) {
        return running.stream().map(Server::bootstrap).collect(Collectors.joining(","));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void phase(String what) {
        System.out.println(LocalTime.now() + " strata-micro cluster: " + what);
    }

    /**
     * An idempotent acks=all producer sending numbered records round-robin to the partitions, and one consumer of the
     * group {@code audit} reading them, each on its own thread. It remembers every acknowledged number and where the
     * group read each record.
     *
     * <p>Thread-safe: the counters are concurrent collections; each client is used by its own thread only.
     */
    private static final class Traffic implements AutoCloseable {

        private final String bootstrap;
        private final Map<Integer, Set<Long>> acknowledged = new ConcurrentHashMap<>();
        private final Map<Position, Long> readAt = new ConcurrentHashMap<>();
        private final List<String> rereadDifferently = Collections.synchronizedList(new ArrayList<>());
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicBoolean producing = new AtomicBoolean(true);
        private final AtomicBoolean consuming = new AtomicBoolean(true);
        private final Thread producer = new Thread(this::produce, "test-producer");
        private final Thread consumer = new Thread(this::consume, "test-consumer");

        Traffic(String bootstrap) {
            this.bootstrap = bootstrap;
            for (int p = 0; p < PARTITIONS; p++) {
                acknowledged.put(p, ConcurrentHashMap.newKeySet());
            }
        }

        void start() {
            producer.start();
            consumer.start();
        }

        private void produce() {
            Properties properties = new Properties();
            properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            properties.put(ProducerConfig.ACKS_CONFIG, "all");
            properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            properties.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
            try (KafkaProducer<Long, Long> client = new KafkaProducer<>(properties, new LongSerializer(),
                    new LongSerializer())) {
                for (long number = 0; producing.get() && failure.get() == null; number++) {
                    long sent = number;
                    client.send(new ProducerRecord<>(TOPIC, (int) (sent % PARTITIONS), null, sent), (metadata, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        } else {
                            acknowledged.get(metadata.partition()).add(sent);
                        }
                    });
                    // Waiting for each 50 to be acknowledged paces the producer to what the cluster takes.
                    if (number % 50 == 49) {
                        client.flush();
                    }
                }
                client.flush();
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }

        private void consume() {
            Properties properties = new Properties();
            properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, "audit");
            properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            try (KafkaConsumer<Long, Long> client = new KafkaConsumer<>(properties, new LongDeserializer(),
                    new LongDeserializer())) {
                client.subscribe(List.of(TOPIC));
                while (consuming.get()) {
                    var records = client.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<Long, Long> record : records) {
                        Long before = readAt.putIfAbsent(new Position(record.partition(), record.offset()),
                                record.value());
                        if (before != null && !before.equals(record.value())) {
                            rereadDifferently.add(record.partition() + "@" + record.offset() + ": " + before
                                    + " then " + record.value());
                        }
                    }
                    if (!records.isEmpty()) {
                        commit(client);
                    }
                }
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }

        /**
         * A commit can fail while the group's coordinator fails over; the group then reads some records again, which
         * the checks allow (they count each offset once), so the consumer goes on.
         */
        private static void commit(KafkaConsumer<Long, Long> client) {
            try {
                client.commitSync(Duration.ofSeconds(30));
            } catch (KafkaException e) {
                phase("commit failed, reading on: " + e);
            }
        }

        long acknowledged() {
            return acknowledged.values().stream().mapToLong(Set::size).sum();
        }

        long acknowledgedIn(int partition) {
            return acknowledged.get(partition).size();
        }

        long read() {
            return readAt.size();
        }

        long offsetsReadIn(int partition) {
            return readAt.keySet().stream().filter(position -> position.partition() == partition).count();
        }

        void assertNoFailure() {
            assertThat(failure.get()).as("the producer and the consumer saw no error they could not retry")
                    .isNull();
        }

        void stopProducing() throws InterruptedException {
            producing.set(false);
            producer.join(TimeUnit.MINUTES.toMillis(3));
            assertThat(producer.isAlive()).as("the producer stopped").isFalse();
        }

        /**
         * Every acknowledged number at exactly one offset; no number at two; each offset read again after a failover
         * holds what it held before; each partition in the order the numbers were sent.
         */
        void assertEveryAcknowledgedRecordReadOnceInOrder() {
            assertThat(rereadDifferently).as("offsets that held another record when read again").isEmpty();
            Map<Long, List<Position>> positions = new HashMap<>();
            readAt.forEach((position, number) -> positions.computeIfAbsent(number, n -> new ArrayList<>())
                    .add(position));
            assertThat(positions.entrySet().stream().filter(entry -> entry.getValue().size() > 1).limit(20)
                    .map(Map.Entry::toString).toList()).as("records stored twice").isEmpty();
            for (int p = 0; p < PARTITIONS; p++) {
                int partition = p;
                List<Long> missing = acknowledged.get(partition).stream().filter(n -> !positions.containsKey(n))
                        .sorted().limit(20).toList();
                assertThat(missing).as("acknowledged records of partition %d never read", partition).isEmpty();
                List<Long> inOffsetOrder = readAt.entrySet().stream()
                        .filter(entry -> entry.getKey().partition() == partition)
                        .sorted(Comparator.comparingLong(entry -> entry.getKey().offset()))
                        .map(Map.Entry::getValue).toList();
                assertThat(inOffsetOrder).as("partition %d in the order sent", partition).isSorted();
            }
        }

        @Override
        public void close() throws InterruptedException {
            producing.set(false);
            consuming.set(false);
            producer.join(TimeUnit.MINUTES.toMillis(3));
            consumer.join(TimeUnit.MINUTES.toMillis(1));
        }
    }
}

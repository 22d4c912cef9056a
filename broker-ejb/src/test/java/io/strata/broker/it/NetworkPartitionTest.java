package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.partition.ReplicaManager;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three brokers whose links to each other are cut and healed while an idempotent acks=all producer writes and a
 * consumer group reads: the network fails, not the brokers. Each broker talks to the others only through a
 * {@link PartitionableNetwork}, for its Hazelcast member (membership, the CP Subsystem, the controller's commits)
 * and for replication (followers fetch from the leader's proxied listener); the test's clients reach every broker
 * throughout, so they keep talking to a broker that the others have lost, as clients on its side of a partition do.
 *
 * <p>In turn: the leader of a partition is cut off from both followers; the controller is cut off; a follower's
 * links flap. After each the links heal and the cluster must become whole again on its own (every broker live, in
 * the controller quorum and in every ISR). At the end every acknowledged record is in the log exactly once, at the
 * offset its acknowledgement gave, in the order it was sent; no record is there twice; and the group read every
 * acknowledged record. A broker on the minority side can acknowledge nothing: a record it acknowledged alone would
 * be gone from the log after the heal, and the first check would fail.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class NetworkPartitionTest {

    private static final String TOPIC = "partitioned";
    private static final int PARTITIONS = 3;
    private static final int[] BROKERS = {1, 2, 3};

    @TempDir
    Path dir;

    private final PartitionableNetwork network = new PartitionableNetwork();
    private final Map<Integer, TestBroker> brokers = new HashMap<>();
    private final Map<Integer, Integer> kafkaProxyPorts = new HashMap<>();
    private final java.util.logging.Logger replicaManagerLogs =
            java.util.logging.Logger.getLogger(ReplicaManager.class.getName());
    private final AtomicLong isrRefusalsLogged = new AtomicLong();
    /** Counts the ISR refusals the brokers log at INFO or above. */
    private final java.util.logging.Handler isrRefusals = new java.util.logging.Handler() {
        @Override
        public void publish(java.util.logging.LogRecord record) {
            if (record.getLevel().intValue() >= java.util.logging.Level.INFO.intValue()
                    && record.getMessage() != null && record.getMessage().contains("was refused")) {
                isrRefusalsLogged.incrementAndGet();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private static void phase(String what) {
        System.err.println(LocalTime.now() + " partition test: " + what);
    }

    @AfterEach
    void stop() {
        replicaManagerLogs.removeHandler(isrRefusals);
        network.healAll();
        List<Thread> stopping = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (TestBroker broker : brokers.values()) {
            Thread thread = new Thread(() -> {
                try {
                    broker.close();
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            thread.start();
            stopping.add(thread);
        }
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        network.close();
        if (!failures.isEmpty()) {
            throw new AssertionError("A broker did not stop cleanly: " + failures.get(0), failures.get(0));
        }
    }

    @Test
    void acknowledgedRecordsSurviveCutLinksAndTheMinorityAcknowledgesNothing() throws Exception {
        replicaManagerLogs.addHandler(isrRefusals);
        startCluster();
        Map<Integer, String> incarnations = new HashMap<>();
        brokers.forEach((id, broker) -> incarnations.put(id, broker.server().cluster().localIncarnation()));
        try (Admin admin = admin(BROKERS)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        }
        awaitWhole("the topic is created");

        Map<Integer, List<long[]>> acknowledged = new ConcurrentHashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            acknowledged.put(p, Collections.synchronizedList(new ArrayList<>()));
        }
        AtomicLong failedSends = new AtomicLong();
        AtomicReference<Throwable> producerCrash = new AtomicReference<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producer = new Thread(() -> produce(producing, acknowledged, failedSends, producerCrash),
                "partition-test-producer");
        producer.start();
        Set<Long> groupRead = ConcurrentHashMap.newKeySet();
        AtomicReference<Throwable> consumerCrash = new AtomicReference<>();
        AtomicBoolean consuming = new AtomicBoolean(true);
        Thread group = new Thread(() -> consumeInGroup(consuming, groupRead, consumerCrash),
                "partition-test-group");
        group.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledgedCount(acknowledged) > 300
                && groupRead.size() > 100);

        // 1. The leader of a partition loses both followers; it is not the controller, so the controller is on the
        //    majority side and moves leadership away.
        int controller = controllerId();
        int partition = IntStream.range(0, PARTITIONS).filter(p -> leaderOf(p) != controller).findFirst()
                .orElseThrow(() -> new AssertionError("the controller leads every partition"));
        int leader = leaderOf(partition);
        long before = acknowledgedCount(acknowledged);
        network.isolate(leader, BROKERS);
        phase("cut broker " + leader + ", leader of partition " + partition + ", off from both followers");
        // The clients reach every broker, so acknowledgements come from the majority; what the cut-off leader would
        // acknowledge alone shows in its high watermark, watched until the heal.
        TopicPartition cutOff = new TopicPartition(TOPIC, partition);
        int epochAtCut = brokers.get(leader).server().replicaManager().partition(cutOff).leaderEpoch();
        AtomicLong minorityHighWatermark = new AtomicLong(-1);
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                try {
                    long hw = brokers.get(leader).server().replicaManager().partition(cutOff).highWatermark();
                    minorityHighWatermark.accumulateAndGet(hw, Math::max);
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // The partition is between roles: look again.
                }
            }
        }, "minority-high-watermark");
        watcher.start();
        int newLeader = awaitNewLeader(partition, leader, others(leader));
        phase("broker " + newLeader + " leads partition " + partition + " on the majority side");
        // Alone, the cut-off broker still names every broker to clients, so that those on its side find the majority
        // instead of forgetting it (its metadata is stale, and it is all they would ask).
        await().atMost(Duration.ofSeconds(30)).until(() ->
                brokers.get(leader).server().membership().liveBrokers().size() == 1);
        assertThat(brokers.get(leader).server().membership().brokersForClients())
                .extracting(broker -> broker.id()).containsExactly(1, 2, 3);
        assertThat(brokers.get(newLeader).server().membership().brokersForClients())
                .extracting(broker -> broker.id()).as("the majority names the live ones")
                .doesNotContain(leader);
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledgedCount(acknowledged) > before + 200);
        Thread.sleep(3000);
        watching.set(false);
        watcher.join();
        network.healAll();
        phase("healed; " + (acknowledgedCount(acknowledged) - before) + " records acknowledged meanwhile; the"
                + " cut-off leader's high watermark reached " + minorityHighWatermark.get());
        awaitWhole("the isolated leader's links healed");

        // 2. The controller is cut off from both other brokers.
        int oldController = controllerId();
        long beforeController = acknowledgedCount(acknowledged);
        network.isolate(oldController, BROKERS);
        phase("cut the controller, broker " + oldController + ", off");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            int now = controllerId(others(oldController));
            return now >= 0 && now != oldController;
        });
        phase("broker " + controllerId(others(oldController)) + " is controller on the majority side");
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledgedCount(acknowledged) > beforeController + 200);
        Thread.sleep(3000);
        network.healAll();
        phase("healed");
        awaitWhole("the isolated controller's links healed");

        // 3. A follower's links flap: up two seconds, down two seconds, five times.
        int flapLeader = leaderOf(0);
        int follower = others(flapLeader)[0];
        for (int flap = 0; flap < 5; flap++) {
            network.isolate(follower, BROKERS);
            Thread.sleep(2000);
            network.healAll();
            Thread.sleep(2000);
        }
        phase("flapped broker " + follower + "'s links five times");
        awaitWhole("the flapping follower's links healed");
        long beforeEnd = acknowledgedCount(acknowledged);
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledgedCount(acknowledged) > beforeEnd + 100);

        producing.set(false);
        producer.join(TimeUnit.MINUTES.toMillis(3));
        assertThat(producerCrash.get()).as("the producer failed").isNull();
        phase(acknowledgedCount(acknowledged) + " records acknowledged, " + failedSends.get() + " sends failed");

        // Every acknowledged record is at its offset, once, in order; nothing is twice in the log.
        Map<Integer, TreeMap<Long, Long>> logs = readLogs();
        for (int p = 0; p < PARTITIONS; p++) {
            TreeMap<Long, Long> log = logs.get(p);
            Map<Long, Long> seenAt = new HashMap<>();
            for (Map.Entry<Long, Long> entry : log.entrySet()) {
                Long earlier = seenAt.put(entry.getValue(), entry.getKey());
                assertThat(earlier).as("partition %d holds record %d twice, at %s and %d", p, entry.getValue(),
                        earlier, entry.getKey()).isNull();
            }
            long lastSequence = -1;
            List<long[]> acks = new ArrayList<>(acknowledged.get(p));
            acks.sort((a, b) -> Long.compare(a[0], b[0]));
            for (long[] ack : acks) {
                assertThat(log.get(ack[0])).as("partition %d, offset %d: the record acknowledged there", p, ack[0])
                        .isEqualTo(ack[1]);
                assertThat(ack[1]).as("partition %d: records in the order they were sent", p)
                        .isGreaterThan(lastSequence);
                lastSequence = ack[1];
            }
        }
        // The cut-off leader's high watermark never passed what the majority's leader started its epoch from: it
        // acknowledged nothing the majority did not have.
        long newEpochStart = brokers.get(newLeader).server().replicaManager().partition(cutOff).log()
                .leaderEpochCache().entries().stream().filter(entry -> entry.epoch() > epochAtCut)
                .mapToLong(entry -> entry.startOffset()).min().orElseThrow();
        assertThat(minorityHighWatermark.get()).as("the cut-off leader's high watermark against the offset the"
                + " majority's leader of partition %d started from", partition).isLessThanOrEqualTo(newEpochStart);
        Set<Long> allAcknowledged = acknowledged.values().stream().flatMap(List::stream).map(ack -> ack[1])
                .collect(Collectors.toSet());
        await().atMost(Duration.ofSeconds(60)).until(() -> groupRead.containsAll(allAcknowledged));
        consuming.set(false);
        group.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(consumerCrash.get()).as("the group's consumer failed").isNull();
        // A broker that only lost touch merges back into Hazelcast as a new member, but it is the same process with
        // the same log: the controller must not take it for a restarted one and fence it out of every ISR.
        brokers.forEach((id, broker) -> assertThat(broker.server().cluster().localIncarnation())
                .as("broker %d's incarnation", id).isEqualTo(incarnations.get(id)));
        for (TestBroker broker : brokers.values()) {
            assertThat(broker.server().controller().image().incarnations()).as("the incarnations broker %d's"
                    + " metadata acknowledged", broker.server().config().nodeId).isEqualTo(incarnations);
            broker.acceptLoggedErrors(line -> line.contains("Hazelcast") || line.contains("hazelcast"));
        }
        assertThat(isrRefusalsLogged.get()).as("ISR refusals logged at INFO; a retried one is logged once")
                .isLessThan(100);
    }

    // ------------------------------------------------------------------------------------------------ the cluster

    private void startCluster() throws Exception {
        Map<Integer, Integer> hazelcastPorts = new HashMap<>();
        Map<Integer, Integer> hazelcastProxyPorts = new HashMap<>();
        for (int id : BROKERS) {
            hazelcastPorts.put(id, PartitionableNetwork.freePort(id));
            int hazelcastPort = hazelcastPorts.get(id);
            hazelcastProxyPorts.put(id, network.expose(id, () -> hazelcastPort));
            int broker = id;
            kafkaProxyPorts.put(id, network.expose(id, () -> brokers.get(broker).server().boundPort("PLAINTEXT")));
        }
        String members = Arrays.stream(BROKERS)
                .mapToObj(id -> PartitionableNetwork.host(id) + ":" + hazelcastProxyPorts.get(id))
                .collect(Collectors.joining(","));
        String clusterName = "strata-partition-" + UUID.randomUUID();
        for (int id : BROKERS) {
            String host = PartitionableNetwork.host(id);
            Map<String, Object> settings = new HashMap<>();
            settings.put(BrokerConfig.NODE_ID, id);
            settings.put(BrokerConfig.LISTENERS, "PLAINTEXT://" + host + ":" + PartitionableNetwork.freePort(id));
            settings.put(BrokerConfig.ADVERTISED_LISTENERS, "PLAINTEXT://" + host + ":" + kafkaProxyPorts.get(id));
            settings.put(BrokerConfig.CLUSTER_JOIN, "tcpip:" + members);
            settings.put(BrokerConfig.CLUSTER_NAME, clusterName);
            settings.put(BrokerConfig.CLUSTER_HOST, host);
            settings.put(BrokerConfig.CLUSTER_PORT, hazelcastPorts.get(id));
            settings.put(BrokerConfig.CLUSTER_ADVERTISED_ADDRESS, host + ":" + hazelcastProxyPorts.get(id));
            settings.put(BrokerConfig.BROKER_SESSION_TIMEOUT_MS, 3000);
            settings.put(BrokerConfig.CLUSTER_JOIN_TIMEOUT_MS, 1000);
            settings.put(BrokerConfig.CLUSTER_SHUTDOWN_TIMEOUT_MS, 3000);
            settings.put(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, 5000L);
            settings.put(BrokerConfig.REPLICA_FETCH_WAIT_MAX_MS, 200);
            settings.put(BrokerConfig.REPLICA_FETCH_BACKOFF_MS, 100);
            settings.put(BrokerConfig.REPLICA_SOCKET_TIMEOUT_MS, 5000);
            brokers.put(id, new TestBroker(dir.resolve("broker-" + id), settings));
        }
        List<Thread> starting = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (TestBroker broker : brokers.values()) {
            Thread thread = new Thread(() -> {
                try {
                    broker.start();
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            thread.start();
            starting.add(thread);
        }
        for (Thread thread : starting) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("A broker did not start: " + failures.get(0), failures.get(0));
        }
        awaitWhole("the cluster started");
    }

    /**
     * Waits until every broker sees all three live, each counts toward the controller quorum and is acknowledged by
     * the controller, and every partition (the topic's and the group's offsets) has every replica in its ISR in every
     * broker's metadata.
     */
    private void awaitWhole(String after) {
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            for (TestBroker broker : brokers.values()) {
                if (broker.server().membership().liveBrokers().size() != BROKERS.length
                        || !broker.server().inControllerQuorum() || !broker.server().isAcknowledgedByController()) {
                    return false;
                }
            }
            // Every broker's own metadata, not one broker's answer to a client: each has every ISR full, for the
            // test's topic and the group's offsets alike, so the next cut starts from a cluster that is whole.
            for (TestBroker broker : brokers.values()) {
                for (var topic : broker.server().controller().image().topics()) {
                    for (var assignment : topic.partitions()) {
                        if (assignment.isr().size() != assignment.replicas().size()) {
                            return false;
                        }
                    }
                }
            }
            try (Admin admin = admin(BROKERS)) {
                if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(TOPIC)) {
                    return true;
                }
                TopicDescription description = admin.describeTopics(List.of(TOPIC)).allTopicNames()
                        .get(10, TimeUnit.SECONDS).get(TOPIC);
                return description.partitions().stream().allMatch(info -> info.isr().size() == BROKERS.length);
            }
        });
        phase("whole again " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms after " + after);
    }

    private int[] others(int brokerId) {
        return Arrays.stream(BROKERS).filter(id -> id != brokerId).toArray();
    }

    private Admin admin(int... through) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(through));
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(properties);
    }

    private String bootstrap(int... through) {
        return Arrays.stream(through).mapToObj(id -> PartitionableNetwork.host(id) + ":" + kafkaProxyPorts.get(id))
                .collect(Collectors.joining(","));
    }

    private int controllerId(int... askedBrokers) throws Exception {
        try (Admin admin = admin(askedBrokers.length == 0 ? BROKERS : askedBrokers)) {
            Node node = admin.describeCluster().controller().get(10, TimeUnit.SECONDS);
            return node == null ? -1 : node.id();
        }
    }

    private int controllerId() {
        try {
            return controllerId(BROKERS);
        } catch (Exception e) {
            throw new AssertionError("no controller: " + e, e);
        }
    }

    private int leaderOf(int partition) {
        try (Admin admin = admin(BROKERS)) {
            TopicPartitionInfo info = admin.describeTopics(List.of(TOPIC)).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(TOPIC).partitions().get(partition);
            return info.leader() == null ? -1 : info.leader().id();
        } catch (Exception e) {
            throw new AssertionError("describing " + TOPIC + " failed: " + e, e);
        }
    }

    /** Waits until the brokers {@code asked} name a leader of {@code partition} other than {@code old}. */
    private int awaitNewLeader(int partition, int old, int... asked) {
        AtomicReference<Integer> leader = new AtomicReference<>(-1);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            try (Admin admin = admin(asked)) {
                Node node = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
                        .get(TOPIC).partitions().get(partition).leader();
                leader.set(node == null ? -1 : node.id());
                return node != null && node.id() != old;
            }
        });
        return leader.get();
    }

    // ------------------------------------------------------------------------------------------------ the clients

    private static long acknowledgedCount(Map<Integer, List<long[]>> acknowledged) {
        return acknowledged.values().stream().mapToLong(List::size).sum();
    }

    /**
     * Sends sequence numbers 0, 1, 2, ... round the partitions, at most 100 unacknowledged at once, and notes for each
     * acknowledged one its offset; a send that fails (its delivery timeout passed during a cut) is counted, not
     * retried: the record may or may not be in the log, and nothing is asserted about it.
     */
    private void produce(AtomicBoolean producing, Map<Integer, List<long[]>> acknowledged, AtomicLong failedSends,
                         AtomicReference<Throwable> crash) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(BROKERS));
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        properties.put("metadata.max.age.ms", 2000);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        Semaphore inFlight = new Semaphore(100);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties)) {
            for (long sequence = 0; producing.get(); sequence++) {
                while (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    if (!producing.get()) {
                        break;
                    }
                }
                int partition = (int) (sequence % PARTITIONS);
                long sent = sequence;
                producer.send(new ProducerRecord<>(TOPIC, partition, null, String.valueOf(sent)), (metadata, e) -> {
                    inFlight.release();
                    if (e == null) {
                        acknowledged.get(partition).add(new long[]{metadata.offset(), sent});
                    } else {
                        failedSends.incrementAndGet();
                    }
                });
                Thread.sleep(2);
            }
            producer.flush();
        } catch (Throwable e) {
            crash.set(e);
        }
    }

    /** One member of a group reads every partition and commits after each poll, through every cut. */
    private void consumeInGroup(AtomicBoolean consuming, Set<Long> read, AtomicReference<Throwable> crash) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(BROKERS));
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "partition-test");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put("metadata.max.age.ms", 2000);
        properties.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            consumer.subscribe(List.of(TOPIC));
            while (consuming.get()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    read.add(Long.parseLong(record.value()));
                }
                try {
                    consumer.commitSync(Duration.ofSeconds(10));
                } catch (RuntimeException e) {
                    // A commit that fails during a cut is made again after the next poll.
                    phase("commit failed: " + e);
                }
            }
        } catch (Throwable e) {
            crash.set(e);
        }
    }

    /** Every partition's records, offset to sequence number, read with no group from the start to the end. */
    private Map<Integer, TreeMap<Long, Long>> readLogs() {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(BROKERS));
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        Map<Integer, TreeMap<Long, Long>> logs = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            List<TopicPartition> partitions = IntStream.range(0, PARTITIONS)
                    .mapToObj(p -> new TopicPartition(TOPIC, p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            partitions.forEach(tp -> logs.put(tp.partition(), new TreeMap<>()));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("reading the partitions to their ends %s", ends)
                        .isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    logs.get(record.partition()).put(record.offset(), Long.parseLong(record.value()));
                }
            }
        }
        return logs;
    }
}

package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Three brokers in one JVM, each with its own Hazelcast member, clustered over loopback: replicated topics, acks=all,
 * leader failover, a returning broker rejoining the ISR, and NOT_ENOUGH_REPLICAS when too few are left.
 */
class ClusterTest {

    @TempDir
    Path dir;

    private final List<TestBroker> brokers = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (TestBroker broker : brokers) {
            broker.close();
        }
    }

    private void startCluster(int count) throws Exception {
        startCluster(count, Map.of());
    }

    private void startCluster(int count, Map<String, Object> extra) throws Exception {
        int base = freePortBlock(count);
        StringBuilder members = new StringBuilder("tcpip:");
        for (int i = 0; i < count; i++) {
            members.append(i == 0 ? "" : ",").append("127.0.0.1:").append(base + i);
        }
        String clusterName = "strata-test-" + UUID.randomUUID();
        for (int i = 0; i < count; i++) {
            Map<String, Object> settings = new HashMap<>();
            settings.put(BrokerConfig.NODE_ID, i + 1);
            settings.put(BrokerConfig.CLUSTER_JOIN, members.toString());
            settings.put(BrokerConfig.CLUSTER_NAME, clusterName);
            settings.put(BrokerConfig.CLUSTER_PORT, base + i);
            settings.put(BrokerConfig.BROKER_SESSION_TIMEOUT_MS, 3000);
            settings.put(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, 5000L);
            settings.put(BrokerConfig.REPLICA_FETCH_WAIT_MAX_MS, 200);
            settings.put(BrokerConfig.REPLICA_FETCH_BACKOFF_MS, 100);
            settings.put(BrokerConfig.DEFAULT_REPLICATION_FACTOR, Math.min(3, count));
            settings.putAll(extra);
            brokers.add(new TestBroker(dir.resolve("broker-" + (i + 1)), settings));
        }
        // All at once, as separate servers would: a broker's start waits for a controller, and with the CP
        // Subsystem none is elected before three members have joined.
        List<Thread> starting = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (TestBroker broker : brokers) {
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
        assertThat(failures).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> brokers.get(0).server().membership().liveBrokers().size()
                == count);
    }

    private static int freePortBlock(int count) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket probe = new ServerSocket(0)) {
                base = probe.getLocalPort();
            }
            if (base + count >= 65535) {
                continue;
            }
            boolean free = true;
            for (int i = 0; i < count && free; i++) {
                try (ServerSocket s = new ServerSocket(base + i)) {
                    s.setReuseAddress(true);
                } catch (Exception e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no block of free ports");
    }

    private String bootstrap() {
        StringBuilder servers = new StringBuilder();
        for (TestBroker broker : brokers) {
            if (broker.server() != null) {
                servers.append(servers.length() == 0 ? "" : ",").append(broker.bootstrapServers());
            }
        }
        return servers.toString();
    }

    private Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", bootstrap()));
    }

    private KafkaProducer<String, String> producer() {
        return producer(Map.of());
    }

    private KafkaProducer<String, String> producer(Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.StringSerializer");
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.StringSerializer");
        props.putAll(overrides);
        return new KafkaProducer<>(props);
    }

    private KafkaConsumer<String, String> consumer(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap());
        props.put("group.id", group);
        props.put("auto.offset.reset", "earliest");
        props.put("enable.auto.commit", false);
        props.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        props.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        return new KafkaConsumer<>(props);
    }

    private TestBroker broker(int id) {
        return brokers.get(id - 1);
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    }

    private List<String> readAll(String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer("reader-" + UUID.randomUUID())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    @Test
    void replicatesFailsOverAndRejoins() throws Exception {
        startCluster(3);
        try (Admin admin = admin()) {
            assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)).extracting(Node::id)
                    .containsExactlyInAnyOrder(1, 2, 3);
            int controller = admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
            assertThat(controller).isIn(1, 2, 3);
            admin.createTopics(List.of(new NewTopic("orders", 3, (short) 3).configs(Map.of("min.insync.replicas",
                    "2")))).all().get(30, TimeUnit.SECONDS);
            TopicDescription description = describe(admin, "orders");
            assertThat(description.partitions()).extracting(p -> p.leader().id())
                    .as("leaders spread over the brokers").containsExactlyInAnyOrder(1, 2, 3);
            for (TopicPartitionInfo partition : description.partitions()) {
                assertThat(partition.replicas()).hasSize(3);
                assertThat(partition.isr()).hasSize(3);
            }
        }

        try (KafkaProducer<String, String> producer = producer()) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                sent.add(producer.send(new ProducerRecord<>("orders", "k" + (i % 30), "before-" + i)));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get(30, TimeUnit.SECONDS);
            }
        }
        // Every follower has the records: the high watermark counts the ISR.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            for (TestBroker broker : brokers) {
                long total = 0;
                for (int p = 0; p < 3; p++) {
                    total += broker.server().replicaManager().partition(new TopicPartition("orders", p)).log()
                            .logEndOffset();
                }
                assertThat(total).isEqualTo(300);
            }
        });

        int leaderOfZero;
        try (Admin admin = admin()) {
            leaderOfZero = describe(admin, "orders").partitions().get(0).leader().id();
        }
        broker(leaderOfZero).stop();

        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                TopicPartitionInfo p0 = describe(admin, "orders").partitions().get(0);
                assertThat(p0.leader()).isNotNull();
                assertThat(p0.leader().id()).isNotEqualTo(leaderOfZero);
                assertThat(p0.isr()).extracting(Node::id).doesNotContain(leaderOfZero);
            });
        }
        try (KafkaProducer<String, String> producer = producer()) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                sent.add(producer.send(new ProducerRecord<>("orders", "k" + (i % 30), "after-" + i)));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get(60, TimeUnit.SECONDS);
            }
        }
        List<String> values = readAll("orders", 600);
        assertThat(values).hasSize(600).doesNotHaveDuplicates();

        broker(leaderOfZero).start();
        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (TopicPartitionInfo partition : describe(admin, "orders").partitions()) {
                    assertThat(partition.isr()).extracting(Node::id).contains(leaderOfZero);
                }
            });
        }
        long total = 0;
        for (int p = 0; p < 3; p++) {
            total += broker(leaderOfZero).server().replicaManager().partition(new TopicPartition("orders", p)).log()
                    .logEndOffset();
        }
        assertThat(total).as("the returning broker caught up").isEqualTo(600);
    }

    private int controllerId() throws Exception {
        try (Admin admin = admin()) {
            return admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
        }
    }

    private void awaitNewController(int old) {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            int now = controllerId();
            return now != old && now > 0;
        });
    }

    private void createTopicThroughAnyBroker(String name, int replicas) throws Exception {
        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    admin.createTopics(List.of(new NewTopic(name, 1, (short) replicas))).all()
                            .get(20, TimeUnit.SECONDS));
            assertThat(describe(admin, name).partitions().get(0).isr()).hasSize(replicas);
        }
    }

    /**
     * With three CP members the controller holds the CP Subsystem's FencedLock: when it dies another broker gets the
     * lock once the dead one's CP session expires; when it comes back it joins the CP Subsystem again, so that the
     * next failure is survived too.
     */
    @Test
    void cpSubsystemElectsOneControllerThroughFailures() throws Exception {
        startCluster(3, Map.of(BrokerConfig.CLUSTER_CP_MEMBER_COUNT, 3));
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> controllerId() > 0);
        createTopicThroughAnyBroker("cp-1", 3);
        int first = controllerId();
        long controllers = brokers.stream().filter(b -> b.server().isController()).count();
        assertThat(controllers).as("exactly one broker holds the controller lock").isEqualTo(1);

        broker(first).stop();
        awaitNewController(first);
        createTopicThroughAnyBroker("cp-2", 2);

        broker(first).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> broker(first).server().cluster().hazelcast()
                .getCPSubsystem().getLocalCPMember() != null);
        int second = controllerId();
        broker(second).stop();
        awaitNewController(second);
        createTopicThroughAnyBroker("cp-3", 2);
        assertThat(brokers.stream().filter(b -> b.server() != null && b.server().isController()).count())
                .isEqualTo(1);
    }

    /**
     * With one or two brokers there is no Raft majority to keep: the broker of the oldest Hazelcast member is
     * controller, and the survivor takes over when the other goes.
     */
    @Test
    void twoBrokersKeepAControllerWhenOneGoes() throws Exception {
        startCluster(2);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> controllerId() > 0);
        createTopicThroughAnyBroker("pair", 2);
        int first = controllerId();
        broker(first).stop();
        awaitNewController(first);
        createTopicThroughAnyBroker("alone", 1);
    }

    /**
     * A group's coordinator is the leader of its {@code __consumer_offsets} partition, replicated three times; when
     * it dies, the new leader coordinates the group with every offset that was committed.
     */
    @Test
    void committedOffsetsSurviveTheCoordinatorsDeath() throws Exception {
        startCluster(3);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("events", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("events", i % 2, "k", "v" + i));
            }
            producer.flush();
        }
        try (KafkaConsumer<String, String> consumer = consumer("auditors")) {
            consumer.subscribe(List.of("events"));
            int read = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (read < 100 && System.currentTimeMillis() < deadline) {
                read += consumer.poll(Duration.ofMillis(200)).count();
            }
            assertThat(read).isEqualTo(100);
            consumer.commitSync();
        }
        int coordinator;
        try (Admin admin = admin()) {
            coordinator = admin.describeConsumerGroups(List.of("auditors")).all().get(10, TimeUnit.SECONDS)
                    .get("auditors").coordinator().id();
            TopicDescription offsets = describe(admin, "__consumer_offsets");
            assertThat(offsets.partitions().get(0).replicas()).as("offsets replicated three times").hasSize(3);
        }
        broker(coordinator).stop();
        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = admin
                        .listConsumerGroupOffsets("auditors").partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                assertThat(committed.get(new TopicPartition("events", 0)).offset()).isEqualTo(50);
                assertThat(committed.get(new TopicPartition("events", 1)).offset()).isEqualTo(50);
                assertThat(admin.describeConsumerGroups(List.of("auditors")).all().get(10, TimeUnit.SECONDS)
                        .get("auditors").coordinator().id()).isNotEqualTo(coordinator);
            });
        }
        // The group resumes where it committed: nothing is read again.
        try (KafkaConsumer<String, String> consumer = consumer("auditors")) {
            consumer.subscribe(List.of("events"));
            int again = 0;
            long until = System.currentTimeMillis() + 5_000;
            while (System.currentTimeMillis() < until) {
                again += consumer.poll(Duration.ofMillis(200)).count();
            }
            assertThat(again).isZero();
        }
    }

    @Test
    void acksAllFailsWithTooFewReplicas() throws Exception {
        startCluster(3);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("guarded", 1, (short) 3).configs(Map.of("min.insync.replicas",
                    "2")))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = producer()) {
            producer.send(new ProducerRecord<>("guarded", "k", "v")).get(30, TimeUnit.SECONDS);
        }
        int leader;
        try (Admin admin = admin()) {
            leader = describe(admin, "guarded").partitions().get(0).leader().id();
        }
        for (int id = 1; id <= 3; id++) {
            if (id != leader) {
                broker(id).stop();
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> broker(leader).server().replicaManager()
                .partition(new TopicPartition("guarded", 0)).assignment().isr().size() == 1);
        // No retries: the broker's answer itself reaches the application.
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.RETRIES_CONFIG, 0,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("guarded", "k", "not acknowledged"))
                    .get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(NotEnoughReplicasException.class)
                    .hasMessageContaining("min.isr");
        }
        // The leader wrote nothing it could not replicate.
        assertThat(broker(leader).server().replicaManager().partition(new TopicPartition("guarded", 0)).log()
                .logEndOffset()).isEqualTo(1);
    }
}

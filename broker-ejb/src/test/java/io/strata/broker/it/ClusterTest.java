package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.local.OutgoingRecord;
import io.strata.broker.local.RecordPosition;
import io.strata.broker.local.Strata;
import io.strata.broker.metadata.ClusterController;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
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
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ClusterTest {

    /**
     * Three brokers with the CP Subsystem that the tests which need nothing else share, each on topics of its own:
     * starting a cluster costs more than most tests here. After each, the brokers it stopped are started again.
     */
    @TempDir
    static Path sharedDir;
    private static TestCluster shared;

    @TempDir
    Path dir;

    /** The cluster the running test uses: the shared one, or one started for it alone. */
    private TestCluster cluster;

    @AfterEach
    void stopOrRestore() {
        if (cluster != null && cluster == shared) {
            shared.restoreStoppedBrokers();
        } else if (cluster != null) {
            cluster.close();
        }
    }

    @AfterAll
    static void stopShared() {
        if (shared != null) {
            shared.close();
        }
    }

    /** Uses the shared cluster of three, starting it first if no test did yet. */
    private void useSharedCluster() throws Exception {
        if (shared == null) {
            shared = TestCluster.start(sharedDir, 3, Map.of(BrokerConfig.DEFAULT_REPLICATION_FACTOR, 3));
        }
        cluster = shared;
    }

    private void startCluster(int count) throws Exception {
        startCluster(count, Map.of());
    }

    private void startCluster(int count, Map<String, Object> extra) throws Exception {
        Map<String, Object> settings = new HashMap<>(extra);
        settings.putIfAbsent(BrokerConfig.DEFAULT_REPLICATION_FACTOR, Math.min(3, count));
        cluster = TestCluster.start(dir, count, settings);
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    }

    @Test
    void replicatesFailsOverAndRejoins() throws Exception {
        useSharedCluster();
        try (Admin admin = cluster.admin()) {
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

        try (KafkaProducer<String, String> producer = cluster.producer()) {
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
            for (TestBroker broker : cluster.brokers()) {
                long total = 0;
                for (int p = 0; p < 3; p++) {
                    total += broker.server().replicaManager().partition(new TopicPartition("orders", p)).log()
                            .logEndOffset();
                }
                assertThat(total).isEqualTo(300);
            }
        });

        int leaderOfZero;
        try (Admin admin = cluster.admin()) {
            leaderOfZero = describe(admin, "orders").partitions().get(0).leader().id();
        }
        cluster.broker(leaderOfZero).stop();

        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                TopicPartitionInfo p0 = describe(admin, "orders").partitions().get(0);
                assertThat(p0.leader()).isNotNull();
                assertThat(p0.leader().id()).isNotEqualTo(leaderOfZero);
                assertThat(p0.isr()).extracting(Node::id).doesNotContain(leaderOfZero);
            });
        }
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                sent.add(producer.send(new ProducerRecord<>("orders", "k" + (i % 30), "after-" + i)));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get(60, TimeUnit.SECONDS);
            }
        }
        List<String> values = cluster.readAll("orders", 600);
        assertThat(values).hasSize(600).doesNotHaveDuplicates();

        cluster.broker(leaderOfZero).start();
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (TopicPartitionInfo partition : describe(admin, "orders").partitions()) {
                    assertThat(partition.isr()).extracting(Node::id).contains(leaderOfZero);
                }
            });
        }
        long total = 0;
        for (int p = 0; p < 3; p++) {
            total += cluster.broker(leaderOfZero).server().replicaManager().partition(new TopicPartition("orders", p)).log()
                    .logEndOffset();
        }
        assertThat(total).as("the returning broker caught up").isEqualTo(600);
    }

    private int controllerId() throws Exception {
        try (Admin admin = cluster.admin()) {
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
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    admin.createTopics(List.of(new NewTopic(name, 1, (short) replicas))).all()
                            .get(20, TimeUnit.SECONDS));
            assertThat(describe(admin, name).partitions().get(0).isr()).hasSize(replicas);
        }
    }

    /**
     * Three tcpip members give a CP Subsystem of three by default, and the controller holds its FencedLock: when it
     * dies another broker gets the lock, freed as soon as the dead one has left the cluster; when it comes back it
     * joins the CP Subsystem again, so that the next failure is survived too.
     */
    @Test
    void cpSubsystemElectsOneControllerThroughFailures() throws Exception {
        useSharedCluster();
        assertThat(cluster.broker(1).server().cluster().hazelcast().getConfig().getCPSubsystemConfig()
                .getCPMemberCount()).as("CP members by default for three tcpip members").isEqualTo(3);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> controllerId() > 0);
        createTopicThroughAnyBroker("cp-1", 3);
        int first = controllerId();
        long controllers = cluster.brokers().stream().filter(b -> b.server().isController()).count();
        assertThat(controllers).as("exactly one broker holds the controller lock").isEqualTo(1);
        ClusterController firstTerm = cluster.broker(first).server().clusterController();
        int firstEpoch = firstTerm.controllerEpoch();
        assertThat((long) firstEpoch).as("the controller epoch is the lock's fencing token")
                .isEqualTo(firstTerm.fencingToken()).isPositive();

        cluster.broker(first).stop();
        awaitNewController(first);
        createTopicThroughAnyBroker("cp-2", 2);
        ClusterController secondTerm = cluster.broker(controllerId()).server().clusterController();
        assertThat((long) secondTerm.controllerEpoch()).isEqualTo(secondTerm.fencingToken())
                .isGreaterThan(firstEpoch);

        cluster.broker(first).start();
        // Raft of three survives one failure at a time: the next stop waits until the restarted broker is back in the
        // CP groups, as its readiness says.
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.broker(first).server().inControllerQuorum());
        int second = controllerId();
        cluster.broker(second).stop();
        awaitNewController(second);
        createTopicThroughAnyBroker("cp-3", 2);
        assertThat(cluster.brokers().stream().filter(b -> b.server() != null && b.server().isController()).count())
                .isEqualTo(1);

        // A restart of the whole cluster starts the CP Subsystem, and its fencing tokens, over: epochs still grow,
        // and the new controller commits.
        int lastEpoch = cluster.broker(controllerId()).server().clusterController().controllerEpoch();
        cluster.restartAll();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> controllerId() > 0);
        createTopicThroughAnyBroker("cp-4", 3);
        ClusterController afterRestart = cluster.broker(controllerId()).server().clusterController();
        assertThat(afterRestart.controllerEpoch()).isGreaterThan(lastEpoch);
        assertThat((long) afterRestart.controllerEpoch()).isGreaterThan(afterRestart.fencingToken());
    }

    /**
     * With one or two brokers there is no Raft majority to keep: the broker of the oldest Hazelcast member is
     * controller, and the survivor takes over when the other goes.
     */
    /**
     * With more brokers than a CP group has members, the ones outside the groups stand by: they are ready and count
     * toward the quorum while the groups are full, and when a group member goes for good one of them takes its place.
     */
    @Test
    void brokersBeyondTheCpGroupsStandByAndTakeTheirPlace() throws Exception {
        startCluster(4);
        await().atMost(Duration.ofSeconds(90)).until(() ->
                cluster.brokers().stream().allMatch(broker -> broker.server().inControllerQuorum()));
        createTopicThroughAnyBroker("standby-1", 3);

        int controller = controllerId();
        cluster.broker(controller).stop();
        awaitNewController(controller);
        await().atMost(Duration.ofSeconds(90)).until(() -> cluster.brokers().stream()
                .filter(broker -> broker.server() != null).allMatch(broker -> broker.server().inControllerQuorum()));
        // The three left form the CP groups now, so the next failure still leaves a majority.
        int second = controllerId();
        cluster.broker(second).stop();
        awaitNewController(second);
        createTopicThroughAnyBroker("standby-2", 2);
    }

    @Test
    void twoBrokersKeepAControllerWhenOneGoes() throws Exception {
        startCluster(2);
        assertThat(cluster.broker(1).server().cluster().hazelcast().getConfig().getCPSubsystemConfig()
                .getCPMemberCount()).as("no CP Subsystem for two members").isZero();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> controllerId() > 0);
        createTopicThroughAnyBroker("pair", 2);
        int first = controllerId();
        cluster.broker(first).stop();
        awaitNewController(first);
        createTopicThroughAnyBroker("alone", 1);
    }

    /**
     * A group's coordinator is the leader of its {@code __consumer_offsets} partition, replicated three times; when
     * it dies, the new leader coordinates the group with every offset that was committed.
     */
    @Test
    void committedOffsetsSurviveTheCoordinatorsDeath() throws Exception {
        useSharedCluster();
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("events", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("events", i % 2, "k", "v" + i));
            }
            producer.flush();
        }
        try (KafkaConsumer<String, String> consumer = cluster.consumer("auditors")) {
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
        try (Admin admin = cluster.admin()) {
            coordinator = admin.describeConsumerGroups(List.of("auditors")).all().get(10, TimeUnit.SECONDS)
                    .get("auditors").coordinator().id();
            TopicDescription offsets = describe(admin, "__consumer_offsets");
            assertThat(offsets.partitions().get(0).replicas()).as("offsets replicated three times").hasSize(3);
        }
        cluster.broker(coordinator).stop();
        try (Admin admin = cluster.admin()) {
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
        // The group resumes where it committed: its positions are the committed offsets, and nothing is read again.
        try (KafkaConsumer<String, String> consumer = cluster.consumer("auditors")) {
            consumer.subscribe(List.of("events"));
            int again = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            while (consumer.assignment().size() < 2 && System.currentTimeMillis() < deadline) {
                again += consumer.poll(Duration.ofMillis(100)).count();
            }
            assertThat(consumer.assignment()).as("the group's partitions").hasSize(2);
            for (TopicPartition partition : consumer.assignment()) {
                assertThat(consumer.position(partition, Duration.ofSeconds(30))).as("position in %s", partition)
                        .isEqualTo(50);
            }
            again += consumer.poll(Duration.ofMillis(500)).count();
            assertThat(again).isZero();
        }
    }

    @Test
    void acksAllFailsWithTooFewReplicas() throws Exception {
        startCluster(3);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("guarded", 1, (short) 3).configs(Map.of("min.insync.replicas",
                    "2")))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            producer.send(new ProducerRecord<>("guarded", "k", "v")).get(30, TimeUnit.SECONDS);
        }
        int leader;
        try (Admin admin = cluster.admin()) {
            leader = describe(admin, "guarded").partitions().get(0).leader().id();
        }
        for (int id = 1; id <= 3; id++) {
            if (id != leader) {
                cluster.broker(id).stop();
            }
        }
        // With the CP Subsystem's majority gone there is no controller to take the two out of the ISR: the leader
        // knows from the membership that they are gone.
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.broker(leader).server().membership().liveBrokers()
                .size() == 1);
        // No retries: the broker's answer itself reaches the application.
        try (KafkaProducer<String, String> producer = cluster.producer(Map.of(ProducerConfig.RETRIES_CONFIG, 0,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("guarded", "k", "not acknowledged"))
                    .get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(NotEnoughReplicasException.class)
                    .hasMessageContaining("min.isr");
        }
        // The leader wrote nothing it could not replicate.
        assertThat(cluster.broker(leader).server().replicaManager().partition(new TopicPartition("guarded", 0)).log()
                .logEndOffset()).isEqualTo(1);
    }

    /**
     * While fewer than {@code offsets.topic.replication.factor} brokers are alive, a group's coordinator is not
     * available, as in Kafka, instead of {@code __consumer_offsets} being created with the one replica there is room
     * for, for good; once the others are back it is created with every replica and the group commits.
     */
    @Test
    void offsetsTopicWaitsUntilItsReplicationFactorOfBrokersIsAlive() throws Exception {
        // Without the CP Subsystem a lone broker is still the controller, which could create the topic.
        startCluster(3, Map.of(BrokerConfig.CLUSTER_CP_MEMBER_COUNT, 0));
        cluster.broker(2).stop();
        cluster.broker(3).stop();
        TestBroker alone = cluster.broker(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> alone.server().membership().liveBrokers().size() == 1
                && alone.server().isController());

        assertThat(alone.server().groupCoordinator().coordinatorFor("auditors")).as("no coordinator yet")
                .isEqualTo(-1);
        assertThat(alone.server().controller().image().topic(GroupCoordinator.OFFSETS_TOPIC))
                .as("__consumer_offsets is not created under-replicated").isNull();

        cluster.broker(2).start();
        cluster.broker(3).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> alone.server().membership().liveBrokers().size() == 3);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("audited", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            producer.send(new ProducerRecord<>("audited", "k", "v")).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = cluster.consumer("auditors")) {
            consumer.subscribe(List.of("audited"));
            await().atMost(Duration.ofSeconds(60)).until(() -> consumer.poll(Duration.ofMillis(200)).count() > 0);
            consumer.commitSync(Duration.ofSeconds(30));
        }
        try (Admin admin = cluster.admin()) {
            for (TopicPartitionInfo partition : describe(admin, GroupCoordinator.OFFSETS_TOPIC).partitions()) {
                assertThat(partition.replicas()).as("every offsets partition replicated three times").hasSize(3);
            }
        }
    }

    /**
     * {@code Strata.send} in the broker's JVM returns, as a produce with acks=all does, once every in-sync replica has
     * the record and the high watermark has passed it: what it acknowledged survives the leader.
     */
    @Test
    void nativeSendReturnsOnceTheInSyncReplicasHaveTheRecord() throws Exception {
        useSharedCluster();
        int leader;
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("native-acks", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(describe(admin, "native-acks").partitions().get(0).isr()).hasSize(3));
            leader = describe(admin, "native-acks").partitions().get(0).leader().id();
        }
        TopicPartition tp = new TopicPartition("native-acks", 0);
        Strata strata = cluster.broker(leader).server().local();
        for (int i = 0; i < 5; i++) {
            RecordPosition position = strata.send(new OutgoingRecord("native-acks", 0, null,
                    ("v" + i).getBytes(StandardCharsets.UTF_8), List.of(), null));
            assertThat(cluster.broker(leader).server().replicaManager().partition(tp).highWatermark())
                    .as("high watermark past record %d when send returned", i).isGreaterThan(position.offset());
            for (TestBroker broker : cluster.brokers()) {
                assertThat(broker.server().replicaManager().partition(tp).log().logEndOffset())
                        .as("broker %d has record %d", broker.server().config().nodeId, i)
                        .isGreaterThan(position.offset());
            }
        }
    }
}

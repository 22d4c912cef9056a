package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterPartitionReassignmentsOptions;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.errors.PreferredLeaderNotAvailableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterAll;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Moving partitions and their leaders in a cluster of three brokers, through kafka-clients' Admin as Kafka's tools do
 * it: a reassignment copies the log to the new replica and drops the old one, a cancelled one goes back, a preferred
 * leader election hands leadership back to a restarted broker, an unclean one revives an offline partition, and each
 * mistake is answered with Kafka's error.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ReassignmentTest {

    /**
     * The cluster of three with a CP Subsystem that the tests share, each on topics of its own: starting one costs
     * more than most tests here. A test that stops a broker starts it again; after each, every broker is back.
     */
    @TempDir
    static Path sharedDir;
    private static TestCluster shared;

    @TempDir
    Path dir;

    /** The cluster the running test uses: the shared one, or one of its own. */
    private TestCluster cluster;
    private TestCluster own;

    private static TestCluster sharedCluster() throws Exception {
        if (shared == null) {
            shared = TestCluster.start(sharedDir, 3, Map.of());
        }
        return shared;
    }

    @AfterEach
    void restoreOrStopCluster() {
        if (own != null) {
            own.close();
        } else if (shared != null) {
            shared.restoreStoppedBrokers();
        }
    }

    @AfterAll
    static void stopSharedCluster() {
        if (shared != null) {
            shared.close();
        }
    }

    @Test
    void reassignmentCopiesThePartitionToTheNewReplicaAndDropsTheOldOne() throws Exception {
        cluster = sharedCluster();
        TopicPartition tp = new TopicPartition("moving", 0);
        try (Admin admin = cluster.admin()) {
            createTopic(admin, "moving", List.of(1, 2), Map.of());
        }
        produce("moving", "before-", 200);

        try (Admin admin = cluster.admin()) {
            admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(3, 2)))))
                    .all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS).isEmpty());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                TopicPartitionInfo moved = describe(admin, "moving").partitions().get(0);
                assertThat(moved.replicas()).extracting(Node::id).containsExactly(3, 2);
                assertThat(moved.isr()).extracting(Node::id).containsExactlyInAnyOrder(3, 2);
                assertThat(moved.leader().id()).as("the old leader left, the first target replica leads").isEqualTo(3);
            });
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(cluster.broker(3).server().replicaManager().partition(tp)).isNotNull();
            assertThat(cluster.broker(3).server().replicaManager().partition(tp).log().logEndOffset())
                    .isEqualTo(200);
            assertThat(cluster.broker(1).server().replicaManager().partition(tp))
                    .as("broker 1 no longer holds a replica").isNull();
        });
        assertThat(cluster.broker(1).dataDir().resolve("moving-0")).doesNotExist();

        produce("moving", "after-", 100);
        List<String> values = cluster.readAll("moving", 300);
        assertThat(values).hasSize(300).doesNotHaveDuplicates();
        assertThat(values.subList(0, 200)).allMatch(value -> value.startsWith("before-"));
    }

    @Test
    void cancelledReassignmentGoesBackToTheOriginalReplicas() throws Exception {
        cluster = sharedCluster();
        TopicPartition tp = new TopicPartition("stuck", 0);
        try (Admin admin = cluster.admin()) {
            createTopic(admin, "stuck", List.of(1), Map.of());
        }
        produce("stuck", "v", 50);
        // With its only replica down the partition is offline, so the new replica cannot copy it: the move waits.
        cluster.broker(1).stop();
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    hasNoLeader(describe(admin, "stuck").partitions().get(0)));
            admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(2)))))
                    .all().get(30, TimeUnit.SECONDS);

            Map<TopicPartition, PartitionReassignment> ongoing =
                    admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS);
            assertThat(ongoing).containsOnlyKeys(tp);
            assertThat(ongoing.get(tp).replicas()).containsExactly(2, 1);
            assertThat(ongoing.get(tp).addingReplicas()).containsExactly(2);
            assertThat(ongoing.get(tp).removingReplicas()).containsExactly(1);
            assertThat(admin.listPartitionReassignments(Set.of(tp)).reassignments().get(10, TimeUnit.SECONDS))
                    .containsOnlyKeys(tp);
            assertThat(describe(admin, "stuck").partitions().get(0).replicas()).extracting(Node::id)
                    .containsExactly(2, 1);

            Map<TopicPartition, Optional<NewPartitionReassignment>> cancel = new HashMap<>();
            cancel.put(tp, Optional.empty());
            admin.alterPartitionReassignments(cancel).all().get(30, TimeUnit.SECONDS);
            assertThat(admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(describe(admin, "stuck").partitions().get(0).replicas()).extracting(Node::id)
                    .containsExactly(1);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    cluster.broker(2).server().replicaManager().partition(tp) == null);

            assertThatThrownBy(() -> admin.alterPartitionReassignments(cancel).all().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(NoReassignmentInProgressException.class)
                    .hasMessageContaining("stuck-0");
        }
        cluster.broker(1).start();
        assertThat(cluster.readAll("stuck", 50)).hasSize(50);
    }

    @Test
    void preferredLeaderElectionHandsLeadershipBackToARestartedBroker() throws Exception {
        cluster = sharedCluster();
        TopicPartition tp = new TopicPartition("preferred", 0);
        try (Admin admin = cluster.admin()) {
            createTopic(admin, "preferred", List.of(1, 2, 3), Map.of());
            assertThat(describe(admin, "preferred").partitions().get(0).leader().id()).isEqualTo(1);
        }
        produce("preferred", "v", 100);

        cluster.broker(1).stop();
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                TopicPartitionInfo partition = describe(admin, "preferred").partitions().get(0);
                assertThat(partition.leader()).isNotNull();
                assertThat(partition.leader().id()).isNotEqualTo(1);
                assertThat(partition.isr()).extracting(Node::id).doesNotContain(1);
            });
            assertThat(electionError(admin, ElectionType.PREFERRED, tp))
                    .isInstanceOf(PreferredLeaderNotAvailableException.class)
                    .hasMessageContaining("not alive");
        }

        cluster.broker(1).start();
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(describe(admin, "preferred").partitions().get(0).isr()).extracting(Node::id)
                            .contains(1));
            Map<TopicPartition, Optional<Throwable>> elected = admin.electLeaders(ElectionType.PREFERRED, Set.of(tp))
                    .partitions().get(30, TimeUnit.SECONDS);
            assertThat(elected).containsEntry(tp, Optional.empty());
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    describe(admin, "preferred").partitions().get(0).leader().id() == 1);

            assertThat(electionError(admin, ElectionType.PREFERRED, tp))
                    .isInstanceOf(ElectionNotNeededException.class);
            assertThat(admin.electLeaders(ElectionType.PREFERRED, null).partitions().get(30, TimeUnit.SECONDS))
                    .as("an election for all partitions answers only for those it changed").doesNotContainKey(tp);
        }
        produce("preferred", "w", 10);
        assertThat(cluster.readAll("preferred", 110)).hasSize(110);
    }

    @Test
    void uncleanElectionGivesAnOfflinePartitionALeaderThatWasNotInSync() throws Exception {
        // Two of the three brokers are down at once here, which a CP Subsystem of three (Raft) does not survive: this
        // test of the election runs the oldest-member controller, which any survivor takes over.
        cluster = own = TestCluster.start(dir, 3, Map.of(BrokerConfig.CLUSTER_CP_MEMBER_COUNT, 0));
        TopicPartition tp = new TopicPartition("unclean", 0);
        try (Admin admin = cluster.admin()) {
            createTopic(admin, "unclean", List.of(1, 2), Map.of());
        }
        produce("unclean", "v", 20);
        cluster.broker(2).stop();
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    describe(admin, "unclean").partitions().get(0).isr().size() == 1);
        }
        cluster.broker(1).stop();
        cluster.broker(2).start();
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    hasNoLeader(describe(admin, "unclean").partitions().get(0)));
            assertThat(electionError(admin, ElectionType.PREFERRED, tp))
                    .isInstanceOf(PreferredLeaderNotAvailableException.class);

            Map<TopicPartition, Optional<Throwable>> elected = admin.electLeaders(ElectionType.UNCLEAN, Set.of(tp))
                    .partitions().get(30, TimeUnit.SECONDS);
            assertThat(elected).containsEntry(tp, Optional.empty());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                TopicPartitionInfo partition = describe(admin, "unclean").partitions().get(0);
                assertThat(partition.leader()).isNotNull();
                assertThat(partition.leader().id()).isEqualTo(2);
                assertThat(partition.isr()).extracting(Node::id).containsExactly(2);
            });
            assertThat(electionError(admin, ElectionType.UNCLEAN, tp))
                    .isInstanceOf(ElectionNotNeededException.class);
        }
    }

    @Test
    void mistakesAreAnsweredWithKafkasErrors() throws Exception {
        cluster = sharedCluster();
        TopicPartition tp = new TopicPartition("placed", 0);
        try (Admin admin = cluster.admin()) {
            createTopic(admin, "placed", List.of(1, 2), Map.of());

            assertThat(reassignmentError(admin, new TopicPartition("no-such-topic", 0), List.of(1)))
                    .isInstanceOf(UnknownTopicOrPartitionException.class).hasMessageContaining("no-such-topic");
            assertThat(reassignmentError(admin, new TopicPartition("placed", 5), List.of(1)))
                    .isInstanceOf(UnknownTopicOrPartitionException.class).hasMessageContaining("no partition 5");
            assertThat(reassignmentError(admin, tp, List.of(2, 2)))
                    .isInstanceOf(InvalidReplicaAssignmentException.class).hasMessageContaining("more than once");
            assertThat(reassignmentError(admin, tp, List.of(2, 9)))
                    .isInstanceOf(InvalidReplicaAssignmentException.class).hasMessageContaining("broker 9");
            assertThat(failureOf(() -> admin.alterPartitionReassignments(
                    Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(1, 2, 3)))),
                    new AlterPartitionReassignmentsOptions().allowReplicationFactorChange(false))
                    .all().get(30, TimeUnit.SECONDS)))
                    .isInstanceOf(InvalidReplicationFactorException.class).hasMessageContaining("from 2 to 3");

            assertThat(electionError(admin, ElectionType.PREFERRED, new TopicPartition("no-such-topic", 0)))
                    .isInstanceOf(UnknownTopicOrPartitionException.class);
            assertThat(electionError(admin, ElectionType.PREFERRED, tp))
                    .isInstanceOf(ElectionNotNeededException.class);
            assertThat(electionError(admin, ElectionType.UNCLEAN, tp))
                    .isInstanceOf(ElectionNotNeededException.class);

            assertThat(admin.listPartitionReassignments(Set.of(new TopicPartition("no-such-topic", 0), tp))
                    .reassignments().get(10, TimeUnit.SECONDS)).isEmpty();
            TopicDescription unchanged = describe(admin, "placed");
            assertThat(unchanged.partitions().get(0).replicas()).extracting(Node::id).containsExactly(1, 2);
        }
    }

    private static void createTopic(Admin admin, String name, List<Integer> replicas, Map<String, String> configs)
            throws Exception {
        admin.createTopics(List.of(new NewTopic(name, Map.of(0, replicas)).configs(configs)))
                .all().get(30, TimeUnit.SECONDS);
    }

    private void produce(String topic, String prefix, int count) throws Exception {
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, "k" + i, prefix + i)));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    }

    private static boolean hasNoLeader(TopicPartitionInfo partition) {
        return partition.leader() == null || partition.leader().isEmpty();
    }

    private static Throwable reassignmentError(Admin admin, TopicPartition tp, List<Integer> target) {
        return failureOf(() -> admin.alterPartitionReassignments(Map.of(tp, Optional.of(
                new NewPartitionReassignment(target)))).all().get(30, TimeUnit.SECONDS));
    }

    private static Throwable electionError(Admin admin, ElectionType type, TopicPartition tp) throws Exception {
        Optional<Throwable> error = admin.electLeaders(type, Set.of(tp)).partitions().get(30, TimeUnit.SECONDS)
                .get(tp);
        assertThat(error).as("the election of " + tp + " failed").isPresent();
        return error.get();
    }

    private interface Call {
        void run() throws Exception;
    }

    private static Throwable failureOf(Call call) {
        try {
            call.run();
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }
}

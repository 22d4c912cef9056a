package io.strata.broker.it;

import io.strata.broker.metadata.Controller.PartitionRef;
import io.strata.broker.metadata.Controller.PartitionResult;
import io.strata.broker.metadata.Controller.Reassignment;
import io.strata.broker.metadata.IsrChange;
import io.strata.broker.metadata.LocalController;
import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.MetadataListener;
import io.strata.broker.metadata.MetadataRecords;
import io.strata.broker.metadata.MetadataStore;
import io.strata.broker.metadata.NewTopic;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.metadata.TopicResult;
import io.strata.broker.metadata.VersionedRecords;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller's rules for elections and reassignments, step by step on an in-memory store: what the assignment is
 * while a partition moves, when the move completes, what a cancellation leaves, and which requests are refused with
 * which of Kafka's errors. The cluster tests ({@link ReassignmentTest}) show the same through real brokers.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ControllerReassignmentTest {

    /** Metadata kept in memory, applied through the same record format as the real stores. */
    private static final class MemoryStore implements MetadataStore {
        private volatile MetadataImage image = MetadataImage.EMPTY;

        @Override
        public MetadataImage image() {
            return image;
        }

        @Override
        public void addListener(MetadataListener listener) {
        }

        @Override
        public synchronized void commit(Map<String, byte[]> records) {
            records.forEach((key, value) -> image = VersionedRecords.apply(image, key, value));
        }

        @Override
        public void close() {
        }
    }

    private final List<Integer> live = new ArrayList<>(List.of(1, 2, 3));
    private final LocalController controller = new LocalController(new MemoryStore(), () -> List.copyOf(live),
            Map.of(), 1, (short) 1, true);

    private void createTopic(String name, Integer... replicas) {
        List<TopicResult> results = controller.createTopics(List.of(new NewTopic(name, -1,
                (short) -1, Map.of(0, Arrays.asList(replicas)), Map.of())), false);
        assertThat(results.get(0).isSuccess()).as(results.toString()).isTrue();
    }

    private PartitionAssignment partition(String topic) {
        return controller.image().topic(topic).partition(0);
    }

    private ApiError reassign(String topic, List<Integer> target) {
        List<PartitionResult> results = controller.alterPartitionReassignments(
                List.of(new Reassignment(topic, 0, target)), true);
        assertThat(results).hasSize(1);
        return results.get(0).error();
    }

    private ApiError elect(ElectionType type, String topic) {
        return controller.electLeaders(type, List.of(new PartitionRef(topic, 0))).get(0).error();
    }

    private ApiError addToIsr(String topic, List<Integer> isr) {
        PartitionAssignment current = partition(topic);
        return controller.alterPartitions(List.of(new IsrChange(topic, 0, current.leader(), current.leaderEpoch(),
                current.partitionEpoch(), isr)), Set.copyOf(live)).get(0);
    }

    @Test
    void movingPartitionKeepsItsOldReplicasUntilTheNewOnesAreInSync() {
        createTopic("t", 1, 2);

        assertThat(reassign("t", List.of(3, 2))).isEqualTo(ApiError.NONE);
        PartitionAssignment moving = partition("t");
        assertThat(moving.replicas()).containsExactly(3, 2, 1);
        assertThat(moving.addingReplicas()).containsExactly(3);
        assertThat(moving.removingReplicas()).containsExactly(1);
        assertThat(moving.isr()).containsExactly(1, 2);
        assertThat(moving.leader()).isEqualTo(1);
        assertThat(moving.leaderEpoch()).as("a new replica set is a new term for the replicas").isEqualTo(1);

        assertThat(addToIsr("t", List.of(1, 2, 3))).isEqualTo(ApiError.NONE);
        PartitionAssignment moved = partition("t");
        assertThat(moved.isReassigning()).isFalse();
        assertThat(moved.replicas()).containsExactly(3, 2);
        assertThat(moved.isr()).containsExactlyInAnyOrder(2, 3);
        assertThat(moved.leader()).as("the old leader left; the first target replica in sync leads").isEqualTo(3);
        assertThat(moved.leaderEpoch()).isEqualTo(2);
        assertThat(moved.partitionEpoch()).isGreaterThan(moving.partitionEpoch());
    }

    @Test
    void moveThatOnlyRemovesReplicasCompletesAtOnceAndKeepsTheLeader() {
        createTopic("shrink", 1, 2, 3);

        assertThat(reassign("shrink", List.of(1, 2))).isEqualTo(ApiError.NONE);

        PartitionAssignment shrunk = partition("shrink");
        assertThat(shrunk.isReassigning()).isFalse();
        assertThat(shrunk.replicas()).containsExactly(1, 2);
        assertThat(shrunk.isr()).containsExactly(1, 2);
        assertThat(shrunk.leader()).isEqualTo(1);
    }

    @Test
    void reorderingReplicasChangesOnlyThePreferredLeader() {
        createTopic("order", 1, 2);

        assertThat(reassign("order", List.of(2, 1))).isEqualTo(ApiError.NONE);

        PartitionAssignment reordered = partition("order");
        assertThat(reordered.isReassigning()).isFalse();
        assertThat(reordered.replicas()).containsExactly(2, 1);
        assertThat(reordered.leader()).isEqualTo(1);
        assertThat(reordered.leaderEpoch()).isZero();
        assertThat(elect(ElectionType.PREFERRED, "order")).isEqualTo(ApiError.NONE);
        assertThat(partition("order").leader()).isEqualTo(2);
        assertThat(partition("order").leaderEpoch()).isEqualTo(1);
    }

    @Test
    void cancelledMoveReturnsToTheOriginalReplicas() {
        createTopic("back", 1, 2);
        reassign("back", List.of(3, 2));

        assertThat(reassign("back", null)).isEqualTo(ApiError.NONE);

        PartitionAssignment reverted = partition("back");
        assertThat(reverted.isReassigning()).isFalse();
        assertThat(reverted.replicas()).containsExactlyInAnyOrder(1, 2);
        assertThat(reverted.isr()).containsExactlyInAnyOrder(1, 2);
        assertThat(reverted.leader()).isEqualTo(1);
        assertThat(reassign("back", null).error()).isEqualTo(Errors.NO_REASSIGNMENT_IN_PROGRESS);
    }

    @Test
    void newTargetReplacesTheMoveUnderWayStartingFromTheOriginalReplicas() {
        createTopic("twice", 1, 2);
        reassign("twice", List.of(3, 2));

        assertThat(reassign("twice", List.of(1, 3))).isEqualTo(ApiError.NONE);

        PartitionAssignment moving = partition("twice");
        assertThat(moving.replicas()).containsExactly(1, 3, 2);
        assertThat(moving.addingReplicas()).containsExactly(3);
        assertThat(moving.removingReplicas()).containsExactly(2);
        assertThat(moving.leader()).isEqualTo(1);
    }

    @Test
    void invalidTargetsAreRefusedAndChangeNothing() {
        createTopic("kept", 1, 2);
        PartitionAssignment before = partition("kept");

        assertThat(reassign("kept", List.of()).error()).isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(reassign("kept", List.of(2, 2)).error()).isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(reassign("kept", List.of(2, 7)).message()).contains("broker 7").contains("[1, 2, 3]");
        assertThat(reassign("nothing", List.of(1)).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(controller.alterPartitionReassignments(List.of(new Reassignment("kept", 3, List.of(1))), true)
                .get(0).error().error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(controller.alterPartitionReassignments(List.of(new Reassignment("kept", 0, List.of(1, 2, 3))),
                false).get(0).error().error()).isEqualTo(Errors.INVALID_REPLICATION_FACTOR);

        assertThat(partition("kept")).isEqualTo(before);
    }

    /**
     * A broker that restarted faster than its departure was seen comes back as a new incarnation, perhaps with an
     * empty disk: the controller takes it out of every ISR and moves its leaderships to in-sync replicas, in the same
     * commit that acknowledges the new incarnation, so that it never leads from, nor is elected with, a log it lost.
     */
    @Test
    void aRestartedIncarnationLeavesEveryIsrAndLeadsOnlyWhereNoOtherReplicaIsInSync() {
        createTopic("shared", 2, 1, 3);
        createTopic("alone", 2);
        controller.onBrokersChanged(Set.copyOf(live), Map.of(1, "one", 2, "two", 3, "three"));
        assertThat(controller.image().incarnationOf(2)).isEqualTo("two");
        PartitionAssignment shared = partition("shared");
        PartitionAssignment alone = partition("alone");
        assertThat(shared.leader()).isEqualTo(2);

        // The same incarnations again: nothing changes.
        assertThat(controller.onBrokersChanged(Set.copyOf(live), Map.of(1, "one", 2, "two", 3, "three"))).isZero();
        assertThat(partition("shared")).isEqualTo(shared);

        // Broker 2 is back as another incarnation, never having been seen gone.
        controller.onBrokersChanged(Set.copyOf(live), Map.of(1, "one", 2, "two-again", 3, "three"));
        assertThat(controller.image().incarnationOf(2)).isEqualTo("two-again");
        assertThat(partition("shared").leader()).isIn(1, 3);
        assertThat(partition("shared").isr()).containsExactlyInAnyOrder(1, 3);
        assertThat(partition("shared").leaderEpoch()).isGreaterThan(shared.leaderEpoch());
        // With no other replica, it leads again, under a new epoch that its new incarnation begins.
        assertThat(partition("alone").leader()).isEqualTo(2);
        assertThat(partition("alone").isr()).containsExactly(2);
        assertThat(partition("alone").leaderEpoch()).isGreaterThan(alone.leaderEpoch());
    }

    @Test
    void electionsAreRefusedWhenNotNeededOrNotPossible() {
        createTopic("led", 1, 2);
        assertThat(elect(ElectionType.PREFERRED, "led").error()).isEqualTo(Errors.ELECTION_NOT_NEEDED);
        assertThat(elect(ElectionType.UNCLEAN, "led").error()).isEqualTo(Errors.ELECTION_NOT_NEEDED);
        assertThat(elect(ElectionType.PREFERRED, "none").error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);

        // Broker 1 dies: 2 leads; 1 returns but is not in sync yet.
        live.remove(Integer.valueOf(1));
        controller.onBrokersChanged(Set.copyOf(live));
        assertThat(partition("led").leader()).isEqualTo(2);
        assertThat(elect(ElectionType.PREFERRED, "led").error()).isEqualTo(Errors.PREFERRED_LEADER_NOT_AVAILABLE);
        live.add(1);
        assertThat(elect(ElectionType.PREFERRED, "led").message()).contains("not in sync");

        // Both die, 2 last; only 1, which is out of sync, comes back: only an unclean election gives a leader.
        live.remove(Integer.valueOf(1));
        live.remove(Integer.valueOf(2));
        controller.onBrokersChanged(Set.copyOf(live));
        assertThat(elect(ElectionType.UNCLEAN, "led").error()).isEqualTo(Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE);
        live.add(1);
        controller.onBrokersChanged(Set.copyOf(live));
        assertThat(partition("led").leader()).isEqualTo(-1);
        assertThat(elect(ElectionType.UNCLEAN, "led")).isEqualTo(ApiError.NONE);
        assertThat(partition("led").leader()).isEqualTo(1);
        assertThat(partition("led").isr()).containsExactly(1);
    }

    @Test
    void electionOfEveryPartitionAnswersOnlyForThoseThatNeededOne() {
        createTopic("a", 1, 2);
        createTopic("b", 2, 1);
        reassign("b", List.of(1, 2));

        List<PartitionResult> results = controller.electLeaders(ElectionType.PREFERRED, null);

        assertThat(results).containsExactly(new PartitionResult("b", 0, ApiError.NONE));
        assertThat(partition("b").leader()).isEqualTo(1);
    }

    @Test
    void topicRecordsWithoutReassignmentFieldsStillLoad() {
        createTopic("old", 1, 2);
        TopicImage topic = controller.image().topic("old");
        String written = new String(MetadataRecords.encodeTopic(topic), StandardCharsets.UTF_8);
        assertThat(written).doesNotContain("adding").doesNotContain("removing");

        reassign("old", List.of(3, 2));
        TopicImage moving = controller.image().topic("old");
        TopicImage readBack = MetadataRecords.decodeTopic("old", MetadataRecords.encodeTopic(moving));
        assertThat(readBack).isEqualTo(moving);
        assertThat(MetadataRecords.decodeTopic("old", written.getBytes(StandardCharsets.UTF_8)).partition(0)
                .addingReplicas()).isEmpty();
    }

    @Test
    void aBrokersOfflineReplicasLeaveTheirIsrAndItsLeadershipMovesToAnotherInSyncReplica() {
        createTopic("led", 1, 2, 3);
        createTopic("followed", 2, 1);
        createTopic("alone", 1);
        int epochBefore = partition("led").leaderEpoch();

        int changed = controller.replicasOffline(1, List.of(new org.apache.kafka.common.TopicPartition("led", 0),
                new org.apache.kafka.common.TopicPartition("followed", 0),
                new org.apache.kafka.common.TopicPartition("alone", 0)), Set.copyOf(live));

        assertThat(changed).isEqualTo(3);
        assertThat(partition("led").leader()).isEqualTo(2);
        assertThat(partition("led").leaderEpoch()).isGreaterThan(epochBefore);
        assertThat(partition("led").isr()).containsExactly(2, 3);
        assertThat(partition("followed").leader()).isEqualTo(2);
        assertThat(partition("followed").isr()).containsExactly(2);
        assertThat(partition("alone").leader()).as("no other in-sync replica: offline, as Kafka leaves it")
                .isEqualTo(-1);
        assertThat(partition("alone").isr()).as("the last replica known to have every record").containsExactly(1);
        assertThat(partition("led").replicas()).as("the replica stays assigned").contains(1);
    }
}

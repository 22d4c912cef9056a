package io.strata.broker.metadata;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The controller's answer to a leader's AlterPartition request of many partitions: each entry validated on its own,
 * the accepted ones committed together, on an in-memory store that counts the commits.
 */
class LocalControllerIsrChangesTest {

    /** Metadata kept in memory, applied through the same record format as the real stores; counts commits. */
    private static final class CountingStore implements MetadataStore {
        private volatile MetadataImage image = MetadataImage.EMPTY;
        private int commits;
        private RuntimeException failure;

        @Override
        public MetadataImage image() {
            return image;
        }

        @Override
        public void addListener(MetadataListener listener) {
        }

        @Override
        public synchronized void commit(Map<String, byte[]> records) {
            if (failure != null) {
                throw failure;
            }
            commits++;
            records.forEach((key, value) -> image = VersionedRecords.apply(image, key, value));
        }

        @Override
        public void close() {
        }
    }

    /** Broker 3 restarted: it is a replica of every partition, out of every ISR; broker 1 leads at epoch 5. */
    private static final PartitionAssignment WITHOUT_3 = new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2), 1,
            5, 7);
    private static final Set<Integer> LIVE = Set.of(1, 2, 3);

    private final CountingStore store = new CountingStore();
    private final LocalController controller = new LocalController(store, () -> List.copyOf(LIVE), Map.of(), 1,
            (short) 1, true);

    @BeforeEach
    void createTopics() {
        store.commit(Map.of(
                MetadataRecords.topicKey("orders"), MetadataRecords.encodeTopic(new TopicImage("orders",
                        Uuid.randomUuid(), Collections.nCopies(40, WITHOUT_3), Map.of(), false)),
                MetadataRecords.topicKey("__transaction_state"), MetadataRecords.encodeTopic(new TopicImage(
                        "__transaction_state", Uuid.randomUuid(), Collections.nCopies(50, WITHOUT_3), Map.of(),
                        false))));
        store.commits = 0;
    }

    private static IsrChange addBroker3(String topic, int partition) {
        return new IsrChange(topic, partition, 1, 5, 7, List.of(1, 2, 3));
    }

    private PartitionAssignment partition(String topic, int partition) {
        return controller.image().topic(topic).partition(partition);
    }

    @Test
    void manyPartitionsOfTwoTopicsReturnToTheirIsrsInOneCommitEachValidatedOnItsOwn() {
        List<IsrChange> changes = new ArrayList<>();
        for (int p = 0; p < 40; p++) {
            changes.add(addBroker3("orders", p));
        }
        for (int p = 0; p < 50; p++) {
            changes.add(addBroker3("__transaction_state", p));
        }
        // A leader still at the previous epoch for one of them: fenced, while the others pass.
        changes.set(45, new IsrChange("__transaction_state", 5, 1, 4, 7, List.of(1, 2, 3)));

        List<ApiError> results = controller.alterPartitions(changes, LIVE);

        assertThat(store.commits).as("metadata commits").isEqualTo(1);
        assertThat(results).hasSize(90);
        for (int i = 0; i < 90; i++) {
            assertThat(results.get(i).error()).as("entry %d", i).isEqualTo(i == 45 ? Errors.FENCED_LEADER_EPOCH
                    : Errors.NONE);
        }
        assertThat(partition("orders", 17).isr()).containsExactly(1, 2, 3);
        assertThat(partition("orders", 17).partitionEpoch()).isEqualTo(8);
        assertThat(partition("__transaction_state", 49).isr()).containsExactly(1, 2, 3);
        assertThat(partition("__transaction_state", 5)).isEqualTo(WITHOUT_3);
    }

    @Test
    void everyCheckRefusesItsOwnEntryAndTheRestAreCommitted() {
        List<ApiError> results = controller.alterPartitions(List.of(
                addBroker3("payments", 0),
                addBroker3("orders", 40),
                new IsrChange("orders", 1, 2, 5, 7, List.of(1, 2, 3)),
                new IsrChange("orders", 2, 1, 5, 6, List.of(1, 2, 3)),
                new IsrChange("orders", 3, 1, 5, 7, List.of(2, 3)),
                new IsrChange("orders", 4, 1, 5, 7, List.of(1, 2, 4)),
                new IsrChange("orders", 5, 1, 5, 7, List.of(1, 2, 3)),
                addBroker3("orders", 6)), Set.of(1, 2));

        assertThat(results).extracting(ApiError::error).containsExactly(
                Errors.UNKNOWN_TOPIC_OR_PARTITION, Errors.UNKNOWN_TOPIC_OR_PARTITION, Errors.FENCED_LEADER_EPOCH,
                Errors.INVALID_UPDATE_VERSION, Errors.INVALID_REQUEST, Errors.INVALID_REQUEST,
                Errors.INELIGIBLE_REPLICA, Errors.INELIGIBLE_REPLICA);
        assertThat(store.commits).as("nothing accepted, nothing committed").isZero();

        List<ApiError> mixed = controller.alterPartitions(List.of(
                new IsrChange("orders", 7, 1, 5, 7, List.of(1)),
                new IsrChange("orders", 8, 1, 5, 7, List.of(1, 3)),
                new IsrChange("orders", 9, 1, 5, 7, List.of(1, 2))), Set.of(1, 2));
        assertThat(mixed).extracting(ApiError::error).containsExactly(Errors.NONE, Errors.INELIGIBLE_REPLICA,
                Errors.NONE);
        assertThat(store.commits).isEqualTo(1);
        assertThat(partition("orders", 7).isr()).containsExactly(1);
        assertThat(partition("orders", 8)).isEqualTo(WITHOUT_3);
    }

    @Test
    void aSecondChangeOfTheSamePartitionInOneRequestIsCheckedAgainstTheFirst() {
        List<ApiError> results = controller.alterPartitions(List.of(addBroker3("orders", 0), addBroker3("orders", 0),
                new IsrChange("orders", 0, 1, 5, 8, List.of(1, 3))), LIVE);

        assertThat(results).extracting(ApiError::error).containsExactly(Errors.NONE, Errors.INVALID_UPDATE_VERSION,
                Errors.NONE);
        assertThat(store.commits).isEqualTo(1);
        assertThat(partition("orders", 0).isr()).containsExactly(1, 3);
        assertThat(partition("orders", 0).partitionEpoch()).isEqualTo(9);
    }

    @Test
    void aFailedCommitIsTheAnswerOfEveryAcceptedEntryAndChangesNothing() {
        store.failure = new NotControllerException("broker 1 is no longer the controller");

        List<ApiError> results = controller.alterPartitions(List.of(addBroker3("orders", 0),
                new IsrChange("orders", 1, 1, 4, 7, List.of(1, 2, 3)), addBroker3("__transaction_state", 0)), LIVE);

        assertThat(results).extracting(ApiError::error).containsExactly(Errors.NOT_CONTROLLER,
                Errors.FENCED_LEADER_EPOCH, Errors.NOT_CONTROLLER);
        assertThat(partition("orders", 0)).isEqualTo(WITHOUT_3);
        assertThat(partition("__transaction_state", 0)).isEqualTo(WITHOUT_3);
    }

    @Test
    void theIsrChangeThatBringsTheLastTargetInSyncCompletesTheReassignmentInTheSameCommit() {
        // Moving orders-0 from [1, 2] to [1, 3]: broker 3 is added and copying.
        store.commit(Map.of(MetadataRecords.topicKey("orders"), MetadataRecords.encodeTopic(
                controller.image().topic("orders").withPartitions(List.of(new PartitionAssignment(List.of(1, 3, 2),
                        List.of(1, 2), 1, 5, 7, List.of(3), List.of(2)))))));
        store.commits = 0;

        List<ApiError> results = controller.alterPartitions(List.of(addBroker3("orders", 0)), LIVE);

        assertThat(results).extracting(ApiError::error).containsExactly(Errors.NONE);
        assertThat(store.commits).isEqualTo(1);
        assertThat(partition("orders", 0).replicas()).containsExactly(1, 3);
        assertThat(partition("orders", 0).isReassigning()).isFalse();
    }

    @Test
    void aRequestOverTheBoundIsRefusedWhole() {
        List<IsrChange> changes = Collections.nCopies(IsrChange.MAX_PER_REQUEST + 1, addBroker3("orders", 0));

        assertThatThrownBy(() -> controller.alterPartitions(changes, LIVE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1001");
        assertThat(store.commits).isZero();
    }
}

package io.strata.broker.share;

import io.strata.broker.share.SharePartitionManager.AcknowledgementBatch;
import io.strata.broker.share.SharePartitionManager.LeaderLog;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class SharePartitionManagerTest {

    private static final Uuid TOPIC = Uuid.randomUuid();
    private static final TopicIdPartition TP = new TopicIdPartition(TOPIC, 0, "orders");
    private static final String GROUP = "workers";

    private final InMemorySharePersister persister = new InMemorySharePersister();
    private final ManualClock clock = new ManualClock();
    private final Map<TopicIdPartition, LeaderLog> led = new ConcurrentHashMap<>();
    private final List<TopicIdPartition> released = new CopyOnWriteArrayList<>();
    private final List<OffsetRange> archived = new CopyOnWriteArrayList<>();
    private final List<SharePartitionManager> managers = new ArrayList<>();
    private ShareGroupSettings settings = new ShareGroupSettings(1_000, 3, AutoOffsetReset.EARLIEST,
            IsolationLevel.READ_UNCOMMITTED);

    @AfterEach
    void closeManagers() {
        managers.forEach(SharePartitionManager::close);
    }

    @Test
    void aNewShareGroupStartsWhereAutoOffsetResetSaysAndAcquiresUpToTheHighWatermark() {
        settings = new ShareGroupSettings(1_000, 3, AutoOffsetReset.LATEST, IsolationLevel.READ_UNCOMMITTED);
        lead(1, 0, 10);
        SharePartitionManager manager = manager();

        assertThat(acquire(manager, "m1", 100).records()).isEmpty();
        lead(1, 0, 15);
        SharePartitionManager.Acquisition acquired = acquire(manager, "m1", 100);

        assertThat(acquired.error()).isEqualTo(Errors.NONE);
        assertThat(acquired.records()).containsExactly(new AcquiredRecords(10, 14, 1));
        assertThat(acquired.lockDurationMs()).isEqualTo(1_000);
    }

    @Test
    void theStartOfANewSharePartitionIsStoredSoThatANewLeaderStartsThereToo() {
        settings = new ShareGroupSettings(1_000, 3, AutoOffsetReset.LATEST, IsolationLevel.READ_UNCOMMITTED);
        lead(1, 0, 10);
        SharePartitionManager old = manager();
        assertThat(acquire(old, "m1", 100).records()).isEmpty();
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(10);
        lead(1, 0, 15);
        assertThat(acquire(old, "m1", 100).records()).containsExactly(new AcquiredRecords(10, 14, 1));

        // The old leader fails with 10..14 acquired and never acknowledged; latest is now 20.
        lead(2, 0, 20);
        SharePartitionManager successor = manager();

        // 10..14 may have been delivered, and so may 15..19, in the log and below the stored delivery bound.
        assertThat(acquire(successor, "m2", 100).records()).containsExactly(new AcquiredRecords(10, 19, 2));
    }

    @Test
    void aStartThatCannotBeStoredIsNotServed() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        persister.failNextWrite(Errors.COORDINATOR_LOAD_IN_PROGRESS);

        assertThat(acquire(manager, "m1", 5).error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(acquire(manager, "m1", 5).records()).containsExactly(new AcquiredRecords(0, 4, 1));
    }

    @Test
    void readCommittedGroupsAcquireOnlyUpToTheLastStableOffset() {
        settings = new ShareGroupSettings(1_000, 3, AutoOffsetReset.EARLIEST, IsolationLevel.READ_COMMITTED);
        led.put(TP, new LeaderLog(1, 0, 10, 4, ts -> -1));
        SharePartitionManager manager = manager();

        assertThat(acquire(manager, "m1", 100).records()).containsExactly(new AcquiredRecords(0, 3, 1));
    }

    @Test
    void aPartitionThisBrokerDoesNotLeadIsNotLeaderOrFollower() {
        SharePartitionManager manager = manager();

        SharePartitionManager.Acquisition refused = acquire(manager, "m1", 10);

        assertThat(refused.error()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
        assertThat(manager.size()).isZero();
    }

    @Test
    void anAcknowledgementIsStoredBeforeItIsAnswered() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);
        persister.holdWrites();

        CompletableFuture<SharePartitionManager.Acknowledgement> ack = manager.acknowledge(GROUP, "m1", TP,
                List.of(new AcknowledgementBatch(0, 4, List.of(AcknowledgeType.ACCEPT.id))));

        assertThat(ack).isNotDone();
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isZero();
        persister.releaseHeldWrites();
        assertThat(ack.join().error()).isEqualTo(Errors.NONE);
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(5);
        assertThat(manager.partitionForTest(GROUP, TP).startOffset()).isEqualTo(5);
    }

    @Test
    void aFailedWriteLeavesTheStateAsStoredAndTheRecordsStillHeld() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);
        persister.failNextWrite(Errors.COORDINATOR_NOT_AVAILABLE);

        SharePartitionManager.Acknowledgement failed = acknowledge(manager, "m1", 0, 4, AcknowledgeType.ACCEPT);

        assertThat(failed.error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(failed.message()).contains("nothing was acknowledged");
        SharePartition partition = manager.partitionForTest(GROUP, TP);
        assertThat(partition.startOffset()).isZero();
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.ACQUIRED);
        assertThat(partition.holder(2)).isEqualTo("m1");
        assertThat(acknowledge(manager, "m1", 0, 4, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);
        assertThat(manager.partitionForTest(GROUP, TP).startOffset()).isEqualTo(5);
    }

    @Test
    void acknowledgingRecordsTheMemberDoesNotHoldIsInvalidRecordStateAndChangesNothing() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);
        int writesBefore = persister.writes();

        SharePartitionManager.Acknowledgement byOther = acknowledge(manager, "m2", 0, 4, AcknowledgeType.ACCEPT);
        SharePartitionManager.Acknowledgement beyond = manager.acknowledge(GROUP, "m1", TP, List.of(
                new AcknowledgementBatch(0, 1, List.of(AcknowledgeType.ACCEPT.id)),
                new AcknowledgementBatch(4, 6, List.of(AcknowledgeType.ACCEPT.id)))).join();

        assertThat(byOther.error()).isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(byOther.message()).contains("not acquired by member m2");
        assertThat(beyond.error()).isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(manager.partitionForTest(GROUP, TP).stateOf(0)).isEqualTo(RecordState.ACQUIRED);
        assertThat(persister.writes()).isEqualTo(writesBefore);
    }

    @Test
    void malformedAcknowledgementsAreInvalidRequest() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);

        assertThat(manager.acknowledge(GROUP, "m1", TP, List.of(new AcknowledgementBatch(3, 1,
                List.of((byte) 1)))).join().error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(manager.acknowledge(GROUP, "m1", TP, List.of(new AcknowledgementBatch(0, 2,
                List.of((byte) 1, (byte) 1)))).join().error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(manager.acknowledge(GROUP, "m1", TP, List.of(new AcknowledgementBatch(0, 0,
                List.of((byte) 9)))).join().message()).contains("unknown acknowledge type 9");
    }

    @Test
    void perOffsetTypesAcknowledgeEachOffsetAndGapsAreArchived() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 4);

        SharePartitionManager.Acknowledgement ack = manager.acknowledge(GROUP, "m1", TP, List.of(
                new AcknowledgementBatch(0, 3, List.of((byte) 1, (byte) 0, (byte) 2, (byte) 1)))).join();

        assertThat(ack.error()).isEqualTo(Errors.NONE);
        SharePartition partition = manager.partitionForTest(GROUP, TP);
        assertThat(partition.startOffset()).isEqualTo(2);
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.AVAILABLE);
        assertThat(partition.stateOf(3)).isEqualTo(RecordState.ACKNOWLEDGED);
        assertThat(released).contains(TP);
    }

    @Test
    void aNewLeaderRedeliversWhatWasAcquiredAndKeepsWhatWasAcknowledged() {
        lead(1, 0, 10);
        SharePartitionManager old = manager();
        acquire(old, "m1", 5);
        assertThat(acknowledge(old, "m1", 0, 1, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);

        lead(2, 0, 10);
        SharePartitionManager successor = manager();
        SharePartitionManager.Acquisition redelivered = acquire(successor, "m2", 3);

        assertThat(redelivered.records()).containsExactly(new AcquiredRecords(2, 4, 2));
    }

    @Test
    void anOldLeaderIsFencedByTheStoreAndItsMemoryIsUnchanged() {
        lead(1, 0, 10);
        SharePartitionManager old = manager();
        acquire(old, "m1", 5);
        lead(2, 0, 10);
        SharePartitionManager successor = manager();
        acquire(successor, "m2", 1);
        // The old leader has not yet heard that it lost the partition.
        lead(1, 0, 10);

        SharePartitionManager.Acknowledgement fenced = acknowledge(old, "m1", 0, 4, AcknowledgeType.ACCEPT);

        assertThat(fenced.error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(old.size()).isZero();
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isZero();
    }

    @Test
    void losingLeadershipDropsTheSharePartitionAndAnswersNotLeader() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);

        led.remove(TP);
        manager.onLeadershipChanged();

        assertThat(manager.size()).isZero();
        assertThat(acknowledge(manager, "m1", 0, 4, AcknowledgeType.ACCEPT).error())
                .isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void operationsQueuedBehindAWriteAreAnsweredNotLeaderOnceLeadershipMoves() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);
        persister.holdWrites();
        CompletableFuture<SharePartitionManager.Acknowledgement> first = manager.acknowledge(GROUP, "m1", TP,
                List.of(new AcknowledgementBatch(0, 0, List.of(AcknowledgeType.ACCEPT.id))));
        CompletableFuture<SharePartitionManager.Acquisition> queued = manager.acquire(GROUP, "m2", TP, 5,
                Long.MAX_VALUE);

        lead(2, 0, 10);
        manager.onLeadershipChanged();
        persister.releaseHeldWrites();

        // The write was accepted by the store before the new leader read it: the acknowledgement stands.
        assertThat(first.join().error()).isEqualTo(Errors.NONE);
        assertThat(queued.join().error()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void expiredLocksAreReleasedByTheTimerAndReportedSoWaitingFetchesWake() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);

        clock.advance(Duration.ofMillis(1_001));

        await().atMost(Duration.ofSeconds(10)).until(() -> released.contains(TP));
        assertThat(acquire(manager, "m2", 5).records()).containsExactly(new AcquiredRecords(0, 4, 2));
    }

    @Test
    void recordsAtTheDeliveryLimitAreArchivedAndReported() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        for (int delivery = 1; delivery <= 3; delivery++) {
            assertThat(acquire(manager, "m1", 1).records()).containsExactly(new AcquiredRecords(0, 0, delivery));
            assertThat(acknowledge(manager, "m1", 0, 0, AcknowledgeType.RELEASE).error()).isEqualTo(Errors.NONE);
        }

        assertThat(archived).containsExactly(new OffsetRange(0, 0));
        assertThat(acquire(manager, "m1", 1).records()).containsExactly(new AcquiredRecords(1, 1, 1));
    }

    @Test
    void releasingAMemberGivesItsRecordsToOthers() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);

        manager.releaseMember(GROUP, "m1", TP).join();

        assertThat(released).contains(TP);
        assertThat(acquire(manager, "m2", 10).records()).containsExactly(new AcquiredRecords(0, 4, 2),
                new AcquiredRecords(5, 9, 1));
    }

    @Test
    void aStoreThatCannotBeReadLeavesThePartitionUnservedUntilRetried() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        // A newer leader read the state already: this one is fenced at load.
        persister.read(GROUP, TOPIC, 0, 7).join();

        assertThat(acquire(manager, "m1", 5).error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(manager.size()).isZero();
    }

    @Test
    void aNewLeaderDeliversWhatItsPredecessorAcquiredOneDeliveryHigher() {
        lead(1, 0, 10);
        SharePartitionManager old = manager();
        assertThat(acquire(old, "m1", 4).records()).containsExactly(new AcquiredRecords(0, 3, 1));
        assertThat(acknowledge(old, "m1", 0, 1, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);
        assertThat(acquire(old, "m1", 4).records()).containsExactly(new AcquiredRecords(4, 7, 1));

        // The old leader dies holding 2..7, acknowledged never; 8..9 it never handed out.
        lead(2, 0, 10);
        SharePartitionManager successor = manager();

        assertThat(acquire(successor, "m2", 100).records()).containsExactly(new AcquiredRecords(2, 9, 2));
    }

    @Test
    void anAcquisitionPastTheDeliveryBoundIsAnsweredOnlyOnceItIsStored() {
        lead(1, 0, 2_000);
        SharePartitionManager manager = manager(2_000);
        assertThat(acquire(manager, "m1", 10).records()).containsExactly(new AcquiredRecords(0, 9, 1));
        int writes = persister.writes();
        assertThat(acquire(manager, "m1", 490).records()).containsExactly(new AcquiredRecords(10, 499, 1));
        assertThat(persister.writes()).as("10..499 lie below the bound, 510").isEqualTo(writes);

        persister.holdWrites();
        CompletableFuture<SharePartitionManager.Acquisition> past = manager.acquire(GROUP, "m1", TP, 20,
                Long.MAX_VALUE);
        assertThat(past).isNotDone();
        persister.releaseHeldWrites();

        assertThat(past.join().records()).containsExactly(new AcquiredRecords(500, 519, 1));
        assertThat(persister.state(GROUP, TOPIC, 0).stateBatches()).last()
                .isEqualTo(new SharePartitionState.StateBatch(520, 1_019, RecordState.AVAILABLE, 1));
    }

    @Test
    void anAcquisitionThatCannotBeStoredFirstAcquiresNothing() {
        lead(1, 0, 10);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 1);
        assertThat(acknowledge(manager, "m1", 0, 0, AcknowledgeType.RELEASE).error()).isEqualTo(Errors.NONE);
        persister.failNextWrite(Errors.COORDINATOR_LOAD_IN_PROGRESS);

        SharePartitionManager.Acquisition refused = acquire(manager, "m2", 1);

        assertThat(refused.error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(refused.message()).contains("nothing was acquired");
        assertThat(manager.partitionForTest(GROUP, TP).stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        assertThat(manager.partitionForTest(GROUP, TP).deliveryCount(0)).isEqualTo(1);
        assertThat(acquire(manager, "m2", 1).records()).containsExactly(new AcquiredRecords(0, 0, 2));
    }

    @Test
    void aConsumerAcknowledgingAsItGoesMakesNoStateWriteBeyondItsAcknowledgements() {
        lead(1, 0, 10_000);
        SharePartitionManager manager = manager(2_000);
        acquire(manager, "m1", 100);
        int writes = persister.writes();

        for (long first = 0; first < 9_900; first += 100) {
            assertThat(acknowledge(manager, "m1", first, first + 99, AcknowledgeType.ACCEPT).error())
                    .isEqualTo(Errors.NONE);
            assertThat(acquire(manager, "m1", 100).records()).containsExactly(
                    new AcquiredRecords(first + 100, first + 199, 1));
        }

        assertThat(persister.writes() - writes).as("state writes for 99 acknowledgements").isEqualTo(99);
    }

    @Test
    void aConsumerThatDoesNotAcknowledgeWritesTheBoundAtMostOncePerHeadroomOfRecords() {
        lead(1, 0, 2_000);
        SharePartitionManager manager = manager(2_000);
        acquire(manager, "m1", 1);
        int writes = persister.writes();

        for (int fetch = 0; fetch < 40; fetch++) {
            assertThat(acquire(manager, "m1", 50).records()).hasSize(1);
        }

        // 1..1999 in fetches of 50, the bound 500 past the end of each acquisition that passed it: 3 writes.
        assertThat(persister.writes() - writes).isEqualTo(3);
    }

    @Test
    void aGroupWhoseLastConsumerLeftAndCameBackSeesNoRecordRedelivered() {
        lead(1, 0, 20);
        SharePartitionManager manager = manager();
        assertThat(acquire(manager, "m1", 5).records()).containsExactly(new AcquiredRecords(0, 4, 1));
        assertThat(acknowledge(manager, "m1", 0, 4, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);

        manager.reloadWhenIdle(GROUP, TP);

        // 5..19 lie below the stored delivery bound, but this leader knows it never delivered them.
        assertThat(acquire(manager, "m2", 100).records()).containsExactly(new AcquiredRecords(5, 19, 1));
    }

    @Test
    void aStateInitializedAgainWhileTheGroupWasIdleIsReadAgain() {
        lead(1, 0, 20);
        SharePartitionManager manager = manager();
        acquire(manager, "m1", 5);
        acknowledge(manager, "m1", 0, 4, AcknowledgeType.ACCEPT);
        manager.reloadWhenIdle(GROUP, TP);

        // As AlterShareGroupOffsets does, the group having no member.
        assertThat(persister.initialize(GROUP, TOPIC, 0, new SharePartitionState(1, 15, List.of())).join())
                .isEqualTo(Errors.NONE);

        assertThat(acquire(manager, "m2", 100).records()).containsExactly(new AcquiredRecords(15, 19, 1));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void lead(int leaderEpoch, long logStartOffset, long highWatermark) {
        led.put(TP, new LeaderLog(leaderEpoch, logStartOffset, highWatermark, highWatermark, ts -> -1));
    }

    private SharePartitionManager manager() {
        return manager(100);
    }

    private SharePartitionManager manager(int maxRecordLocks) {
        SharePartitionManager manager = new SharePartitionManager(persister, led::get, group -> settings,
                maxRecordLocks, clock,
                released::add, (group, tp, ranges) -> archived.addAll(ranges), Executors.defaultThreadFactory(),
                10);
        managers.add(manager);
        return manager;
    }

    private static SharePartitionManager.Acquisition acquire(SharePartitionManager manager, String member,
                                                             int maxRecords) {
        return manager.acquire(GROUP, member, TP, maxRecords, Long.MAX_VALUE).join();
    }

    private static SharePartitionManager.Acknowledgement acknowledge(SharePartitionManager manager, String member,
                                                                     long first, long last, AcknowledgeType type) {
        return manager.acknowledge(GROUP, member, TP, List.of(new AcknowledgementBatch(first, last,
                List.of(type.id)))).join();
    }

    /** A clock that moves only when told. */
    private static final class ManualClock extends Clock {
        private final AtomicLong nowMs = new AtomicLong(1_000_000);

        void advance(Duration duration) {
            nowMs.addAndGet(duration.toMillis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public long millis() {
            return nowMs.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }
}

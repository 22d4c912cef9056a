package io.strata.broker.share;

import io.strata.broker.share.SharePartitionManager.AcknowledgementBatch;
import io.strata.broker.share.SharePartitionManager.LeaderLog;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Share acknowledgements inside a producer's transaction at the share-partition leader: held pending and stored so
 * before the answer, applied and stored by the COMMIT marker, released by the ABORT marker, kept from waiting for a
 * marker that came already, and decided at a new leader by the marker in its log or the one WriteTxnMarkers brings.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SharePartitionManagerTransactionTest {

    private static final Uuid TOPIC = Uuid.randomUuid();
    private static final TopicIdPartition TP = new TopicIdPartition(TOPIC, 0, "orders");
    private static final String GROUP = "workers";
    private static final long PRODUCER = 7;
    private static final short EPOCH = 1;

    private final InMemorySharePersister persister = new InMemorySharePersister();
    private final Map<TopicIdPartition, LeaderLog> led = new ConcurrentHashMap<>();
    private final List<TopicIdPartition> released = new CopyOnWriteArrayList<>();
    private final List<SharePartitionManager> managers = new ArrayList<>();
    private final ShareGroupSettings settings = new ShareGroupSettings(60_000, 3, AutoOffsetReset.EARLIEST,
            IsolationLevel.READ_UNCOMMITTED);

    @AfterEach
    void closeManagers() {
        managers.forEach(SharePartitionManager::close);
    }

    @Test
    void pendingAcknowledgementsAreStoredBeforeTheyAreAnsweredAndTheCommitMarkerStoresTheirOutcome() {
        SharePartitionManager manager = leadingManager();
        led.put(TP, new LeaderLog(1, 0, 10, 10, ts -> -1, 12, (producerId, fromOffset) -> null));

        persister.holdWrites();
        CompletableFuture<SharePartitionManager.Acknowledgement> held = inTransactionAsync(manager, "m1", 0, 4,
                AcknowledgeType.ACCEPT);
        assertThat(held).isNotDone(); // answered once stored: a new leader must find them pending
        persister.releaseHeldWrites();
        assertThat(held.join().error()).isEqualTo(Errors.NONE);

        SharePartitionState stored = persister.state(GROUP, TOPIC, 0);
        assertThat(stored.startOffset()).isZero();
        assertThat(stored.stateBatches().get(0)).isEqualTo(new SharePartitionState.StateBatch(0, 4,
                RecordState.ACQUIRED, 1, new PendingAcknowledgement(PRODUCER, EPOCH, AcknowledgeType.ACCEPT, 12)));
        persister.holdWrites();
        CompletableFuture<Errors> committed = manager.completeTransaction(TP.topicPartition(), PRODUCER, true);
        assertThat(committed).isNotDone(); // the marker is answered once the commit is stored
        persister.releaseHeldWrites();
        assertThat(committed.join()).isEqualTo(Errors.NONE);
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(5);
        assertThat(manager.partitionForTest(GROUP, TP).startOffset()).isEqualTo(5);
        assertThat(manager.transactionGuardCount()).isZero();
    }

    @Test
    void pendingAcknowledgementsThatCannotBeStoredAreNotHeld() {
        SharePartitionManager manager = leadingManager();
        persister.failNextWrite(Errors.COORDINATOR_NOT_AVAILABLE);

        SharePartitionManager.Acknowledgement refused = inTransaction(manager, "m1", 0, 4, AcknowledgeType.ACCEPT);

        assertThat(refused.error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(refused.message()).contains("nothing was acknowledged");
        assertThat(manager.partitionForTest(GROUP, TP).pendingProducer(0)).isEqualTo(-1);
        assertThat(inTransaction(manager, "m1", 0, 4, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);
    }

    @Test
    void aNewLeaderDecidesStoredPendingAcknowledgementsByTheCommitMarkerInItsLog() {
        SharePartitionManager old = leadingManager();
        led.put(TP, new LeaderLog(1, 0, 10, 10, ts -> -1, 10, (producerId, fromOffset) -> null));
        assertThat(inTransaction(old, "m1", 0, 4, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);
        old.close();

        List<long[]> searched = new CopyOnWriteArrayList<>();
        SharePartitionManager successor = manager(new LeaderLog(2, 0, 12, 12, ts -> -1, 12,
                (producerId, fromOffset) -> {
                    searched.add(new long[] {producerId, fromOffset});
                    return producerId == PRODUCER ? new SharePartitionManager.TransactionMarker(10, true) : null;
                }));

        // Never delivered again: 0..4 were committed; 5..9 were m1's and come back. 10..11, in the successor's log
        // when it loads the state and below the stored delivery bound, count as possibly delivered too.
        assertThat(successor.acquire(GROUP, "m2", TP, 20, Long.MAX_VALUE).join().records())
                .containsExactly(new AcquiredRecords(5, 11, 2));
        assertThat(searched).singleElement().satisfies(s -> assertThat(s).containsExactly(PRODUCER, 10));
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(5);
        assertThat(persister.state(GROUP, TOPIC, 0).stateBatches()).allSatisfy(b -> assertThat(b.pending()).isNull());
    }

    @Test
    void aNewLeaderReleasesStoredPendingAcknowledgementsByTheAbortMarkerInItsLog() {
        SharePartitionManager old = leadingManager();
        assertThat(inTransaction(old, "m1", 0, 4, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);
        old.close();

        SharePartitionManager successor = manager(new LeaderLog(2, 0, 12, 12, ts -> -1, 12,
                (producerId, fromOffset) -> new SharePartitionManager.TransactionMarker(10, false)));

        assertThat(successor.acquire(GROUP, "m2", TP, 20, Long.MAX_VALUE).join().records())
                .containsExactly(new AcquiredRecords(0, 11, 2));
    }

    @Test
    void aNewLeaderWithoutTheMarkerInItsLogKeepsThemPendingForTheMarkerWriteTxnMarkersBrings() {
        SharePartitionManager old = leadingManager();
        assertThat(inTransaction(old, "m1", 0, 4, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);
        old.close();
        SharePartitionManager successor = manager(new LeaderLog(2, 0, 10, 10, ts -> -1, 10,
                (producerId, fromOffset) -> null));

        assertThat(successor.acquire(GROUP, "m2", TP, 20, Long.MAX_VALUE).join().records())
                .containsExactly(new AcquiredRecords(5, 9, 2));
        assertThat(successor.partitionForTest(GROUP, TP).pendingProducer(0)).isEqualTo(PRODUCER);
        assertThat(successor.partitionForTest(GROUP, TP).holder(0)).isNull();

        CompletableFuture<Errors> committed = successor.completeTransaction(TP.topicPartition(), PRODUCER, true);
        assertThat(committed).as("the loaded pending acknowledgements make the marker wait for them").isNotNull();
        assertThat(committed.join()).isEqualTo(Errors.NONE);
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(5); // 5..9 are m2's now
    }

    @Test
    void theAbortMarkerReleasesThePendingRecordsAndWakesFetches() {
        SharePartitionManager manager = leadingManager();
        inTransaction(manager, "m1", 0, 4, AcknowledgeType.ACCEPT);

        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, false).join()).isEqualTo(Errors.NONE);

        assertThat(released).contains(TP);
        assertThat(manager.acquire(GROUP, "m2", TP, 10, Long.MAX_VALUE).join().records())
                .containsExactly(new AcquiredRecords(0, 4, 2)); // 5..9 are still m1's
    }

    @Test
    void aCommitThatCannotBeStoredKeepsTheAcknowledgementsPendingForTheMarkerSentAgain() {
        SharePartitionManager manager = leadingManager();
        inTransaction(manager, "m1", 0, 4, AcknowledgeType.ACCEPT);
        persister.failNextWrite(Errors.COORDINATOR_NOT_AVAILABLE);

        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, true).join())
                .isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(manager.partitionForTest(GROUP, TP).pendingProducer(0)).isEqualTo(PRODUCER);

        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, true).join()).isEqualTo(Errors.NONE);
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(5);
    }

    @Test
    void acknowledgementsWhoseTransactionEndedWhileTheyWereVerifiedAreNotHeldPending() {
        SharePartitionManager manager = leadingManager();
        Object guard = manager.takeTransactionGuard(TP, PRODUCER);
        // The marker comes between the coordinator's answer and the acknowledgements reaching the share partition:
        // nothing is pending yet, so it is not the share partitions' to answer.
        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, false)).isNull();

        SharePartitionManager.Acknowledgement late = manager.acknowledgeInTransaction(GROUP, "m1", TP,
                List.of(new AcknowledgementBatch(0, 4, List.of(AcknowledgeType.ACCEPT.id))), PRODUCER, EPOCH,
                guard).join();

        assertThat(late.error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(late.message()).contains("send them again");
        assertThat(manager.partitionForTest(GROUP, TP).pendingProducer(0)).isEqualTo(-1);
        assertThat(manager.partitionForTest(GROUP, TP).holder(0)).isEqualTo("m1");
    }

    @Test
    void aRenewAndRecordsNotHeldAreRefusedAndChangeNothing() {
        SharePartitionManager manager = leadingManager();

        SharePartitionManager.Acknowledgement renew = inTransaction(manager, "m1", 0, 4, AcknowledgeType.RENEW);
        SharePartitionManager.Acknowledgement notHeld = inTransaction(manager, "m2", 0, 4, AcknowledgeType.ACCEPT);

        assertThat(renew.error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(notHeld.error()).isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(notHeld.message()).contains("not acquired by member m2");
        assertThat(manager.partitionForTest(GROUP, TP).pendingProducer(0)).isEqualTo(-1);
    }

    @Test
    void markersOfProducersThatAcknowledgedNothingHereDoNotWaitForTheSharePartitions() {
        SharePartitionManager manager = leadingManager();
        inTransaction(manager, "m1", 0, 1, AcknowledgeType.ACCEPT);

        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER + 1, true)).isNull();
        assertThat(manager().completeTransaction(TP.topicPartition(), PRODUCER, true)).isNull();
        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, true).join()).isEqualTo(Errors.NONE);
        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, true)).as("a marker sent again")
                .isNull();
    }

    @Test
    void aFailedVerificationGivesItsGuardBackUnlessAcknowledgementsArePendingUnderIt() {
        SharePartitionManager manager = leadingManager();
        Object refused = manager.takeTransactionGuard(TP, PRODUCER);
        manager.abandonTransactionGuard(TP, PRODUCER, refused);
        assertThat(manager.transactionGuardCount()).isZero();

        Object shared = manager.takeTransactionGuard(TP, PRODUCER);
        assertThat(manager.acknowledgeInTransaction(GROUP, "m1", TP, List.of(new AcknowledgementBatch(0, 1,
                List.of(AcknowledgeType.ACCEPT.id))), PRODUCER, EPOCH, shared).join().error()).isEqualTo(Errors.NONE);
        manager.abandonTransactionGuard(TP, PRODUCER, shared); // a concurrent request of the producer was refused

        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, true).join()).isEqualTo(Errors.NONE);
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(2);
    }

    @Test
    void aMemberClosingItsSessionLeavesItsPendingRecordsToTheTransaction() {
        SharePartitionManager manager = leadingManager();
        inTransaction(manager, "m1", 0, 4, AcknowledgeType.ACCEPT);

        manager.releaseMember(GROUP, "m1", TP).join();

        assertThat(manager.partitionForTest(GROUP, TP).holder(0)).isEqualTo("m1");
        assertThat(manager.completeTransaction(TP.topicPartition(), PRODUCER, true).join()).isEqualTo(Errors.NONE);
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isEqualTo(5);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A manager leading TP with 10 records, of which m1 acquired all. */
    private SharePartitionManager leadingManager() {
        SharePartitionManager manager = manager();
        assertThat(manager.acquire(GROUP, "m1", TP, 10, Long.MAX_VALUE).join().records())
                .containsExactly(new AcquiredRecords(0, 9, 1));
        return manager;
    }

    private SharePartitionManager manager() {
        return manager(new LeaderLog(1, 0, 10, 10, ts -> -1));
    }

    /** A manager leading TP as {@code leader} says. */
    private SharePartitionManager manager(LeaderLog leader) {
        led.put(TP, leader);
        SharePartitionManager manager = new SharePartitionManager(persister, led::get, group -> settings, 100,
                Clock.systemUTC(), released::add, (group, tp, ranges) -> { }, Executors.defaultThreadFactory(), 10);
        managers.add(manager);
        return manager;
    }

    private static SharePartitionManager.Acknowledgement inTransaction(SharePartitionManager manager, String member,
                                                                       long first, long last, AcknowledgeType type) {
        return inTransactionAsync(manager, member, first, last, type).join();
    }

    private static CompletableFuture<SharePartitionManager.Acknowledgement> inTransactionAsync(
            SharePartitionManager manager, String member, long first, long last, AcknowledgeType type) {
        Object guard = manager.takeTransactionGuard(TP, PRODUCER);
        return manager.acknowledgeInTransaction(GROUP, member, TP, List.of(new AcknowledgementBatch(first, last,
                List.of(type.id))), PRODUCER, EPOCH, guard);
    }
}

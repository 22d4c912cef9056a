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
 * Share acknowledgements inside a producer's transaction at the share-partition leader: held pending without a
 * write, applied and stored by the COMMIT marker, released by the ABORT marker, and kept from waiting for a marker
 * that came already.
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
    void pendingAcknowledgementsAreAnsweredWithoutAWriteAndTheCommitMarkerStoresThem() {
        SharePartitionManager manager = leadingManager();
        int writesBefore = persister.writes();

        assertThat(inTransaction(manager, "m1", 0, 4, AcknowledgeType.ACCEPT).error()).isEqualTo(Errors.NONE);

        assertThat(persister.writes()).isEqualTo(writesBefore);
        assertThat(persister.state(GROUP, TOPIC, 0).startOffset()).isZero();
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
        led.put(TP, new LeaderLog(1, 0, 10, 10, ts -> -1));
        SharePartitionManager manager = new SharePartitionManager(persister, led::get, group -> settings, 100,
                Clock.systemUTC(), released::add, (group, tp, ranges) -> { }, Executors.defaultThreadFactory(), 10);
        managers.add(manager);
        return manager;
    }

    private static SharePartitionManager.Acknowledgement inTransaction(SharePartitionManager manager, String member,
                                                                       long first, long last, AcknowledgeType type) {
        Object guard = manager.takeTransactionGuard(TP, PRODUCER);
        return manager.acknowledgeInTransaction(GROUP, member, TP, List.of(new AcknowledgementBatch(first, last,
                List.of(type.id))), PRODUCER, EPOCH, guard).join();
    }
}

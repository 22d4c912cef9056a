package io.strata.broker.share;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Acknowledgements held pending in a producer's transaction, in the share partition's state machine. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SharePartitionTransactionTest {

    static final long LOCK_MS = 30_000;
    static final ShareLimits LIMITS = new ShareLimits(LOCK_MS, 3, 2000);
    static final long PRODUCER = 42;
    static final short EPOCH = 3;

    final SharePartition partition = new SharePartition(LIMITS, 0, 0);

    private AcknowledgeResult inTransaction(String member, long first, long last, AcknowledgeType type,
                                            long producerId, short epoch, long nowMs) {
        return partition.acknowledgeInTransaction(member, first, last, type, producerId, epoch, nowMs);
    }

    @Test
    void pendingAcknowledgementsChangeNothingVisibleUntilTheCommitAppliesThem() {
        partition.acquire("a", 6, 10, 0);

        assertThat(inTransaction("a", 0, 3, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0).error())
                .isEqualTo(Errors.NONE);
        assertThat(inTransaction("a", 4, 4, AcknowledgeType.REJECT, PRODUCER, EPOCH, 0).error())
                .isEqualTo(Errors.NONE);

        assertThat(partition.startOffset()).isZero();
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.ACQUIRED);
        assertThat(partition.holder(2)).isEqualTo("a");
        assertThat(partition.pendingProducer(2)).isEqualTo(PRODUCER);
        assertThat(partition.pendingProducer(5)).isEqualTo(-1);
        assertThat(partition.snapshot().stateBatches()).allSatisfy(batch ->
                assertThat(batch.state()).isEqualTo(RecordState.ACQUIRED));
        partition.checkInvariants();

        SharePartition.TransactionOutcome outcome = partition.completeTransaction(PRODUCER, true, 0);

        assertThat(outcome.changed()).isTrue();
        assertThat(outcome.released()).isFalse();
        assertThat(partition.startOffset()).isEqualTo(5);
        assertThat(partition.stateOf(5)).isEqualTo(RecordState.ACQUIRED);
        assertThat(partition.pendingProducer(5)).isEqualTo(-1);
        partition.checkInvariants();
    }

    @Test
    void anAbortReleasesThePendingRecordsToBeDeliveredAgainOneDeliveryHigher() {
        partition.acquire("a", 4, 10, 0);
        inTransaction("a", 0, 3, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        SharePartition.TransactionOutcome outcome = partition.completeTransaction(PRODUCER, false, 0);

        assertThat(outcome.released()).isTrue();
        assertThat(outcome.archivedAtDeliveryLimit()).isEmpty();
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        AcquireResult again = partition.acquire("b", 10, 4, 0);
        assertThat(again.acquired()).containsExactly(new AcquiredRecords(0, 3, 2));
        partition.checkInvariants();
    }

    @Test
    void anAbortAtTheDeliveryLimitArchivesAndReportsTheRecords() {
        for (int delivery = 1; delivery < LIMITS.deliveryCountLimit(); delivery++) {
            partition.acquire("a", 2, 2, 0);
            partition.acknowledge("a", 0, 1, AcknowledgeType.RELEASE, 0);
        }
        partition.acquire("a", 2, 2, 0);
        inTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        SharePartition.TransactionOutcome outcome = partition.completeTransaction(PRODUCER, false, 0);

        assertThat(outcome.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 1));
        assertThat(partition.startOffset()).isEqualTo(2);
    }

    @Test
    void aCommittedReleaseRedeliversAndACommittedRejectArchives() {
        partition.acquire("a", 4, 4, 0);
        inTransaction("a", 0, 1, AcknowledgeType.RELEASE, PRODUCER, EPOCH, 0);
        inTransaction("a", 2, 3, AcknowledgeType.REJECT, PRODUCER, EPOCH, 0);

        SharePartition.TransactionOutcome outcome = partition.completeTransaction(PRODUCER, true, 0);

        assertThat(outcome.released()).isTrue();
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.ARCHIVED);
        assertThat(partition.acquire("b", 10, 4, 0).acquired()).containsExactly(new AcquiredRecords(0, 1, 2));
    }

    @Test
    void locksArePinnedWhilePendingAndRunAgainOnlyForWhatIsNotPending() {
        partition.acquire("a", 4, 4, 0);
        inTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        partition.expireLocks(10 * LOCK_MS);

        assertThat(partition.stateOf(0)).isEqualTo(RecordState.ACQUIRED);
        assertThat(partition.holder(1)).isEqualTo("a");
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.AVAILABLE);
        partition.completeTransaction(PRODUCER, true, 10 * LOCK_MS);
        assertThat(partition.startOffset()).isEqualTo(2);
        partition.checkInvariants();
    }

    @Test
    void theSameRecordCannotBeAcknowledgedTwiceWhilePending() {
        partition.acquire("a", 4, 4, 0);
        inTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        assertThat(inTransaction("a", 1, 2, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(partition.acknowledge("a", 0, 0, AcknowledgeType.RELEASE, 0).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(partition.acknowledge("a", 1, 1, AcknowledgeType.RENEW, 0).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        // Nothing of the refused range changed: 2 is still held and not pending.
        assertThat(partition.pendingProducer(2)).isEqualTo(-1);
        assertThat(partition.acknowledge("a", 2, 3, AcknowledgeType.ACCEPT, 0).error()).isEqualTo(Errors.NONE);
        partition.completeTransaction(PRODUCER, true, 0);
        assertThat(partition.startOffset()).isEqualTo(4);
    }

    @Test
    void recordsAnotherMemberHoldsOrNobodyHoldsAreInvalidRecordState() {
        partition.acquire("a", 2, 4, 0);
        partition.acquire("b", 2, 4, 0);

        assertThat(inTransaction("a", 2, 3, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(inTransaction("a", 0, 5, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(partition.pendingProducer(0)).isEqualTo(-1);
    }

    @Test
    void aMemberLeavingLeavesItsPendingRecordsToTheTransaction() {
        partition.acquire("a", 4, 4, 0);
        inTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        partition.releaseMember("a", 0);

        assertThat(partition.stateOf(0)).isEqualTo(RecordState.ACQUIRED);
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.AVAILABLE);
        partition.completeTransaction(PRODUCER, true, 0);
        assertThat(partition.startOffset()).isEqualTo(2);
        partition.checkInvariants();
    }

    @Test
    void anOlderProducerEpochIsFencedAndANewerOneWaitsForTheOlderOutcome() {
        partition.acquire("a", 4, 4, 0);
        inTransaction("a", 0, 0, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        assertThat(inTransaction("a", 1, 1, AcknowledgeType.ACCEPT, PRODUCER, (short) (EPOCH - 1), 0).error())
                .isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
        assertThat(inTransaction("a", 1, 1, AcknowledgeType.ACCEPT, PRODUCER, (short) (EPOCH + 1), 0).error())
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        // Another producer's transaction is its own.
        assertThat(inTransaction("a", 1, 1, AcknowledgeType.ACCEPT, PRODUCER + 1, (short) 0, 0).error())
                .isEqualTo(Errors.NONE);

        partition.completeTransaction(PRODUCER, true, 0);
        assertThat(inTransaction("a", 2, 2, AcknowledgeType.ACCEPT, PRODUCER, (short) (EPOCH + 1), 0).error())
                .isEqualTo(Errors.NONE);
        assertThat(partition.pendingProducer(1)).isEqualTo(PRODUCER + 1);
        partition.checkInvariants();
    }

    @Test
    void anotherProducersMarkerLeavesThePendingAcknowledgementsAndASecondMarkerFindsNothing() {
        partition.acquire("a", 2, 2, 0);
        inTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        assertThat(partition.completeTransaction(PRODUCER + 1, true, 0).changed()).isFalse();
        assertThat(partition.pendingProducer(0)).isEqualTo(PRODUCER);
        assertThat(partition.completeTransaction(PRODUCER, false, 0).changed()).isTrue();
        assertThat(partition.completeTransaction(PRODUCER, true, 0).changed()).isFalse();
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
    }

    @Test
    void aCopyKeepsThePendingAcknowledgementsAndARenewIsNotTransactional() {
        partition.acquire("a", 2, 2, 0);
        inTransaction("a", 0, 0, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        SharePartition copy = partition.copy();
        copy.completeTransaction(PRODUCER, true, 0);

        assertThat(partition.pendingProducer(0)).isEqualTo(PRODUCER);
        assertThat(copy.startOffset()).isEqualTo(1);
        assertThatThrownBy(() -> inTransaction("a", 1, 1, AcknowledgeType.RENEW, PRODUCER, EPOCH, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renew");
    }

    @Test
    void aNewLeaderRebuildingTheStoredStateOffersPendingRecordsAgain() {
        partition.acquire("a", 2, 2, 0);
        inTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 0);

        SharePartition rebuilt = SharePartition.rebuild(partition.snapshot(), LIMITS).partition();

        assertThat(rebuilt.acquire("b", 10, 2, 0).acquired()).containsExactly(new AcquiredRecords(0, 1, 2));
    }
}

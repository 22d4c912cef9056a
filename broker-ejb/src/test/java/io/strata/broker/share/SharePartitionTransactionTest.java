package io.strata.broker.share;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
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
        return partition.acknowledgeInTransaction(member, first, last, type, producerId, epoch, 0, nowMs);
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
        assertThat(partition.snapshot().stateBatches()).filteredOn(batch -> batch.firstOffset() < 6).allSatisfy(
                batch -> assertThat(batch.state()).isEqualTo(RecordState.ACQUIRED));
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

    /** A partition whose snapshot, as a new leader loads it, holds offsets 0..5 pending at marker search offset 100. */
    private SharePartition rebuiltWithPending() {
        partition.acquire("a", 8, 10, 0);
        assertThat(partition.acknowledgeInTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 100, 0)
                .error()).isEqualTo(Errors.NONE);
        assertThat(partition.acknowledgeInTransaction("a", 2, 3, AcknowledgeType.REJECT, PRODUCER, EPOCH, 100, 0)
                .error()).isEqualTo(Errors.NONE);
        assertThat(partition.acknowledgeInTransaction("a", 4, 5, AcknowledgeType.RELEASE, PRODUCER, EPOCH, 100, 0)
                .error()).isEqualTo(Errors.NONE);
        partition.acknowledge("a", 6, 7, AcknowledgeType.RELEASE, 0);
        SharePartitionState stored = SharePartitionState.decode(partition.snapshot().encode());
        SharePartition rebuilt = SharePartition.rebuild(stored, LIMITS).partition();
        rebuilt.checkInvariants();
        return rebuilt;
    }

    @Test
    void aNewLeaderKeepsStoredPendingAcknowledgementsPendingHeldByNoMember() {
        SharePartition rebuilt = rebuiltWithPending();

        assertThat(rebuilt.pendingTransactions()).containsExactly(java.util.Map.entry(PRODUCER, 100L));
        for (long offset = 0; offset <= 5; offset++) {
            assertThat(rebuilt.stateOf(offset)).isEqualTo(RecordState.ACQUIRED);
            assertThat(rebuilt.pendingProducer(offset)).isEqualTo(PRODUCER);
            assertThat(rebuilt.holder(offset)).isNull();
        }
        // Not acquirable, whoever asks and however long it takes: only the transaction's outcome frees them. 8..9,
        // never acquired, lie below the delivery bound: they may have been delivered, and count one delivery.
        assertThat(rebuilt.acquire("b", 10, 10, LOCK_MS * 10).acquired())
                .containsExactly(new AcquiredRecords(6, 9, 2));
        assertThat(rebuilt.releaseMember("a", LOCK_MS * 10)).isEmpty();
        assertThat(rebuilt.acknowledge("a", 0, 0, AcknowledgeType.ACCEPT, LOCK_MS * 10).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(rebuilt.stateOf(0)).isEqualTo(RecordState.ACQUIRED);
        rebuilt.checkInvariants();
    }

    @Test
    void aCommitMarkerAtOrAfterTheStoredOffsetAppliesThePendingTypes() {
        SharePartition rebuilt = rebuiltWithPending();

        SharePartition.TransactionOutcome outcome = rebuilt.completeTransaction(PRODUCER, true, 100, 0);

        assertThat(outcome.changed()).isTrue();
        assertThat(outcome.released()).isTrue();
        // 0..1 accepted and 2..3 rejected are done with; 4..5 released, Available one delivery on.
        assertThat(rebuilt.startOffset()).isEqualTo(4);
        assertThat(rebuilt.stateOf(4)).isEqualTo(RecordState.AVAILABLE);
        assertThat(rebuilt.deliveryCount(4)).isEqualTo(1);
        assertThat(rebuilt.pendingTransactions()).isEmpty();
        assertThat(rebuilt.snapshot().stateBatches()).allSatisfy(batch -> assertThat(batch.pending()).isNull());
        rebuilt.checkInvariants();
    }

    @Test
    void aRejectCommittedAfterFailoverIsArchived() {
        SharePartition rebuilt = rebuiltWithPending();
        rebuilt.completeTransaction(PRODUCER, true, 150, 0);

        SharePartitionState state = rebuilt.snapshot();
        // 0..3 are done with (Acknowledged, Archived), below the start offset; the Archived ones are not delivered.
        assertThat(state.startOffset()).isEqualTo(4);
        assertThat(rebuilt.acquire("b", 10, 10, 0).acquired()).containsExactly(new AcquiredRecords(4, 9, 2));
    }

    @Test
    void anAbortMarkerReleasesThemWithTheirDeliveryCount() {
        SharePartition rebuilt = rebuiltWithPending();

        SharePartition.TransactionOutcome outcome = rebuilt.completeTransaction(PRODUCER, false, 100, 0);

        assertThat(outcome.released()).isTrue();
        assertThat(rebuilt.startOffset()).isZero();
        for (long offset = 0; offset <= 5; offset++) {
            assertThat(rebuilt.stateOf(offset)).isEqualTo(RecordState.AVAILABLE);
            assertThat(rebuilt.deliveryCount(offset)).isEqualTo(1);
        }
        assertThat(rebuilt.acquire("b", 6, 10, 0).acquired()).containsExactly(new AcquiredRecords(0, 5, 2));
        rebuilt.checkInvariants();
    }

    @Test
    void anAbortAtTheDeliveryLimitArchivesAndReportsThem() {
        SharePartition p = new SharePartition(new ShareLimits(LOCK_MS, 1, 2000), 0, 0);
        p.acquire("a", 2, 2, 0);
        p.acknowledgeInTransaction("a", 0, 1, AcknowledgeType.ACCEPT, PRODUCER, EPOCH, 7, 0);
        SharePartition rebuilt = SharePartition.rebuild(p.snapshot(), p.limits()).partition();

        SharePartition.TransactionOutcome outcome = rebuilt.completeTransaction(PRODUCER, false, 7, 0);

        assertThat(outcome.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 1));
        assertThat(rebuilt.startOffset()).isEqualTo(2);
    }

    @Test
    void aMarkerOfAnotherProducerOrBelowTheStoredOffsetLeavesThemPending() {
        SharePartition rebuilt = rebuiltWithPending();

        assertThat(rebuilt.completeTransaction(PRODUCER + 1, true, 100, 0).changed()).isFalse();
        assertThat(rebuilt.completeTransaction(PRODUCER, true, 99, 0).changed()).isFalse();
        assertThat(rebuilt.completeTransaction(PRODUCER, false, 99, 0).changed()).isFalse();

        assertThat(rebuilt.pendingTransactions()).containsExactly(java.util.Map.entry(PRODUCER, 100L));
        for (long offset = 0; offset <= 5; offset++) {
            assertThat(rebuilt.stateOf(offset)).isEqualTo(RecordState.ACQUIRED);
            assertThat(rebuilt.pendingProducer(offset)).isEqualTo(PRODUCER);
        }
        rebuilt.checkInvariants();
    }

    @Test
    void theMarkerWriteTxnMarkersBringsDecidesRebuiltPendingWhereverItLands() {
        SharePartition rebuilt = rebuiltWithPending();

        rebuilt.completeTransaction(PRODUCER, true, 0);

        assertThat(rebuilt.startOffset()).isEqualTo(4);
        assertThat(rebuilt.pendingTransactions()).isEmpty();
    }

    /**
     * Members acquire, acknowledge inside the transactions of two producers (and outside), leave, and let time pass;
     * the transactions commit or abort; now and then the partition is rebuilt from its snapshot, as a new leader
     * would, which keeps what was pending, held by no member. After every step the invariants hold, a pending record stays Acquired
     * by its producer's transaction however much time passes, and nothing a commit accepted is delivered again.
     */
    @org.junit.jupiter.api.RepeatedTest(10)
    void randomInterleavingsOfTransactionsKeepEveryInvariant() {
        long seed = System.nanoTime();
        java.util.Random random = new java.util.Random(seed);
        SharePartition p = new SharePartition(new ShareLimits(100, 4, 200), 0, 0);
        String[] members = {"a", "b", "c"};
        short[] epochs = {0, 0, 0};
        java.util.Map<Long, String> held = new java.util.HashMap<>();
        java.util.Map<Long, Long> pending = new java.util.HashMap<>();
        java.util.Map<Long, AcknowledgeType> pendingTypes = new java.util.HashMap<>();
        java.util.Set<Long> accepted = new java.util.HashSet<>();
        long nowMs = 0;
        long logEndOffset = 0;
        for (int step = 0; step < 3000; step++) {
            nowMs += random.nextInt(30);
            logEndOffset += random.nextInt(3);
            String member = members[random.nextInt(members.length)];
            int action = random.nextInt(10);
            if (action < 3) {
                for (AcquiredRecords records : p.acquire(member, 1 + random.nextInt(5), logEndOffset, nowMs)
                        .acquired()) {
                    for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                        assertThat(accepted).as("seed %d: accepted %d delivered again", seed, offset)
                                .doesNotContain(offset);
                        assertThat(pending).as("seed %d: pending %d delivered again", seed, offset)
                                .doesNotContainKey(offset);
                        held.put(offset, member);
                    }
                }
            } else if (action < 6) {
                List<Long> mine = held.entrySet().stream().filter(e -> e.getValue().equals(member)
                        && !pending.containsKey(e.getKey())).map(java.util.Map.Entry::getKey).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                long offset = mine.get(random.nextInt(mine.size()));
                int producer = 1 + random.nextInt(2);
                AcknowledgeType type = AcknowledgeType.values()[random.nextInt(3)];
                p.expireLocks(nowMs); // as the acknowledgement does first: a lock may have run out meanwhile
                boolean stillHeld = offset >= p.startOffset() && member.equals(p.holder(offset));
                AcknowledgeResult result = p.acknowledgeInTransaction(member, offset, offset, type, producer,
                        epochs[producer], 0, nowMs);
                if (stillHeld) {
                    assertThat(result.error()).as("seed %d", seed).isEqualTo(Errors.NONE);
                    pending.put(offset, (long) producer);
                    pendingTypes.put(offset, type);
                } else {
                    assertThat(result.error()).as("seed %d", seed).isEqualTo(Errors.INVALID_RECORD_STATE);
                    held.remove(offset);
                }
            } else if (action == 6) {
                int producer = 1 + random.nextInt(2);
                boolean commit = random.nextBoolean();
                p.completeTransaction(producer, commit, nowMs);
                epochs[producer]++;
                for (Long offset : new ArrayList<>(pending.keySet())) {
                    if (pending.get(offset) == producer) {
                        if (commit && pendingTypes.get(offset) == AcknowledgeType.ACCEPT) {
                            accepted.add(offset);
                        }
                        pending.remove(offset);
                        pendingTypes.remove(offset);
                        held.remove(offset);
                    }
                }
            } else if (action == 7) {
                p.releaseMember(member, nowMs);
                held.entrySet().removeIf(e -> e.getValue().equals(member) && !pending.containsKey(e.getKey()));
            } else if (action == 8) {
                p.expireLocks(nowMs);
            } else if (random.nextInt(10) == 0) {
                p = SharePartition.rebuild(SharePartitionState.decode(p.snapshot().encode()), p.limits()).partition();
                // Stored with the state: a new leader keeps them pending, held by no member, for their marker.
                held.keySet().retainAll(pending.keySet());
            }
            p.checkInvariants();
            for (java.util.Map.Entry<Long, Long> entry : pending.entrySet()) {
                assertThat(p.stateOf(entry.getKey())).as("seed %d: pending %d", seed, entry.getKey())
                        .isEqualTo(RecordState.ACQUIRED);
                assertThat(p.pendingProducer(entry.getKey())).isEqualTo(entry.getValue());
            }
        }
    }
}

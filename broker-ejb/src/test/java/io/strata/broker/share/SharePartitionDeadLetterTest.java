package io.strata.broker.share;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Archiving state of KIP-1191 in the share-partition state machine, for a group with a dead-letter topic. */
class SharePartitionDeadLetterTest {

    static final long LOCK_MS = 30_000;
    static final ShareLimits LIMITS = new ShareLimits(LOCK_MS, 3, 2000);

    final SharePartition partition = new SharePartition(LIMITS, 0, 0);

    SharePartitionDeadLetterTest() {
        partition.deadLettering(true);
    }

    /** Acquires offset 0 (and what else fits up to {@code end}) and releases it, until its delivery count is the limit. */
    private void deliverToTheLimit(long end) {
        for (int delivery = 1; delivery <= LIMITS.deliveryCountLimit(); delivery++) {
            partition.acquire("a", (int) end, end, 0);
            if (delivery < LIMITS.deliveryCountLimit()) {
                partition.acknowledge("a", 0, end - 1, AcknowledgeType.RELEASE, 0);
            }
        }
    }

    @Test
    void aRecordReleasedAtTheDeliveryLimitIsArchivingAndHoldsTheStartOffsetBack() {
        deliverToTheLimit(2);
        AcknowledgeResult result = partition.acknowledge("a", 0, 1, AcknowledgeType.RELEASE, 0);

        assertThat(result.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 1));
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.ARCHIVING);
        assertThat(partition.startOffset()).as("not past records not yet dead-lettered").isZero();
        assertThat(partition.archiving()).containsExactly(new ArchivingRecords(0, 1, 3, false));
        assertThat(partition.archiving().get(0).reason()).isEqualTo(DeadLetterReason.DELIVERY_COUNT_EXCEEDED);
        assertThat(partition.acquire("b", 5, 2, 0).acquired()).as("never delivered again").isEmpty();
        partition.checkInvariants();
    }

    @Test
    void anExpiredLockAtTheDeliveryLimitIsArchivingToo() {
        deliverToTheLimit(1);
        assertThat(partition.expireLocks(LOCK_MS)).containsExactly(new OffsetRange(0, 0));
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.ARCHIVING);
        partition.checkInvariants();
    }

    @Test
    void aRejectedRecordIsArchivingWithItsReason() {
        partition.acquire("a", 3, 3, 0);
        partition.acknowledge("a", 1, 1, AcknowledgeType.REJECT, 0);
        partition.acknowledge("a", 0, 0, AcknowledgeType.ACCEPT, 0);

        assertThat(partition.archiving()).containsExactly(new ArchivingRecords(1, 1, 1, true));
        assertThat(partition.archiving().get(0).reason()).isEqualTo(DeadLetterReason.CLIENT_REJECT);
        assertThat(partition.startOffset()).isEqualTo(1);
        partition.checkInvariants();
    }

    @Test
    void completingTheWriteArchivesAndMovesTheStartOffset() {
        partition.acquire("a", 3, 3, 0);
        partition.acknowledge("a", 0, 1, AcknowledgeType.REJECT, 0);
        partition.acknowledge("a", 2, 2, AcknowledgeType.ACCEPT, 0);

        assertThat(partition.completeArchiving(1, 1)).isEqualTo(1);
        assertThat(partition.startOffset()).as("offset 0 still waits").isZero();
        assertThat(partition.completeArchiving(0, 5)).as("offsets not Archiving are left alone").isEqualTo(1);
        assertThat(partition.startOffset()).isEqualTo(3);
        assertThat(partition.archiving()).isEmpty();
        assertThat(partition.completeArchiving(0, 2)).as("below the start offset: nothing").isZero();
        partition.checkInvariants();
    }

    @Test
    void discardArchivesWithoutDeadLettering() {
        partition.acquire("a", 2, 2, 0);
        partition.discard("a", 0, 1, 0);
        assertThat(partition.archiving()).isEmpty();
        assertThat(partition.startOffset()).isEqualTo(2);
    }

    @Test
    void withoutADeadLetterTopicTheDeliveryLimitAndRejectArchiveAtOnce() {
        partition.deadLettering(false);
        partition.acquire("a", 2, 2, 0);
        partition.acknowledge("a", 1, 1, AcknowledgeType.REJECT, 0);
        partition.acknowledge("a", 0, 0, AcknowledgeType.ACCEPT, 0);
        assertThat(partition.archiving()).isEmpty();
        assertThat(partition.startOffset()).isEqualTo(2);
    }

    @Test
    void archivingIsStoredAndANewLeaderFindsItWithItsReasonFromTheDeliveryCount() {
        partition.acquire("a", 2, 2, 0);
        partition.acknowledge("a", 0, 0, AcknowledgeType.REJECT, 0);
        partition.acknowledge("a", 1, 1, AcknowledgeType.RELEASE, 0);
        for (int delivery = 2; delivery <= LIMITS.deliveryCountLimit(); delivery++) {
            partition.acquire("a", 1, 2, 0);
            partition.acknowledge("a", 1, 1, AcknowledgeType.RELEASE, 0);
        }
        SharePartitionState stored = partition.snapshot();
        assertThat(stored.stateBatches()).filteredOn(batch -> batch.firstOffset() < partition.endOffset())
                .extracting(SharePartitionState.StateBatch::state).containsOnly(RecordState.ARCHIVING);

        SharePartition.Rebuilt rebuilt = SharePartition.rebuild(SharePartitionState.decode(stored.encode()), LIMITS,
                true);
        assertThat(rebuilt.partition().archiving()).containsExactly(new ArchivingRecords(0, 0, 1, true),
                new ArchivingRecords(1, 1, 3, false));
        rebuilt.partition().checkInvariants();
    }

    @Test
    void aNewLeaderDeadLettersWhatWasAcquiredAtTheLimitWhenTheOldOneDied() {
        // The old leader stored the last acquisition, then died holding the record at the limit.
        SharePartitionState stored = new SharePartitionState(0, 0, List.of(
                new SharePartitionState.StateBatch(0, 0, RecordState.ACQUIRED, LIMITS.deliveryCountLimit())));

        SharePartition.Rebuilt rebuilt = SharePartition.rebuild(stored, LIMITS, true);

        assertThat(rebuilt.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 0));
        assertThat(rebuilt.partition().archiving()).containsExactly(new ArchivingRecords(0, 0, 3, false));
        assertThat(SharePartition.rebuild(stored, LIMITS).partition().archiving())
                .as("a group without a dead-letter topic archives at once").isEmpty();
    }

    @Test
    void aCopyKeepsArchivingAndTheDeadLetteringSetting() {
        partition.acquire("a", 1, 1, 0);
        partition.acknowledge("a", 0, 0, AcknowledgeType.REJECT, 0);
        SharePartition copy = partition.copy();
        assertThat(copy.deadLettering()).isTrue();
        assertThat(copy.archiving()).isEqualTo(partition.archiving());
        assertThat(copy.snapshot()).isEqualTo(partition.snapshot());
    }
}

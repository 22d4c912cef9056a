package io.strata.broker.share;

import io.strata.broker.share.SharePartitionState.StateBatch;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SharePartitionStateTest {

    static final ShareLimits LIMITS = new ShareLimits(30_000, 3, 2000);

    @Test
    void aSnapshotRoundTripsThroughItsBytes() {
        SharePartitionState state = new SharePartitionState(7, 10, List.of(
                new StateBatch(10, 12, RecordState.ACQUIRED, 1),
                new StateBatch(13, 13, RecordState.ACKNOWLEDGED, 2),
                new StateBatch(20, 29, RecordState.AVAILABLE, 2),
                new StateBatch(30, 30, RecordState.ARCHIVED, 3)));

        byte[] bytes = state.encode();
        assertThat(bytes).hasSize(21 + 4 * 15);
        assertThat(SharePartitionState.decode(bytes)).isEqualTo(state);
    }

    @Test
    void rebuildTurnsAcquiredRecordsAvailableAndKeepsWhatWasAcknowledged() {
        SharePartition partition = new SharePartition(LIMITS, 3, 0);
        partition.acquire("a", 4, 10, 0);
        partition.acquire("b", 4, 10, 0);
        partition.acknowledge("a", 0, 1, AcknowledgeType.ACCEPT, 1);
        partition.acknowledge("b", 5, 5, AcknowledgeType.ACCEPT, 1);
        partition.acknowledge("b", 6, 6, AcknowledgeType.RELEASE, 1);

        byte[] bytes = partition.snapshot().encode();
        SharePartition.Rebuilt rebuilt = SharePartition.rebuild(SharePartitionState.decode(bytes), LIMITS);
        SharePartition copy = rebuilt.partition();

        assertThat(rebuilt.archivedAtDeliveryLimit()).isEmpty();
        assertThat(copy.stateEpoch()).isEqualTo(3);
        assertThat(copy.startOffset()).isEqualTo(2);
        assertThat(copy.stateOf(2)).isEqualTo(RecordState.AVAILABLE);
        assertThat(copy.deliveryCount(2)).isEqualTo(1);
        assertThat(copy.stateOf(5)).isEqualTo(RecordState.ACKNOWLEDGED);
        assertThat(copy.acquiredCount()).isZero();
        copy.checkInvariants();

        // 8..9 were never acquired, but lie below the delivery bound the acquisitions stored: possibly delivered.
        AcquireResult again = copy.acquire("c", 100, 10, 0);
        assertThat(again.acquired()).containsExactly(new AcquiredRecords(2, 4, 2), new AcquiredRecords(6, 9, 2));
    }

    @Test
    void rebuildArchivesAcquiredRecordsThatReachedTheDeliveryLimit() {
        SharePartitionState state = new SharePartitionState(0, 0, List.of(
                new StateBatch(0, 1, RecordState.ACQUIRED, 3),
                new StateBatch(2, 2, RecordState.ACQUIRED, 2)));
        SharePartition.Rebuilt rebuilt = SharePartition.rebuild(state, LIMITS);

        assertThat(rebuilt.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 1));
        assertThat(rebuilt.partition().startOffset()).isEqualTo(2);
        assertThat(rebuilt.partition().stateOf(2)).isEqualTo(RecordState.AVAILABLE);
    }

    @Test
    void decodingACorruptSnapshotFailsClearly() {
        byte[] bytes = new SharePartitionState(1, 5, List.of(new StateBatch(5, 9, RecordState.ARCHIVED, 1))).encode();

        byte[] flipped = bytes.clone();
        flipped[10] ^= 1;
        assertThatThrownBy(() -> SharePartitionState.decode(flipped))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("checksum");
        assertThatThrownBy(() -> SharePartitionState.decode(Arrays.copyOf(bytes, 7)))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("too short");
        byte[] future = bytes.clone();
        future[0] = 9;
        assertThatThrownBy(() -> SharePartitionState.decode(future))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("version 9");
        assertThatThrownBy(() -> SharePartitionState.decode("not a share state at all".getBytes()))
                .isInstanceOf(ShareStateFormatException.class);
    }

    @Test
    void overlappingBatchesAreRefused() {
        assertThatThrownBy(() -> new SharePartitionState(0, 0, List.of(
                new StateBatch(0, 5, RecordState.ARCHIVED, 1), new StateBatch(5, 6, RecordState.ARCHIVED, 1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
    }
}

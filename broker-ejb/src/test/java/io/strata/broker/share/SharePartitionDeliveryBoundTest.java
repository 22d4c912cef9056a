package io.strata.broker.share;

import io.strata.broker.share.SharePartitionState.StateBatch;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The delivery bound of a share partition: what it stores so that a new leader delivers a record the old one may have
 * delivered with a delivery count one higher (JMSRedelivered, JMSXDeliveryCount, the delivery limit), and when an
 * acquisition must be stored before its records go out.
 */
class SharePartitionDeliveryBoundTest {

    static final long LOCK_MS = 30_000;
    /** A headroom of 10 offsets in a window of 100. */
    static final ShareLimits LIMITS = new ShareLimits(LOCK_MS, 3, 100, 10);

    final SharePartition partition = new SharePartition(LIMITS, 0, 0);

    @Test
    void recordsBelowAStoredDeliveryBoundComeBackWithDeliveryCountTwo() {
        // 0..4 acknowledged; the old leader may have delivered up to 19 (its bound), and died.
        SharePartitionState stored = new SharePartitionState(0, 0, List.of(
                new StateBatch(0, 4, RecordState.ACKNOWLEDGED, 1),
                new StateBatch(5, 19, RecordState.AVAILABLE, 1)));

        SharePartition rebuilt = SharePartition.rebuild(stored, LIMITS).partition();

        assertThat(rebuilt.startOffset()).isEqualTo(5);
        assertThat(rebuilt.deliveryBoundOffset()).isEqualTo(20);
        assertThat(rebuilt.acquire("b", 30, 30, 0).acquired())
                .containsExactly(new AcquiredRecords(5, 19, 2), new AcquiredRecords(20, 29, 1));
        rebuilt.checkInvariants();
    }

    @Test
    void whatWasAcquiredAndNeverAcknowledgedComesBackOneDeliveryHigherFromTheStoredState() {
        assertThat(partition.acquire("a", 5, 50, 0).storeBeforeDelivery()).isTrue(); // 0..4, bound 15
        partition.acknowledge("a", 0, 1, AcknowledgeType.ACCEPT, 0);
        SharePartitionState stored = SharePartitionState.decode(partition.snapshot().encode());
        assertThat(partition.acquire("a", 5, 50, 0).storeBeforeDelivery()).as("5..9 lie below the bound").isFalse();

        // The leader dies holding 2..9; a new one reads what the acknowledgement stored.
        SharePartition rebuilt = SharePartition.rebuild(stored, LIMITS).partition();

        assertThat(rebuilt.acquire("b", 50, 50, 0).acquired())
                .containsExactly(new AcquiredRecords(2, 14, 2), new AcquiredRecords(15, 49, 1));
    }

    @Test
    void anAcquisitionPastTheBoundMovesItByTheHeadroomAndAsksToBeStoredFirst() {
        AcquireResult first = partition.acquire("a", 5, 50, 0);
        assertThat(first.storeBeforeDelivery()).isTrue();
        assertThat(partition.deliveryBoundOffset()).isEqualTo(15);

        AcquireResult within = partition.acquire("a", 10, 50, 0);
        assertThat(within.acquired()).containsExactly(new AcquiredRecords(5, 14, 1));
        assertThat(within.storeBeforeDelivery()).as("5..14 lie below the bound").isFalse();
        assertThat(partition.deliveryBoundOffset()).isEqualTo(15);

        AcquireResult past = partition.acquire("a", 1, 50, 0);
        assertThat(past.storeBeforeDelivery()).isTrue();
        assertThat(partition.deliveryBoundOffset()).isEqualTo(26);
        assertThat(partition.snapshot().stateBatches()).last()
                .isEqualTo(new StateBatch(16, 25, RecordState.AVAILABLE, 1));
        partition.checkInvariants();
    }

    @Test
    void aRedeliveryAsksToBeStoredFirstSoThatTheDeliveryLimitCountsIt() {
        partition.acquire("a", 5, 50, 0);
        partition.acknowledge("a", 0, 4, AcknowledgeType.RELEASE, 0);

        AcquireResult again = partition.acquire("b", 5, 50, 0);

        assertThat(again.acquired()).containsExactly(new AcquiredRecords(0, 4, 2));
        assertThat(again.storeBeforeDelivery()).isTrue();
    }

    @Test
    void theBoundStaysWithinTheRecordLockWindow() {
        SharePartition narrow = new SharePartition(new ShareLimits(LOCK_MS, 3, 20, 500), 0, 0);

        narrow.acquire("a", 5, 1000, 0);

        assertThat(narrow.deliveryBoundOffset()).isEqualTo(20);
        narrow.checkInvariants();
    }

    @Test
    void anAcknowledgementAboutToBeStoredCarriesTheBoundAlong() {
        partition.acquire("a", 10, 100, 0); // bound 20
        partition.acquire("a", 10, 100, 0);
        partition.acknowledge("a", 0, 19, AcknowledgeType.ACCEPT, 0);

        partition.extendDeliveryBound();

        assertThat(partition.deliveryBoundOffset()).isEqualTo(30);
        assertThat(partition.acquire("a", 10, 100, 0).storeBeforeDelivery()).isFalse();
    }

    @Test
    void aNewLeaderLeavesOutTheHeadroomPastItsLogEnd() {
        SharePartitionState stored = new SharePartitionState(0, 0, List.of(
                new StateBatch(0, 9, RecordState.ACQUIRED, 1),
                new StateBatch(10, 509, RecordState.AVAILABLE, 1)));

        SharePartition rebuilt = SharePartition.rebuild(stored, LIMITS, false, 12).partition();

        assertThat(rebuilt.endOffset()).isEqualTo(12);
        assertThat(rebuilt.deliveryBoundOffset()).isEqualTo(12);
        // 12 and on were appended after the old leader died: never delivered.
        assertThat(rebuilt.acquire("b", 20, 20, 0).acquired())
                .containsExactly(new AcquiredRecords(0, 11, 2), new AcquiredRecords(12, 19, 1));
    }

    @Test
    void gapsInAStateWrittenBeforeTheBoundWasStoredCountAsPossiblyDelivered() {
        // As stored before the delivery bound: records acquired after the last write left no trace.
        SharePartitionState stored = new SharePartitionState(0, 0, List.of(
                new StateBatch(0, 1, RecordState.ACKNOWLEDGED, 1),
                new StateBatch(5, 6, RecordState.ACQUIRED, 1)));

        SharePartition rebuilt = SharePartition.rebuild(stored, LIMITS).partition();

        assertThat(rebuilt.acquire("b", 10, 10, 0).acquired())
                .containsExactly(new AcquiredRecords(2, 6, 2), new AcquiredRecords(7, 9, 1));
    }

    @Test
    void recordsAFilterSkippedAreStoredAsPossiblyDelivered() {
        // Only odd offsets match: the member skips the even ones, which another member may take below the bound.
        partition.acquire("a", 3, 10, SharePartitionRandomizedTest.Record::new,
                record -> ((SharePartitionRandomizedTest.Record) record).offset() % 2 == 1, 0);

        assertThat(partition.snapshot().stateBatches()).filteredOn(batch -> batch.state() == RecordState.AVAILABLE)
                .allSatisfy(batch -> assertThat(batch.deliveryCount()).isEqualTo(1));
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        assertThat(partition.deliveryCount(0)).as("in memory, still never delivered").isZero();
    }

    @Test
    void aDeliveryWhoseLeaderDiedCountsTowardsTheLimit() {
        SharePartition first = new SharePartition(new ShareLimits(LOCK_MS, 2, 100, 10), 0, 0);
        first.acquire("a", 1, 1, 0); // delivery 1; its leader dies before any acknowledgement
        SharePartition second = SharePartition.rebuild(first.snapshot(), first.limits()).partition();
        assertThat(second.acquire("b", 1, 1, 0).acquired()).containsExactly(new AcquiredRecords(0, 0, 2));

        // Delivery 2 was stored before it went out; its leader dies too: the record is at its limit.
        SharePartition.Rebuilt third = SharePartition.rebuild(second.snapshot(), first.limits());

        assertThat(third.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 0));
        assertThat(third.partition().acquire("c", 1, 1, 0).acquired()).isEmpty();
    }

    @Test
    void aLimitOfOneStoresNoHeadroomSoThatOnlyRecordsHandedOutAreArchivedByANewLeader() {
        ShareLimits atMostOnce = new ShareLimits(LOCK_MS, 1, 100);
        SharePartition once = new SharePartition(atMostOnce, 0, 0);
        once.acquire("a", 2, 10, 0);

        SharePartition.Rebuilt rebuilt = SharePartition.rebuild(once.snapshot(), atMostOnce);

        assertThat(atMostOnce.deliveryBoundHeadroom()).isZero();
        assertThat(rebuilt.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 1));
        assertThat(rebuilt.partition().acquire("b", 10, 10, 0).acquired())
                .containsExactly(new AcquiredRecords(2, 9, 1));
    }

    @Test
    void anAlteredStartOffsetStartsTheBoundAgain() {
        partition.acquire("a", 5, 50, 0);
        partition.releaseMember("a", 0);

        assertThat(partition.alterStartOffset(30, 0)).isEqualTo(Errors.NONE);

        assertThat(partition.deliveryBoundOffset()).isEqualTo(30);
        assertThat(partition.snapshot().stateBatches()).isEmpty();
    }
}

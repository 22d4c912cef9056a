package io.strata.broker.share;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SharePartitionTest {

    static final long LOCK_MS = 30_000;
    static final ShareLimits LIMITS = new ShareLimits(LOCK_MS, 3, 2000);

    final SharePartition partition = new SharePartition(LIMITS, 0, 0);

    @Test
    void aCopyHoldsTheSameLocksAndChangesApartFromTheOriginal() {
        partition.acquire("a", 5, 10, 0);
        partition.acknowledge("a", 0, 1, AcknowledgeType.ACCEPT, 0);

        SharePartition copy = partition.copy();
        copy.acknowledge("a", 2, 4, AcknowledgeType.ACCEPT, 0);

        assertThat(copy.startOffset()).isEqualTo(5);
        assertThat(partition.startOffset()).isEqualTo(2);
        assertThat(partition.holder(3)).isEqualTo("a");
        assertThat(partition.copy().snapshot()).isEqualTo(partition.snapshot());
        assertThat(partition.copy().expireLocks(LOCK_MS)).isEmpty();
        assertThat(partition.nextAvailableOffset()).isEqualTo(5);
        partition.checkInvariants();
        copy.checkInvariants();
    }

    @Test
    void threeMembersOnOnePartitionSplitItsRecordsDisjointly() {
        Set<Long> seen = new HashSet<>();
        for (String member : List.of("a", "b", "c")) {
            AcquireResult result = partition.acquire(member, 4, 12, 0);
            assertThat(result.acquiredCount()).isEqualTo(4);
            for (AcquiredRecords records : result.acquired()) {
                for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                    assertThat(seen.add(offset)).as("offset %d acquired twice", offset).isTrue();
                    assertThat(partition.holder(offset)).isEqualTo(member);
                }
            }
        }
        assertThat(seen).hasSize(12);
        assertThat(partition.acquire("a", 4, 12, 0).acquired()).as("nothing left").isEmpty();
        partition.checkInvariants();
    }

    @Test
    void acquiredRecordsCarryTheirRangeAndDeliveryCount() {
        assertThat(partition.acquire("a", 5, 5, 0).acquired()).containsExactly(new AcquiredRecords(0, 4, 1));
        partition.acknowledge("a", 2, 3, AcknowledgeType.RELEASE, 1);
        assertThat(partition.acquire("b", 10, 7, 2).acquired())
                .containsExactly(new AcquiredRecords(2, 3, 2), new AcquiredRecords(5, 6, 1));
    }

    @Test
    void releaseRedeliversWithAHigherDeliveryCount() {
        partition.acquire("a", 1, 1, 0);
        AcknowledgeResult released = partition.acknowledge("a", 0, 0, AcknowledgeType.RELEASE, 1);

        assertThat(released.error()).isEqualTo(Errors.NONE);
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        assertThat(partition.deliveryCount(0)).isEqualTo(1);
        assertThat(partition.acquire("b", 1, 1, 2).acquired()).containsExactly(new AcquiredRecords(0, 0, 2));
    }

    @Test
    void rejectArchivesAndTheStartOffsetMovesPastIt() {
        partition.acquire("a", 2, 2, 0);
        partition.acknowledge("a", 0, 0, AcknowledgeType.REJECT, 1);

        assertThat(partition.startOffset()).isEqualTo(1);
        assertThat(partition.acquire("b", 5, 2, 2).acquired()).as("archived is never redelivered").isEmpty();
    }

    @Test
    void anExpiredLockRedeliversToAnotherMember() {
        partition.acquire("a", 3, 3, 0);
        assertThat(partition.acquire("b", 3, 3, LOCK_MS - 1).acquired()).isEmpty();

        AcquireResult result = partition.acquire("b", 3, 3, LOCK_MS);
        assertThat(result.acquired()).containsExactly(new AcquiredRecords(0, 2, 2));
        assertThat(partition.acknowledge("a", 0, 2, AcknowledgeType.ACCEPT, LOCK_MS).error())
                .as("the first member lost its lock").isEqualTo(Errors.INVALID_RECORD_STATE);
    }

    @Test
    void theDeliveryLimitArchivesAndReportsTheRecords() {
        for (int delivery = 1; delivery < LIMITS.deliveryCountLimit(); delivery++) {
            partition.acquire("a", 2, 2, 0);
            assertThat(partition.acknowledge("a", 0, 1, AcknowledgeType.RELEASE, 0).archivedAtDeliveryLimit())
                    .isEmpty();
        }
        partition.acquire("a", 2, 2, 0);
        assertThat(partition.deliveryCount(0)).isEqualTo(LIMITS.deliveryCountLimit());

        assertThat(partition.expireLocks(LOCK_MS)).containsExactly(new OffsetRange(0, 1));
        assertThat(partition.startOffset()).isEqualTo(2);
        assertThat(partition.acquire("b", 2, 2, LOCK_MS).acquired()).isEmpty();
    }

    @Test
    void releaseAtTheDeliveryLimitArchivesAndReports() {
        for (int delivery = 1; delivery < LIMITS.deliveryCountLimit(); delivery++) {
            partition.acquire("a", 1, 1, 0);
            partition.acknowledge("a", 0, 0, AcknowledgeType.RELEASE, 0);
        }
        partition.acquire("a", 1, 1, 0);
        AcknowledgeResult result = partition.acknowledge("a", 0, 0, AcknowledgeType.RELEASE, 0);
        assertThat(result.archivedAtDeliveryLimit()).containsExactly(new OffsetRange(0, 0));
        assertThat(partition.startOffset()).isEqualTo(1);
    }

    @Test
    void renewExtendsTheLockWithoutRaisingTheDeliveryCount() {
        partition.acquire("a", 2, 2, 0);
        assertThat(partition.acknowledge("a", 0, 1, AcknowledgeType.RENEW, LOCK_MS - 1).error())
                .isEqualTo(Errors.NONE);

        assertThat(partition.acquire("b", 2, 2, 2 * LOCK_MS - 2).acquired()).as("still locked").isEmpty();
        assertThat(partition.holder(0)).isEqualTo("a");
        assertThat(partition.deliveryCount(0)).isEqualTo(1);
        assertThat(partition.acquire("b", 2, 2, 2 * LOCK_MS - 1).acquired())
                .containsExactly(new AcquiredRecords(0, 1, 2));
    }

    @Test
    void renewOfRecordsAnotherMemberHoldsIsRefused() {
        partition.acquire("a", 2, 2, 0);
        assertThat(partition.acknowledge("b", 0, 1, AcknowledgeType.RENEW, 1).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(partition.holder(0)).isEqualTo("a");
    }

    @Test
    void maxRecordLocksBoundsTheRecordsInFlight() {
        SharePartition bounded = new SharePartition(new ShareLimits(LOCK_MS, 5, 10), 0, 0);
        assertThat(bounded.acquire("a", 100, 1000, 0).acquiredCount()).isEqualTo(10);
        assertThat(bounded.acquire("b", 100, 1000, 0).acquired()).isEmpty();

        bounded.acknowledge("a", 0, 3, AcknowledgeType.ACCEPT, 1);
        assertThat(bounded.acquire("b", 100, 1000, 1).acquired()).containsExactly(new AcquiredRecords(10, 13, 1));
        assertThat(bounded.endOffset() - bounded.startOffset()).isEqualTo(10);
        bounded.checkInvariants();
    }

    @Test
    void theStartOffsetAdvancesOverTheAcknowledgedAndArchivedPrefixOnly() {
        partition.acquire("a", 6, 6, 0);
        partition.acknowledge("a", 1, 2, AcknowledgeType.ACCEPT, 1);
        assertThat(partition.startOffset()).as("offset 0 is still held").isZero();

        partition.acknowledge("a", 0, 0, AcknowledgeType.REJECT, 1);
        assertThat(partition.startOffset()).isEqualTo(3);
        partition.acknowledge("a", 4, 4, AcknowledgeType.ACCEPT, 1);
        assertThat(partition.startOffset()).isEqualTo(3);
        partition.acknowledge("a", 3, 3, AcknowledgeType.ACCEPT, 1);
        assertThat(partition.startOffset()).isEqualTo(5);
        partition.checkInvariants();
    }

    @Test
    void acknowledgingARangeNotAllHeldChangesNothing() {
        partition.acquire("a", 2, 4, 0);
        partition.acquire("b", 2, 4, 0);

        assertThat(partition.acknowledge("a", 0, 3, AcknowledgeType.ACCEPT, 1).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(partition.stateOf(0)).isEqualTo(RecordState.ACQUIRED);
        assertThat(partition.acknowledge("a", 0, 9, AcknowledgeType.ACCEPT, 1).error())
                .as("past the end offset").isEqualTo(Errors.INVALID_RECORD_STATE);
    }

    @Test
    void acknowledgedRecordsCannotBeAcknowledgedAgain() {
        partition.acquire("a", 4, 4, 0);
        partition.acknowledge("a", 2, 3, AcknowledgeType.ACCEPT, 1);
        assertThat(partition.acknowledge("a", 2, 2, AcknowledgeType.RELEASE, 1).error())
                .isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.ACKNOWLEDGED);
    }

    @Test
    void autoOffsetResetEarliestLatestAndByDuration() {
        assertThat(AutoOffsetReset.parse("earliest").startOffset(5, 50, t -> -1, 0)).isEqualTo(5);
        assertThat(AutoOffsetReset.parse("latest").startOffset(5, 50, t -> -1, 0)).isEqualTo(50);

        AutoOffsetReset hourAgo = AutoOffsetReset.parse("by_duration:PT1H");
        long nowMs = 10_000_000;
        assertThat(hourAgo.startOffset(5, 50, t -> t == nowMs - 3_600_000 ? 20 : -2, nowMs)).isEqualTo(20);
        assertThat(hourAgo.startOffset(5, 50, t -> -1, nowMs)).as("nothing that recent").isEqualTo(50);
        assertThat(AutoOffsetReset.byDuration(Duration.ofHours(1)).toString()).isEqualTo("by_duration:PT1H");
        assertThatThrownBy(() -> AutoOffsetReset.parse("none")).hasMessageContaining("none");
        assertThatThrownBy(() -> AutoOffsetReset.parse("by_duration:soon")).hasMessageContaining("soon");
    }

    @Test
    void aPartitionStartingAtLatestDeliversOnlyNewRecords() {
        long start = AutoOffsetReset.LATEST.startOffset(0, 100, t -> -1, 0);
        SharePartition latest = new SharePartition(LIMITS, 0, start);
        assertThat(latest.acquire("a", 10, 100, 0).acquired()).isEmpty();
        assertThat(latest.acquire("a", 10, 103, 0).acquired()).containsExactly(new AcquiredRecords(100, 102, 1));
    }

    @Test
    void alterOffsetsMovesTheStartOffsetOnlyWhenNoMemberHoldsRecords() {
        partition.acquire("a", 5, 10, 0);
        assertThat(partition.alterStartOffset(8, 1)).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(partition.startOffset()).isZero();

        partition.releaseMember("a", 2);
        assertThat(partition.alterStartOffset(8, 3)).isEqualTo(Errors.NONE);
        assertThat(partition.startOffset()).isEqualTo(8);
        assertThat(partition.stateEpoch()).isEqualTo(1);
        assertThat(partition.acquire("b", 10, 10, 4).acquired()).containsExactly(new AcquiredRecords(8, 9, 1));

        partition.releaseMember("b", 5);
        assertThat(partition.alterStartOffset(2, 6)).as("backwards too").isEqualTo(Errors.NONE);
        assertThat(partition.acquire("b", 1, 10, 7).acquired()).containsExactly(new AcquiredRecords(2, 2, 1));

        partition.releaseMember("b", 8);
        partition.advanceLogStartOffset(4);
        assertThat(partition.alterStartOffset(0, 9)).isEqualTo(Errors.NONE);
        assertThat(partition.startOffset()).as("not below the log start").isEqualTo(4);
    }

    @Test
    void aLeavingMemberReleasesItsRecordsKeepingTheirDeliveryCount() {
        partition.acquire("a", 3, 6, 0);
        partition.acquire("b", 3, 6, 0);
        assertThat(partition.releaseMember("a", 1)).isEmpty();

        assertThat(partition.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        assertThat(partition.deliveryCount(0)).isEqualTo(1);
        assertThat(partition.holder(3)).as("the other member keeps its records").isEqualTo("b");
        assertThat(partition.acquire("c", 10, 6, 1).acquired()).containsExactly(new AcquiredRecords(0, 2, 2));
    }

    @Test
    void complementaryFiltersEachGetExactlyTheirRecordsWithoutRaisingDeliveryCounts() {
        LongFunction<ShareRecord> log = offset -> offset < 20 ? record(offset, offset % 2 == 0 ? "red" : "blue") : null;
        Predicate<ShareRecord> red = colour("red");
        Predicate<ShareRecord> blue = colour("blue");

        AcquireResult redFirst = partition.acquire("r", 100, 20, log, red, 0);
        assertThat(offsets(redFirst)).allMatch(o -> o % 2 == 0).hasSize(10);
        assertThat(partition.stateOf(1)).isEqualTo(RecordState.AVAILABLE);
        assertThat(partition.deliveryCount(1)).as("skipping does not count as a delivery").isZero();

        AcquireResult blueNext = partition.acquire("b", 100, 20, log, blue, 0);
        assertThat(offsets(blueNext)).allMatch(o -> o % 2 == 1).hasSize(10);
        assertThat(blueNext.acquired()).allMatch(a -> a.deliveryCount() == 1);

        partition.acknowledge("r", 0, 0, AcknowledgeType.ACCEPT, 1);
        assertThat(partition.acquire("r", 100, 20, log, red, 1).acquired()).as("blue is not for red").isEmpty();
        partition.checkInvariants();
        for (long offset = partition.startOffset(); offset < 20; offset++) {
            assertThat(partition.stateOf(offset)).isNotEqualTo(RecordState.ARCHIVED);
        }
    }

    @Test
    void aFilterStopsAtMaxRecords() {
        LongFunction<ShareRecord> log = offset -> record(offset, "red");
        assertThat(partition.acquire("r", 3, 100, log, colour("red"), 0).acquired())
                .containsExactly(new AcquiredRecords(0, 2, 1));
        assertThat(partition.endOffset()).isEqualTo(3);
    }

    @Test
    void recordsTheLogNoLongerHoldsAreArchivedOnceNoMemberHoldsThem() {
        partition.acquire("a", 2, 10, 0);
        partition.acquire("b", 2, 10, 0);
        partition.acknowledge("b", 2, 3, AcknowledgeType.RELEASE, 0);

        partition.advanceLogStartOffset(3);
        assertThat(partition.stateOf(2)).isEqualTo(RecordState.ARCHIVED);
        assertThat(partition.stateOf(3)).isEqualTo(RecordState.AVAILABLE);
        assertThat(partition.holder(1)).as("still held").isEqualTo("a");
        assertThat(partition.acknowledge("a", 0, 0, AcknowledgeType.ACCEPT, 1).error()).isEqualTo(Errors.NONE);
        assertThat(partition.acknowledge("a", 1, 1, AcknowledgeType.RELEASE, 1).archivedAtDeliveryLimit())
                .as("gone from the log, not at the delivery limit").isEmpty();
        assertThat(partition.startOffset()).isEqualTo(3);

        partition.advanceLogStartOffset(50);
        assertThat(partition.startOffset()).isEqualTo(50);
        assertThat(partition.acquire("c", 1, 60, 2).acquired()).containsExactly(new AcquiredRecords(50, 50, 1));
        partition.checkInvariants();
    }

    @Test
    void aHundredThousandOffsetsInFlightTakeAHandfulOfRanges() {
        SharePartition big = new SharePartition(new ShareLimits(LOCK_MS, 5, 200_000), 0, 0);
        assertThat(big.acquire("a", 100_000, 1_000_000, 0).acquiredCount()).isEqualTo(100_000);
        assertThat(big.rangeCount()).isEqualTo(1);

        big.acknowledge("a", 50_000, 59_999, AcknowledgeType.ACCEPT, 1);
        big.acknowledge("a", 70_000, 70_000, AcknowledgeType.RELEASE, 1);
        assertThat(big.rangeCount()).isEqualTo(5);
        assertThat(big.acquiredCount()).isEqualTo(89_999);
        big.acknowledge("a", 0, 49_999, AcknowledgeType.ACCEPT, 2);
        assertThat(big.startOffset()).isEqualTo(60_000);
        big.checkInvariants();
    }

    static Predicate<ShareRecord> colour(String colour) {
        return r -> {
            for (Header header : r.headers()) {
                String value = new String(header.value(), StandardCharsets.UTF_8);
                if (header.key().equals("colour") && value.equals(colour)) {
                    return true;
                }
            }
            return false;
        };
    }

    static Set<Long> offsets(AcquireResult result) {
        Set<Long> offsets = new HashSet<>();
        for (AcquiredRecords records : result.acquired()) {
            for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                offsets.add(offset);
            }
        }
        return offsets;
    }

    static ShareRecord record(long offset, String colour) {
        Header[] headers = {new RecordHeader("colour", colour.getBytes(StandardCharsets.UTF_8))};
        return new ShareRecord() {
            @Override
            public long offset() {
                return offset;
            }

            @Override
            public long timestampMs() {
                return offset;
            }

            @Override
            public ByteBuffer key() {
                return null;
            }

            @Override
            public Header[] headers() {
                return headers;
            }
        };
    }
}

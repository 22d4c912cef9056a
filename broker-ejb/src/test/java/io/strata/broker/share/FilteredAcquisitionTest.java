package io.strata.broker.share;

import io.strata.broker.share.selector.MessageSelector;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A share partition acquiring for members with JMS message selectors, over one read of the log at a time: what the
 * read does not hold is not tested and stays Available; what it covers without a record is archived.
 */
@Timeout(30)
class FilteredAcquisitionTest {

    private static final ShareLimits LIMITS = new ShareLimits(30_000, 3, 2000);

    private final SharePartition partition = new SharePartition(LIMITS, 0, 0);

    /** Offsets 0..99: even ones red, odd ones blue; every tenth has no record (compacted away). */
    private static final LongFunction<ShareRecord> LOG = offset -> offset % 10 == 5 ? null
            : new Record(offset, offset % 2 == 0 ? "red" : "blue");

    private static Predicate<ShareRecord> selector(String text) throws Exception {
        return MessageSelector.parse(text).forPartition("orders", 0);
    }

    @Test
    void offsetsOutsideTheReadAreNotTestedAndStayAvailable() throws Exception {
        Predicate<ShareRecord> blue = selector("colour = 'blue'");
        // Another member got 0..19 earlier and released them: they are in flight, Available.
        partition.acquire("other", 20, 20, 0);
        partition.releaseMember("other", 1);

        // This read holds offsets 10..29 only.
        AcquireResult result = partition.acquire("b", 100, 30, 10, LOG, blue, 2);

        assertThat(offsets(result)).containsExactly(11L, 13L, 17L, 19L, 21L, 23L, 27L, 29L);
        for (long offset = 0; offset < 10; offset++) {
            assertThat(partition.stateOf(offset)).as("offset " + offset + " was not read").isEqualTo(
                    RecordState.AVAILABLE);
        }
        assertThat(partition.stateOf(15)).as("read, and no record there").isEqualTo(RecordState.ARCHIVED);
        assertThat(partition.stateOf(25)).isEqualTo(RecordState.ARCHIVED);
        assertThat(partition.deliveryCount(12)).as("red, not for b: delivered once, to the other member")
                .isEqualTo(1);
        assertThat(partition.deliveryCount(22)).as("red, never delivered").isZero();
        assertThat(partition.endOffset()).isEqualTo(30);
        partition.checkInvariants();
    }

    @Test
    void testingStopsWhereTheReadEndsEvenBelowTheLogEndOffset() throws Exception {
        RecordLookup readUpTo25 = new RecordLookup() {
            @Override
            public long firstOffset() {
                return 0;
            }

            @Override
            public boolean reaches(long offset) {
                return offset < 25;
            }

            @Override
            public ShareRecord record(long offset) {
                return LOG.apply(offset);
            }
        };

        AcquireResult result = partition.acquire("r", 100, 40, readUpTo25, selector("colour = 'red'"), 0);

        assertThat(offsets(result)).containsExactly(0L, 2L, 4L, 6L, 8L, 10L, 12L, 14L, 16L, 18L, 20L, 22L, 24L);
        assertThat(partition.endOffset()).as("nothing past the read is taken in").isEqualTo(25);
        assertThat(partition.nextAvailableOffset()).isEqualTo(1);
        partition.checkInvariants();
    }

    @Test
    void membersWithComplementarySelectorsTakeEveryRecordOnceAndArchiveNone() throws Exception {
        Predicate<ShareRecord> red = selector("colour = 'red'");
        Predicate<ShareRecord> notRed = selector("colour <> 'red'");
        Set<Long> taken = new HashSet<>();
        long nowMs = 0;
        // Each fetch reads 25 offsets from the first Available one, as the handler does, and takes at most 7.
        while (partition.startOffset() < 100) {
            for (String member : new String[]{"r", "n"}) {
                long from = partition.nextAvailableOffset();
                Predicate<ShareRecord> filter = member.equals("r") ? red : notRed;
                AcquireResult result = partition.acquire(member, 7, Math.min(100, from + 25), from, LOG, filter,
                        nowMs++);
                for (long offset : offsets(result)) {
                    ShareRecord record = LOG.apply(offset);
                    assertThat(filter.test(record)).as("offset " + offset + " for " + member).isTrue();
                    assertThat(taken.add(offset)).as("offset " + offset + " taken twice").isTrue();
                }
                assertThat(result.acquired()).allMatch(records -> records.deliveryCount() == 1);
                for (AcquiredRecords records : result.acquired()) {
                    partition.acknowledge(member, records.firstOffset(), records.lastOffset(),
                            AcknowledgeType.ACCEPT, nowMs);
                }
                partition.checkInvariants();
            }
        }
        assertThat(taken).hasSize(90);
    }

    private static Set<Long> offsets(AcquireResult result) {
        Set<Long> offsets = new java.util.TreeSet<>();
        for (AcquiredRecords records : result.acquired()) {
            for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                offsets.add(offset);
            }
        }
        return offsets;
    }

    private record Record(long offset, String colour) implements ShareRecord {
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
            return new Header[]{new RecordHeader("colour", colour.getBytes(StandardCharsets.UTF_8))};
        }
    }
}

package io.strata.broker.share;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AbortedRecordsTest {

    private static final List<AcquiredRecords> ACQUIRED = List.of(new AcquiredRecords(0, 9, 1),
            new AcquiredRecords(12, 15, 2));

    @Test
    void onlyTheAcquiredPartOfAnAbortedBatchIsArchived() {
        List<OffsetRange> aborted = List.of(new OffsetRange(3, 4), new OffsetRange(8, 13));

        assertThat(AbortedRecords.within(ACQUIRED, aborted)).containsExactly(new OffsetRange(3, 4),
                new OffsetRange(8, 9), new OffsetRange(12, 13));
    }

    @Test
    void whatIsLeftKeepsItsDeliveryCounts() {
        List<OffsetRange> aborted = List.of(new OffsetRange(3, 4), new OffsetRange(8, 9), new OffsetRange(12, 13));

        assertThat(AbortedRecords.without(ACQUIRED, aborted)).containsExactly(new AcquiredRecords(0, 2, 1),
                new AcquiredRecords(5, 7, 1), new AcquiredRecords(14, 15, 2));
    }

    @Test
    void nothingAbortedLeavesTheAcquisitionWhole() {
        assertThat(AbortedRecords.within(ACQUIRED, List.of(new OffsetRange(10, 11)))).isEmpty();
        assertThat(AbortedRecords.without(ACQUIRED, List.of())).isEqualTo(ACQUIRED);
    }
}

package io.strata.storage.log;

import io.strata.storage.TestBatches;
import io.strata.storage.config.LogConfig;
import io.strata.storage.segment.SegmentFiles;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.strata.storage.log.LogHarness.append;
import static org.assertj.core.api.Assertions.assertThat;

class PartitionLogTransactionIndexTest {

    private static final LogConfig SMALL_SEGMENTS = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 1024,
            LogConfig.INDEX_INTERVAL_BYTES, 256, LogConfig.FILE_DELETE_DELAY_MS, 0));

    @TempDir
    Path root;
    LogHarness harness;

    @BeforeEach
    void setUp() {
        harness = new LogHarness(root);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        harness.close();
    }

    private ByteBuffer batch() {
        return TestBatches.records(3).valueBytes(60).timestamp(harness.clock.millis()).build();
    }

    private PartitionLog logWithBatches(int batches) {
        PartitionLog log = harness.open(SMALL_SEGMENTS);
        for (int i = 0; i < batches; i++) {
            append(log, batch());
        }
        return log;
    }

    @Test
    void anAbortedTransactionIsIndexedInTheSegmentOfItsMarkerAndFoundFromAnEarlierSegment() throws IOException {
        PartitionLog log = logWithBatches(20);
        assertThat(log.segmentCount()).isGreaterThan(2);
        long markerOffset = log.segments().get(2).baseOffset() + 1;
        AbortedTransaction aborted = new AbortedTransaction(42, 2, markerOffset, markerOffset + 1);

        assertThat(log.appendAbortedTransaction(aborted)).isTrue();

        assertThat(log.segments().get(2).transactionIndex().all()).containsExactly(aborted);
        assertThat(log.collectAbortedTransactions(0, log.logEndOffset())).containsExactly(aborted);
        assertThat(log.collectAbortedTransactions(markerOffset + 1, log.logEndOffset())).isEmpty();
        assertThat(log.collectAbortedTransactions(0, 2)).isEmpty();
        // A replay of the same marker after a restart writes nothing twice.
        assertThat(log.appendAbortedTransaction(aborted)).isFalse();
        log.close();
    }

    @Test
    void onlySegmentsFromTheReadOnAreAskedWhetherTheyIndexAnAbortedTransaction() {
        PartitionLog log = logWithBatches(20);
        assertThat(log.hasAbortedTransactionsFrom(0)).as("nothing aborted yet").isFalse();
        long markerOffset = log.segments().get(2).baseOffset() + 1;

        log.appendAbortedTransaction(new AbortedTransaction(42, 2, markerOffset, markerOffset + 1));

        assertThat(log.hasAbortedTransactionsFrom(0)).isTrue();
        assertThat(log.hasAbortedTransactionsFrom(markerOffset)).isTrue();
        assertThat(log.hasAbortedTransactionsFrom(log.segments().get(3).baseOffset()))
                .as("the marker's segment is behind the read").isFalse();
        log.close();
    }

    @Test
    void theOffsetAfterARegionIsTheOneAfterItsLastBatch() {
        PartitionLog log = logWithBatches(20);
        long second = log.segments().get(1).baseOffset();

        try (LogReadResult one = log.read(second, 1, Long.MAX_VALUE, true);
             LogReadResult some = log.read(second, 500, Long.MAX_VALUE, true);
             LogReadResult none = log.read(log.logEndOffset(), 500, Long.MAX_VALUE, true)) {
            assertThat(log.nextOffsetAfter(one)).as("one batch of three records").isEqualTo(second + 3);
            assertThat(log.nextOffsetAfter(some)).isEqualTo(second + 3L * (500 / one.records().sizeInBytes()));
            assertThat(log.nextOffsetAfter(none)).isEqualTo(-1);
        }
        log.close();
    }

    @Test
    void truncationBelowAMarkerRemovesItsEntry() {
        PartitionLog log = logWithBatches(20);
        long marker = log.logEndOffset() - 2;
        log.appendAbortedTransaction(new AbortedTransaction(42, 3, marker, marker + 1));

        log.truncateTo(marker);

        assertThat(log.collectAbortedTransactions(0, Long.MAX_VALUE)).isEmpty();
        log.close();
    }

    @Test
    void entriesSurviveACleanRestartAndRecoveryCutsThosePastTheRecoveredEnd() throws IOException {
        PartitionLog log = logWithBatches(20);
        long first = log.segments().get(1).baseOffset() + 1;
        long end = log.logEndOffset();
        AbortedTransaction kept = new AbortedTransaction(1, 0, first, first + 1);
        log.appendAbortedTransaction(kept);
        log.flush(end);
        log.close();

        PartitionLog reopened = harness.open(SMALL_SEGMENTS);
        assertThat(reopened.collectAbortedTransactions(0, Long.MAX_VALUE)).containsExactly(kept);
        // An entry whose marker a crash takes: the log end drops back, and the entry with it.
        AbortedTransaction lost = new AbortedTransaction(2, end, end + 4, end + 5);
        for (int i = 0; i < 2; i++) {
            append(reopened, batch());
        }
        reopened.appendAbortedTransaction(lost);
        Path activeLog = reopened.activeSegment().logFile();
        LogHarness.crash(reopened);
        // Cut the last batch off the active segment, as a crash before the data reached the disk would.
        try (var channel = java.nio.channels.FileChannel.open(activeLog, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 1);
        }

        PartitionLog recovered = harness.open(SMALL_SEGMENTS, false, end, 0);

        assertThat(recovered.logEndOffset()).isEqualTo(end + 3);
        assertThat(recovered.collectAbortedTransactions(0, Long.MAX_VALUE)).containsExactly(kept);
        recovered.close();
    }

    @Test
    void anInterruptedCleanerSwapBringsTheCleanedSegmentsTransactionIndexAndDropsAnUncommittedOne()
            throws IOException {
        PartitionLog log = logWithBatches(20);
        long secondBase = log.segments().get(1).baseOffset();
        log.close();
        AbortedTransaction aborted = new AbortedTransaction(9, 0, 1, 2);
        // Segment 0 cleaned and committed as .swap, with its aborted transaction; segment 1's cleaning not committed.
        Files.copy(SegmentFiles.log(harness.dir, 0, ""), SegmentFiles.log(harness.dir, 0, SegmentFiles.SWAP));
        new io.strata.storage.segment.TransactionIndex(SegmentFiles.transactionIndex(harness.dir, 0, SegmentFiles.SWAP))
                .append(aborted);
        Path uncommitted = SegmentFiles.transactionIndex(harness.dir, secondBase, SegmentFiles.SWAP);
        new io.strata.storage.segment.TransactionIndex(uncommitted).append(new AbortedTransaction(9, 10, 11, 12));

        PartitionLog reopened = harness.open(SMALL_SEGMENTS);

        assertThat(reopened.collectAbortedTransactions(0, Long.MAX_VALUE)).containsExactly(aborted);
        assertThat(uncommitted).doesNotExist();
        assertThat(SegmentFiles.transactionIndex(harness.dir, 0, SegmentFiles.SWAP)).doesNotExist();
        reopened.close();
    }

    @Test
    void retentionDeletesTheIndexWithItsSegment() {
        PartitionLog log = logWithBatches(20);
        long marker = log.segments().get(0).baseOffset() + 1;
        log.appendAbortedTransaction(new AbortedTransaction(1, 0, marker, marker + 1));
        Path file = SegmentFiles.transactionIndex(log.dir(), 0, "");
        assertThat(file).exists();

        log.deleteRecordsBefore(log.segments().get(1).baseOffset());
        log.deleteRetentionBreachedSegments(log.logEndOffset());

        assertThat(file).doesNotExist();
        assertThat(SegmentFiles.transactionIndex(log.dir(), 0, SegmentFiles.DELETED)).doesNotExist();
        assertThat(log.collectAbortedTransactions(log.logStartOffset(), Long.MAX_VALUE)).isEmpty();
        log.close();
    }
}

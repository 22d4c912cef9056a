package io.strata.storage.log;

import io.strata.storage.TestBatches;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.batch.BatchHeader;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.LeaderEpochCache.EpochEndOffset;
import io.strata.storage.log.LeaderEpochCache.Entry;
import io.strata.storage.segment.SegmentFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The log keeps its leader epoch cache in step with appends, truncations, moves of the log start and restarts. */
class PartitionLogLeaderEpochTest {

    private static final LogConfig SMALL_SEGMENTS = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 400,
            LogConfig.FILE_DELETE_DELAY_MS, 0L));

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

    private ByteBuffer batch(int records) {
        return TestBatches.records(records).timestamp(harness.clock.millis()).build();
    }

    /** A batch as a leader sent it: its offsets assigned from {@code baseOffset}, stamped with {@code epoch}. */
    private ByteBuffer replicated(long baseOffset, int records, int epoch) {
        ByteBuffer batch = batch(records);
        // Neither field is covered by the CRC.
        batch.putLong(BatchHeader.BASE_OFFSET_OFFSET, baseOffset);
        batch.putInt(BatchHeader.PARTITION_LEADER_EPOCH_OFFSET, epoch);
        return batch;
    }

    /** Appends under epochs 0, 0, 1 and 3: offsets 0-2 and 3-4 in epoch 0, 5-6 in epoch 1, 7 in epoch 3. */
    private PartitionLog logWithEpochs(LogConfig config) {
        PartitionLog log = harness.open(config);
        log.append(batch(3), 0, AppendOrigin.CLIENT);
        log.append(batch(2), 0, AppendOrigin.CLIENT);
        log.append(batch(2), 1, AppendOrigin.CLIENT);
        log.append(batch(1), 3, AppendOrigin.CLIENT);
        return log;
    }

    private Path checkpoint() {
        return harness.dir.resolve(LeaderEpochCache.FILE_NAME);
    }

    @Test
    void appendsRecordWhereEachLeaderEpochStarts() throws IOException {
        PartitionLog log = logWithEpochs(LogConfig.defaults());

        assertThat(log.leaderEpochCache().entries()).containsExactly(new Entry(0, 0), new Entry(1, 5), new Entry(3, 7));
        assertThat(log.leaderEpochCache().endOffsetFor(0, log.logEndOffset())).isEqualTo(new EpochEndOffset(0, 5));
        assertThat(log.leaderEpochCache().endOffsetFor(2, log.logEndOffset())).isEqualTo(new EpochEndOffset(1, 7));
        assertThat(log.leaderEpochCache().endOffsetFor(3, log.logEndOffset())).isEqualTo(new EpochEndOffset(3, 8));
        assertThat(Files.readAllLines(checkpoint())).containsExactly("0", "3", "0 0", "1 5", "3 7");
        log.close();
    }

    @Test
    void anAppendUnderAnOlderEpochDoesNotRewriteTheHistory() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());

        log.append(batch(1), 1, AppendOrigin.CLIENT);

        assertThat(log.leaderEpochCache().entries()).containsExactly(new Entry(0, 0), new Entry(1, 5), new Entry(3, 7));
        log.close();
    }

    @Test
    void appendAsFollowerRecordsTheEpochsStampedOnTheLeadersBatches() {
        PartitionLog log = harness.open(LogConfig.defaults());

        log.appendAsFollower(replicated(0, 3, 2));
        log.appendAsFollower(replicated(3, 2, 2));
        ByteBuffer twoBatches = ByteBuffer.allocate(1 << 12);
        twoBatches.put(replicated(5, 1, -1)).put(replicated(6, 2, 5)).flip();
        log.appendAsFollower(twoBatches);

        assertThat(log.logEndOffset()).isEqualTo(8);
        assertThat(log.leaderEpochCache().entries()).containsExactly(new Entry(2, 0), new Entry(5, 6));
        log.close();
    }

    @Test
    void truncationDropsTheEpochsStartingAtOrAfterTheNewLogEnd() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());

        log.truncateTo(7);

        assertThat(log.leaderEpochCache().entries()).containsExactly(new Entry(0, 0), new Entry(1, 5));
        log.close();
    }

    @Test
    void aBatchStraddlingTheTruncationOffsetTakesItsEpochWithIt() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());

        log.truncateTo(6);

        assertThat(log.logEndOffset()).isEqualTo(5);
        assertThat(log.leaderEpochCache().entries()).containsExactly(new Entry(0, 0));
        assertThat(log.leaderEpochCache().latestEpoch()).hasValue(0);
        log.close();
    }

    @Test
    void truncationToTheLogEndDropsAnEpochThatWroteNothing() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());
        // A leader elected at epoch 4 records its epoch at the log end, then loses leadership before writing.
        log.leaderEpochCache().assign(4, log.logEndOffset());

        assertThat(log.truncateTo(log.logEndOffset())).isFalse();

        assertThat(log.leaderEpochCache().latestEpoch()).hasValue(3);
        log.close();
    }

    @Test
    void emptyingTheLogClearsItsEpochs() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());

        log.truncateFullyAndStartAt(100);

        assertThat(log.leaderEpochCache().entries()).isEmpty();
        log.append(batch(1), 7, AppendOrigin.CLIENT);
        assertThat(log.leaderEpochCache().entries()).containsExactly(new Entry(7, 100));
        log.close();
    }

    @Test
    void deletingRecordsMovesTheFirstEpochUpToTheNewLogStart() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());

        log.deleteRecordsBefore(6);

        assertThat(log.leaderEpochCache().entries()).containsExactly(new Entry(1, 6), new Entry(3, 7));
        log.close();
    }

    @Test
    void retentionDeletingSegmentsMovesTheFirstEpochUpToTheNewLogStart() {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 400, LogConfig.FILE_DELETE_DELAY_MS, 0L,
                LogConfig.RETENTION_BYTES, 800L));
        PartitionLog log = harness.open(config);
        // Epoch e holds offsets 4e to 4e + 3, in two batches.
        for (int epoch = 0; epoch < 6; epoch++) {
            log.append(batch(2), epoch, AppendOrigin.CLIENT);
            log.append(batch(2), epoch, AppendOrigin.CLIENT);
        }

        assertThat(log.deleteRetentionBreachedSegments(log.logEndOffset())).isPositive();

        long start = log.logStartOffset();
        assertThat(start).isPositive().isEqualTo(log.segments().get(0).baseOffset());
        Entry first = log.leaderEpochCache().entries().get(0);
        assertThat(first).isEqualTo(new Entry((int) (start / 4), start));
        assertThat(log.leaderEpochCache().latestEpoch()).hasValue(5);
        log.close();
    }

    @Test
    void reopeningTheLogKeepsItsEpochs() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());
        log.flush(log.logEndOffset());
        log.close();

        PartitionLog reopened = harness.open(LogConfig.defaults());

        assertThat(reopened.leaderEpochCache().entries())
                .containsExactly(new Entry(0, 0), new Entry(1, 5), new Entry(3, 7));
        reopened.close();
    }

    @Test
    void aLogWrittenBeforeTheCheckpointExistedRebuildsItFromItsBatches() throws IOException {
        PartitionLog log = logWithEpochs(SMALL_SEGMENTS);
        log.append(batch(4), 6, AppendOrigin.CLIENT);
        assertThat(log.segmentCount()).isGreaterThan(1);
        log.flush(log.logEndOffset());
        log.close();
        Files.delete(checkpoint());

        PartitionLog reopened = harness.open(SMALL_SEGMENTS);

        assertThat(reopened.leaderEpochCache().entries())
                .containsExactly(new Entry(0, 0), new Entry(1, 5), new Entry(3, 7), new Entry(6, 8));
        assertThat(Files.readAllLines(checkpoint())).containsExactly("0", "4", "0 0", "1 5", "3 7", "6 8");
        reopened.close();
    }

    @Test
    void aCorruptCheckpointIsRebuiltFromTheBatches() throws IOException {
        PartitionLog log = logWithEpochs(LogConfig.defaults());
        log.flush(log.logEndOffset());
        log.close();
        Files.writeString(checkpoint(), "0\n3\n0 0\n1 fi");

        PartitionLog reopened = harness.open(LogConfig.defaults());

        assertThat(reopened.leaderEpochCache().entries())
                .containsExactly(new Entry(0, 0), new Entry(1, 5), new Entry(3, 7));
        assertThat(Files.readAllLines(checkpoint())).containsExactly("0", "3", "0 0", "1 5", "3 7");
        reopened.close();
    }

    @Test
    void aNewLogWritesNoCheckpointUntilAnEpochIsAssigned() {
        PartitionLog log = harness.open(LogConfig.defaults());

        assertThat(log.leaderEpochCache().entries()).isEmpty();
        assertThat(checkpoint()).doesNotExist();

        log.append(batch(1), 0, AppendOrigin.CLIENT);

        assertThat(checkpoint()).exists();
        log.close();
    }

    @Test
    void anEpochAssignedPastTheLogEndIsDroppedOnLoad() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());
        log.flush(log.logEndOffset());
        // What a crash between recording an epoch and writing its batches leaves.
        log.leaderEpochCache().assign(9, log.logEndOffset() + 5);
        LogHarness.crash(log);

        PartitionLog recovered = harness.open(LogConfig.defaults(), false, log.logEndOffset(), 0);

        assertThat(recovered.leaderEpochCache().latestEpoch()).hasValue(3);
        recovered.close();
    }

    @Test
    void aTornBatchTakesItsEpochWithItOnRecovery() throws IOException {
        PartitionLog log = logWithEpochs(LogConfig.defaults());
        log.append(batch(5), 8, AppendOrigin.CLIENT);
        assertThat(log.leaderEpochCache().latestEpoch()).hasValue(8);
        Path file = SegmentFiles.log(harness.dir, 0, "");
        LogHarness.crash(log);
        // The last batch reached the disk only in part.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 10);
        }

        PartitionLog recovered = harness.open(LogConfig.defaults(), false, 0, 0);

        assertThat(recovered.logEndOffset()).isEqualTo(8);
        assertThat(recovered.leaderEpochCache().entries())
                .containsExactly(new Entry(0, 0), new Entry(1, 5), new Entry(3, 7));
        recovered.close();
    }

    @Test
    void theLogStartCheckpointTrimsTheEpochsOnLoad() {
        PartitionLog log = logWithEpochs(LogConfig.defaults());
        log.flush(log.logEndOffset());
        log.close();

        PartitionLog reopened = harness.open(LogConfig.defaults(), true, 0, 6);

        assertThat(reopened.logStartOffset()).isEqualTo(6);
        assertThat(reopened.leaderEpochCache().entries()).containsExactly(new Entry(1, 6), new Entry(3, 7));
        reopened.close();
    }
}

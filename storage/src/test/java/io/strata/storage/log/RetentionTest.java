package io.strata.storage.log;

import io.strata.storage.TestBatches;
import io.strata.storage.config.LogConfig;
import io.strata.storage.segment.LogSegment;
import io.strata.storage.segment.SegmentFiles;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static io.strata.storage.log.LogHarness.append;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class RetentionTest {

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

    private static LogConfig config(Object... settings) {
        Map<String, Object> map = new HashMap<>();
        map.put(LogConfig.SEGMENT_BYTES, 1000);
        map.put(LogConfig.FILE_DELETE_DELAY_MS, 0L);
        for (int i = 0; i < settings.length; i += 2) {
            map.put((String) settings[i], settings[i + 1]);
        }
        return LogConfig.of(map);
    }

    private ByteBuffer batchAt(long timestamp) {
        return TestBatches.records(1).valueBytes(300).timestamp(timestamp).build();
    }

    /** Appends {@code count} batches a minute apart, each about a third of a segment. */
    private PartitionLog logSpanningMinutes(LogConfig config, int count) {
        PartitionLog log = harness.open(config);
        for (int i = 0; i < count; i++) {
            append(log, batchAt(harness.clock.millis()));
            harness.clock.advance(60_000);
        }
        return log;
    }

    @Test
    void retentionMsDeletesExpiredSegmentsOldestFirst() {
        PartitionLog log = logSpanningMinutes(config(LogConfig.RETENTION_MS, 10 * 60_000L), 20);
        int segmentsBefore = log.segmentCount();
        // The clock is now 20 minutes after the first batch: batches 0..9 are older than 10 minutes.

        int deleted = log.deleteRetentionBreachedSegments(Long.MAX_VALUE);

        assertThat(deleted).isPositive();
        assertThat(log.segmentCount()).isEqualTo(segmentsBefore - deleted);
        assertThat(log.logStartOffset()).isEqualTo(log.segments().get(0).baseOffset());
        // Every batch still present is at most 10 minutes old, and every older one is gone but for those sharing a
        // segment with a younger batch.
        assertThat(log.logStartOffset()).isBetween(9L, 11L);
        assertThatThrownBy(() -> log.read(0, 1000, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);
        log.close();
    }

    @Test
    void retentionMsRollsAndDeletesAnExpiredActiveSegment() {
        PartitionLog log = logSpanningMinutes(config(LogConfig.RETENTION_MS, 60_000L), 2);
        harness.clock.advance(10 * 60_000);

        log.deleteRetentionBreachedSegments(Long.MAX_VALUE);

        assertThat(log.segmentCount()).isEqualTo(1);
        assertThat(log.activeSegment().sizeInBytes()).isZero();
        assertThat(log.logStartOffset()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(2);
        log.close();
    }

    @Test
    void retentionBytesKeepsTheLogUnderTheLimit() {
        PartitionLog log = logSpanningMinutes(config(LogConfig.RETENTION_BYTES, 2500L), 30);

        log.deleteRetentionBreachedSegments(Long.MAX_VALUE);

        assertThat(log.sizeInBytes()).isLessThanOrEqualTo(2500 + 1000);
        long withoutOldest = log.sizeInBytes() - log.segments().get(0).sizeInBytes();
        assertThat(withoutOldest).isLessThan(2500);
        log.close();
    }

    @Test
    void retentionNeverDeletesAtOrAboveTheHighWatermark() {
        PartitionLog log = logSpanningMinutes(config(LogConfig.RETENTION_MS, 1L), 20);
        long highWatermark = log.segments().get(2).baseOffset();

        log.deleteRetentionBreachedSegments(highWatermark);

        assertThat(log.logStartOffset()).isEqualTo(highWatermark);
        log.close();
    }

    @Test
    void compactOnlyTopicsAreNotDeletedByTimeOrSize() {
        LogConfig config = config(LogConfig.CLEANUP_POLICY, "compact", LogConfig.RETENTION_MS, 1L,
                LogConfig.RETENTION_BYTES, 10L);
        PartitionLog log = harness.open(config);
        for (int i = 0; i < 10; i++) {
            append(log, TestBatches.records(1).valueBytes(300).timestamp(harness.clock.millis()).build());
        }
        harness.clock.advance(60_000);
        int before = log.segmentCount();

        assertThat(log.deleteRetentionBreachedSegments(Long.MAX_VALUE)).isZero();
        assertThat(log.segmentCount()).isEqualTo(before);

        LogConfig both = config.with(Map.of(LogConfig.CLEANUP_POLICY, "compact,delete"));
        log.updateConfig(both);
        assertThat(log.deleteRetentionBreachedSegments(Long.MAX_VALUE)).isPositive();
        log.close();
    }

    @Test
    void deletedRecordsAreNotServedAndTheirSegmentsGo() {
        PartitionLog log = logSpanningMinutes(config(), 20);
        long cut = log.segments().get(3).baseOffset() + 1;

        assertThat(log.deleteRecordsBefore(cut)).isEqualTo(cut);

        assertThatThrownBy(() -> log.read(cut - 1, 1000, Long.MAX_VALUE, true))
                .isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.deleteRetentionBreachedSegments(Long.MAX_VALUE)).isEqualTo(3);
        assertThat(log.segments().get(0).baseOffset()).isEqualTo(cut - 1);
        assertThat(log.logStartOffset()).isEqualTo(cut);
        assertThatThrownBy(() -> log.deleteRecordsBefore(log.logEndOffset() + 1))
                .isInstanceOf(OffsetOutOfRangeException.class);
        log.close();
    }

    @Test
    void deletedSegmentFilesWaitForFileDeleteDelay() {
        LogConfig config = config(LogConfig.RETENTION_MS, 1L, LogConfig.FILE_DELETE_DELAY_MS, 300L);
        PartitionLog log = logSpanningMinutes(config, 10);
        LogSegment oldest = log.segments().get(0);

        log.deleteRetentionBreachedSegments(Long.MAX_VALUE);

        Path deleted = SegmentFiles.log(harness.dir, oldest.baseOffset(), SegmentFiles.DELETED);
        assertThat(deleted).exists();
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(deleted));
        log.close();
    }
}

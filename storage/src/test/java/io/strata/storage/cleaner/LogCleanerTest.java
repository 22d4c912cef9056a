package io.strata.storage.cleaner;

import io.strata.storage.ManualClock;
import io.strata.storage.TestBatches;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class LogCleanerTest {

    private static final TopicPartition TP = new TopicPartition("accounts", 0);
    private static final long DAY_MS = 86_400_000L;

    @TempDir
    Path root;
    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    LogDirectory directory;

    @AfterEach
    void tearDown() {
        if (directory != null) {
            directory.close();
        }
    }

    private static LogConfig compacted(Object... settings) {
        Map<String, Object> map = new HashMap<>();
        map.put(LogConfig.CLEANUP_POLICY, "compact");
        map.put(LogConfig.SEGMENT_BYTES, 2048);
        map.put(LogConfig.MIN_CLEANABLE_DIRTY_RATIO, 0.01);
        map.put(LogConfig.FILE_DELETE_DELAY_MS, 0L);
        for (int i = 0; i < settings.length; i += 2) {
            map.put((String) settings[i], settings[i + 1]);
        }
        return LogConfig.of(map);
    }

    private PartitionLog open(LogConfig config, boolean backgroundCleaner) {
        directory = LogDirectory.open(LogDirectoryConfig.of(Map.of(
                        LogDirectoryConfig.LOG_DIR, root.toString(),
                        LogDirectoryConfig.CLEANER_ENABLE, backgroundCleaner,
                        LogDirectoryConfig.CLEANER_BACKOFF_MS, 50L,
                        LogDirectoryConfig.CLEANER_DEDUPE_BUFFER_SIZE, 1L << 20)),
                tp -> config, Executors.defaultThreadFactory(), clock);
        return directory.getOrCreate(TP, config);
    }

    /** Writes {@code key=value} as one batch; the value names the write so reads can check offsets. */
    private long put(PartitionLog log, String key, String value) {
        return put(log, key, value, Compression.NONE);
    }

    private long put(PartitionLog log, String key, String value, Compression compression) {
        return log.append(TestBatches.records(1).keys(i -> key).values(i -> value == null ? null : TestBatches.utf8(value))
                .compression(compression).timestamp(clock.millis()).build(), 0, AppendOrigin.CLIENT).firstOffset();
    }

    private static List<Record> readAll(PartitionLog log) throws IOException {
        List<Record> records = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            try (LogReadResult result = log.read(next, 1 << 20, Long.MAX_VALUE, true)) {
                List<MutableRecordBatch> batches = TestBatches.batchesOf(result.records().readAll());
                if (batches.isEmpty()) {
                    break;
                }
                for (MutableRecordBatch batch : batches) {
                    batch.ensureValid();
                    for (Record record : batch) {
                        if (record.offset() >= next) {
                            records.add(record);
                        }
                    }
                    next = batch.lastOffset() + 1;
                }
            }
        }
        return records;
    }

    private static Map<String, Long> latestOffsets(List<Record> records) {
        Map<String, Long> latest = new LinkedHashMap<>();
        for (Record record : records) {
            latest.put(TestBatches.keyOf(record), record.offset());
        }
        return latest;
    }

    @Test
    void keepsTheLatestRecordOfEveryKeyAtItsOriginalOffset() throws IOException {
        PartitionLog log = open(compacted(), false);
        Map<Long, String> written = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            String value = "v" + i;
            written.put(put(log, "k" + (i % 10), value), value);
        }
        List<Record> before = readAll(log);
        long activeBase = log.activeSegment().baseOffset();

        Optional<CleanerStats> stats = directory.cleaner().cleanFilthiestLog();

        assertThat(stats).isPresent();
        assertThat(stats.get().aborted()).isFalse();
        List<Record> after = readAll(log);
        assertThat(after.size()).isLessThan(before.size());
        assertThat(latestOffsets(after)).isEqualTo(latestOffsets(before));
        for (Record record : after) {
            assertThat(TestBatches.valueOf(record)).isEqualTo(written.get(record.offset()));
        }
        long cleanedRecords = after.stream().filter(r -> r.offset() < activeBase).count();
        long distinctKeysBelowActive = before.stream().filter(r -> r.offset() < activeBase)
                .map(TestBatches::keyOf).distinct().count();
        assertThat(cleanedRecords).isLessThanOrEqualTo(distinctKeysBelowActive + 1);
        assertThat(directory.cleaner().firstDirtyOffset(TP)).contains(activeBase);
        assertThat(log.logEndOffset()).isEqualTo(300);
    }

    @Test
    void tombstonesStayForDeleteRetentionMsThenGo() throws IOException {
        PartitionLog log = open(compacted(LogConfig.DELETE_RETENTION_MS, DAY_MS), false);
        put(log, "gone", "soon");
        long tombstone = put(log, "gone", null);
        for (int i = 0; i < 60; i++) {
            put(log, "other" + (i % 5), "x".repeat(50));
        }

        directory.cleaner().cleanFilthiestLog();

        List<Record> afterFirst = readAll(log);
        assertThat(afterFirst).anyMatch(r -> r.offset() == tombstone && !r.hasValue());
        assertThat(afterFirst).noneMatch(r -> "gone".equals(TestBatches.keyOf(r)) && r.hasValue());
        assertThat(directory.cleaner().cleanFilthiestLog()).isEmpty();

        clock.advance(DAY_MS + 1);
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();

        assertThat(readAll(log)).noneMatch(r -> "gone".equals(TestBatches.keyOf(r)));
    }

    @Test
    void minCleanableDirtyRatioHoldsCleaningBack() throws IOException {
        PartitionLog log = open(compacted(LogConfig.MIN_CLEANABLE_DIRTY_RATIO, 0.9), false);
        for (int i = 0; i < 200; i++) {
            put(log, "k" + i, "v" + i);
        }
        // Every key is distinct: a cleaning would keep everything, and everything is dirty (ratio 1.0).
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
        int afterFirst = readAll(log).size();
        for (int i = 0; i < 20; i++) {
            put(log, "k" + i, "again" + i);
        }

        assertThat(directory.cleaner().cleanFilthiestLog()).isEmpty();
        assertThat(readAll(log)).hasSize(afterFirst + 20);
    }

    @Test
    void minCompactionLagKeepsRecentRecordsUncleaned() throws IOException {
        PartitionLog log = open(compacted(LogConfig.MIN_COMPACTION_LAG_MS, 3_600_000L), false);
        for (int i = 0; i < 200; i++) {
            put(log, "same", "v" + i);
        }

        assertThat(directory.cleaner().cleanFilthiestLog()).isEmpty();
        assertThat(readAll(log)).hasSize(200);

        clock.advance(3_600_001L);
        put(log, "same", "late");
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
        assertThat(readAll(log).size()).isLessThan(50);
    }

    @Test
    void maxCompactionLagForcesCleaningBelowTheDirtyRatio() throws IOException {
        PartitionLog log = open(compacted(LogConfig.MIN_CLEANABLE_DIRTY_RATIO, 0.99,
                LogConfig.MAX_COMPACTION_LAG_MS, 60_000L), false);
        for (int i = 0; i < 100; i++) {
            put(log, "k" + (i % 50), "v" + i);
        }
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
        for (int i = 0; i < 40; i++) {
            put(log, "k" + (i % 3), "w" + i);
        }
        assertThat(directory.cleaner().cleanFilthiestLog()).isEmpty();

        clock.advance(120_000);
        put(log, "k0", "last");

        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
    }

    @Test
    void compressedBatchesAreRewrittenInTheirOwnCodec() throws IOException {
        PartitionLog log = open(compacted(), false);
        for (int i = 0; i < 100; i++) {
            log.append(TestBatches.records(5).keys(r -> "k" + (r % 2)).compression(Compression.lz4().build())
                    .timestamp(clock.millis()).build(), 0, AppendOrigin.CLIENT);
        }

        directory.cleaner().cleanFilthiestLog();

        try (LogReadResult result = log.read(0, 1 << 20, Long.MAX_VALUE, true)) {
            List<MutableRecordBatch> batches = TestBatches.batchesOf(result.records().readAll());
            assertThat(batches).allSatisfy(b -> {
                assertThat(b.isValid()).isTrue();
                assertThat(b.compressionType()).isEqualTo(CompressionType.LZ4);
            });
        }
        assertThat(latestOffsets(readAll(log))).containsEntry("k0", 499L).containsEntry("k1", 498L);
    }

    @Test
    void readersDuringCleaningSeeAConsistentLog() throws Exception {
        PartitionLog log = open(compacted(), true);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                while (running.get()) {
                    long previous = -1;
                    for (Record record : readAll(log)) {
                        // Each value is the offset it was written at: compaction must keep offsets and contents.
                        assertThat(record.offset()).isGreaterThan(previous);
                        assertThat(TestBatches.valueOf(record)).isEqualTo("at-" + record.offset());
                        previous = record.offset();
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        for (int i = 0; i < 3000; i++) {
            put(log, "k" + (i % 20), "at-" + i);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> directory.cleaner().firstDirtyOffset(TP).orElse(0L) > 2000);
        running.set(false);
        reader.join(30_000);

        assertThat(failure.get()).isNull();
        assertThat(readAll(log).size()).isLessThan(1500);
    }

    @Test
    void segmentsEmptiedByCleaningStillExpireByRetention() throws IOException {
        PartitionLog log = open(compacted(LogConfig.CLEANUP_POLICY, "compact,delete",
                LogConfig.RETENTION_MS, 3_600_000L), false);
        for (int i = 0; i < 100; i++) {
            put(log, "same", "v" + i);
        }
        clock.advance(60_000);
        put(log, "fresh", "x".repeat(1500));
        put(log, "fresh", "y".repeat(1500));
        directory.cleaner().cleanFilthiestLog();
        long startBefore = log.logStartOffset();

        clock.advance(2 * 3_600_000L);
        put(log, "later", "z");

        assertThat(log.deleteRetentionBreachedSegments(log.logEndOffset())).isPositive();
        assertThat(log.logStartOffset()).isGreaterThan(startBefore);
        assertThat(readAll(log)).extracting(TestBatches::keyOf).doesNotContain("same");
    }

    @Test
    void cleaningProgressSurvivesARestart() {
        PartitionLog log = open(compacted(), false);
        for (int i = 0; i < 200; i++) {
            put(log, "k" + (i % 10), "v" + i);
        }
        directory.cleaner().cleanFilthiestLog();
        long firstDirty = directory.cleaner().firstDirtyOffset(TP).orElseThrow();
        directory.close();

        open(compacted(), false);

        assertThat(directory.cleaner().firstDirtyOffset(TP)).contains(firstDirty);
    }
}

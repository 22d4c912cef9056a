package io.strata.storage.log;

import io.strata.storage.TestBatches;
import io.strata.storage.config.LogConfig;
import io.strata.storage.segment.SegmentCorruptException;
import io.strata.storage.segment.SegmentFiles;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.strata.storage.log.LogHarness.append;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecoveryTest {

    private static final LogConfig SMALL_SEGMENTS = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 4096,
            LogConfig.INDEX_INTERVAL_BYTES, 256));

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
        return TestBatches.records(records).valueBytes(60).timestamp(harness.clock.millis()).build();
    }

    private PartitionLog logWithBatches(int batches) {
        PartitionLog log = harness.open(SMALL_SEGMENTS);
        for (int i = 0; i < batches; i++) {
            append(log, batch(3));
        }
        return log;
    }

    private static List<ByteBuffer> storedBatches(PartitionLog log) throws IOException {
        List<ByteBuffer> batches = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            try (LogReadResult result = log.read(next, 1 << 20, Long.MAX_VALUE, true)) {
                ByteBuffer bytes = result.records().readAll();
                for (MutableRecordBatch batch : TestBatches.batchesOf(bytes)) {
                    ByteBuffer copy = ByteBuffer.allocate(batch.sizeInBytes());
                    batch.writeTo(copy);
                    batches.add(copy.flip());
                    next = batch.lastOffset() + 1;
                }
            }
        }
        return batches;
    }

    private Path lastSegmentFile(PartitionLog log) {
        return SegmentFiles.log(harness.dir, log.activeSegment().baseOffset(), "");
    }

    @Test
    void tornTailIsTruncatedOnRecovery() throws IOException {
        PartitionLog log = logWithBatches(30);
        List<ByteBuffer> before = storedBatches(log);
        Path last = lastSegmentFile(log);
        LogHarness.crash(log);
        ByteBuffer partial = batch(3).limit(40);
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.APPEND)) {
            channel.write(partial);
        }

        PartitionLog recovered = harness.open(SMALL_SEGMENTS, false, 0, 0);

        assertThat(recovered.logEndOffset()).isEqualTo(90);
        assertThat(storedBatches(recovered)).isEqualTo(before);
        assertThat(append(recovered, batch(1)).firstOffset()).isEqualTo(90);
        recovered.close();
    }

    @Test
    void zeroFilledTailOfAPreallocatedFileIsTruncated() throws IOException {
        PartitionLog log = logWithBatches(10);
        List<ByteBuffer> before = storedBatches(log);
        Path last = lastSegmentFile(log);
        long validSize = Files.size(last);
        LogHarness.crash(log);
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(64 * 1024), validSize);
        }

        PartitionLog recovered = harness.open(SMALL_SEGMENTS, false, 0, 0);

        assertThat(Files.size(last)).isEqualTo(validSize);
        assertThat(storedBatches(recovered)).isEqualTo(before);
        recovered.close();
    }

    @Test
    void corruptBatchAboveTheRecoveryPointIsDroppedWithEverythingAfterIt() throws IOException {
        PartitionLog log = logWithBatches(60);
        assertThat(log.segmentCount()).isGreaterThan(3);
        List<ByteBuffer> before = storedBatches(log);
        long corruptBase = log.segments().get(1).baseOffset();
        Path middle = SegmentFiles.log(harness.dir, corruptBase, "");
        LogHarness.crash(log);
        flipByte(middle, 200);
        List<String> warnings = captureWarnings(() -> {
            PartitionLog recovered = harness.open(SMALL_SEGMENTS, false, 0, 0);
            List<ByteBuffer> after = storedBatches(recovered);
            assertThat(after).isNotEmpty().isEqualTo(before.subList(0, after.size()));
            assertThat(recovered.logEndOffset()).isLessThan(corruptBase + 12).isGreaterThanOrEqualTo(corruptBase);
            assertThat(recovered.segmentCount()).isEqualTo(2);
            recovered.close();
        });
        assertThat(warnings).anyMatch(line -> line.contains("CRC32C mismatch"));
        assertThat(warnings).anyMatch(line -> line.contains("dropped"));
    }

    @Test
    void missingAndDamagedIndexesAreRebuilt() throws IOException {
        PartitionLog log = logWithBatches(60);
        List<ByteBuffer> before = storedBatches(log);
        log.close();
        Files.delete(SegmentFiles.offsetIndex(harness.dir, 0, ""));
        long second = log.segments().get(1).baseOffset();
        Files.write(SegmentFiles.offsetIndex(harness.dir, second, ""), new byte[]{1, 2, 3});
        Files.write(SegmentFiles.timeIndex(harness.dir, second, ""), new byte[12 * 3]);

        PartitionLog reopened = harness.open(SMALL_SEGMENTS, true, 0, 0);

        assertThat(storedBatches(reopened)).isEqualTo(before);
        assertThat(Files.size(SegmentFiles.offsetIndex(harness.dir, 0, ""))).isPositive();
        assertThat(Files.size(SegmentFiles.offsetIndex(harness.dir, second, "")) % 8).isZero();
        reopened.close();
    }

    @Test
    void corruptionBelowTheRecoveryPointIsReportedAndNeverServed() throws IOException {
        PartitionLog log = logWithBatches(60);
        long end = log.logEndOffset();
        log.flush(end);
        log.close();
        // Corrupt a record inside the first segment, which lies wholly below the recovery point.
        flipByte(SegmentFiles.log(harness.dir, 0, ""), 1500);

        List<String> errors = captureWarnings(() -> {
            PartitionLog reopened = harness.open(SMALL_SEGMENTS, false, end, 0);
            assertThat(reopened.logEndOffset()).isEqualTo(end);
            try (LogReadResult first = reopened.read(0, 1000, Long.MAX_VALUE, true)) {
                assertThat(TestBatches.recordsOf(first.records().readAll())).isNotEmpty();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            assertThatThrownBy(() -> reopened.read(0, 1 << 20, Long.MAX_VALUE, true))
                    .isInstanceOf(SegmentCorruptException.class)
                    .hasMessageContaining("corrupt");
            assertThatThrownBy(() -> reopened.read(0, 1 << 20, Long.MAX_VALUE, true))
                    .isInstanceOf(SegmentCorruptException.class);
            long second = reopened.segments().get(1).baseOffset();
            try (LogReadResult later = reopened.read(second, 1 << 20, Long.MAX_VALUE, true)) {
                assertThat(TestBatches.recordsOf(later.records().readAll())).isNotEmpty();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            reopened.close();
        });
        assertThat(errors).anyMatch(line -> line.startsWith("SEVERE") && line.contains("CORRUPT LOG DATA"));
    }

    @Test
    void aCleanShutdownSkipsRecoveryButAnUncleanOneChecksFromTheRecoveryPoint() throws IOException {
        PartitionLog log = logWithBatches(60);
        long flushedTo = log.segments().get(2).baseOffset();
        log.flush(flushedTo);
        List<ByteBuffer> before = storedBatches(log);
        LogHarness.crash(log);

        PartitionLog recovered = harness.open(SMALL_SEGMENTS, false, flushedTo, 0);

        assertThat(recovered.recoveryPoint()).isEqualTo(flushedTo);
        assertThat(storedBatches(recovered)).isEqualTo(before);
        recovered.close();
    }

    @Test
    void anInterruptedCleanerSwapIsCompletedOnLoad() throws IOException {
        LogConfig compacted = SMALL_SEGMENTS.with(Map.of(LogConfig.CLEANUP_POLICY, "compact"));
        PartitionLog log = harness.open(compacted);
        for (int i = 0; i < 60; i++) {
            append(log, TestBatches.records(3).keys(k -> "k" + (k % 2)).valueBytes(60)
                    .timestamp(harness.clock.millis()).build());
        }
        log.close();
        // A cleaned copy of the first segment, committed as .swap, and the old segment still present.
        Path original = SegmentFiles.log(harness.dir, 0, "");
        Files.copy(original, SegmentFiles.log(harness.dir, 0, ".swap"));
        Files.write(SegmentFiles.log(harness.dir, 500, ".cleaned"), new byte[100]);

        PartitionLog reopened = harness.open(compacted, true, 0, 0);

        assertThat(Files.exists(SegmentFiles.log(harness.dir, 0, ".swap"))).isFalse();
        assertThat(Files.exists(SegmentFiles.log(harness.dir, 500, ".cleaned"))).isFalse();
        assertThat(Files.exists(original)).isTrue();
        assertThat(reopened.logEndOffset()).isEqualTo(180);
        assertThat(TestBatches.recordsOf(storedBatches(reopened).get(0))).extracting(Record::offset)
                .containsExactly(0L, 1L, 2L);
        reopened.close();
    }

    static void flipByte(Path file, long position) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte) (one.get(0) ^ 0xff)).rewind();
            channel.write(one, position);
        }
    }

    /** Runs {@code body} and returns the WARNING and SEVERE lines the storage engine logged meanwhile. */
    static List<String> captureWarnings(ThrowingRunnable body) throws IOException {
        Logger logger = Logger.getLogger("io.strata.storage");
        List<String> lines = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    String message = record.getMessage();
                    Object[] parameters = record.getParameters();
                    if (parameters != null) {
                        message = java.text.MessageFormat.format(message, parameters);
                    }
                    synchronized (lines) {
                        lines.add(record.getLevel() + " " + message);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            body.run();
        } finally {
            logger.removeHandler(handler);
        }
        return lines;
    }

    interface ThrowingRunnable {
        void run() throws IOException;
    }
}

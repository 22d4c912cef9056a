package io.strata.storage.log;

import io.strata.storage.TestBatches;
import io.strata.storage.batch.RecordReader.OffsetAndTimestamp;
import io.strata.storage.config.LogConfig;
import io.strata.storage.segment.LogSegment;
import io.strata.storage.segment.SegmentFiles;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static io.strata.storage.log.LogHarness.append;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionLogTest {

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

    private ByteBuffer batch(int records, int valueBytes) {
        return TestBatches.records(records).valueBytes(valueBytes).timestamp(harness.clock.millis()).build();
    }

    private static List<Record> readAll(PartitionLog log, long from) throws IOException {
        List<Record> records = new ArrayList<>();
        long next = from;
        while (next < log.logEndOffset()) {
            try (LogReadResult result = log.read(next, 1 << 20, Long.MAX_VALUE, true)) {
                List<Record> read = TestBatches.recordsOf(result.records().readAll());
                for (Record record : read) {
                    if (record.offset() >= next) {
                        records.add(record);
                    }
                }
                next = read.get(read.size() - 1).offset() + 1;
            }
        }
        return records;
    }

    @Test
    void appendsGetConsecutiveOffsetsAndReadBackInOrder() throws IOException {
        PartitionLog log = harness.open(LogConfig.defaults());

        AppendInfo first = append(log, batch(3));
        AppendInfo second = append(log, batch(2));

        assertThat(first.firstOffset()).isEqualTo(0);
        assertThat(first.lastOffset()).isEqualTo(2);
        assertThat(second.firstOffset()).isEqualTo(3);
        assertThat(second.logEndOffset()).isEqualTo(5);
        assertThat(log.logEndOffset()).isEqualTo(5);
        assertThat(readAll(log, 0)).extracting(Record::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
        log.close();
    }

    @Test
    void readingFromTheMiddleOfABatchReturnsThatWholeBatch() throws IOException {
        PartitionLog log = harness.open(LogConfig.defaults());
        append(log, batch(5));
        append(log, batch(5));

        try (LogReadResult result = log.read(7, 1 << 20, Long.MAX_VALUE, true)) {
            List<MutableRecordBatch> batches = TestBatches.batchesOf(result.records().readAll());
            assertThat(batches).hasSize(1);
            assertThat(batches.get(0).baseOffset()).isEqualTo(5);
            assertThat(result.logEndOffset()).isEqualTo(10);
        }
        log.close();
    }

    @Test
    void readsStopAtABatchBoundaryWithinMaxBytes() throws IOException {
        PartitionLog log = harness.open(LogConfig.defaults());
        int batchBytes = 0;
        for (int i = 0; i < 10; i++) {
            batchBytes = append(log, batch(1, 100)).sizeInBytes();
        }

        try (LogReadResult result = log.read(0, batchBytes * 3 + batchBytes / 2, Long.MAX_VALUE, false)) {
            assertThat(result.records().sizeInBytes()).isEqualTo(batchBytes * 3);
            assertThat(TestBatches.batchesOf(result.records().readAll())).hasSize(3);
        }
        try (LogReadResult tooSmall = log.read(0, 10, Long.MAX_VALUE, false)) {
            assertThat(tooSmall.records().sizeInBytes()).isZero();
        }
        try (LogReadResult oneAnyway = log.read(0, 10, Long.MAX_VALUE, true)) {
            assertThat(oneAnyway.records().sizeInBytes()).isEqualTo(batchBytes);
        }
        log.close();
    }

    @Test
    void readsFillMaxBytesAcrossIndexEntries() throws IOException {
        PartitionLog log = harness.open(LogConfig.of(Map.of(LogConfig.INDEX_INTERVAL_BYTES, 500)));
        int batchBytes = 0;
        for (int i = 0; i < 200; i++) {
            batchBytes = append(log, batch(2, 100)).sizeInBytes();
        }

        for (int maxBatches : new int[]{1, 7, 20, 55}) {
            try (LogReadResult result = log.read(3, batchBytes * maxBatches + 1, Long.MAX_VALUE, false)) {
                assertThat(result.records().sizeInBytes()).isEqualTo(batchBytes * maxBatches);
                assertThat(TestBatches.batchesOf(result.records().readAll()).get(0).baseOffset()).isEqualTo(2);
            }
        }
        log.close();
    }

    @Test
    void readsNeverPassTheGivenUpperOffset() throws IOException {
        PartitionLog log = harness.open(LogConfig.defaults());
        append(log, batch(3));
        append(log, batch(3));
        append(log, batch(3));

        try (LogReadResult result = log.read(0, 1 << 20, 6, false)) {
            List<Record> records = TestBatches.recordsOf(result.records().readAll());
            assertThat(records).extracting(Record::offset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        }
        try (LogReadResult atBound = log.read(6, 1 << 20, 6, false)) {
            assertThat(atBound.records().sizeInBytes()).isZero();
        }
        log.close();
    }

    @Test
    void readsOutsideTheLogAreOutOfRange() {
        PartitionLog log = harness.open(LogConfig.defaults());
        append(log, batch(3));

        assertThatThrownBy(() -> log.read(4, 1000, Long.MAX_VALUE, true))
                .isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("Offset 4 is out of range");
        try (LogReadResult atEnd = log.read(3, 1000, Long.MAX_VALUE, true)) {
            assertThat(atEnd.records().sizeInBytes()).isZero();
        }
        log.close();
    }

    @Test
    void activeSegmentRollsAtSegmentBytes() throws IOException {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 1000));
        PartitionLog log = harness.open(config);
        for (int i = 0; i < 20; i++) {
            append(log, batch(1, 300));
        }

        assertThat(log.segmentCount()).isGreaterThanOrEqualTo(6);
        for (LogSegment segment : log.segments()) {
            assertThat(segment.sizeInBytes()).isLessThanOrEqualTo(1000);
        }
        assertThat(readAll(log, 0)).hasSize(20);
        log.close();
    }

    @Test
    void activeSegmentRollsAtSegmentMs() {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_MS, 60_000L));
        PartitionLog log = harness.open(config);
        append(log, batch(1));
        harness.clock.advance(30_000);
        append(log, batch(1));
        assertThat(log.segmentCount()).isEqualTo(1);

        harness.clock.advance(31_000);
        append(log, batch(1));

        assertThat(log.segmentCount()).isEqualTo(2);
        assertThat(log.activeSegment().baseOffset()).isEqualTo(2);
        log.close();
    }

    @Test
    void activeSegmentRollsWhenItsIndexIsFull() {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_INDEX_BYTES, 32, LogConfig.INDEX_INTERVAL_BYTES, 1));
        PartitionLog log = harness.open(config);
        for (int i = 0; i < 20; i++) {
            append(log, batch(1));
        }

        assertThat(log.segmentCount()).isGreaterThan(1);
        log.close();
    }

    @Test
    void offsetIndexHasAnEntryAboutEveryIndexInterval() throws IOException {
        LogConfig config = LogConfig.of(Map.of(LogConfig.INDEX_INTERVAL_BYTES, 1000));
        PartitionLog log = harness.open(config);
        for (int i = 0; i < 50; i++) {
            append(log, batch(1, 200));
        }
        log.close();

        long indexBytes = Files.size(SegmentFiles.offsetIndex(harness.dir, 0, ""));
        long logBytes = Files.size(SegmentFiles.log(harness.dir, 0, ""));
        long entries = indexBytes / 8;
        assertThat(entries).isBetween(logBytes / 1300, logBytes / 1000);
    }

    @Test
    void offsetForTimestampFindsTheFirstRecordAtOrAfterIt() {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 600, LogConfig.INDEX_INTERVAL_BYTES, 1));
        PartitionLog log = harness.open(config);
        long base = harness.clock.millis();
        for (int i = 0; i < 30; i++) {
            // Batch i holds records at base + 10 i + {0, 1}.
            append(log, TestBatches.records(2).timestamp(base + 10L * i).build());
        }
        assertThat(log.segmentCount()).isGreaterThan(3);

        OffsetAndTimestamp exact = log.offsetForTimestamp(base + 100);
        assertThat(exact.offset()).isEqualTo(20);
        assertThat(exact.timestamp()).isEqualTo(base + 100);
        OffsetAndTimestamp between = log.offsetForTimestamp(base + 105);
        assertThat(between.offset()).isEqualTo(22);
        assertThat(log.offsetForTimestamp(base - 1000).offset()).isEqualTo(0);
        assertThat(log.offsetForTimestamp(base + 10_000)).isNull();
        OffsetAndTimestamp max = log.offsetOfMaxTimestamp();
        assertThat(max.offset()).isEqualTo(59);
        assertThat(max.timestamp()).isEqualTo(base + 291);
        log.close();
    }

    @Test
    void truncationDropsWholeBatchesFromTheOffsetOn() throws IOException {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 500));
        PartitionLog log = harness.open(config);
        for (int i = 0; i < 20; i++) {
            append(log, batch(2, 50));
        }
        int segmentsBefore = log.segmentCount();

        assertThat(log.truncateTo(15)).isTrue();

        assertThat(log.logEndOffset()).isEqualTo(14);
        assertThat(log.segmentCount()).isLessThan(segmentsBefore);
        assertThat(harness.recoveryPointLowered).isEqualTo(1);
        AppendInfo after = append(log, batch(2, 50));
        assertThat(after.firstOffset()).isEqualTo(14);
        assertThat(readAll(log, 0)).extracting(Record::offset)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 16).boxed().toList());
        log.close();

        PartitionLog reopened = harness.open(config);
        assertThat(reopened.logEndOffset()).isEqualTo(16);
        assertThat(readAll(reopened, 0)).hasSize(16);
        reopened.close();
    }

    @Test
    void truncationIntoACompactionGapLeavesTheLogEndAtTheTarget() {
        PartitionLog log = harness.open(LogConfig.defaults());
        ByteBuffer first = batch(3);
        ByteBuffer second = batch(3);
        second.putLong(0, 10);
        log.appendAsFollower(first);
        log.appendAsFollower(second);
        assertThat(log.logEndOffset()).isEqualTo(13);

        log.truncateTo(8);

        assertThat(log.logEndOffset()).isEqualTo(8);
        assertThat(append(log, batch(1)).firstOffset()).isEqualTo(8);
        log.close();
    }

    @Test
    void aCleanedSegmentIsNotSwappedInAfterTheLogWasTruncated() throws IOException {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 400, LogConfig.CLEANUP_POLICY, "compact"));
        PartitionLog log = harness.open(config);
        for (int i = 0; i < 15; i++) {
            append(log, TestBatches.records(1).keys(k -> "old").timestamp(harness.clock.millis()).build());
        }
        List<LogSegment> group = log.segments().subList(0, 2);
        long truncationsBefore = log.truncations();
        LogSegment cleaned = log.createCleanedSegment(group.get(0).baseOffset());
        ByteBuffer copy = ByteBuffer.allocate(group.get(0).sizeInBytes());
        group.get(0).readInto(copy, 0);
        cleaned.append(new io.strata.storage.batch.BatchValidator().validateReplicated(copy.flip(), 0,
                Integer.MAX_VALUE));
        cleaned.becomeInactive();
        // A follower truncates into the group and writes the new leader's records.
        log.truncateTo(group.get(1).baseOffset() + 1);
        for (int i = 0; i < 4; i++) {
            append(log, batch(1));
        }
        log.roll("test");
        List<Record> before = readAll(log, 0);

        assertThat(log.replaceSegments(cleaned, List.copyOf(group), truncationsBefore)).isFalse();

        assertThat(readAll(log, 0)).isEqualTo(before);
        assertThat(cleaned.logFile()).doesNotExist();
        log.close();
    }

    @Test
    void bytesPastThePublishedSizeAreCutWhenTheSegmentRolls() throws IOException {
        PartitionLog log = harness.open(LogConfig.defaults());
        append(log, batch(2));
        LogSegment active = log.activeSegment();
        // What a write torn by a full disk leaves: bytes past the size readers see.
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(active.logFile(),
                java.nio.file.StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}),
                    active.sizeInBytes() + 500);
        }
        append(log, batch(1));
        log.roll("test");
        append(log, batch(1));
        log.flush(log.logEndOffset());
        log.close();

        PartitionLog reopened = harness.open(LogConfig.defaults(), true, 0, 0);

        assertThat(readAll(reopened, 0)).hasSize(4);
        assertThat(Files.size(active.logFile())).isEqualTo(active.sizeInBytes());
        reopened.close();
    }

    @Test
    void truncationBelowTheLogStartEmptiesTheLog() {
        PartitionLog log = harness.open(LogConfig.defaults());
        append(log, batch(5));

        log.truncateFullyAndStartAt(100);

        assertThat(log.logStartOffset()).isEqualTo(100);
        assertThat(log.logEndOffset()).isEqualTo(100);
        assertThat(append(log, batch(1)).firstOffset()).isEqualTo(100);
        log.close();
    }

    @Test
    void readersNeverSeeAPartialBatchWhileTheWriterAppends() throws Exception {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 64 * 1024));
        PartitionLog log = harness.open(config);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch readerStarted = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            long next = 0;
            readerStarted.countDown();
            try {
                while (writing.get() || next < log.logEndOffset()) {
                    try (LogReadResult result = log.read(next, 16 * 1024, Long.MAX_VALUE, true)) {
                        ByteBuffer bytes = result.records().readAll();
                        for (MutableRecordBatch batch : TestBatches.batchesOf(bytes)) {
                            batch.ensureValid();
                            if (batch.lastOffset() >= next) {
                                next = batch.lastOffset() + 1;
                            }
                        }
                        if (bytes.limit() > 0 && TestBatches.batchesOf(bytes).stream()
                                .mapToInt(MutableRecordBatch::sizeInBytes).sum() != bytes.limit()) {
                            throw new AssertionError("a read returned a partial batch");
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        readerStarted.await();
        for (int i = 0; i < 3000; i++) {
            append(log, batch(1 + i % 7, 40));
        }
        writing.set(false);
        reader.join(60_000);

        assertThat(failure.get()).isNull();
        assertThat(log.segmentCount()).isGreaterThan(3);
        log.close();
    }

    @Test
    void reopeningAfterACleanCloseRestoresTheSameLog() throws IOException {
        LogConfig config = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 2000, LogConfig.INDEX_INTERVAL_BYTES, 100));
        PartitionLog log = harness.open(config);
        for (int i = 0; i < 40; i++) {
            append(log, batch(3, 30));
        }
        List<Record> before = readAll(log, 0);
        log.flush(log.logEndOffset());
        log.close();

        PartitionLog reopened = harness.open(config, true, 0, 0);

        assertThat(reopened.logEndOffset()).isEqualTo(120);
        assertThat(reopened.segmentCount()).isEqualTo(log.segmentCount());
        List<Record> after = readAll(reopened, 0);
        assertThat(after).hasSameSizeAs(before);
        for (int i = 0; i < before.size(); i++) {
            assertThat(after.get(i)).isEqualTo(before.get(i));
        }
        assertThat(append(reopened, batch(1)).firstOffset()).isEqualTo(120);
        reopened.close();
    }

    @Test
    void flushMovesTheRecoveryPointAndFlushMessagesTriggersIt() {
        LogConfig config = LogConfig.of(Map.of(LogConfig.FLUSH_MESSAGES, 10L));
        PartitionLog log = harness.open(config);
        append(log, batch(4));
        assertThat(log.recoveryPoint()).isZero();
        append(log, batch(6));
        assertThat(log.recoveryPoint()).isEqualTo(10);

        append(log, batch(3));
        log.flush(12);
        assertThat(log.recoveryPoint()).isEqualTo(12);
        log.close();
    }
}

package io.strata.storage.cleaner;

import io.strata.storage.ManualClock;
import io.strata.storage.TestBatches;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** Compaction of a log holding transactions: aborted records go without shadowing, undecided ones stay. */
class LogCleanerTransactionsTest {

    private static final TopicPartition TP = new TopicPartition("accounts", 0);
    private static final long PRODUCER = 77L;
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

    private PartitionLog open() {
        LogConfig config = LogConfig.of(Map.of(LogConfig.CLEANUP_POLICY, "compact", LogConfig.SEGMENT_BYTES, 2048,
                LogConfig.MIN_CLEANABLE_DIRTY_RATIO, 0.01, LogConfig.FILE_DELETE_DELAY_MS, 0L,
                LogConfig.DELETE_RETENTION_MS, DAY_MS));
        directory = LogDirectory.open(LogDirectoryConfig.of(Map.of(LogDirectoryConfig.LOG_DIR, root.toString(),
                        LogDirectoryConfig.CLEANER_ENABLE, false,
                        LogDirectoryConfig.CLEANER_DEDUPE_BUFFER_SIZE, 1L << 20)),
                tp -> config, Executors.defaultThreadFactory(), clock);
        return directory.getOrCreate(TP, config);
    }

    private long put(PartitionLog log, String key, String value) {
        return log.append(MemoryRecords.withRecords(Compression.NONE, record(key, value)).buffer(), 0, AppendOrigin.CLIENT)
                .firstOffset();
    }

    private long putTransactional(PartitionLog log, int sequence, String key, String value) {
        return log.append(MemoryRecords.withTransactionalRecords(Compression.NONE, PRODUCER, (short) 0, sequence,
                record(key, value)).buffer(), 0, AppendOrigin.CLIENT).firstOffset();
    }

    private long marker(PartitionLog log, ControlRecordType type) {
        return log.append(MemoryRecords.withEndTransactionMarker(clock.millis(), PRODUCER, (short) 0,
                new EndTransactionMarker(type, 1)).buffer(), 0, AppendOrigin.COORDINATOR).firstOffset();
    }

    private SimpleRecord record(String key, String value) {
        return new SimpleRecord(clock.millis(), key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }

    private void fill(PartitionLog log) {
        for (int i = 0; i < 60; i++) {
            put(log, "filler" + (i % 5), "x".repeat(50));
        }
    }

    /** Every record as "offset:key=value", control records as "offset:marker". */
    private static List<String> readAll(PartitionLog log) throws IOException {
        List<String> records = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            try (LogReadResult result = log.read(next, 1 << 20, Long.MAX_VALUE, true)) {
                List<MutableRecordBatch> batches = TestBatches.batchesOf(result.records().readAll());
                if (batches.isEmpty()) {
                    break;
                }
                for (MutableRecordBatch batch : batches) {
                    for (Record record : batch) {
                        records.add(record.offset() + ":" + (batch.isControlBatch() ? "marker"
                                : StandardCharsets.UTF_8.decode(record.key()) + "="
                                + StandardCharsets.UTF_8.decode(record.value())));
                    }
                    next = batch.lastOffset() + 1;
                }
            }
        }
        return records;
    }

    @Test
    void anAbortedRecordIsDroppedAndDoesNotShadowTheCommittedValueBeforeIt() throws IOException {
        PartitionLog log = open();
        put(log, "balance", "100");                                  // 0
        long aborted = putTransactional(log, 0, "balance", "999");   // 1
        long abortMarker = marker(log, ControlRecordType.ABORT);     // 2
        log.appendAbortedTransaction(new AbortedTransaction(PRODUCER, aborted, abortMarker, abortMarker + 1));
        fill(log);

        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();

        List<String> after = readAll(log);
        assertThat(after).contains("0:balance=100", "2:marker").doesNotContain("1:balance=999");
        assertThat(log.collectAbortedTransactions(0, log.logEndOffset()))
                .as("the marker stays, and so does its index entry")
                .containsExactly(new AbortedTransaction(PRODUCER, aborted, abortMarker, abortMarker + 1));
    }

    @Test
    void aCommittedTransactionalRecordShadowsLikeAnyOther() throws IOException {
        PartitionLog log = open();
        put(log, "balance", "100");                                  // 0
        putTransactional(log, 0, "balance", "150");                  // 1
        marker(log, ControlRecordType.COMMIT);                       // 2
        fill(log);

        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();

        assertThat(readAll(log)).contains("1:balance=150", "2:marker").doesNotContain("0:balance=100");
    }

    @Test
    void nothingFromTheFirstUnstableOffsetOnIsCleaned() throws IOException {
        PartitionLog log = open();
        put(log, "balance", "100");                                  // 0
        long open = putTransactional(log, 0, "pending", "1");        // 1, undecided
        put(log, "balance", "200");                                  // 2
        fill(log);
        log.setFirstUnstableOffset(open);

        directory.cleaner().cleanFilthiestLog();

        assertThat(readAll(log)).as("200 lies past the open transaction, so it shadows nothing yet")
                .contains("0:balance=100", "1:pending=1", "2:balance=200");
    }

    @Test
    void anAbortMarkerGoesDeleteRetentionMsAfterTheLastRecordOfItsTransaction() throws IOException {
        PartitionLog log = open();
        long aborted = putTransactional(log, 0, "balance", "999");   // 0
        long abortMarker = marker(log, ControlRecordType.ABORT);     // 1
        log.appendAbortedTransaction(new AbortedTransaction(PRODUCER, aborted, abortMarker, abortMarker + 1));
        fill(log);
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
        assertThat(readAll(log)).contains("1:marker").doesNotContain("0:balance=999");

        // The next pass finds no record of the transaction left: the marker may go, after delete.retention.ms.
        fill(log);
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
        assertThat(readAll(log)).as("kept until its delete horizon").contains("1:marker");
        assertThat(log.collectAbortedTransactions(0, log.logEndOffset())).as("nothing of it left to skip").isEmpty();

        clock.advance(DAY_MS + 1);
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
        assertThat(readAll(log)).doesNotContain("1:marker");
    }

    @Test
    void aCommitMarkerStaysWhileARecordOfItsTransactionRemains() throws IOException {
        PartitionLog log = open();
        putTransactional(log, 0, "balance", "150");                  // 0
        marker(log, ControlRecordType.COMMIT);                       // 1
        fill(log);
        assertThat(directory.cleaner().cleanFilthiestLog()).isPresent();
        fill(log);
        clock.advance(DAY_MS + 1);
        directory.cleaner().cleanFilthiestLog();

        assertThat(readAll(log)).contains("0:balance=150", "1:marker");
    }
}

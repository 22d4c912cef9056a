package io.strata.broker.metadata;

import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadFactory;

/**
 * The broker's own durable record of the cluster metadata: a compacted log, kept by Strata's storage engine in
 * {@code <first log dir>/@metadata/__strata_metadata-0}, of the records {@link MetadataRecords} describes. Every change
 * is forced to disk before it is applied, so what clients were told survives a crash; compaction keeps the log as
 * small as the metadata. (No topic name can contain {@code @}, so the folder never collides with a partition's.)
 *
 * <p>Thread-safe through its caller, the controller, which writes one change at a time.
 */
public final class MetadataLog implements AutoCloseable {

    public static final String DIRECTORY = "@metadata";
    static final TopicPartition PARTITION = new TopicPartition("__strata_metadata", 0);
    private static final LogConfig CONFIG = LogConfig.of(Map.of(LogConfig.CLEANUP_POLICY, "compact",
            LogConfig.SEGMENT_BYTES, 1 << 20, LogConfig.RETENTION_MS, -1L));

    private final Clock clock;
    private final LogDirectory directory;
    private final PartitionLog log;

    private MetadataLog(Clock clock, LogDirectory directory) {
        this.clock = clock;
        this.directory = directory;
        this.log = directory.getOrCreate(PARTITION, CONFIG);
    }

    public static MetadataLog open(Path logDir, ThreadFactory threads, Clock clock) {
        LogDirectory directory = LogDirectory.open(LogDirectoryConfig.forDirectory(logDir.resolve(DIRECTORY)),
                tp -> CONFIG, threads, clock);
        return new MetadataLog(clock, directory);
    }

    /** Every record in the log, the latest value per key, in the order keys were first written; tombstones removed. */
    public Map<String, byte[]> readAll() {
        Map<String, byte[]> latest = new LinkedHashMap<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            try (LogReadResult result = log.read(next, 1 << 20, Long.MAX_VALUE, true)) {
                ByteBuffer bytes = result.records().readAll();
                if (bytes.limit() == 0) {
                    break;
                }
                for (MutableRecordBatch batch : MemoryRecords.readableRecords(bytes).batches()) {
                    for (Record record : batch) {
                        String key = StandardCharsets.UTF_8.decode(record.key()).toString();
                        if (record.hasValue()) {
                            latest.put(key, Utils.toArray(record.value()));
                        } else {
                            latest.remove(key);
                        }
                    }
                    next = batch.lastOffset() + 1;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading the metadata log failed", e);
            }
        }
        return latest;
    }

    /** Appends records (a {@code null} value deletes the key) as one batch and forces them to disk. */
    public void write(Map<String, byte[]> records) {
        if (records.isEmpty()) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(64 + records.entrySet().stream()
                .mapToInt(e -> e.getKey().length() * 4 + (e.getValue() == null ? 0 : e.getValue().length) + 32).sum());
        MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, Compression.NONE, TimestampType.CREATE_TIME, 0L);
        long now = clock.millis();
        for (Map.Entry<String, byte[]> record : records.entrySet()) {
            builder.append(now, record.getKey().getBytes(StandardCharsets.UTF_8), record.getValue());
        }
        log.append(builder.build().buffer(), 0, AppendOrigin.COORDINATOR);
        log.flush(log.logEndOffset());
    }

    @Override
    public void close() {
        directory.close();
    }
}

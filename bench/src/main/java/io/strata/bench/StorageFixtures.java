package io.strata.bench;

import io.strata.storage.TestBatches;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executors;

/** The batches and logs the storage benchmarks share. */
final class StorageFixtures {

    static final TopicPartition TP = new TopicPartition("bench", 0);
    static final int RECORD_BYTES = 1024;
    /** Batches up to 2 MiB are accepted, so that a 1 MiB batch of 1 KiB records fits with its overhead. */
    static final LogConfig CONFIG = LogConfig.of(Map.of(LogConfig.MAX_MESSAGE_BYTES, 2 << 20,
            LogConfig.FILE_DELETE_DELAY_MS, 0L, LogConfig.RETENTION_MS, -1L));

    private StorageFixtures() {
    }

    /** A batch of 1 KiB records about {@code batchBytes} long, uncompressed, as a producer builds it. */
    static ByteBuffer batch(int batchBytes) {
        int records = Math.max(1, batchBytes / (RECORD_BYTES + 16));
        return TestBatches.records(records).valueBytes(RECORD_BYTES).keys(i -> null)
                .timestamp(System.currentTimeMillis()).build();
    }

    static LogDirectory open(Path dir) {
        return LogDirectory.open(LogDirectoryConfig.of(Map.of(LogDirectoryConfig.LOG_DIR, dir.toString(),
                        LogDirectoryConfig.CLEANER_ENABLE, false)),
                tp -> CONFIG, Executors.defaultThreadFactory(), Clock.systemUTC());
    }
}

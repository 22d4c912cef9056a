package io.strata.storage.log;

import io.strata.storage.TestBatches;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The child process of {@link CrashRecoveryTest}: appends numbered batches for ever, forcing each to disk and then
 * printing {@code ACK <number> <base offset>}, until it is killed.
 *
 * <p>Arguments: the log directory and the number of the first batch to write.
 */
public final class CrashingWriter {

    static final TopicPartition TP = new TopicPartition("crash", 0);
    static final LogConfig CONFIG = LogConfig.of(Map.of(LogConfig.SEGMENT_BYTES, 64 * 1024,
            LogConfig.INDEX_INTERVAL_BYTES, 1024));
    private static final List<Compression> CODECS = List.of(Compression.NONE, Compression.lz4().build(),
            Compression.NONE, Compression.zstd().build());

    private CrashingWriter() {
    }

    /** Batch number {@code n}, the same every time it is built, with base offset 0. */
    static ByteBuffer batch(int n) {
        return TestBatches.records(1 + n % 20)
                .valueBytes(20 + (n * 37) % 500)
                .keys(i -> "batch-" + n + "-record-" + i)
                .compression(CODECS.get(n % CODECS.size()))
                .timestamp(1_700_000_000_000L + n)
                .build();
    }

    static LogDirectoryConfig directoryConfig(String dir) {
        return LogDirectoryConfig.of(Map.of(LogDirectoryConfig.LOG_DIR, dir,
                LogDirectoryConfig.CLEANER_ENABLE, false,
                LogDirectoryConfig.FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS, 50));
    }

    public static void main(String[] args) {
        LogDirectory directory = LogDirectory.open(directoryConfig(args[0]), tp -> CONFIG,
                Executors.defaultThreadFactory(), Clock.systemUTC());
        PartitionLog log = directory.getOrCreate(TP, CONFIG);
        PrintStream out = System.out;
        for (int n = Integer.parseInt(args[1]); ; n++) {
            AppendInfo info = log.append(batch(n), 0, AppendOrigin.CLIENT);
            log.flush(info.logEndOffset());
            out.println("ACK " + n + " " + info.firstOffset());
            out.flush();
        }
    }
}

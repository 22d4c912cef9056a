package io.strata.storage.log;

import io.strata.storage.ManualClock;
import io.strata.storage.config.LogConfig;
import io.strata.storage.file.FileChannelCache;
import io.strata.storage.segment.IndexCache;
import io.strata.storage.segment.LogResources;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Opens partition logs in a test directory with a manual clock, and simulates crashes. */
final class LogHarness implements AutoCloseable {

    static final TopicPartition TP = new TopicPartition("orders", 0);

    final Path dir;
    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    final LogResources resources;
    final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    int recoveryPointLowered;

    LogHarness(Path root) {
        this(root, 1024, 64L << 20);
    }

    LogHarness(Path root, int openFilesMax, long indexCacheBytes) {
        this.dir = root.resolve("orders-0");
        this.resources = new LogResources(new FileChannelCache(openFilesMax), new IndexCache(indexCacheBytes), clock);
    }

    /** A new or cleanly closed log. */
    PartitionLog open(LogConfig config) {
        return open(config, true, 0, 0);
    }

    PartitionLog open(LogConfig config, boolean cleanShutdown, long recoveryPoint, long logStartOffset) {
        try {
            return LogLoader.load(TP, dir, config, resources, scheduler, () -> recoveryPointLowered++,
                    recoveryPoint, logStartOffset, cleanShutdown);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Abandons the log as a crash would: files closed, nothing written, no index files for the active segment. */
    static void crash(PartitionLog log) {
        log.closeForDeletion();
    }

    /** Appends one batch of {@code records} records stamped with the harness clock. */
    static AppendInfo append(PartitionLog log, ByteBuffer batch) {
        return log.append(batch, 0, io.strata.storage.batch.AppendOrigin.CLIENT);
    }

    @Override
    public void close() throws InterruptedException {
        scheduler.shutdownNow();
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
    }
}

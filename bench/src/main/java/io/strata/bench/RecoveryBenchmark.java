package io.strata.bench;

import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.PartitionLog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * (d) Recovery after a crash: opening a log directory whose last shutdown was not clean and whose recovery point is
 * 0, so that every batch is read and checked (lengths, magic, CRC32C, offsets) and every index rebuilt. The data
 * was just written, so it is read from the page cache: this measures Strata's work, not the disk.
 */
@State(Scope.Benchmark)
public class RecoveryBenchmark {

    static final long LOG_BYTES = 512L << 20;

    private Path dir;
    private long logBytes;

    @Setup(Level.Trial)
    public void setUp() {
        Quiet.storageLogs();
        dir = BenchFiles.scratch("strata-bench-recovery");
        try (LogDirectory directory = StorageFixtures.open(dir)) {
            PartitionLog log = directory.getOrCreate(StorageFixtures.TP, StorageFixtures.CONFIG);
            ByteBuffer batch = StorageFixtures.batch(16 * 1024);
            while (log.sizeInBytes() < LOG_BYTES) {
                log.append(batch.duplicate(), 0, AppendOrigin.CLIENT);
            }
            logBytes = log.sizeInBytes();
        }
    }

    @Setup(Level.Invocation)
    public void forgetCleanShutdown() throws IOException {
        Files.deleteIfExists(dir.resolve(LogDirectory.CLEAN_SHUTDOWN_FILE));
        Files.deleteIfExists(dir.resolve(LogDirectory.RECOVERY_POINT_CHECKPOINT));
    }

    @Benchmark
    public long recover() {
        try (LogDirectory directory = StorageFixtures.open(dir)) {
            return directory.get(StorageFixtures.TP).orElseThrow().logEndOffset();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchFiles.delete(dir);
    }

    long logBytes() {
        return logBytes;
    }
}

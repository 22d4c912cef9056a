package io.strata.bench;

import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.log.AppendInfo;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.PartitionLog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends of 1 KiB records in batches of about 16 KiB and 1 MiB, with and without forcing each to disk:
 * {@code target=file} is (a), the ceiling, plain sequential {@link FileChannel} writes of the same bytes;
 * {@code target=strata} is (b), Strata's append path (validation with CRC32C and a walk of every record, offsets
 * assigned, written and indexed, segments rolled). The two run back to back for each size and flush mode, and every
 * iteration starts and ends with nothing dirty in the page cache, so one does not pay for the other's writeback.
 */
@State(Scope.Thread)
public class AppendBenchmark {

    @Param({"16384", "1048576"})
    public int batchBytes;

    @Param({"false", "true"})
    public boolean flush;

    @Param({"file", "strata"})
    public String target;

    private Path dir;
    private ByteBuffer batch;
    private LogDirectory directory;
    private PartitionLog log;
    private FileChannel file;
    private long position;

    @Setup(Level.Trial)
    public void setUp() {
        Quiet.storageLogs();
        dir = BenchFiles.scratch("strata-bench-append");
        batch = StorageFixtures.batch(batchBytes);
        if (target.equals("strata")) {
            directory = StorageFixtures.open(dir);
            log = directory.getOrCreate(StorageFixtures.TP, StorageFixtures.CONFIG);
        }
    }

    @Setup(Level.Iteration)
    public void startEmpty() throws IOException {
        if (log != null) {
            log.truncateFullyAndStartAt(0);
        } else {
            file = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            position = 0;
        }
    }

    @Benchmark
    public long append() throws IOException {
        if (log != null) {
            // The validator assigns offsets in place; the CRC does not cover them, so the batch can be sent again.
            AppendInfo info = log.append(batch.duplicate(), 0, AppendOrigin.CLIENT);
            if (flush) {
                log.flush(info.logEndOffset());
            }
            return info.lastOffset();
        }
        ByteBuffer source = batch.duplicate();
        while (source.hasRemaining()) {
            position += file.write(source, position);
        }
        if (flush) {
            file.force(false);
        }
        return position;
    }

    @TearDown(Level.Iteration)
    public void drainPageCache() throws IOException {
        if (log != null) {
            log.flush(log.logEndOffset());
        } else {
            file.force(true);
            file.close();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (directory != null) {
            directory.close();
        }
        BenchFiles.delete(dir);
    }
}

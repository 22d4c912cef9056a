package io.strata.bench;

import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.file.FileRegion;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.segment.SegmentFiles;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * (c) Reads from an offset sent with {@code transferTo} to a loopback socket that another thread drains, as a fetch
 * is sent: Strata's read path (offset lookup, batch boundaries, file region) against a plain {@code transferTo} of
 * the same bytes from the same file.
 */
@State(Scope.Thread)
public class TransferToReadBenchmark {

    static final int LOG_BYTES = 256 << 20;
    static final int FETCH_BYTES = 1 << 20;

    @Param({"strata", "raw"})
    public String path;

    private Path dir;
    private LogDirectory directory;
    private PartitionLog log;
    private FileChannel raw;
    private ServerSocketChannel server;
    private SocketChannel sink;
    private Thread drainer;
    private long nextOffset;
    private long nextPosition;
    private long rawSize;
    private int batchBytes;
    private int recordsPerBatch;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Quiet.storageLogs();
        dir = BenchFiles.scratch("strata-bench-read");
        directory = StorageFixtures.open(dir);
        log = directory.getOrCreate(StorageFixtures.TP, StorageFixtures.CONFIG);
        ByteBuffer batch = StorageFixtures.batch(16 * 1024);
        batchBytes = batch.limit();
        recordsPerBatch = batch.getInt(57);
        while (log.sizeInBytes() < LOG_BYTES) {
            log.append(batch.duplicate(), 0, AppendOrigin.CLIENT);
        }
        raw = FileChannel.open(SegmentFiles.log(log.dir(), 0, ""), StandardOpenOption.READ);
        rawSize = raw.size();
        server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        sink = SocketChannel.open(server.getLocalAddress());
        SocketChannel source = server.accept();
        drainer = new Thread(() -> drain(source), "bench-drain");
        drainer.setDaemon(true);
        drainer.start();
    }

    private static void drain(SocketChannel source) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        try {
            while (source.read(buffer.clear()) >= 0) {
                // Discard.
            }
        } catch (IOException e) {
            // The benchmark closed the socket.
        }
    }

    @Benchmark
    public long fetch() throws IOException {
        return "strata".equals(path) ? fetchThroughLog() : fetchRaw();
    }

    private long fetchThroughLog() throws IOException {
        if (nextOffset >= log.logEndOffset()) {
            nextOffset = 0;
        }
        try (LogReadResult result = log.read(nextOffset, FETCH_BYTES, Long.MAX_VALUE, true)) {
            FileRegion region = result.records();
            long sent = 0;
            while (sent < region.sizeInBytes()) {
                sent += region.transferTo(sink, sent, region.sizeInBytes() - sent);
            }
            // Every batch is the same, so the next fetch starts after the last whole batch sent, as a consumer's would.
            nextOffset += (long) (region.sizeInBytes() / batchBytes) * recordsPerBatch;
            return sent;
        }
    }

    private long fetchRaw() throws IOException {
        if (nextPosition + FETCH_BYTES > rawSize) {
            nextPosition = 0;
        }
        long sent = 0;
        while (sent < FETCH_BYTES) {
            sent += raw.transferTo(nextPosition + sent, FETCH_BYTES - sent, sink);
        }
        nextPosition += sent;
        return sent;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sink.close();
        server.close();
        raw.close();
        directory.close();
        BenchFiles.delete(dir);
    }
}

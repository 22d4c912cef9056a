package io.strata.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A file channel that passes everything to a real one until its disk is told to fail: then writes, forces (fsync)
 * and truncations throw {@link IOException}, as a failing or full disk does. Reads keep working, so that only what
 * the log does about the failure decides what readers see.
 *
 * <p>Thread-safe as the channel it wraps.
 */
public final class FaultyFileChannel extends FileChannel {

    /**
     * One disk: every channel opened through {@link #open} fails together. Public for the broker's tests too, which
     * fail a disk under a running partition.
     */
    public static final class Disk {
        public final AtomicBoolean failWrites = new AtomicBoolean();
        public final AtomicBoolean failForces = new AtomicBoolean();

        public FaultyFileChannel open(Path path) throws IOException {
            return new FaultyFileChannel(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    this);
        }
    }

    private final FileChannel real;
    private final Disk disk;

    private FaultyFileChannel(FileChannel real, Disk disk) {
        this.real = real;
        this.disk = disk;
    }

    private void checkWrite() throws IOException {
        if (disk.failWrites.get()) {
            throw new IOException("Input/output error (injected)");
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return real.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return real.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        checkWrite();
        return real.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        checkWrite();
        return real.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return real.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        real.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        checkWrite();
        real.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (disk.failForces.get()) {
            throw new IOException("fsync failed: Input/output error (injected)");
        }
        real.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return real.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        checkWrite();
        return real.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return real.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        checkWrite();
        return real.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return real.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return real.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return real.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        real.close();
    }
}

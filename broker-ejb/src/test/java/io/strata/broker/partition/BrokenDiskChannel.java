package io.strata.broker.partition;

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
 * A segment file on a disk that can break: everything goes to the real file until {@code broken} is set, then every
 * write and fsync fails with the I/O error a dying disk gives. Reads still work.
 *
 * <p>Thread-safe as the channel it wraps.
 */
final class BrokenDiskChannel extends FileChannel {

    private final FileChannel file;
    private final AtomicBoolean broken;

    private BrokenDiskChannel(FileChannel file, AtomicBoolean broken) {
        this.file = file;
        this.broken = broken;
    }

    /** Opens {@code path} for reading and writing on the disk whose state {@code broken} is. */
    static FileChannel open(Path path, AtomicBoolean broken) throws IOException {
        return new BrokenDiskChannel(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE),
                broken);
    }

    private void writing() throws IOException {
        if (broken.get()) {
            throw new IOException("Input/output error (the test broke the disk)");
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        writing();
        return file.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        writing();
        return file.write(srcs, offset, length);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        writing();
        return file.write(src, position);
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        writing();
        file.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        writing();
        file.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        writing();
        return file.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return file.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }
}

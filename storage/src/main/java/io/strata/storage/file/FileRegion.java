package io.strata.storage.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A run of whole record batches in a log file, to be sent with {@link FileChannel#transferTo} without copying into
 * the heap. The file stays open until the region is closed, even if its segment is deleted meanwhile.
 *
 * <p>Not thread-safe: one sender uses a region, then closes it.
 */
public final class FileRegion implements AutoCloseable {

    private static final FileRegion EMPTY = new FileRegion(null, 0, 0);

    private final Lease lease;
    private final long position;
    private final int sizeInBytes;

    public FileRegion(Lease lease, long position, int sizeInBytes) {
        if (sizeInBytes < 0 || position < 0) {
            throw new IllegalArgumentException("bad region at " + position + " of " + sizeInBytes + " bytes");
        }
        this.lease = lease;
        this.position = position;
        this.sizeInBytes = sizeInBytes;
    }

    /** A region of no bytes, holding no file. */
    public static FileRegion empty() {
        return EMPTY;
    }

    public int sizeInBytes() {
        return sizeInBytes;
    }

    /** Where the region starts in its file. */
    public long position() {
        return position;
    }

    /**
     * Sends up to {@code count} bytes of the region starting {@code offset} bytes into it, zero-copy where the
     * operating system can. Returns the bytes sent, which a non-blocking target may make fewer than asked.
     */
    public long transferTo(WritableByteChannel target, long offset, long count) throws IOException {
        if (offset < 0 || count < 0 || offset + count > sizeInBytes) {
            throw new IndexOutOfBoundsException("cannot send " + count + " bytes at " + offset + " of a region of "
                    + sizeInBytes + " bytes");
        }
        if (count == 0) {
            return 0;
        }
        return lease.channel().transferTo(position + offset, count, target);
    }

    /**
     * The file the region lies in, open until the region is closed: for a sender that moves file bytes to a socket
     * itself (a {@code TransferableChannel}), starting at {@link #position()}.
     */
    public FileChannel channel() {
        if (lease == null) {
            throw new IllegalStateException("an empty region has no file");
        }
        return lease.channel();
    }

    /** Copies the region into a new heap buffer; for callers that need the bytes themselves, not for sending. */
    public ByteBuffer readAll() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(sizeInBytes);
        if (sizeInBytes == 0) {
            return buffer;
        }
        FileChannel channel = lease.channel();
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new IOException("log file ended inside a region: " + lease.file());
            }
        }
        return buffer.flip();
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }
}

package io.strata.storage.segment;

import io.strata.storage.batch.BatchHeader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads the whole batches in {@code [start, end)} of a log file, a chunk of about a megabyte at a time, and checks
 * each one's length, magic and CRC32C: what recovery and the first read of old data rely on. Stops at the first batch
 * that fails and says why.
 *
 * <p>Not thread-safe: one pass, one thread.
 */
final class WholeBatchReader {

    static final int CHUNK_BYTES = 1 << 20;

    private final FileChannel channel;
    private final int end;
    private ByteBuffer chunk;
    private int chunkStart;
    private int chunkLength;
    private int position;
    private int batchSize;
    private String problem;

    WholeBatchReader(FileChannel channel, int start, int end) {
        this.channel = channel;
        this.end = end;
        this.position = start;
        this.chunk = ByteBuffer.allocate(Math.min(CHUNK_BYTES, Math.max(BatchHeader.SIZE, end - start)));
    }

    /**
     * Moves to the next batch. Returns false at {@code end}, or when the next batch is not valid, in which case
     * {@link #problem()} says why and {@link #position()} is where it starts.
     */
    boolean next() throws IOException {
        position += batchSize;
        batchSize = 0;
        if (position >= end) {
            return false;
        }
        int available = end - position;
        if (available < BatchHeader.SIZE) {
            problem = "a partial batch header of " + available + " bytes";
            return false;
        }
        ensureLoaded(BatchHeader.SIZE);
        int relative = position - chunkStart;
        problem = BatchHeader.structuralProblem(chunk, relative, available);
        if (problem != null) {
            return false;
        }
        int size = BatchHeader.sizeInBytes(chunk, relative);
        ensureLoaded(size);
        relative = position - chunkStart;
        if (!BatchHeader.crcMatches(chunk, relative, size)) {
            problem = "CRC32C mismatch in the batch at offset " + BatchHeader.baseOffset(chunk, relative);
            return false;
        }
        if (BatchHeader.lastOffsetDelta(chunk, relative) < 0) {
            problem = "negative last offset delta in the batch at offset " + BatchHeader.baseOffset(chunk, relative);
            return false;
        }
        batchSize = size;
        return true;
    }

    /** The current batch, as a buffer positioned at 0 holding exactly that batch. */
    ByteBuffer batch() {
        return chunk.slice(position - chunkStart, batchSize);
    }

    /** Where the current (or failing) batch starts. */
    int position() {
        return position;
    }

    int batchSize() {
        return batchSize;
    }

    /** Why the last {@link #next()} returned false before {@code end}, or {@code null}. */
    String problem() {
        return problem;
    }

    private void ensureLoaded(int bytes) throws IOException {
        if (position >= chunkStart && position + bytes <= chunkStart + chunkLength) {
            return;
        }
        if (bytes > chunk.capacity()) {
            chunk = ByteBuffer.allocate(bytes);
        }
        int length = Math.min(chunk.capacity(), end - position);
        chunk.clear().limit(length);
        while (chunk.hasRemaining()) {
            if (channel.read(chunk, position + chunk.position()) < 0) {
                break;
            }
        }
        chunkStart = position;
        chunkLength = chunk.position();
        if (chunkLength < bytes) {
            throw new java.io.EOFException("log file ends at " + (position + chunkLength) + ", inside a batch");
        }
    }
}

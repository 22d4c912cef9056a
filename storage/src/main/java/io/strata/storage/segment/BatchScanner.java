package io.strata.storage.segment;

import io.strata.storage.batch.BatchHeader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Walks the headers of the batches in {@code [start, end)} of a log file without reading their records: positional
 * reads of a few kilobytes at a time, so a scan over small batches costs few system calls and a jump over a large
 * batch costs one. Its buffer is no larger than the range (most scans are near a log's end, or within an index
 * interval), and the file is named only in an error, so a scan allocates little.
 *
 * <p>A header that cannot start a batch (bad length, magic, or a batch running past {@code end}) throws
 * {@link SegmentCorruptException}. Not thread-safe: one scan, one thread.
 */
final class BatchScanner {

    private static final int CHUNK_BYTES = 8192;

    private final FileChannel channel;
    private final int end;
    /** Named in errors: its {@code toString()} is called only then. */
    private final Object file;
    private final ByteBuffer chunk;
    private int chunkStart;
    private int chunkLength;
    private int position = -1;
    private int nextPosition;
    private int relative;

    BatchScanner(FileChannel channel, int start, int end, Object file) {
        this.channel = channel;
        this.end = end;
        this.file = file;
        this.nextPosition = start;
        this.chunk = ByteBuffer.allocate(Math.min(CHUNK_BYTES, Math.max(BatchHeader.SIZE, end - start)));
    }

    /** Moves to the next batch; false when {@code end} is reached. */
    boolean next() throws IOException {
        if (nextPosition >= end) {
            return false;
        }
        position = nextPosition;
        int available = end - position;
        if (available < BatchHeader.SIZE) {
            throw new SegmentCorruptException(file + ": " + available + " bytes at position " + position
                    + " are too few for a batch header");
        }
        loadHeader();
        String problem = BatchHeader.structuralProblem(chunk, relative, available);
        if (problem != null) {
            throw new SegmentCorruptException(file + ": at position " + position + ", " + problem);
        }
        nextPosition = position + BatchHeader.sizeInBytes(chunk, relative);
        return true;
    }

    int position() {
        return position;
    }

    int sizeInBytes() {
        return BatchHeader.sizeInBytes(chunk, relative);
    }

    int nextPosition() {
        return nextPosition;
    }

    long baseOffset() {
        return BatchHeader.baseOffset(chunk, relative);
    }

    long lastOffset() {
        return BatchHeader.lastOffset(chunk, relative);
    }

    long maxTimestamp() {
        return BatchHeader.maxTimestamp(chunk, relative);
    }

    int partitionLeaderEpoch() {
        return BatchHeader.partitionLeaderEpoch(chunk, relative);
    }

    private void loadHeader() throws IOException {
        if (position >= chunkStart && position + BatchHeader.SIZE <= chunkStart + chunkLength) {
            relative = position - chunkStart;
            return;
        }
        int length = Math.min(chunk.capacity(), end - position);
        chunk.clear().limit(length);
        while (chunk.hasRemaining()) {
            if (channel.read(chunk, position + chunk.position()) < 0) {
                throw new SegmentCorruptException(file + ": ends before position " + (position + length));
            }
        }
        chunkStart = position;
        chunkLength = length;
        relative = 0;
    }
}

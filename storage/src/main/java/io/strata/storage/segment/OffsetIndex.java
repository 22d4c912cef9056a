package io.strata.storage.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The sparse offset index of one segment: for every {@code index.interval.bytes} or so of log, the base offset of a
 * batch and the file position where it starts. A lookup gives the nearest batch at or before an offset, from which a
 * short scan of batch headers finds the exact one.
 *
 * <p>Kept in memory while in use; stored in {@code <baseOffset>.index} as 8-byte entries (offset relative to the
 * segment's base offset, position), both big-endian ints, as Kafka does. The file is written when the segment rolls
 * or the log closes; a missing or damaged file is rebuilt from the log.
 *
 * <p>Thread-safety as {@link SparseIndex}: one writer, concurrent readers.
 */
public final class OffsetIndex {

    static final int ENTRY_BYTES = 8;

    private final long baseOffset;
    private final SparseIndex entries;

    public OffsetIndex(long baseOffset, int entriesMax) {
        this.baseOffset = baseOffset;
        this.entries = new SparseIndex(entriesMax);
    }

    /** Records that the batch with base offset {@code offset} starts at {@code position}. */
    public void append(long offset, int position) {
        if (offset - baseOffset > Integer.MAX_VALUE || offset < baseOffset) {
            throw new IllegalArgumentException("offset " + offset + " is outside the segment at " + baseOffset);
        }
        entries.append(offset, position);
    }

    /** The position of the last indexed batch at or before {@code offset}; the segment start if none. */
    public int floorPosition(long offset) {
        int slot = entries.floorByKey(offset);
        return slot < 0 ? 0 : entries.value(slot);
    }

    /** The position of the last indexed batch starting at or before {@code position}; 0 if none. */
    public int floorPositionByPosition(int position) {
        int slot = entries.floorByValue(position);
        return slot < 0 ? 0 : entries.value(slot);
    }

    /** The offset of the last entry, or the base offset if there is none. */
    public long lastOffset() {
        int n = entries.size();
        return n == 0 ? baseOffset : entries.key(n - 1);
    }

    /** The position of the last entry, or 0. */
    public int lastPosition() {
        int n = entries.size();
        return n == 0 ? 0 : entries.value(n - 1);
    }

    /** Drops entries for batches at or after {@code offset}. */
    public void truncateTo(long offset) {
        entries.truncateTo(entries.floorByKey(offset - 1) + 1);
    }

    public boolean isFull() {
        return entries.isFull();
    }

    public int entries() {
        return entries.size();
    }

    public long memoryBytes() {
        return entries.memoryBytes();
    }

    /** Writes every entry to {@code file}, replacing it, and forces it to disk. */
    public void writeTo(Path file) throws IOException {
        int n = entries.size();
        ByteBuffer buffer = ByteBuffer.allocate(n * ENTRY_BYTES);
        for (int i = 0; i < n; i++) {
            buffer.putInt((int) (entries.key(i) - baseOffset));
            buffer.putInt(entries.value(i));
        }
        IndexFiles.replace(file, buffer.flip());
    }

    /**
     * Reads an index written by {@link #writeTo}, checking that it is well formed for a segment of
     * {@code segmentBytes}: whole entries, offsets and positions ascending, positions inside the log.
     *
     * @throws IndexCorruptException saying what is wrong
     */
    public static OffsetIndex read(Path file, long baseOffset, int entriesMax, int segmentBytes) throws IOException {
        ByteBuffer buffer = IndexFiles.readAll(file, ENTRY_BYTES);
        // An index written under a larger segment.index.bytes is still read whole.
        entriesMax = Math.max(entriesMax, Math.max(1, buffer.remaining() / ENTRY_BYTES));
        OffsetIndex index = new OffsetIndex(baseOffset, entriesMax);
        while (buffer.hasRemaining()) {
            int relativeOffset = buffer.getInt();
            int position = buffer.getInt();
            if (relativeOffset < 0 || position < 0 || position >= Math.max(segmentBytes, 1)) {
                throw new IndexCorruptException(file + ": entry (" + relativeOffset + ", " + position
                        + ") lies outside a log of " + segmentBytes + " bytes");
            }
            try {
                index.append(baseOffset + relativeOffset, position);
            } catch (IllegalStateException e) {
                throw new IndexCorruptException(file + ": " + e.getMessage());
            }
        }
        return index;
    }

}

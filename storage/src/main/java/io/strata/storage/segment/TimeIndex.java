package io.strata.storage.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The time index of one segment: entries of (largest timestamp so far, base offset of the batch where it was first
 * reached), added with the offset index entries whenever the largest timestamp grew. Every record before that batch
 * has a smaller timestamp, so a search for the first record at or after a time can start there.
 *
 * <p>Stored in {@code <baseOffset>.timeindex} as 12-byte entries (timestamp as a long, offset relative to the
 * segment's base offset as an int), as Kafka does. The last entry always carries the segment's largest timestamp once
 * the segment has rolled; retention by time reads it.
 *
 * <p>Thread-safety as {@link SparseIndex}: one writer, concurrent readers.
 */
public final class TimeIndex {

    static final int ENTRY_BYTES = 12;

    private final long baseOffset;
    private final SparseIndex entries;

    public TimeIndex(long baseOffset, int entriesMax) {
        this.baseOffset = baseOffset;
        this.entries = new SparseIndex(entriesMax);
    }

    /** Adds (timestamp, offset) if the timestamp is larger than the last entry's. */
    public void maybeAppend(long timestamp, long offset) {
        int n = entries.size();
        if (n > 0 && timestamp <= entries.key(n - 1)) {
            return;
        }
        if (n > 0 && offset < baseOffset + entries.value(n - 1)) {
            throw new IllegalStateException("time index entry at offset " + offset + " is before the last entry at "
                    + (baseOffset + entries.value(n - 1)));
        }
        entries.append(timestamp, (int) (offset - baseOffset));
    }

    /**
     * The offset from which to search for the first record with a timestamp at or after {@code timestamp}: the
     * entry with the largest timestamp not above it, or the segment's base offset.
     */
    public long searchStartOffset(long timestamp) {
        int slot = entries.floorByKey(timestamp);
        return slot < 0 ? baseOffset : baseOffset + entries.value(slot);
    }

    /** The last entry's timestamp, or -1 if there is none. */
    public long lastTimestamp() {
        int n = entries.size();
        return n == 0 ? -1 : entries.key(n - 1);
    }

    /** The last entry's offset, or the base offset if there is none. */
    public long lastOffset() {
        int n = entries.size();
        return n == 0 ? baseOffset : baseOffset + entries.value(n - 1);
    }

    /** Drops entries pointing at offsets at or after {@code offset}. */
    public void truncateTo(long offset) {
        int keep = entries.size();
        while (keep > 0 && baseOffset + entries.value(keep - 1) >= offset) {
            keep--;
        }
        entries.truncateTo(keep);
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
            buffer.putLong(entries.key(i));
            buffer.putInt(entries.value(i));
        }
        IndexFiles.replace(file, buffer.flip());
    }

    /**
     * Reads a time index written by {@link #writeTo}, checking whole entries and ascending timestamps and offsets.
     *
     * @throws IndexCorruptException saying what is wrong
     */
    public static TimeIndex read(Path file, long baseOffset, int entriesMax) throws IOException {
        ByteBuffer buffer = IndexFiles.readAll(file, ENTRY_BYTES);
        // An index written under a larger segment.index.bytes is still read whole.
        entriesMax = Math.max(entriesMax, Math.max(1, buffer.remaining() / ENTRY_BYTES));
        TimeIndex index = new TimeIndex(baseOffset, entriesMax);
        long lastTimestamp = Long.MIN_VALUE;
        while (buffer.hasRemaining()) {
            long timestamp = buffer.getLong();
            int relativeOffset = buffer.getInt();
            if (relativeOffset < 0 || timestamp <= lastTimestamp) {
                throw new IndexCorruptException(file + ": entry (" + timestamp + ", " + relativeOffset
                        + ") does not follow the previous entry");
            }
            try {
                index.maybeAppend(timestamp, baseOffset + relativeOffset);
            } catch (IllegalStateException e) {
                throw new IndexCorruptException(file + ": " + e.getMessage());
            }
            lastTimestamp = timestamp;
        }
        return index;
    }
}

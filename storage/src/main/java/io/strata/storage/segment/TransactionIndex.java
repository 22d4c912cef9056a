package io.strata.storage.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A segment's aborted-transaction index, {@code N.txnindex}: one entry per transaction whose ABORT marker lies in the
 * segment, in marker order, in Kafka's on-disk format (entry version 0, 34 bytes, big-endian: short version, long
 * producer id, long first offset, long last offset, long last stable offset). A read_committed fetch looks up the
 * aborted transactions overlapping the offsets it returns here, so that the consumer can drop their records.
 *
 * <p>The file exists only once a first entry is written: a segment without aborted transactions costs no file and no
 * lookup. Entries are written as they come and forced to disk with the segment ({@link #flush}); recovery cuts those
 * past the recovered log end ({@link #truncateTo}) and the partition's producer state replay writes back any the
 * crash took ({@link #append} refuses an entry at or below the last one, so replays are idempotent).
 *
 * <p>The index holds no entries in memory, only the count and the last entry's offset; a search reads the file in
 * bounded chunks of {@value #CHUNK_ENTRIES} entries.
 *
 * <p>Thread-safety: every method is synchronized on the index; appends and truncations come from the log's one
 * writer, searches from any reader.
 */
public final class TransactionIndex {

    public static final int ENTRY_BYTES = 34;
    /** The only entry version Kafka writes. */
    public static final short VERSION = 0;
    private static final int CHUNK_ENTRIES = 256;

    /**
     * One aborted transaction: the producer's records from {@code firstOffset} to the ABORT marker at
     * {@code lastOffset} are to be skipped by read_committed consumers. {@code lastStableOffset} is the partition's
     * last stable offset once the marker was written, which lets a search stop early.
     */
    public record AbortedTransaction(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {
        public AbortedTransaction {
            if (firstOffset < 0 || lastOffset < firstOffset) {
                throw new IllegalArgumentException("an aborted transaction from offset " + firstOffset + " to "
                        + lastOffset + " is not a range");
            }
        }
    }

    private Path file;
    private int entries;
    private long lastOffset = -1;
    private boolean dirty;

    /**
     * The index in {@code file}, which may not exist yet. A file that does not hold whole entries (a torn write) is
     * cut back to the last whole one.
     */
    public TransactionIndex(Path file) throws IOException {
        this.file = file;
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            return;
        }
        if (size % ENTRY_BYTES != 0) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(size - size % ENTRY_BYTES);
            }
            size -= size % ENTRY_BYTES;
        }
        if (size / ENTRY_BYTES > Integer.MAX_VALUE) {
            throw new IndexCorruptException(file + " is " + size + " bytes, more entries than a segment can have");
        }
        entries = (int) (size / ENTRY_BYTES);
        if (entries > 0) {
            lastOffset = read(entries - 1, 1).get(0).lastOffset();
        }
    }

    public synchronized Path file() {
        return file;
    }

    public synchronized int entries() {
        return entries;
    }

    /** The last offset of the newest entry, or -1 if there is none. */
    public synchronized long lastOffset() {
        return lastOffset;
    }

    /**
     * Writes an entry at the end.
     *
     * @throws IllegalArgumentException if its marker is not after the newest entry's: entries are in offset order
     */
    public synchronized void append(AbortedTransaction aborted) throws IOException {
        if (aborted.lastOffset() <= lastOffset) {
            throw new IllegalArgumentException("the aborted transaction ending at " + aborted.lastOffset()
                    + " does not come after the last one, ending at " + lastOffset + ", in " + file);
        }
        ByteBuffer entry = ByteBuffer.allocate(ENTRY_BYTES);
        entry.putShort(VERSION).putLong(aborted.producerId()).putLong(aborted.firstOffset())
                .putLong(aborted.lastOffset()).putLong(aborted.lastStableOffset()).flip();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long position = (long) entries * ENTRY_BYTES;
            while (entry.hasRemaining()) {
                position += channel.write(entry, position);
            }
        }
        entries++;
        lastOffset = aborted.lastOffset();
        dirty = true;
    }

    /** Forces written entries to disk. */
    public synchronized void flush() throws IOException {
        if (!dirty) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        dirty = false;
    }

    /** Drops the entries whose marker is at or after {@code offset}, as the log is cut there. */
    public synchronized void truncateTo(long offset) throws IOException {
        if (lastOffset < offset) {
            return;
        }
        int keep = 0;
        for (int from = 0; from < entries; from += CHUNK_ENTRIES) {
            for (AbortedTransaction entry : read(from, Math.min(CHUNK_ENTRIES, entries - from))) {
                if (entry.lastOffset() >= offset) {
                    cutTo(keep);
                    return;
                }
                keep++;
            }
        }
    }

    private void cutTo(int keep) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate((long) keep * ENTRY_BYTES);
        }
        entries = keep;
        lastOffset = keep == 0 ? -1 : read(keep - 1, 1).get(0).lastOffset();
        dirty = true;
    }

    /**
     * Adds to {@code found} the aborted transactions overlapping {@code [fetchOffset, upperBoundOffset)}: those whose
     * marker is at or after {@code fetchOffset} and whose first offset is below {@code upperBoundOffset}. Returns
     * true when an entry's last stable offset reaches {@code upperBoundOffset}: no later segment can hold a
     * transaction overlapping the range, and the search may stop.
     */
    public synchronized boolean collect(long fetchOffset, long upperBoundOffset, List<AbortedTransaction> found)
            throws IOException {
        for (int from = 0; from < entries; from += CHUNK_ENTRIES) {
            for (AbortedTransaction entry : read(from, Math.min(CHUNK_ENTRIES, entries - from))) {
                if (entry.lastOffset() >= fetchOffset && entry.firstOffset() < upperBoundOffset) {
                    found.add(entry);
                }
                if (entry.lastStableOffset() >= upperBoundOffset) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Every entry, in order; for copying into a cleaned segment and for tests. */
    public synchronized List<AbortedTransaction> all() throws IOException {
        List<AbortedTransaction> all = new ArrayList<>(entries);
        for (int from = 0; from < entries; from += CHUNK_ENTRIES) {
            all.addAll(read(from, Math.min(CHUNK_ENTRIES, entries - from)));
        }
        return all;
    }

    /** Renames the file, if there is one, to {@code newFile}. */
    public synchronized void renameTo(Path newFile) throws IOException {
        if (entries > 0 || Files.exists(file)) {
            Files.move(file, newFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        file = newFile;
    }

    /** Deletes the file; the index is empty afterwards. */
    public synchronized void delete() throws IOException {
        Files.deleteIfExists(file);
        entries = 0;
        lastOffset = -1;
        dirty = false;
    }

    private List<AbortedTransaction> read(int firstEntry, int count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(count * ENTRY_BYTES);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long position = (long) firstEntry * ENTRY_BYTES;
            while (buffer.hasRemaining()) {
                int read = channel.read(buffer, position + buffer.position());
                if (read < 0) {
                    throw new IndexCorruptException(file + " ends before entry " + (firstEntry + count));
                }
            }
        }
        buffer.flip();
        List<AbortedTransaction> read = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            short version = buffer.getShort();
            if (version != VERSION) {
                throw new IndexCorruptException(file + ": entry " + (firstEntry + i) + " has version " + version
                        + "; only version " + VERSION + " is known");
            }
            read.add(new AbortedTransaction(buffer.getLong(), buffer.getLong(), buffer.getLong(), buffer.getLong()));
        }
        return read;
    }

    @Override
    public synchronized String toString() {
        return "transaction index " + file + " (" + entries + " entries)";
    }
}

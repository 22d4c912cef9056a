package io.strata.storage.log;

import io.strata.storage.checkpoint.CheckpointFile;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The leader epoch history of one partition's log, as Kafka's replication keeps it: entries (epoch, start offset),
 * oldest first, each saying "the records from {@code startOffset} up to the next entry's start offset were written
 * under leader epoch {@code epoch}". A follower asks the leader where its latest epoch ends (OffsetsForLeaderEpoch)
 * and truncates where the two logs diverge; a consumer validates its position the same way.
 *
 * <p>Owns the file {@code leader-epoch-checkpoint} in the partition directory, in Kafka's checkpoint format: a
 * version line ({@code 0}), a count line, then one {@code <epoch> <startOffset>} line per entry. Every change is
 * written through ({@link CheckpointFile}: temporary file, force, atomic rename) before readers see it. The log
 * assigns an epoch before it writes the batches that carry it, so the file never lacks an epoch the log holds; after
 * a crash it may name epochs past the log end, which loading drops.
 *
 * <p>Invariant: epochs and start offsets both strictly ascending, checked before every write and after every read.
 * Size: one entry per leader epoch that wrote records still in the log, plus the current leader's: bounded by
 * leader elections, not by data. Changes (one per election, truncation or log start move) cost one small file write
 * and two forces.
 *
 * <p>The owning {@link PartitionLog} applies its truncations and log start moves here; callers outside the log read
 * it and assign a new leader's epoch.
 *
 * <p>Thread-safe: changes are serialised and each publishes an immutable list, so readers take no lock.
 */
public final class LeaderEpochCache {

    public static final String FILE_NAME = "leader-epoch-checkpoint";
    /** The epoch answered when none applies, as Kafka's {@code OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH}. */
    public static final int UNDEFINED_EPOCH = -1;
    /** The end offset answered when none applies, as Kafka's {@code UNDEFINED_EPOCH_OFFSET}. */
    public static final long UNDEFINED_EPOCH_OFFSET = -1;

    private static final System.Logger LOG = System.getLogger(LeaderEpochCache.class.getName());
    private static final int VERSION = 0;

    /** Records from {@code startOffset} on were written under leader epoch {@code epoch}. */
    public record Entry(int epoch, long startOffset) {
        public Entry {
            if (epoch < 0 || startOffset < 0) {
                throw new IllegalArgumentException("a leader epoch entry needs a non-negative epoch and start offset,"
                        + " not epoch " + epoch + " at offset " + startOffset);
            }
        }
    }

    /**
     * The answer to "where does epoch N end": the largest known epoch at or below N, and the offset where the next
     * epoch starts (or the log end offset for the latest epoch). Both are {@code -1} when no epoch applies.
     */
    public record EpochEndOffset(int epoch, long endOffset) {
        public static final EpochEndOffset UNDEFINED = new EpochEndOffset(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
    }

    private static final CheckpointFile.Format<Entry> FORMAT = new CheckpointFile.Format<>() {
        @Override
        public String toLine(Entry entry) {
            return entry.epoch() + " " + entry.startOffset();
        }

        @Override
        public Entry fromLine(String line) {
            String[] parts = line.split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException("is not '<epoch> <startOffset>'");
            }
            int epoch;
            long startOffset;
            try {
                epoch = Integer.parseInt(parts[0]);
                startOffset = Long.parseLong(parts[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("has a bad number");
            }
            if (epoch < 0 || startOffset < 0) {
                throw new IllegalArgumentException("has a negative epoch or start offset");
            }
            return new Entry(epoch, startOffset);
        }
    };

    private final TopicPartition topicPartition;
    private final CheckpointFile<Entry> checkpoint;
    private final Object changeLock = new Object();
    /** Immutable; replaced whole by each change, after the checkpoint is written. */
    private volatile List<Entry> entries;

    private LeaderEpochCache(TopicPartition topicPartition, CheckpointFile<Entry> checkpoint, List<Entry> entries) {
        this.topicPartition = topicPartition;
        this.checkpoint = checkpoint;
        this.entries = List.copyOf(entries);
    }

    /**
     * The cache kept in {@code dir}'s checkpoint file, or none if there is no such file (a log written before the
     * file existed).
     *
     * @throws IOException naming the file and the problem if it is malformed or its entries do not ascend
     */
    static Optional<LeaderEpochCache> load(TopicPartition topicPartition, Path dir) throws IOException {
        CheckpointFile<Entry> checkpoint = checkpointIn(dir);
        Optional<List<Entry>> read = checkpoint.read();
        if (read.isEmpty()) {
            return Optional.empty();
        }
        String problem = ascendingProblem(read.get());
        if (problem != null) {
            throw checkpoint.malformed(problem);
        }
        return Optional.of(new LeaderEpochCache(topicPartition, checkpoint, read.get()));
    }

    /** A cache of {@code entries} for the log in {@code dir}, not yet written: see {@link #flush()}. */
    static LeaderEpochCache of(TopicPartition topicPartition, Path dir, List<Entry> entries) {
        String problem = ascendingProblem(entries);
        if (problem != null) {
            throw new IllegalArgumentException("leader epoch entries of " + topicPartition + ": " + problem);
        }
        return new LeaderEpochCache(topicPartition, checkpointIn(dir), entries);
    }

    private static CheckpointFile<Entry> checkpointIn(Path dir) {
        return new CheckpointFile<>(dir.resolve(FILE_NAME), VERSION, FORMAT);
    }

    public Path path() {
        return checkpoint.path();
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /** The entries, oldest first; an immutable snapshot. */
    public List<Entry> entries() {
        return entries;
    }

    /** The latest epoch: the current leader's, once it has assigned its epoch or written under it. */
    public OptionalInt latestEpoch() {
        List<Entry> current = entries;
        return current.isEmpty() ? OptionalInt.empty() : OptionalInt.of(current.get(current.size() - 1).epoch());
    }

    /** The epoch before the latest one. */
    public OptionalInt previousEpoch() {
        List<Entry> current = entries;
        return current.size() < 2 ? OptionalInt.empty() : OptionalInt.of(current.get(current.size() - 2).epoch());
    }

    /**
     * Where {@code requestedEpoch} ends, with Kafka's semantics ({@code LeaderEpochFileCache.endOffsetFor}):
     * <ul>
     * <li>the latest epoch ends at {@code logEndOffset}, since its leader may still be writing;</li>
     * <li>an earlier epoch answers the largest known epoch at or below it, ending where the next known epoch
     * starts;</li>
     * <li>an epoch below every known one answers itself, ending where the first known epoch starts: the records
     * before are gone, and a follower should truncate to there;</li>
     * <li>{@link #UNDEFINED_EPOCH}, an epoch above the latest, or an empty cache answer
     * {@link EpochEndOffset#UNDEFINED}.</li>
     * </ul>
     */
    public EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
        List<Entry> current = entries;
        if (requestedEpoch == UNDEFINED_EPOCH || current.isEmpty()) {
            return EpochEndOffset.UNDEFINED;
        }
        if (current.get(current.size() - 1).epoch() == requestedEpoch) {
            return new EpochEndOffset(requestedEpoch, logEndOffset);
        }
        int higher = firstIndexAbove(current, requestedEpoch);
        if (higher == current.size()) {
            return EpochEndOffset.UNDEFINED;
        }
        if (higher == 0) {
            return new EpochEndOffset(requestedEpoch, current.get(0).startOffset());
        }
        return new EpochEndOffset(current.get(higher - 1).epoch(), current.get(higher).startOffset());
    }

    /** The index of the first entry with an epoch above {@code epoch}, or the size if none: a binary search. */
    private static int firstIndexAbove(List<Entry> ascending, int epoch) {
        int low = 0;
        int high = ascending.size();
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (ascending.get(middle).epoch() <= epoch) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    // ---------------------------------------------------------------------------------------------------- changes

    /**
     * Records that epoch {@code epoch} starts at {@code startOffset}, as Kafka's {@code LeaderEpochFileCache.assign}
     * does: nothing changes if {@code epoch} is already the latest and {@code startOffset} is not earlier. Otherwise
     * entries that conflict with the new one (an epoch at or above it, or a start at or after it) are removed first,
     * with a warning if that drops an epoch that held records.
     *
     * <p>The log assigns the epochs of the batches it writes. A new leader assigning its epoch at the log end must do
     * so serialised with appends, or a batch of the previous epoch could land after the entry.
     *
     * @throws KafkaStorageException if the checkpoint cannot be written; the cache is then unchanged
     */
    public void assign(int epoch, long startOffset) {
        Entry entry = new Entry(epoch, startOffset);
        if (!changes(entries, entry)) {
            return;
        }
        synchronized (changeLock) {
            List<Entry> next = new ArrayList<>(entries);
            if (!changes(next, entry)) {
                return;
            }
            List<Entry> removed = new ArrayList<>();
            while (!next.isEmpty() && conflicts(next.get(next.size() - 1), entry)) {
                removed.add(0, next.remove(next.size() - 1));
            }
            next.add(entry);
            publish(next);
            if (removed.size() > 1 || (removed.size() == 1 && removed.get(0).startOffset() != startOffset)) {
                LOG.log(Level.WARNING, "Leader epoch {0} of {1} starting at offset {2} replaced conflicting"
                        + " entries {3}", epoch, topicPartition, startOffset, removed);
            }
        }
    }

    private static boolean changes(List<Entry> current, Entry entry) {
        if (current.isEmpty()) {
            return true;
        }
        Entry latest = current.get(current.size() - 1);
        return entry.epoch() != latest.epoch() || entry.startOffset() < latest.startOffset();
    }

    private static boolean conflicts(Entry existing, Entry added) {
        return existing.epoch() >= added.epoch() || existing.startOffset() >= added.startOffset();
    }

    /**
     * Removes the entries starting at or after {@code endOffset}, after the log was truncated to it.
     *
     * @throws KafkaStorageException if the checkpoint cannot be written; the cache is then unchanged
     */
    public void truncateFromEnd(long endOffset) {
        requireOffset(endOffset);
        synchronized (changeLock) {
            List<Entry> next = new ArrayList<>(entries);
            while (!next.isEmpty() && next.get(next.size() - 1).startOffset() >= endOffset) {
                next.remove(next.size() - 1);
            }
            if (next.size() < entries.size()) {
                publish(next);
            }
        }
    }

    /**
     * Drops the entries wholly below {@code startOffset}, after the log start moved up to it, and moves the start of
     * the epoch that holds {@code startOffset} up to it. An entry starting exactly there is kept as it is.
     *
     * @throws KafkaStorageException if the checkpoint cannot be written; the cache is then unchanged
     */
    public void truncateFromStart(long startOffset) {
        requireOffset(startOffset);
        synchronized (changeLock) {
            List<Entry> current = entries;
            int covering = -1;
            while (covering + 1 < current.size() && current.get(covering + 1).startOffset() <= startOffset) {
                covering++;
            }
            if (covering < 0 || (covering == 0 && current.get(0).startOffset() == startOffset)) {
                return;
            }
            List<Entry> next = new ArrayList<>(current.size() - covering);
            next.add(new Entry(current.get(covering).epoch(), startOffset));
            next.addAll(current.subList(covering + 1, current.size()));
            publish(next);
        }
    }

    /**
     * Removes every entry, when the log is emptied.
     *
     * @throws KafkaStorageException if the checkpoint cannot be written; the cache is then unchanged
     */
    public void clear() {
        synchronized (changeLock) {
            if (!entries.isEmpty()) {
                publish(List.of());
            }
        }
    }

    /**
     * Writes the entries to the checkpoint file, for a cache made with {@link #of} (rebuilt from the log).
     *
     * @throws KafkaStorageException if the checkpoint cannot be written
     */
    void flush() {
        synchronized (changeLock) {
            write(entries);
        }
    }

    private static void requireOffset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
    }

    /** Checks, writes and then shows {@code next}. Called holding the change lock. */
    private void publish(List<Entry> next) {
        String problem = ascendingProblem(next);
        if (problem != null) {
            throw new IllegalStateException("leader epoch cache of " + topicPartition + ": " + problem);
        }
        write(next);
        entries = List.copyOf(next);
    }

    private void write(List<Entry> next) {
        try {
            checkpoint.write(next);
        } catch (IOException e) {
            throw new KafkaStorageException("Writing the leader epoch checkpoint of " + topicPartition + " to "
                    + checkpoint.path() + " failed: " + e.getMessage(), e);
        }
    }

    /** Why the entries are not strictly ascending in both epoch and start offset, or {@code null} if they are. */
    private static String ascendingProblem(List<Entry> list) {
        for (int i = 1; i < list.size(); i++) {
            Entry before = list.get(i - 1);
            Entry after = list.get(i);
            if (after.epoch() <= before.epoch() || after.startOffset() <= before.startOffset()) {
                return "entry " + after + " does not follow " + before + ": epochs and start offsets must ascend";
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "leader epochs of " + topicPartition + " " + entries;
    }
}

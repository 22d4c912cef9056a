package io.strata.broker.producer;

import io.strata.storage.batch.BatchInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The idempotent producers' state for one partition: for each producer id, its epoch and its last five batches'
 * sequence numbers and offsets. A batch whose sequence numbers match one of those is a retry of a write that
 * already happened and is answered with the original offset; a batch that does not follow the last sequence is
 * refused with OUT_OF_ORDER_SEQUENCE_NUMBER; a batch from an older epoch with INVALID_PRODUCER_EPOCH.
 *
 * <p>The state is kept on disk as {@code <offset>.snapshot} files in the partition's directory, written when the log
 * rolls a segment and at clean shutdown (the newest two are kept); at start the newest snapshot at or below the log
 * end is loaded and the batches after it replayed, so that a crash costs at most a replay of the active segment.
 *
 * <p>Not thread-safe: the partition calls it with its append lock held.
 */
public final class ProducerStateManager {

    private static final System.Logger LOG = System.getLogger(ProducerStateManager.class.getName());
    /** As many batches per producer as a producer may have in flight: its retries are recognised. */
    static final int BATCHES_PER_PRODUCER = 5;
    private static final String SNAPSHOT_SUFFIX = ".snapshot";

    /** One appended batch of a producer. */
    public record BatchMetadata(int firstSequence, int lastSequence, long firstOffset, long lastOffset,
                                long timestampMs) {

        /**
         * A batch the leader validated and appended, its last sequence computed as
         * {@link ProducerStateManager#lastSequence}.
         */
        public static BatchMetadata of(BatchInfo batch) {
            return new BatchMetadata(batch.baseSequence(),
                    ProducerStateManager.lastSequence(batch.baseSequence(), batch.baseOffset(), batch.lastOffset()),
                    batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp());
        }

        /** A batch as stored (fetched by a follower, or replayed from the log), computed the same way. */
        public static BatchMetadata of(RecordBatch batch) {
            return new BatchMetadata(batch.baseSequence(),
                    ProducerStateManager.lastSequence(batch.baseSequence(), batch.baseOffset(), batch.lastOffset()),
                    batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp());
        }
    }

    private static final class ProducerEntry {
        short epoch;
        long lastUpdateMs;
        final Deque<BatchMetadata> batches = new ArrayDeque<>(BATCHES_PER_PRODUCER);

        int lastSequence() {
            return batches.isEmpty() ? RecordBatch.NO_SEQUENCE : batches.peekLast().lastSequence();
        }
    }

    private final TopicPartition topicPartition;
    private final Map<Long, ProducerEntry> producers = new HashMap<>();

    public ProducerStateManager(TopicPartition topicPartition) {
        this.topicPartition = topicPartition;
    }

    /**
     * Checks a batch before it is appended.
     *
     * @return the batch already written if this is a retry of it, otherwise {@code null}
     * @throws InvalidProducerEpochException if the epoch is older than the producer's current one
     * @throws OutOfOrderSequenceException   if the sequence does not follow the producer's last one
     */
    public BatchMetadata checkBeforeAppend(long producerId, short epoch, int firstSequence, int lastSequence) {
        ProducerEntry entry = producers.get(producerId);
        if (entry == null || entry.epoch == RecordBatch.NO_PRODUCER_EPOCH) {
            // An unknown producer (new, or whose state expired) may start at any sequence.
            return null;
        }
        if (epoch < entry.epoch) {
            throw new InvalidProducerEpochException("Producer " + producerId + " wrote with epoch " + epoch
                    + " to " + topicPartition + ", older than its current epoch " + entry.epoch);
        }
        if (epoch > entry.epoch) {
            if (firstSequence != 0) {
                throw new OutOfOrderSequenceException("Invalid sequence number for new epoch of producer "
                        + producerId + " in " + topicPartition + ": " + epoch + " (request epoch), " + firstSequence
                        + " (seq. number); a new epoch starts at sequence 0");
            }
            return null;
        }
        for (BatchMetadata batch : entry.batches) {
            if (batch.firstSequence() == firstSequence && batch.lastSequence() == lastSequence) {
                return batch;
            }
        }
        int expected = increment(entry.lastSequence());
        if (entry.lastSequence() != RecordBatch.NO_SEQUENCE && firstSequence != expected) {
            throw new OutOfOrderSequenceException("Out of order sequence number for producer " + producerId + " at "
                    + topicPartition + ": " + firstSequence + " (incoming seq. number), " + entry.lastSequence()
                    + " (current end sequence number)");
        }
        return null;
    }

    /**
     * Records an appended batch. Its last sequence is derived here from its first sequence and offsets, whatever
     * the caller computed, so that the leader's and the followers' state agree after the wrap at
     * {@link Integer#MAX_VALUE}.
     */
    public void update(long producerId, short epoch, BatchMetadata appended) {
        int lastSequence = lastSequence(appended.firstSequence(), appended.firstOffset(), appended.lastOffset());
        BatchMetadata batch = lastSequence == appended.lastSequence() ? appended
                : new BatchMetadata(appended.firstSequence(), lastSequence, appended.firstOffset(),
                appended.lastOffset(), appended.timestampMs());
        ProducerEntry entry = producers.computeIfAbsent(producerId, id -> new ProducerEntry());
        if (epoch != entry.epoch) {
            entry.batches.clear();
            entry.epoch = epoch;
        }
        if (entry.batches.size() == BATCHES_PER_PRODUCER) {
            entry.batches.removeFirst();
        }
        entry.batches.addLast(batch);
        entry.lastUpdateMs = Math.max(entry.lastUpdateMs, batch.timestampMs());
    }

    /** Forgets producers idle for longer than {@code expirationMs}. Returns how many. */
    public int expire(long nowMs, long expirationMs) {
        int removed = 0;
        Iterator<ProducerEntry> it = producers.values().iterator();
        while (it.hasNext()) {
            if (nowMs - it.next().lastUpdateMs > expirationMs) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    /** Forgets every batch at or after {@code offset}, after the log was truncated there. */
    public void truncateTo(long offset) {
        Iterator<ProducerEntry> it = producers.values().iterator();
        while (it.hasNext()) {
            ProducerEntry entry = it.next();
            entry.batches.removeIf(batch -> batch.lastOffset() >= offset);
            if (entry.batches.isEmpty()) {
                it.remove();
            }
        }
    }

    public int producerCount() {
        return producers.size();
    }

    public short epochOf(long producerId) {
        ProducerEntry entry = producers.get(producerId);
        return entry == null ? RecordBatch.NO_PRODUCER_EPOCH : entry.epoch;
    }

    /**
     * The sequence number of a batch's last record: sequence numbers count records, one per offset of the batch, and
     * wrap from {@link Integer#MAX_VALUE} to 0 as the Kafka producer wraps them (DefaultRecordBatch.lastSequence).
     * The one way leader, follower and replay compute it.
     *
     * @throws IllegalArgumentException if the offsets do not span 1 to 2^31 records, which no v2 batch can
     */
    public static int lastSequence(int firstSequence, long firstOffset, long lastOffset) {
        long delta = lastOffset - firstOffset;
        if (delta < 0 || delta > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch from offset " + firstOffset + " to " + lastOffset
                    + " cannot hold a run of sequence numbers");
        }
        if (firstSequence == RecordBatch.NO_SEQUENCE) {
            return RecordBatch.NO_SEQUENCE;
        }
        return add(firstSequence, (int) delta);
    }

    /** {@code sequence + increment}, wrapping past {@link Integer#MAX_VALUE} to 0 (not to a negative number). */
    private static int add(int sequence, int increment) {
        if (sequence > Integer.MAX_VALUE - increment) {
            return increment - (Integer.MAX_VALUE - sequence) - 1;
        }
        return sequence + increment;
    }

    private static int increment(int sequence) {
        return add(sequence, 1);
    }

    // ---------------------------------------------------------------------------------------------------- snapshots

    /**
     * Writes the state as of {@code offset} (the log end offset) to {@code <offset>.snapshot} in {@code dir},
     * keeping the one snapshot before it and deleting older ones.
     */
    public void writeSnapshot(Path dir, long offset) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<Long, ProducerEntry> producer : producers.entrySet()) {
            ProducerEntry entry = producer.getValue();
            text.append(producer.getKey()).append(' ').append(entry.epoch).append(' ').append(entry.lastUpdateMs);
            for (BatchMetadata batch : entry.batches) {
                text.append(' ').append(batch.firstSequence()).append(':').append(batch.lastSequence()).append(':')
                        .append(batch.firstOffset()).append(':').append(batch.lastOffset()).append(':')
                        .append(batch.timestampMs());
            }
            text.append('\n');
        }
        Path file = dir.resolve(String.format("%020d", offset) + SNAPSHOT_SUFFIX);
        Path temporary = dir.resolve(file.getFileName() + ".tmp");
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // The newest and the one before it stay: if a crash takes the unflushed log tail, and with it the offset of
        // the newest snapshot, the older one still spares a replay from the start of the log.
        List<Long> offsets = snapshotOffsets(dir);
        offsets.sort(null);
        for (int i = 0; i < offsets.size() - 2; i++) {
            Files.deleteIfExists(dir.resolve(String.format("%020d", offsets.get(i)) + SNAPSHOT_SUFFIX));
        }
    }

    /**
     * Loads the newest snapshot at or below {@code maxOffset}, deleting any above it (they describe records that are
     * gone). Returns the snapshot's offset, from which the caller replays the log, or -1 if there is none.
     */
    public long loadSnapshot(Path dir, long maxOffset) throws IOException {
        producers.clear();
        long best = -1;
        for (long offset : snapshotOffsets(dir)) {
            if (offset > maxOffset) {
                Files.deleteIfExists(dir.resolve(String.format("%020d", offset) + SNAPSHOT_SUFFIX));
            } else {
                best = Math.max(best, offset);
            }
        }
        if (best < 0) {
            return -1;
        }
        Path file = dir.resolve(String.format("%020d", best) + SNAPSHOT_SUFFIX);
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                long producerId = Long.parseLong(parts[0]);
                ProducerEntry entry = new ProducerEntry();
                entry.epoch = Short.parseShort(parts[1]);
                entry.lastUpdateMs = Long.parseLong(parts[2]);
                for (int i = 3; i < parts.length; i++) {
                    String[] fields = parts[i].split(":");
                    entry.batches.addLast(new BatchMetadata(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]),
                            Long.parseLong(fields[2]), Long.parseLong(fields[3]), Long.parseLong(fields[4])));
                }
                producers.put(producerId, entry);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Ignoring the damaged producer state snapshot {0}: {1}", file, e.getMessage());
            producers.clear();
            Files.deleteIfExists(file);
            return -1;
        }
        return best;
    }

    private static List<Long> snapshotOffsets(Path dir) throws IOException {
        List<Long> offsets = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return offsets;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SNAPSHOT_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                try {
                    offsets.add(Long.parseLong(name.substring(0, name.length() - SNAPSHOT_SUFFIX.length())));
                } catch (NumberFormatException e) {
                    LOG.log(Level.DEBUG, "Ignoring {0}", file);
                }
            }
        }
        return offsets;
    }
}

package io.strata.broker.producer;

import io.strata.storage.batch.BatchInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The idempotent and transactional producers' state for one partition: for each producer id, its epoch and its last
 * five batches' sequence numbers and offsets. A batch whose sequence numbers match one of those is a retry of a write
 * that already happened and is answered with the original offset; a batch that does not follow the last sequence is
 * refused with OUT_OF_ORDER_SEQUENCE_NUMBER; a batch from an older epoch with INVALID_PRODUCER_EPOCH.
 *
 * <p>It also tracks transactions, as Kafka's producer state does: a producer's first transactional batch opens a
 * transaction at its first offset, and a COMMIT or ABORT marker (a control batch the transaction coordinator has the
 * leader write) ends it. A marker from an older producer epoch is refused with INVALID_PRODUCER_EPOCH, one from an
 * older coordinator epoch than the last marker's with TRANSACTION_COORDINATOR_FENCED (a deposed coordinator's). A
 * transaction stays unstable until its marker is below the high watermark: until then a new leader may not have the
 * marker. The first offset of the earliest unstable transaction bounds the last stable offset
 * ({@link #firstUnstableOffset}).
 *
 * <p>The state is kept on disk as {@code <offset>.snapshot} files in the partition's directory, written when the log
 * rolls a segment and at clean shutdown (the newest two are kept); at start the newest snapshot at or below the log
 * end is loaded and the batches after it replayed, so that a crash costs at most a replay of the active segment.
 * A snapshot is a text file: a header line ({@code strata-producer-snapshot-v2 <producer count>}), one line per
 * producer ({@code <id> <epoch> <last update ms> <coordinator epoch> <ongoing transaction's first offset or -1>} then
 * {@code first:last sequence:first:last offset:timestamp} per batch) and a last line {@code crc32c <hex>} over
 * everything before it; version 1 snapshots (without the two transaction fields) are still read. It is forced to disk before it is renamed
 * into place, and one that is damaged is deleted at load in favour of the one before it.
 *
 * <p>Bounds: five batches per producer; at most one open transaction per producer; completed transactions are
 * kept only while their marker is above the high watermark, so no more than the markers the in-sync replicas lack.
 *
 * <p>Not thread-safe: the partition calls it with its append lock held.
 */
public final class ProducerStateManager {

    private static final System.Logger LOG = System.getLogger(ProducerStateManager.class.getName());
    /** As many batches per producer as a producer may have in flight: its retries are recognised. */
    static final int BATCHES_PER_PRODUCER = 5;
    private static final String SNAPSHOT_SUFFIX = ".snapshot";
    private static final String TEMPORARY_SUFFIX = ".tmp";
    /** First line of a snapshot, then its producer count; versioned so a later format is told apart. */
    private static final String SNAPSHOT_HEADER = "strata-producer-snapshot-v2";
    private static final String SNAPSHOT_HEADER_V1 = "strata-producer-snapshot-v1";
    /** Last line of a snapshot: the CRC32C of every byte before it. */
    private static final String CHECKSUM_PREFIX = "crc32c ";

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

    /**
     * A transaction ended by the marker at {@code lastOffset}; its records are {@code firstOffset} to the marker (the
     * marker's own offset when the producer wrote nothing here).
     */
    public record CompletedTransaction(long producerId, long firstOffset, long lastOffset, boolean aborted) {
    }

    /**
     * A producer as DescribeProducers reports it: its epoch, the sequence of its last batch here (-1 if it wrote
     * none, only markers), the largest timestamp of its batches and markers, the coordinator epoch of its last marker
     * (-1 before any) and the first offset of its open transaction (-1 if none).
     */
    public record ActiveProducer(long producerId, short epoch, int lastSequence, long lastTimestampMs,
                                 int coordinatorEpoch, long currentTransactionStartOffset) {
    }

    private static final class ProducerEntry {
        short epoch;
        long lastUpdateMs;
        /** The coordinator epoch of the last marker, -1 before any. */
        int coordinatorEpoch = -1;
        /** The first offset of the producer's ongoing transaction, -1 if none. */
        long currentTransactionFirstOffset = -1;
        final Deque<BatchMetadata> batches = new ArrayDeque<>(BATCHES_PER_PRODUCER);

        int lastSequence() {
            return batches.isEmpty() ? RecordBatch.NO_SEQUENCE : batches.peekLast().lastSequence();
        }
    }

    private final TopicPartition topicPartition;
    private final Map<Long, ProducerEntry> producers = new HashMap<>();
    /** Ongoing transactions by first offset: producer id. At most one per producer, so bounded by the producers. */
    private final TreeMap<Long, Long> ongoing = new TreeMap<>();
    /** Completed transactions whose marker is not yet below the high watermark, by first offset: marker offset. */
    private final TreeMap<Long, Long> unreplicated = new TreeMap<>();

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
        // A producer known at this epoch with no batch yet (a transactions-v2 marker bumped its epoch) starts at 0,
        // as in Kafka: a pipelined batch behind a refused first one must not open a gap.
        int expected = increment(entry.lastSequence());
        if (firstSequence != expected) {
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
        update(producerId, epoch, appended, false);
    }

    /**
     * Records an appended batch, as {@link #update(long, short, BatchMetadata)}; a transactional one opens the
     * producer's transaction at its first offset unless one is open.
     */
    public void update(long producerId, short epoch, BatchMetadata appended, boolean transactional) {
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
        if (transactional && entry.currentTransactionFirstOffset < 0) {
            entry.currentTransactionFirstOffset = batch.firstOffset();
            ongoing.put(batch.firstOffset(), producerId);
        }
    }

    /**
     * Checks, as leader, that a producer's non-transactional batch does not interleave with its open transaction.
     *
     * @throws InvalidTxnStateException if the producer has a transaction open and writes outside it
     */
    public void checkTransactionState(long producerId, boolean transactional) {
        ProducerEntry entry = producers.get(producerId);
        if (!transactional && entry != null && entry.currentTransactionFirstOffset >= 0) {
            throw new InvalidTxnStateException("Producer " + producerId + " wrote a non-transactional batch to "
                    + topicPartition + " while its transaction from offset " + entry.currentTransactionFirstOffset
                    + " is open");
        }
    }

    /**
     * Checks, as leader, a COMMIT or ABORT marker before it is written.
     *
     * @throws InvalidProducerEpochException         if {@code epoch} is older than the producer's current epoch
     * @throws TransactionCoordinatorFencedException if {@code coordinatorEpoch} is older than the last marker's
     */
    public void checkEndTransaction(long producerId, short epoch, int coordinatorEpoch) {
        ProducerEntry entry = producers.get(producerId);
        if (entry == null) {
            return;
        }
        if (epoch < entry.epoch) {
            throw new InvalidProducerEpochException("Transaction marker for producer " + producerId + " at epoch "
                    + epoch + " in " + topicPartition + " is older than the producer's current epoch " + entry.epoch);
        }
        if (coordinatorEpoch < entry.coordinatorEpoch) {
            throw new TransactionCoordinatorFencedException("Transaction marker for producer " + producerId + " in "
                    + topicPartition + " comes from coordinator epoch " + coordinatorEpoch + ", older than the last"
                    + " marker's coordinator epoch " + entry.coordinatorEpoch);
        }
    }

    /**
     * Records a COMMIT or ABORT marker written at {@code markerOffset}: the producer's transaction ends, and stays
     * unstable until the marker is below the high watermark. Never refuses: the leader checked the marker with
     * {@link #checkEndTransaction} before writing it, and a follower or a replay takes what the log holds.
     */
    public CompletedTransaction completeTransaction(long producerId, short epoch, int coordinatorEpoch, boolean commit,
                                                    long markerOffset, long timestampMs) {
        ProducerEntry entry = producers.computeIfAbsent(producerId, id -> new ProducerEntry());
        if (epoch > entry.epoch) {
            entry.batches.clear();
            entry.epoch = epoch;
        }
        long firstOffset = entry.currentTransactionFirstOffset >= 0 ? entry.currentTransactionFirstOffset
                : markerOffset;
        if (entry.currentTransactionFirstOffset >= 0) {
            ongoing.remove(entry.currentTransactionFirstOffset);
        }
        entry.currentTransactionFirstOffset = -1;
        entry.coordinatorEpoch = Math.max(entry.coordinatorEpoch, coordinatorEpoch);
        entry.lastUpdateMs = Math.max(entry.lastUpdateMs, timestampMs);
        unreplicated.put(firstOffset, markerOffset);
        return new CompletedTransaction(producerId, firstOffset, markerOffset, !commit);
    }

    /**
     * The last stable offset the aborted-transaction index records with a transaction just completed: the first
     * offset of the earliest transaction still open, or the offset after the marker if none is.
     */
    public long lastStableOffsetAfter(CompletedTransaction completed) {
        return ongoing.isEmpty() ? completed.lastOffset() + 1 : ongoing.firstKey();
    }

    /** Forgets the completed transactions whose marker is below {@code highWatermark}: they are stable now. */
    public void onHighWatermark(long highWatermark) {
        unreplicated.values().removeIf(markerOffset -> markerOffset < highWatermark);
    }

    /**
     * The first offset of the earliest transaction that is open or whose marker is not yet below the high watermark
     * (as last told to {@link #onHighWatermark}), or {@link Long#MAX_VALUE} if there is none.
     */
    public long firstUnstableOffset() {
        long first = Long.MAX_VALUE;
        if (!ongoing.isEmpty()) {
            first = ongoing.firstKey();
        }
        if (!unreplicated.isEmpty()) {
            first = Math.min(first, unreplicated.firstKey());
        }
        return first;
    }

    /** Whether a completed transaction waits for its marker to pass the high watermark. */
    public boolean hasUnreplicatedTransactions() {
        return !unreplicated.isEmpty();
    }

    /** The first offset of the producer's open transaction, or -1 if it has none. */
    public long ongoingTransactionFirstOffset(long producerId) {
        ProducerEntry entry = producers.get(producerId);
        return entry == null ? -1 : entry.currentTransactionFirstOffset;
    }

    /** The coordinator epoch of the producer's last marker, or -1. */
    public int coordinatorEpochOf(long producerId) {
        ProducerEntry entry = producers.get(producerId);
        return entry == null ? -1 : entry.coordinatorEpoch;
    }

    public int ongoingTransactionCount() {
        return ongoing.size();
    }

    /**
     * Forgets producers idle for longer than {@code expirationMs}, except those with a transaction open: that
     * transaction still bounds the last stable offset until its marker comes. Returns how many.
     */
    public int expire(long nowMs, long expirationMs) {
        int removed = 0;
        Iterator<ProducerEntry> it = producers.values().iterator();
        while (it.hasNext()) {
            ProducerEntry entry = it.next();
            if (entry.currentTransactionFirstOffset < 0 && nowMs - entry.lastUpdateMs > expirationMs) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    /**
     * Forgets every batch at or after {@code offset}, after the log was truncated there, and the transactions that
     * opened there. A transaction whose marker was cut off is not reopened here: the partition reloads its state from
     * a snapshot and the log after a truncation, which is exact.
     */
    public void truncateTo(long offset) {
        Iterator<ProducerEntry> it = producers.values().iterator();
        while (it.hasNext()) {
            ProducerEntry entry = it.next();
            entry.batches.removeIf(batch -> batch.lastOffset() >= offset);
            if (entry.currentTransactionFirstOffset >= offset) {
                ongoing.remove(entry.currentTransactionFirstOffset);
                entry.currentTransactionFirstOffset = -1;
            }
            if (entry.batches.isEmpty() && entry.currentTransactionFirstOffset < 0) {
                it.remove();
            }
        }
        unreplicated.values().removeIf(markerOffset -> markerOffset >= offset);
    }

    /** Every producer this partition keeps state for, by producer id. */
    public List<ActiveProducer> activeProducers() {
        List<ActiveProducer> active = new ArrayList<>(producers.size());
        producers.forEach((producerId, entry) -> active.add(new ActiveProducer(producerId, entry.epoch,
                entry.lastSequence(), entry.lastUpdateMs, entry.coordinatorEpoch,
                entry.currentTransactionFirstOffset)));
        active.sort(Comparator.comparingLong(ActiveProducer::producerId));
        return active;
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
     *
     * <p>The file is written under a temporary name, forced to disk, renamed into place and the directory forced:
     * a crash leaves either the whole snapshot or none, never an empty or torn one that would read as "no
     * producers" and let retries be written twice.
     */
    public void writeSnapshot(Path dir, long offset) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(SNAPSHOT_HEADER).append(' ').append(producers.size()).append('\n');
        for (Map.Entry<Long, ProducerEntry> producer : producers.entrySet()) {
            ProducerEntry entry = producer.getValue();
            text.append(producer.getKey()).append(' ').append(entry.epoch).append(' ').append(entry.lastUpdateMs)
                    .append(' ').append(entry.coordinatorEpoch).append(' ').append(entry.currentTransactionFirstOffset);
            for (BatchMetadata batch : entry.batches) {
                text.append(' ').append(batch.firstSequence()).append(':').append(batch.lastSequence()).append(':')
                        .append(batch.firstOffset()).append(':').append(batch.lastOffset()).append(':')
                        .append(batch.timestampMs());
            }
            text.append('\n');
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] trailer = (CHECKSUM_PREFIX + Long.toHexString(crc32c(body, body.length)) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        Path file = snapshotFile(dir, offset);
        Path temporary = dir.resolve(file.getFileName() + TEMPORARY_SUFFIX);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.allocate(body.length + trailer.length).put(body).put(trailer).flip();
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(dir);
        // The newest and the one before it stay: if a crash takes the unflushed log tail, and with it the offset of
        // the newest snapshot, the older one still spares a replay from the start of the log.
        List<Long> offsets = snapshotOffsets(dir);
        offsets.sort(null);
        for (int i = 0; i < offsets.size() - 2; i++) {
            Files.deleteIfExists(snapshotFile(dir, offsets.get(i)));
        }
    }

    /**
     * Loads the newest intact snapshot at or below {@code maxOffset}, deleting any above it (they describe records
     * that are gone) and any that is damaged (truncated, or failing its checksum), which gives way to the next older
     * one. Returns the loaded snapshot's offset, from which the caller replays the log, or -1 if there is none: then
     * the caller replays the whole log, rather than taking a damaged file for "no producers".
     */
    public long loadSnapshot(Path dir, long maxOffset) throws IOException {
        producers.clear();
        ongoing.clear();
        unreplicated.clear();
        deleteTemporaryFiles(dir);
        List<Long> candidates = new ArrayList<>();
        for (long offset : snapshotOffsets(dir)) {
            if (offset > maxOffset) {
                Files.deleteIfExists(snapshotFile(dir, offset));
            } else {
                candidates.add(offset);
            }
        }
        candidates.sort(Comparator.reverseOrder());
        for (long offset : candidates) {
            Path file = snapshotFile(dir, offset);
            try {
                producers.putAll(readSnapshot(file));
                producers.forEach((id, entry) -> {
                    if (entry.currentTransactionFirstOffset >= 0) {
                        ongoing.put(entry.currentTransactionFirstOffset, id);
                    }
                });
                return offset;
            } catch (SnapshotCorruptException e) {
                LOG.log(Level.WARNING, "Deleting the damaged producer state snapshot {0} of {1}: {2}; using an older"
                        + " snapshot or a replay of the log instead", file, topicPartition, e.getMessage());
                Files.deleteIfExists(file);
            }
        }
        return -1;
    }

    /** The producers in a snapshot file, after checking its header, its producer count and its checksum. */
    private static Map<Long, ProducerEntry> readSnapshot(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == 0) {
            throw new SnapshotCorruptException("the file is empty");
        }
        int trailerStart = lastLineStart(bytes);
        String trailer = new String(bytes, trailerStart, bytes.length - trailerStart, StandardCharsets.UTF_8).trim();
        if (bytes[bytes.length - 1] != '\n' || !trailer.startsWith(CHECKSUM_PREFIX)) {
            throw new SnapshotCorruptException("the checksum line is missing: the file is truncated");
        }
        long expected;
        try {
            expected = Long.parseLong(trailer.substring(CHECKSUM_PREFIX.length()), 16);
        } catch (NumberFormatException e) {
            throw new SnapshotCorruptException("the checksum line is unreadable: " + trailer);
        }
        long actual = crc32c(bytes, trailerStart);
        if (actual != expected) {
            throw new SnapshotCorruptException("checksum " + Long.toHexString(actual) + " differs from the stored "
                    + Long.toHexString(expected));
        }
        String[] lines = new String(bytes, 0, trailerStart, StandardCharsets.UTF_8).split("\n");
        String[] header = lines[0].split(" ");
        if (header.length != 2 || !(SNAPSHOT_HEADER.equals(header[0]) || SNAPSHOT_HEADER_V1.equals(header[0]))) {
            throw new SnapshotCorruptException("unknown header " + lines[0]);
        }
        int batchesFrom = SNAPSHOT_HEADER.equals(header[0]) ? 5 : 3;
        Map<Long, ProducerEntry> loaded = new HashMap<>();
        try {
            for (int i = 1; i < lines.length; i++) {
                String[] parts = lines[i].split(" ");
                ProducerEntry entry = new ProducerEntry();
                entry.epoch = Short.parseShort(parts[1]);
                entry.lastUpdateMs = Long.parseLong(parts[2]);
                if (batchesFrom == 5) {
                    entry.coordinatorEpoch = Integer.parseInt(parts[3]);
                    entry.currentTransactionFirstOffset = Long.parseLong(parts[4]);
                }
                for (int j = batchesFrom; j < parts.length; j++) {
                    String[] fields = parts[j].split(":");
                    entry.batches.addLast(new BatchMetadata(Integer.parseInt(fields[0]), Integer.parseInt(fields[1]),
                            Long.parseLong(fields[2]), Long.parseLong(fields[3]), Long.parseLong(fields[4])));
                }
                loaded.put(Long.parseLong(parts[0]), entry);
            }
            if (loaded.size() != Integer.parseInt(header[1])) {
                throw new SnapshotCorruptException("it declares " + header[1] + " producers but holds "
                        + loaded.size());
            }
        } catch (RuntimeException e) {
            if (e instanceof SnapshotCorruptException) {
                throw e;
            }
            // Checksummed but unreadable: written by a different version, so equally unusable.
            throw new SnapshotCorruptException("unreadable producer line: " + e);
        }
        return loaded;
    }

    private static long crc32c(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }

    /** Where the last line of {@code bytes} (ending in a newline) begins. */
    private static int lastLineStart(byte[] bytes) {
        int i = bytes.length - 2;
        while (i >= 0 && bytes[i] != '\n') {
            i--;
        }
        return i + 1;
    }

    /** A snapshot that cannot be trusted: it is deleted and an older one or a replay used instead. */
    private static final class SnapshotCorruptException extends RuntimeException {
        SnapshotCorruptException(String message) {
            super(message);
        }
    }

    private static Path snapshotFile(Path dir, long offset) {
        return dir.resolve(String.format("%020d", offset) + SNAPSHOT_SUFFIX);
    }

    /** Temporary files are what a crash left of a snapshot never renamed into place. */
    private static void deleteTemporaryFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SNAPSHOT_SUFFIX + TEMPORARY_SUFFIX)) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
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

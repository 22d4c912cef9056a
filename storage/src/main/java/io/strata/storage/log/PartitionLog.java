package io.strata.storage.log;

import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.batch.BatchInfo;
import io.strata.storage.batch.BatchValidator;
import io.strata.storage.batch.RecordReader.OffsetAndTimestamp;
import io.strata.storage.batch.ValidatedBatches;
import io.strata.storage.config.LogConfig;
import io.strata.storage.file.FileRegion;
import io.strata.storage.segment.LogResources;
import io.strata.storage.segment.LogSegment;
import io.strata.storage.segment.SegmentFiles;
import io.strata.storage.segment.TransactionIndex;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The log of one partition: an ordered, append-only sequence of record batches with offsets, kept in a directory of
 * {@link LogSegment}s named by base offset.
 *
 * <p>The log owns its offsets: the log start offset (the first offset a reader may ask for; it moves up with
 * retention and deleted records), the log end offset (the next offset to assign) and the recovery point (every
 * batch below it has been forced to disk; after a crash, recovery checks only what lies above it).
 *
 * <p>It also owns its {@link LeaderEpochCache} ({@code leader-epoch-checkpoint}), the leader epochs its batches were
 * written under, kept in step with appends, truncations and moves of the log start.
 *
 * <p>An I/O error while writing, flushing, rolling, truncating or reading takes the whole log directory offline
 * ({@link LogDirectoryHealth}): from then on appends and reads fail with {@code KafkaStorageException}, and closing
 * writes nothing more, so the next start recovers from what reached the disk.
 *
 * <p>Thread-safety: appends, truncation, rolls, retention and segment replacement are serialised by one lock, so
 * callers may append from any thread. Reads take no lock: they see a consistent prefix of the log and never a
 * partial batch, and they never wait for a writer.
 */
public final class PartitionLog implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PartitionLog.class.getName());

    private final TopicPartition topicPartition;
    private final Path dir;
    private final LogResources resources;
    private final ScheduledExecutorService scheduler;
    private final Runnable onRecoveryPointLowered;
    private final ConcurrentSkipListMap<Long, LogSegment> segments;
    private final LeaderEpochCache leaderEpochCache;
    private final LogDirectoryHealth health;
    private final Object writeLock = new Object();
    private final Object flushLock = new Object();
    private final BatchValidator validator = new BatchValidator();

    private volatile LogConfig config;
    private volatile long logStartOffset;
    private volatile long logEndOffset;
    private volatile long recoveryPoint;
    /** The first offset of the earliest undecided transaction, as its owner publishes it; the cleaner stops there. */
    private volatile long firstUnstableOffset = Long.MAX_VALUE;
    private volatile boolean closed;
    private boolean segmentsClosed;
    /** Counts truncations, so that work begun before one (a cleaning) can tell the log changed under it. */
    private volatile long truncations;
    /** New files were created since the last flush, so the directory entries must be forced too. */
    private volatile boolean directoryDirty = true;
    /** The partition directory itself may be new, so its entry in the parent must be forced once. */
    private volatile boolean parentDirty = true;
    private long rollJitterMs;
    // Guarded by writeLock.
    private long unflushedRecords;
    private volatile long lastFlushMs;

    PartitionLog(TopicPartition topicPartition, Path dir, LogConfig config, LogResources resources,
                 ScheduledExecutorService scheduler, Runnable onRecoveryPointLowered,
                 NavigableMap<Long, LogSegment> loadedSegments, long logStartOffset, long recoveryPoint,
                 LeaderEpochCache leaderEpochCache, LogDirectoryHealth health) {
        if (loadedSegments.isEmpty() || !loadedSegments.lastEntry().getValue().isActive()) {
            throw new IllegalArgumentException("a log needs an active last segment");
        }
        this.topicPartition = topicPartition;
        this.dir = dir;
        this.config = config;
        this.resources = resources;
        this.scheduler = scheduler;
        this.onRecoveryPointLowered = onRecoveryPointLowered;
        this.segments = new ConcurrentSkipListMap<>(loadedSegments);
        this.leaderEpochCache = leaderEpochCache;
        this.health = health;
        this.logEndOffset = activeSegment().nextOffsetIfKnown();
        this.logStartOffset = logStartOffset;
        this.recoveryPoint = Math.min(recoveryPoint, logEndOffset);
        this.rollJitterMs = jitter(config);
        this.lastFlushMs = resources.clock().millis();
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Path dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    /** Applies new settings to later appends, rolls, retention and cleaning. */
    public void updateConfig(LogConfig newConfig) {
        synchronized (writeLock) {
            this.config = newConfig;
            this.rollJitterMs = jitter(newConfig);
            for (LogSegment segment : segments.values()) {
                segment.setIndexIntervalBytes(newConfig.indexIntervalBytes);
            }
        }
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return logEndOffset;
    }

    public long recoveryPoint() {
        return recoveryPoint;
    }

    /**
     * The first offset of the earliest transaction still open or not yet replicated, or {@link Long#MAX_VALUE}; kept by
     * whoever tracks the producers (the partition), so that compaction leaves undecided transactions alone.
     */
    public long firstUnstableOffset() {
        return firstUnstableOffset;
    }

    public void setFirstUnstableOffset(long offset) {
        this.firstUnstableOffset = offset;
    }

    /** Whether this log's directory is still usable; offline after an I/O error. */
    public LogDirectoryHealth health() {
        return health;
    }

    /** The leader epochs of this log's batches, for replication (OffsetsForLeaderEpoch, follower truncation). */
    public LeaderEpochCache leaderEpochCache() {
        return leaderEpochCache;
    }

    /** Bytes in all segments. */
    public long sizeInBytes() {
        long total = 0;
        for (LogSegment segment : segments.values()) {
            total += segment.sizeInBytes();
        }
        return total;
    }

    public int segmentCount() {
        return segments.size();
    }

    /** The segments, oldest first; a snapshot. */
    public List<LogSegment> segments() {
        return new ArrayList<>(segments.values());
    }

    /** How many times the log has been truncated since it was opened. */
    public long truncations() {
        return truncations;
    }

    public LogSegment activeSegment() {
        return segments.lastEntry().getValue();
    }

    // ---------------------------------------------------------------------------------------------------- appends

    /**
     * Validates batches from a producer (or the broker), assigns their offsets from the log end offset, stamps the
     * leader epoch, and writes them.
     *
     * @throws org.apache.kafka.common.KafkaException subclasses naming what is wrong with a batch; nothing is written
     */
    public AppendInfo append(ByteBuffer records, int leaderEpoch, AppendOrigin origin) {
        synchronized (writeLock) {
            checkOpen();
            long nowMs = resources.clock().millis();
            ValidatedBatches batches = validator.validateAndAssignOffsets(records, logEndOffset, leaderEpoch, nowMs,
                    config, origin);
            return write(batches, nowMs);
        }
    }

    /**
     * Writes batches copied from the leader, keeping their offsets and leader epochs. They must start at or after
     * the log end offset.
     */
    public AppendInfo appendAsFollower(ByteBuffer records) {
        synchronized (writeLock) {
            checkOpen();
            ValidatedBatches batches = validator.validateReplicated(records, logEndOffset, Integer.MAX_VALUE);
            return write(batches, resources.clock().millis());
        }
    }

    private AppendInfo write(ValidatedBatches batches, long nowMs) {
        // Before the batches are written, so that after a crash the checkpoint never lacks an epoch the log holds.
        assignLeaderEpochs(batches);
        try {
            LogSegment segment = maybeRoll(batches, nowMs);
            segment.append(batches);
        } catch (IOException e) {
            throw health.fail("Writing to " + topicPartition + " in " + dir, e);
        } catch (UncheckedIOException e) {
            throw health.fail("Writing to " + topicPartition + " in " + dir, e);
        }
        logEndOffset = batches.lastOffset() + 1;
        unflushedRecords += batches.recordCount();
        if (unflushedRecords >= config.flushMessages) {
            flush(logEndOffset);
        }
        return new AppendInfo(batches.firstOffset(), batches.lastOffset(), batches.appendTimeMs(), logEndOffset,
                logStartOffset, batches.recordCount(), batches.sizeInBytes(), batches.batches());
    }

    /** Records where each epoch above the latest known starts; batches stamped with no epoch (-1) are skipped. */
    private void assignLeaderEpochs(ValidatedBatches batches) {
        for (BatchInfo batch : batches.batches()) {
            int epoch = batch.partitionLeaderEpoch();
            OptionalInt latest = leaderEpochCache.latestEpoch();
            if (epoch >= 0 && (latest.isEmpty() || epoch > latest.getAsInt())) {
                leaderEpochCache.assign(epoch, batch.baseOffset());
            }
        }
    }

    /** The active segment, after rolling it if these batches should start a new one. */
    private LogSegment maybeRoll(ValidatedBatches batches, long nowMs) throws IOException {
        LogSegment active = activeSegment();
        if (active.sizeInBytes() == 0) {
            return active;
        }
        LogConfig current = config;
        String reason = null;
        if ((long) active.sizeInBytes() + batches.sizeInBytes() > current.segmentBytes) {
            reason = "segment.bytes " + current.segmentBytes + " reached";
        } else if (timeWaitedForRoll(active, batches.maxTimestamp(), nowMs) > current.segmentMs - rollJitterMs) {
            reason = "segment.ms " + current.segmentMs + " passed";
        } else if (active.indexesFull()) {
            reason = "index full";
        } else if (!active.canHold(batches.lastOffset())) {
            reason = "offsets past the segment's relative range";
        }
        return reason == null ? active : roll(reason, batches.firstOffset());
    }

    private static long timeWaitedForRoll(LogSegment active, long batchMaxTimestamp, long nowMs) {
        long first = active.rollingBasedTimestamp();
        return batchMaxTimestamp >= 0 && first >= 0 ? batchMaxTimestamp - first : nowMs - first;
    }

    /**
     * Starts a new active segment at the log end offset. The old one becomes immutable and is forced to disk in the
     * background, after which the recovery point moves past it.
     */
    public LogSegment roll(String reason) throws IOException {
        synchronized (writeLock) {
            checkOpen();
            try {
                return roll(reason, logEndOffset);
            } catch (IOException e) {
                throw health.fail("Rolling " + topicPartition, e);
            } catch (UncheckedIOException e) {
                throw health.fail("Rolling " + topicPartition, e);
            }
        }
    }

    /**
     * Rolls to a segment starting at {@code newBase}: the log end offset, or the first offset of replicated batches
     * that start past it (a gap left by compaction on the leader).
     */
    private LogSegment roll(String reason, long newBase) throws IOException {
        synchronized (writeLock) {
            LogSegment old = activeSegment();
            if (old.sizeInBytes() == 0) {
                return old;
            }
            if (newBase < logEndOffset) {
                throw new IllegalArgumentException("cannot roll " + topicPartition + " back to " + newBase
                        + " below its log end offset " + logEndOffset);
            }
            LogConfig current = config;
            LogSegment created = LogSegment.create(dir, newBase, "", current.indexIntervalBytes,
                    current.segmentIndexBytes, resources);
            directoryDirty = true;
            old.becomeInactive();
            segments.put(newBase, created);
            LOG.log(Level.INFO, "Rolled {0} to a new segment at offset {1} ({2})", topicPartition, newBase, reason);
            scheduler.execute(() -> flushQuietly(newBase));
            return created;
        }
    }

    // ---------------------------------------------------------------------------------------------------- reads

    /**
     * Whole batches from the one holding {@code startOffset}, up to {@code maxBytes} (a larger first batch is
     * returned whole when {@code minOneBatch}), none holding an offset at or past {@code maxOffsetExclusive}: a
     * reader's high watermark, or {@link Long#MAX_VALUE}.
     *
     * @throws OffsetOutOfRangeException if {@code startOffset} is below the log start or above the log end
     */
    public LogReadResult read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch) {
        health.checkOnline();
        long start = logStartOffset;
        long end = logEndOffset;
        if (startOffset < start || startOffset > end) {
            throw outOfRange(startOffset, start, end);
        }
        long bound = Math.min(maxOffsetExclusive, end);
        if (startOffset >= bound) {
            return new LogReadResult(FileRegion.empty(), start, end);
        }
        for (int attempt = 0; ; attempt++) {
            try {
                return readSegments(startOffset, maxBytes, bound, minOneBatch, start, end);
            } catch (IllegalStateException | SegmentsChangedException e) {
                // A segment was deleted or replaced (retention, compaction) while the read went on: start over.
                if (startOffset < logStartOffset) {
                    throw outOfRange(startOffset, logStartOffset, logEndOffset);
                }
                if (attempt == 3) {
                    throw new KafkaStorageException("Reading " + topicPartition + " at offset " + startOffset
                            + " kept racing with segment changes", e);
                }
            } catch (IOException e) {
                throw health.fail("Reading " + topicPartition + " at offset " + startOffset, e);
            } catch (UncheckedIOException e) {
                throw health.fail("Reading " + topicPartition + " at offset " + startOffset, e);
            }
        }
    }

    private LogReadResult readSegments(long startOffset, int maxBytes, long bound, boolean minOneBatch, long start,
                                       long end) throws IOException {
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(startOffset);
        if (entry == null) {
            entry = segments.firstEntry();
        }
        while (entry != null) {
            LogSegment segment = entry.getValue();
            FileRegion region = segment.read(startOffset, maxBytes, bound, minOneBatch);
            if (region != null) {
                return new LogReadResult(region, start, end, region.sizeInBytes() > 0 ? segment.baseOffset() : -1);
            }
            if (segments.get(entry.getKey()) != segment) {
                throw new SegmentsChangedException();
            }
            entry = segments.higherEntry(entry.getKey());
        }
        return new LogReadResult(FileRegion.empty(), start, end);
    }

    /**
     * The offset after the last batch {@code read} returned (-1 if it returned none): where the range it covers
     * ends, for the aborted transactions overlapping it. If its segment was replaced since, the log end offset, which
     * covers the range too.
     */
    public long nextOffsetAfter(LogReadResult read) {
        FileRegion region = read.records();
        if (region.sizeInBytes() == 0 || read.segmentBaseOffset() < 0) {
            return -1;
        }
        LogSegment segment = segments.get(read.segmentBaseOffset());
        if (segment == null) {
            return logEndOffset;
        }
        try {
            long next = segment.nextOffsetAfterPosition((int) (region.position() + region.sizeInBytes()));
            return next < 0 ? logEndOffset : next;
        } catch (IOException e) {
            throw health.fail("Reading " + topicPartition, e);
        }
    }

    // ---------------------------------------------------------------------------------------------------- transactions

    /**
     * Records a transaction aborted by the marker at {@code aborted.lastOffset()} in the aborted-transaction index of
     * the segment holding the marker, which must be in the log. Returns false if the segment had it already (the
     * partition replays its markers after a restart and writes back only what a crash lost).
     */
    public boolean appendAbortedTransaction(TransactionIndex.AbortedTransaction aborted) {
        synchronized (writeLock) {
            checkOpen();
            if (aborted.lastOffset() >= logEndOffset || aborted.lastOffset() < logStartOffset) {
                throw new IllegalArgumentException("the abort marker at " + aborted.lastOffset() + " is not in "
                        + this);
            }
            try {
                return segments.floorEntry(aborted.lastOffset()).getValue().appendAbortedTransaction(aborted);
            } catch (IOException e) {
                throw health.fail("Writing the transaction index of " + topicPartition, e);
            }
        }
    }

    /**
     * Whether a segment holding offsets at or after {@code startOffset} indexes an aborted transaction: when none
     * does, a read_committed read from there needs no lookup of the range it returned. Reads no file.
     */
    public boolean hasAbortedTransactionsFrom(long startOffset) {
        Map.Entry<Long, LogSegment> from = segments.floorEntry(startOffset);
        if (from == null) {
            from = segments.firstEntry();
        }
        if (from == null) {
            return false;
        }
        for (LogSegment segment : segments.tailMap(from.getKey(), true).values()) {
            if (segment.transactionIndex().entries() > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The aborted transactions that overlap {@code [startOffset, upperBoundOffset)}, in marker order: those a
     * read_committed consumer reading that range must skip. Searches the segment holding {@code startOffset} and the
     * later ones, until an entry shows that no later one can overlap the range.
     */
    public List<TransactionIndex.AbortedTransaction> collectAbortedTransactions(long startOffset,
                                                                               long upperBoundOffset) {
        health.checkOnline();
        List<TransactionIndex.AbortedTransaction> found = new ArrayList<>();
        if (upperBoundOffset <= startOffset) {
            return found;
        }
        Long from = segments.floorKey(startOffset);
        try {
            for (LogSegment segment : segments.tailMap(from == null ? segments.firstKey() : from, true).values()) {
                if (segment.transactionIndex().collect(startOffset, upperBoundOffset, found)) {
                    break;
                }
            }
        } catch (IOException e) {
            throw health.fail("Reading the transaction index of " + topicPartition, e);
        }
        return found;
    }

    /** The segment being read was swapped out for a cleaned one; the read starts over. */
    private static final class SegmentsChangedException extends RuntimeException {
        SegmentsChangedException() {
            super("segments changed during a read", null, false, false);
        }
    }

    private OffsetOutOfRangeException outOfRange(long offset, long start, long end) {
        return new OffsetOutOfRangeException("Offset " + offset + " is out of range for " + topicPartition
                + ": the log holds offsets " + start + " to " + end + " (exclusive)");
    }

    /**
     * The first record with a timestamp at or after {@code timestamp}, at or after the log start, or {@code null}
     * if every record is older.
     */
    public OffsetAndTimestamp offsetForTimestamp(long timestamp) {
        health.checkOnline();
        long start = logStartOffset;
        try {
            for (LogSegment segment : segments.values()) {
                OffsetAndTimestamp found = segment.findOffsetByTimestamp(timestamp, start);
                if (found != null) {
                    return found;
                }
            }
            return null;
        } catch (IOException e) {
            throw health.fail("Searching " + topicPartition + " by timestamp", e);
        }
    }

    /** The record with the largest timestamp, the first of them if several share it, or {@code null} if none. */
    public OffsetAndTimestamp offsetOfMaxTimestamp() {
        health.checkOnline();
        try {
            LogSegment best = null;
            long max = -1;
            for (LogSegment segment : segments.values()) {
                long segmentMax = segment.maxTimestamp();
                if (segmentMax > max) {
                    max = segmentMax;
                    best = segment;
                }
            }
            return best == null ? null : best.findOffsetByTimestamp(max, logStartOffset);
        } catch (IOException e) {
            throw health.fail("Reading timestamps of " + topicPartition, e);
        }
    }

    // ---------------------------------------------------------------------------------------------------- flush

    /** Forces every batch below {@code offset} to disk and moves the recovery point there. */
    public void flush(long offset) {
        synchronized (flushLock) {
            // Offline, nothing more is forced: the recovery point must not pass data a failed disk may have lost.
            health.checkOnline();
            long target = Math.min(offset, logEndOffset);
            if (target <= recoveryPoint) {
                return;
            }
            try {
                Long from = segments.floorKey(recoveryPoint);
                NavigableMap<Long, LogSegment> range = from == null ? segments.headMap(target, false)
                        : segments.subMap(from, true, target, false);
                for (LogSegment segment : range.values()) {
                    try {
                        segment.flush();
                    } catch (IllegalStateException e) {
                        if (segments.get(segment.baseOffset()) == segment) {
                            throw e;
                        }
                        // Deleted or replaced meanwhile: what it held is gone or lies in its replacement.
                    }
                }
                if (directoryDirty) {
                    directoryDirty = false;
                    forceDirectory(dir);
                }
                if (parentDirty) {
                    parentDirty = false;
                    forceDirectory(dir.getParent());
                }
            } catch (IOException e) {
                throw health.fail("Flushing " + topicPartition, e);
            } catch (UncheckedIOException e) {
                throw health.fail("Flushing " + topicPartition, e);
            }
            recoveryPoint = Math.max(recoveryPoint, target);
            lastFlushMs = resources.clock().millis();
        }
        synchronized (writeLock) {
            unflushedRecords = 0;
        }
    }

    /** Flushes if {@code flush.ms} has passed since the last flush and records are waiting. */
    public void flushIfDue(long nowMs) {
        if (logEndOffset > recoveryPoint && nowMs - lastFlushMs >= config.flushMs) {
            flush(logEndOffset);
        }
    }

    private void flushQuietly(long offset) {
        try {
            flush(offset);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Background flush of " + topicPartition + " failed", e);
        }
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    // ---------------------------------------------------------------------------------------------------- truncation

    /**
     * Removes every batch holding an offset at or after {@code offset}, as a follower does when its log diverged
     * from the new leader's. A batch straddling the offset goes whole. Returns whether anything was removed.
     *
     * <p>Leader epochs starting at or after the new log end are dropped even when no batch is: a leader that wrote
     * nothing under its epoch leaves an entry at the log end, which the new leader's history replaces.
     */
    public boolean truncateTo(long offset) {
        synchronized (writeLock) {
            checkOpen();
            if (offset >= logEndOffset) {
                leaderEpochCache.truncateFromEnd(offset);
                return false;
            }
            if (offset <= logStartOffset) {
                truncateFullyAndStartAt(offset);
                return true;
            }
            long before = logEndOffset;
            truncations++;
            try {
                // The first segment starts at or below the log start offset, which is below offset: it stays.
                for (LogSegment segment : new ArrayList<>(segments.tailMap(offset, true).values())) {
                    removeSegment(segment);
                }
                LogSegment last = activeSegment();
                if (!last.isActive()) {
                    last.loadAsActive();
                }
                last.truncateTo(offset);
                logEndOffset = last.nextOffsetIfKnown();
                forceDirectory(dir);
            } catch (IOException e) {
                throw health.fail("Truncating " + topicPartition, e);
            }
            leaderEpochCache.truncateFromEnd(logEndOffset);
            lowerRecoveryPoint(logEndOffset);
            LOG.log(Level.INFO, "Truncated {0} to offset {1} (log end was {2})", topicPartition, logEndOffset, before);
            return true;
        }
    }

    /** Deletes every segment and starts an empty log at {@code newOffset}. */
    public void truncateFullyAndStartAt(long newOffset) {
        synchronized (writeLock) {
            checkOpen();
            truncations++;
            LogConfig current = config;
            List<LogSegment> old = new ArrayList<>(segments.values());
            LogSegment sameBase = segments.get(newOffset);
            if (sameBase != null) {
                // Renamed away first, so that creating the new segment does not cut a file readers may hold.
                renameForDeletion(sameBase);
            }
            LogSegment created = LogSegment.create(dir, newOffset, "", current.indexIntervalBytes,
                    current.segmentIndexBytes, resources);
            directoryDirty = true;
            segments.put(newOffset, created);
            for (LogSegment segment : old) {
                if (segment == sameBase) {
                    scheduleDeletion(segment);
                } else {
                    removeSegment(segment);
                }
            }
            try {
                forceDirectory(dir);
            } catch (IOException e) {
                throw health.fail("Emptying " + topicPartition, e);
            }
            logEndOffset = newOffset;
            logStartOffset = newOffset;
            leaderEpochCache.clear();
            lowerRecoveryPoint(newOffset);
            LOG.log(Level.INFO, "Emptied {0} and restarted it at offset {1}", topicPartition, newOffset);
        }
    }

    private void lowerRecoveryPoint(long offset) {
        synchronized (flushLock) {
            if (offset < recoveryPoint) {
                recoveryPoint = offset;
            }
        }
        onRecoveryPointLowered.run();
    }

    // ---------------------------------------------------------------------------------------------------- retention

    /**
     * Moves the log start offset up to {@code offset} (DeleteRecords): records below it are no longer served, and
     * segments wholly below it are deleted by the next retention pass. Returns the new log start offset.
     *
     * @throws OffsetOutOfRangeException if {@code offset} is past the log end
     */
    public long deleteRecordsBefore(long offset) {
        synchronized (writeLock) {
            checkOpen();
            if (offset > logEndOffset) {
                throw outOfRange(offset, logStartOffset, logEndOffset);
            }
            if (offset > logStartOffset) {
                logStartOffset = offset;
                leaderEpochCache.truncateFromStart(offset);
                LOG.log(Level.INFO, "Log start offset of {0} moved to {1} by a deletion of records", topicPartition,
                        offset);
            }
            return logStartOffset;
        }
    }

    /**
     * Deletes whole segments, oldest first, that are below the log start offset, or (with cleanup.policy delete)
     * past {@code retention.ms} or beyond {@code retention.bytes}. Never deletes data at or above
     * {@code highWatermark}. Returns the number of segments deleted.
     */
    public int deleteRetentionBreachedSegments(long highWatermark) {
        synchronized (writeLock) {
            if (closed || health.isOffline()) {
                return 0;
            }
            LogConfig current = config;
            long nowMs = resources.clock().millis();
            int deleted = deleteOldestWhile(highWatermark, "below the log start offset",
                    segment -> upperBound(segment) <= logStartOffset);
            if (current.delete() && current.retentionMs >= 0) {
                deleted += deleteOldestWhile(highWatermark, "retention.ms " + current.retentionMs,
                        segment -> nowMs - largestTimestamp(segment) > current.retentionMs);
            }
            if (current.delete() && current.retentionBytes >= 0) {
                long[] excess = {sizeInBytes() - current.retentionBytes};
                deleted += deleteOldestWhile(highWatermark, "retention.bytes " + current.retentionBytes, segment -> {
                    if (excess[0] - segment.sizeInBytes() >= 0) {
                        excess[0] -= segment.sizeInBytes();
                        return true;
                    }
                    return false;
                });
            }
            return deleted;
        }
    }

    private int deleteOldestWhile(long highWatermark, String reason, Predicate<LogSegment> expired) {
        List<LogSegment> doomed = new ArrayList<>();
        for (LogSegment segment : segments.values()) {
            boolean emptyActive = segment.sizeInBytes() == 0 && segment == activeSegment();
            if (emptyActive || upperBound(segment) > highWatermark || !expired.test(segment)) {
                break;
            }
            doomed.add(segment);
        }
        if (doomed.isEmpty()) {
            return 0;
        }
        try {
            if (doomed.get(doomed.size() - 1) == activeSegment()) {
                roll("retention deletes the active segment", logEndOffset);
            }
        } catch (IOException e) {
            throw health.fail("Rolling " + topicPartition, e);
        } catch (UncheckedIOException e) {
            throw health.fail("Rolling " + topicPartition, e);
        }
        for (LogSegment segment : doomed) {
            removeSegment(segment);
        }
        long newStart = segments.firstKey();
        if (newStart > logStartOffset) {
            logStartOffset = newStart;
            leaderEpochCache.truncateFromStart(newStart);
        }
        LOG.log(Level.INFO, "Deleted {0} segment(s) of {1} by {2}: offsets {3} to {4}; the log now starts at {5}",
                doomed.size(), topicPartition, reason, doomed.get(0).baseOffset(), newStart - 1, logStartOffset);
        return doomed.size();
    }

    /** The offset just past a segment: the next segment's base offset, or the log end for the active one. */
    private long upperBound(LogSegment segment) {
        Long next = segments.higherKey(segment.baseOffset());
        return next == null ? logEndOffset : next;
    }

    private static long largestTimestamp(LogSegment segment) {
        try {
            return segment.largestTimestamp();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Takes a segment out of the log, renames its files to {@code .deleted}, and deletes them after
     * {@code file.delete.delay.ms}, so that reads already under way finish. Called with the write lock held.
     */
    private void removeSegment(LogSegment segment) {
        segments.remove(segment.baseOffset(), segment);
        renameForDeletion(segment);
        scheduleDeletion(segment);
    }

    private void renameForDeletion(LogSegment segment) {
        try {
            segment.changeSuffix(SegmentFiles.DELETED);
        } catch (IOException e) {
            throw health.fail("Renaming " + segment + " for deletion", e);
        }
        directoryDirty = true;
    }

    private void scheduleDeletion(LogSegment segment) {
        Runnable delete = () -> {
            try {
                segment.deleteFiles();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Deleting " + segment + " failed", e);
            }
        };
        long delayMs = config.fileDeleteDelayMs;
        if (delayMs == 0) {
            delete.run();
            return;
        }
        try {
            scheduler.schedule(delete, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Shutting down: the .deleted files are removed when the log is next opened.
            segment.closeFiles();
        }
    }

    // ---------------------------------------------------------------------------------------------------- compaction

    /** A new segment with the {@code .cleaned} suffix, for the cleaner to write a group of cleaned segments into. */
    public LogSegment createCleanedSegment(long baseOffset) {
        LogConfig current = config;
        return LogSegment.create(dir, baseOffset, SegmentFiles.CLEANED, current.indexIntervalBytes,
                current.segmentIndexBytes, resources);
    }

    /**
     * Puts {@code cleaned} (written with the {@code .cleaned} suffix) in place of {@code replaced}, which it covers,
     * in a way a crash at any point leaves recoverable: the cleaned files are renamed to {@code .swap} (the commit
     * point), the old segments to {@code .deleted}, then the swap files to their final names. Readers see either the
     * old segments or the cleaned one, never a gap.
     *
     * <p>Returns false, deleting the cleaned files, if the log changed so that the replacement no longer fits: a
     * segment of {@code replaced} is gone or active, or the log was truncated since {@code truncationsSeen}. A failure
     * after the commit point leaves the swap for the next start to complete, and is thrown.
     */
    public boolean replaceSegments(LogSegment cleaned, List<LogSegment> replaced, long truncationsSeen)
            throws IOException {
        synchronized (writeLock) {
            boolean stillFits = !closed && !health.isOffline() && truncations == truncationsSeen;
            for (LogSegment old : replaced) {
                stillFits &= segments.get(old.baseOffset()) == old && !old.isActive();
            }
            if (!stillFits) {
                cleaned.deleteFiles();
                return false;
            }
            try {
                cleaned.changeSuffix(SegmentFiles.SWAP);
                forceDirectory(dir);
            } catch (IOException e) {
                cleaned.deleteFiles();
                throw e;
            }
            segments.put(cleaned.baseOffset(), cleaned);
            for (LogSegment old : replaced) {
                if (old.baseOffset() != cleaned.baseOffset()) {
                    segments.remove(old.baseOffset(), old);
                }
            }
            for (LogSegment old : replaced) {
                renameForDeletion(old);
                scheduleDeletion(old);
            }
            cleaned.changeSuffix("");
            forceDirectory(dir);
            return true;
        }
    }

    // ---------------------------------------------------------------------------------------------------- lifecycle

    /**
     * Stops appends and closes every segment; the active one writes its indexes. For a clean shutdown, call
     * {@link #stopAppends()} and {@link #flush} first.
     */
    @Override
    public void close() {
        synchronized (writeLock) {
            if (segmentsClosed) {
                return;
            }
            segmentsClosed = true;
            closed = true;
            if (health.isOffline()) {
                // Indexes written now could describe data the failed disk did not keep; recovery rebuilds them.
                for (LogSegment segment : segments.values()) {
                    segment.closeFiles();
                }
                return;
            }
            for (LogSegment segment : segments.values()) {
                try {
                    segment.close();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "Closing " + segment + " failed", e);
                }
            }
        }
    }

    /** Closes the log without writing anything, before its directory is deleted. */
    void closeForDeletion() {
        synchronized (writeLock) {
            closed = true;
            segmentsClosed = true;
            for (LogSegment segment : segments.values()) {
                segment.closeFiles();
            }
        }
    }

    /** Refuses appends from now on, so that a final flush covers everything written. */
    public void stopAppends() {
        synchronized (writeLock) {
            closed = true;
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Heap bytes held by this log's segment indexes now. */
    public long indexMemoryBytes() {
        long total = 0;
        for (LogSegment segment : segments.values()) {
            total += segment.indexMemoryBytes();
        }
        return total;
    }

    private void checkOpen() {
        health.checkOnline();
        if (closed) {
            throw new KafkaStorageException("The log of " + topicPartition + " is closed");
        }
    }

    private static long jitter(LogConfig config) {
        return config.segmentJitterMs == 0 ? 0
                : ThreadLocalRandom.current().nextLong(Math.min(config.segmentJitterMs, config.segmentMs));
    }

    @Override
    public String toString() {
        return "log " + topicPartition + " [" + logStartOffset + ", " + logEndOffset + ") in " + dir;
    }
}

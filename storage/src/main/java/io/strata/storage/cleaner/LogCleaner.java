package io.strata.storage.cleaner;

import io.strata.storage.checkpoint.OffsetCheckpointFile;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.segment.LogSegment;
import io.strata.storage.segment.SegmentCorruptException;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Compacts logs with {@code cleanup.policy=compact}: keeps the latest record of every key, drops tombstones once
 * {@code delete.retention.ms} has passed since their first cleaning, and keeps every surviving record's offset.
 *
 * <p>A log is cleaned when the share of its uncleaned bytes reaches {@code min.cleanable.dirty.ratio}, when a record
 * has waited {@code max.compaction.lag.ms}, or when a tombstone's deletion is due. Records newer than
 * {@code min.compaction.lag.ms}, the active segment and anything at or above the log's high watermark or first
 * unstable offset (an undecided transaction) are never touched. Records of aborted transactions are dropped, and
 * their keys never shadow older values; transaction markers are kept. How far each log is cleaned is kept in {@code cleaner-offset-checkpoint}.
 *
 * <p>Thread-safe. Cleaning runs on {@code log.cleaner.threads} background threads, each with its own key map and
 * buffers, or on the caller's thread through {@link #cleanFilthiestLog()}.
 */
public final class LogCleaner implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LogCleaner.class.getName());

    private final LogDirectoryConfig config;
    private final Supplier<Collection<PartitionLog>> logs;
    private final ToLongFunction<PartitionLog> cleanableBound;
    private final OffsetCheckpointFile checkpointFile;
    private final ThreadFactory threadFactory;
    private final Clock clock;
    private final Object lock = new Object();
    // Guarded by lock.
    private final Map<TopicPartition, Long> firstDirtyOffsets = new HashMap<>();
    /** The log's truncation count when its first dirty offset was recorded; a different count voids it. */
    private final Map<TopicPartition, Long> truncationsSeen = new HashMap<>();
    private final Map<TopicPartition, Long> tombstoneHorizons = new HashMap<>();
    private final Set<TopicPartition> inProgress = new HashSet<>();
    private final Set<TopicPartition> failed = new HashSet<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;
    private volatile boolean stopping;

    public LogCleaner(LogDirectoryConfig config, Supplier<Collection<PartitionLog>> logs,
                      ToLongFunction<PartitionLog> cleanableBound, OffsetCheckpointFile checkpointFile,
                      ThreadFactory threadFactory, Clock clock) {
        this.config = config;
        this.logs = logs;
        this.cleanableBound = cleanableBound;
        this.checkpointFile = checkpointFile;
        this.threadFactory = threadFactory;
        this.clock = clock;
        try {
            firstDirtyOffsets.putAll(checkpointFile.read());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Ignoring the cleaner checkpoint: {0}; logs will be cleaned from their start",
                    e.getMessage());
        }
    }

    /** Starts the background threads. */
    public void start() {
        synchronized (lock) {
            if (running) {
                return;
            }
            running = true;
            for (int i = 0; i < config.cleanerThreads; i++) {
                SegmentCleaner worker = newWorker();
                Thread thread = threadFactory.newThread(() -> runLoop(worker));
                thread.setName("strata-log-cleaner-" + i);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }
    }

    /** Stops the background threads after their current cleaning and writes the checkpoint. */
    @Override
    public void close() {
        List<Thread> stopped;
        synchronized (lock) {
            running = false;
            stopping = true;
            lock.notifyAll();
            stopped = new ArrayList<>(threads);
            threads.clear();
        }
        for (Thread thread : stopped) {
            try {
                thread.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        checkpoint();
    }

    /** Forgets a deleted log. */
    public void forget(TopicPartition topicPartition) {
        synchronized (lock) {
            firstDirtyOffsets.remove(topicPartition);
            truncationsSeen.remove(topicPartition);
            tombstoneHorizons.remove(topicPartition);
            failed.remove(topicPartition);
        }
    }

    /** The offset below which a log has been cleaned, if it has been. */
    public Optional<Long> firstDirtyOffset(TopicPartition topicPartition) {
        synchronized (lock) {
            return Optional.ofNullable(firstDirtyOffsets.get(topicPartition));
        }
    }

    /** Writes every log's cleaning progress to the checkpoint file. */
    public void checkpoint() {
        Map<TopicPartition, Long> snapshot;
        synchronized (lock) {
            snapshot = new HashMap<>(firstDirtyOffsets);
        }
        try {
            checkpointFile.write(snapshot);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Writing the cleaner checkpoint failed", e);
        }
    }

    /**
     * Cleans the log that needs it most, if any does, on the calling thread. Returns what was done.
     */
    public Optional<CleanerStats> cleanFilthiestLog() {
        return cleanOnce(newWorker());
    }

    private SegmentCleaner newWorker() {
        int mapBytes = (int) Math.min(Integer.MAX_VALUE, config.cleanerDedupeBufferSize / config.cleanerThreads);
        int ioBytes = Math.max(1024, config.cleanerIoBufferSize / config.cleanerThreads / 2);
        return new SegmentCleaner(new OffsetMap(mapBytes), config.cleanerIoBufferLoadFactor, ioBytes, clock,
                () -> stopping);
    }

    private void runLoop(SegmentCleaner worker) {
        while (running) {
            Optional<CleanerStats> cleaned;
            try {
                cleaned = cleanOnce(worker);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "The log cleaner failed unexpectedly", e);
                cleaned = Optional.empty();
            }
            if (cleaned.isEmpty()) {
                synchronized (lock) {
                    if (running) {
                        try {
                            lock.wait(Math.max(1, config.cleanerBackoffMs));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            }
        }
    }

    private Optional<CleanerStats> cleanOnce(SegmentCleaner worker) {
        DirtyLog candidate = grabFilthiest();
        if (candidate == null) {
            return Optional.empty();
        }
        TopicPartition tp = candidate.log().topicPartition();
        try {
            CleanerStats stats = worker.clean(candidate);
            synchronized (lock) {
                firstDirtyOffsets.put(tp, stats.endOffset());
                truncationsSeen.put(tp, candidate.truncations());
                if (stats.earliestDeleteHorizonMs() != Long.MAX_VALUE) {
                    tombstoneHorizons.put(tp, stats.earliestDeleteHorizonMs());
                } else {
                    tombstoneHorizons.remove(tp);
                }
            }
            checkpoint();
            LOG.log(Level.INFO, "Cleaned {0}: {1}", tp, stats);
            return Optional.of(stats);
        } catch (CleaningAbortedException e) {
            LOG.log(Level.INFO, "Cleaning of {0} stopped: {1}", tp, e.getMessage());
            return Optional.of(CleanerStats.aborted(candidate.firstDirtyOffset()));
        } catch (IOException | RuntimeException e) {
            PartitionLog log = candidate.log();
            boolean logChanged = log.isClosed() || log.truncations() != candidate.truncations();
            if (logChanged || !(e instanceof SegmentCorruptException)) {
                // A race with truncation, deletion or retention: the next round starts afresh.
                LOG.log(Level.WARNING, "Cleaning " + tp + " stopped; it will be tried again", e);
            } else {
                synchronized (lock) {
                    failed.add(tp);
                }
                LOG.log(Level.ERROR, "Cleaning " + tp + " found corrupt data; it will not be cleaned again until"
                        + " restart", e);
            }
            return Optional.of(CleanerStats.aborted(candidate.firstDirtyOffset()));
        } finally {
            synchronized (lock) {
                inProgress.remove(tp);
            }
        }
    }

    /** The log most in need of cleaning, marked in progress; or {@code null}. */
    private DirtyLog grabFilthiest() {
        long nowMs = clock.millis();
        synchronized (lock) {
            DirtyLog best = null;
            for (PartitionLog log : logs.get()) {
                TopicPartition tp = log.topicPartition();
                if (log.isClosed() || !log.config().compact() || inProgress.contains(tp) || failed.contains(tp)) {
                    continue;
                }
                DirtyLog dirty;
                try {
                    dirty = assess(log, nowMs);
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "Cannot assess " + tp + " for cleaning", e);
                    continue;
                }
                if (dirty != null && (best == null || dirty.priority() > best.priority())) {
                    best = dirty;
                }
            }
            if (best != null) {
                inProgress.add(best.log().topicPartition());
            }
            return best;
        }
    }

    /** What part of a log could be cleaned now, and whether it should be; {@code null} if it should not. */
    private DirtyLog assess(PartitionLog log, long nowMs) throws IOException {
        LogConfig logConfig = log.config();
        long logStart = log.logStartOffset();
        long firstDirty = firstDirtyOffsets.getOrDefault(log.topicPartition(), logStart);
        Long seen = truncationsSeen.get(log.topicPartition());
        long truncations = log.truncations();
        if (firstDirty < logStart || firstDirty > log.logEndOffset() || (seen != null && seen != truncations)) {
            // Out of range, or recorded before a truncation replaced what lay above it: clean from the start.
            firstDirty = logStart;
        }
        List<LogSegment> segments = log.segments();
        // Nothing of a transaction not yet decided is cleaned: if it aborts, the values it would shadow must remain.
        long uncleanable = Math.min(Math.min(log.activeSegment().baseOffset(), cleanableBound.applyAsLong(log)),
                log.firstUnstableOffset());
        boolean compactionLagPassed = false;
        for (int i = 0; i < segments.size(); i++) {
            LogSegment segment = segments.get(i);
            long upper = i + 1 < segments.size() ? segments.get(i + 1).baseOffset() : log.logEndOffset();
            if (upper <= firstDirty || segment.baseOffset() >= uncleanable) {
                continue;
            }
            if (logConfig.minCompactionLagMs > 0 && nowMs - segment.largestTimestamp() < logConfig.minCompactionLagMs) {
                uncleanable = Math.min(uncleanable, segment.baseOffset());
                break;
            }
            if (nowMs - segment.rollingBasedTimestamp() > logConfig.maxCompactionLagMs) {
                compactionLagPassed = true;
            }
        }
        long cleanBytes = 0;
        long dirtyBytes = 0;
        for (int i = 0; i < segments.size(); i++) {
            LogSegment segment = segments.get(i);
            long upper = i + 1 < segments.size() ? segments.get(i + 1).baseOffset() : log.logEndOffset();
            if (segment.baseOffset() >= uncleanable) {
                break;
            }
            if (upper <= firstDirty) {
                cleanBytes += segment.sizeInBytes();
            } else {
                dirtyBytes += segment.sizeInBytes();
            }
        }
        double ratio = cleanBytes + dirtyBytes == 0 ? 0 : (double) dirtyBytes / (cleanBytes + dirtyBytes);
        Long horizon = tombstoneHorizons.get(log.topicPartition());
        boolean tombstonesDue = horizon != null && horizon <= nowMs && cleanBytes > 0;
        boolean dirtyEnough = dirtyBytes > 0 && firstDirty < uncleanable
                && (ratio >= logConfig.minCleanableDirtyRatio || compactionLagPassed);
        if (!dirtyEnough && !tombstonesDue) {
            return null;
        }
        double priority = (compactionLagPassed ? 2 : 0) + ratio;
        return new DirtyLog(log, Math.min(firstDirty, uncleanable), uncleanable, ratio, priority, nowMs,
                truncations);
    }

    /** A log chosen for cleaning, the offsets that bound the work, and its truncation count when chosen. */
    record DirtyLog(PartitionLog log, long firstDirtyOffset, long firstUncleanableOffset, double dirtyRatio,
                    double priority, long nowMs, long truncations) {
    }
}

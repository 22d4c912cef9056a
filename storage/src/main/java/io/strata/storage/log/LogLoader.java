package io.strata.storage.log;

import io.strata.storage.config.LogConfig;
import io.strata.storage.segment.LogResources;
import io.strata.storage.segment.LogSegment;
import io.strata.storage.segment.LogSegment.EpochStart;
import io.strata.storage.segment.LogSegment.RecoveryResult;
import io.strata.storage.segment.SegmentCorruptException;
import io.strata.storage.segment.SegmentFiles;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Opens a partition's directory into a {@link PartitionLog}, recovering it if the last shutdown was not clean.
 *
 * <p>In order: files left by interrupted work are settled (a committed {@code .swap} from the cleaner replaces the
 * segments it covers; {@code .cleaned}, {@code .deleted} and temporary files are removed); segments are opened; then,
 * after a clean shutdown, the last segment's tail is read from its index, and otherwise every batch from the segment
 * holding the recovery point on is checked and the log is cut at the first batch that fails, dropping the segments
 * after it. What was dropped is logged. Last, the leader epoch cache is read from {@code leader-epoch-checkpoint}, or
 * rebuilt from the batch headers if that file is missing (a log written before it existed) or does not read back,
 * and trimmed to the log's offsets.
 *
 * <p>Used by one thread per partition at start; stateless otherwise.
 */
final class LogLoader {

    private static final System.Logger LOG = System.getLogger(LogLoader.class.getName());

    private LogLoader() {
    }

    /** Loads a log on its own, whose I/O failures take only a health of its own offline (tests, tools). */
    static PartitionLog load(TopicPartition topicPartition, Path dir, LogConfig config, LogResources resources,
                             ScheduledExecutorService scheduler, Runnable onRecoveryPointLowered,
                             long recoveryPointCheckpoint, long logStartCheckpoint, boolean cleanShutdown)
            throws IOException {
        return load(topicPartition, dir, config, resources, scheduler, onRecoveryPointLowered,
                recoveryPointCheckpoint, logStartCheckpoint, cleanShutdown,
                new LogDirectoryHealth(dir.getParent(), Runnable::run));
    }

    /** Loads a log of a directory, whose I/O failures take {@code health} offline. */
    static PartitionLog load(TopicPartition topicPartition, Path dir, LogConfig config, LogResources resources,
                             ScheduledExecutorService scheduler, Runnable onRecoveryPointLowered,
                             long recoveryPointCheckpoint, long logStartCheckpoint, boolean cleanShutdown,
                             LogDirectoryHealth health) throws IOException {
        long startNanos = System.nanoTime();
        Files.createDirectories(dir);
        settleInterruptedWork(dir, config, resources);
        NavigableMap<Long, LogSegment> segments = openSegments(dir, config, resources);
        if (segments.isEmpty()) {
            long base = Math.max(0, logStartCheckpoint);
            segments.put(base, LogSegment.create(dir, base, "", config.indexIntervalBytes, config.segmentIndexBytes,
                    resources));
            // The new directory and file reach the disk with the log's first flush.
            LeaderEpochCache epochs = loadLeaderEpochs(topicPartition, dir, segments, base, base);
            return new PartitionLog(topicPartition, dir, config, resources, scheduler, onRecoveryPointLowered,
                    segments, base, base, epochs, health);
        }

        long recoveryPoint = cleanShutdown ? Long.MAX_VALUE : Math.max(0, recoveryPointCheckpoint);
        boolean recovered = false;
        if (cleanShutdown) {
            try {
                segments.lastEntry().getValue().loadAsActive();
            } catch (SegmentCorruptException e) {
                LOG.log(Level.WARNING, "{0} was shut down cleanly but its last segment does not read back ({1});"
                        + " recovering it", topicPartition, e.getMessage());
                recoveryPoint = segments.lastKey();
                cleanShutdown = false;
            }
        }
        if (!cleanShutdown) {
            recover(topicPartition, segments, recoveryPoint);
            recovered = true;
        }

        LogSegment active = segments.lastEntry().getValue();
        long logEndOffset = active.nextOffsetIfKnown();
        long logStartOffset = Math.min(Math.max(logStartCheckpoint, segments.firstKey()), logEndOffset);
        long loadedRecoveryPoint = cleanShutdown ? logEndOffset : Math.min(recoveryPoint, logEndOffset);
        LeaderEpochCache epochs = loadLeaderEpochs(topicPartition, dir, segments, logStartOffset, logEndOffset);
        PartitionLog log = new PartitionLog(topicPartition, dir, config, resources, scheduler,
                onRecoveryPointLowered, segments, logStartOffset, loadedRecoveryPoint, epochs, health);
        LOG.log(Level.INFO, "Loaded {0}: {1} segment(s), offsets {2} to {3}, {4} in {5} ms", topicPartition,
                segments.size(), logStartOffset, logEndOffset, recovered ? "recovered" : "clean",
                (System.nanoTime() - startNanos) / 1_000_000);
        return log;
    }

    /**
     * Checks every segment from the one holding the recovery point; cuts the log at the first bad batch.
     * Segments wholly below the recovery point were forced to disk with their indexes and are trusted; their batches
     * are still checked before they are first served.
     */
    private static void recover(TopicPartition topicPartition, NavigableMap<Long, LogSegment> segments,
                                long recoveryPoint) throws IOException {
        Long from = segments.floorKey(recoveryPoint);
        if (from == null) {
            from = segments.firstKey();
        }
        List<LogSegment> unflushed = new ArrayList<>(segments.tailMap(from, true).values());
        long expected = -1;
        for (int i = 0; i < unflushed.size(); i++) {
            LogSegment segment = unflushed.get(i);
            RecoveryResult result = segment.recover(expected);
            if (result.truncatedBytes() > 0 || result.problem() != null) {
                LOG.log(Level.WARNING, "Recovery of {0} cut {1} at position {2}, dropping {3} byte(s): {4}",
                        topicPartition, segment, result.validBytes(), result.truncatedBytes(), result.problem());
            }
            boolean cut = result.problem() != null;
            if (cut || i == unflushed.size() - 1) {
                for (LogSegment later : unflushed.subList(i + 1, unflushed.size())) {
                    LOG.log(Level.WARNING, "Recovery of {0} dropped {1}: it follows the damaged segment",
                            topicPartition, later);
                    segments.remove(later.baseOffset());
                    later.deleteFiles();
                }
                break;
            }
            segment.becomeInactive();
            expected = result.nextOffset();
        }
        LogSegment last = segments.lastEntry().getValue();
        if (!last.isActive()) {
            last.loadAsActive();
        }
    }

    /**
     * The log's leader epoch cache, from its checkpoint or rebuilt from its batches, without entries past the log end
     * (assigned before a write the crash lost, or cut by recovery) or below the log start.
     */
    private static LeaderEpochCache loadLeaderEpochs(TopicPartition topicPartition, Path dir,
                                                     NavigableMap<Long, LogSegment> segments, long logStartOffset,
                                                     long logEndOffset) throws IOException {
        LeaderEpochCache epochs = null;
        boolean unreadable = false;
        try {
            epochs = LeaderEpochCache.load(topicPartition, dir).orElse(null);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "The leader epoch checkpoint of {0} does not read back ({1}); rebuilding it from"
                    + " the batches", topicPartition, e.getMessage());
            unreadable = true;
        }
        if (epochs == null) {
            epochs = LeaderEpochCache.of(topicPartition, dir, leaderEpochsOf(topicPartition, segments));
            // A brand-new log, or one with no epoch-stamped batch, has nothing to write yet.
            if (unreadable || !epochs.entries().isEmpty()) {
                epochs.flush();
                LOG.log(Level.INFO, "Rebuilt the leader epoch cache of {0} from its batches: {1}", topicPartition,
                        epochs.entries());
            }
        }
        epochs.truncateFromEnd(logEndOffset);
        epochs.truncateFromStart(logStartOffset);
        return epochs;
    }

    /**
     * Where each leader epoch starts, from the batch headers of every segment: one read of each header, a few
     * kilobytes at a time. A header that cannot start a batch ends the scan; the epochs found before it are kept.
     */
    private static List<LeaderEpochCache.Entry> leaderEpochsOf(TopicPartition topicPartition,
                                                               NavigableMap<Long, LogSegment> segments)
            throws IOException {
        List<LeaderEpochCache.Entry> entries = new ArrayList<>();
        for (LogSegment segment : segments.values()) {
            List<EpochStart> starts;
            try {
                starts = segment.leaderEpochStarts();
            } catch (SegmentCorruptException e) {
                LOG.log(Level.WARNING, "Rebuilding the leader epoch cache of {0} stopped at a damaged batch: {1}",
                        topicPartition, e.getMessage());
                return entries;
            }
            for (EpochStart start : starts) {
                LeaderEpochCache.Entry last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
                if (last == null || (start.epoch() > last.epoch() && start.baseOffset() > last.startOffset())) {
                    entries.add(new LeaderEpochCache.Entry(start.epoch(), start.baseOffset()));
                }
            }
        }
        return entries;
    }

    private static NavigableMap<Long, LogSegment> openSegments(Path dir, LogConfig config, LogResources resources)
            throws IOException {
        NavigableMap<Long, LogSegment> segments = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SegmentFiles.LOG)) {
            for (Path file : files) {
                long base = SegmentFiles.baseOffsetOf(file.getFileName().toString());
                if (base >= 0) {
                    segments.put(base, LogSegment.open(dir, base, "", config.indexIntervalBytes,
                            config.segmentIndexBytes, resources));
                }
            }
        }
        return segments;
    }

    /**
     * Finishes or undoes what a crash interrupted. A {@code .log.swap} file is a cleaned segment that was committed:
     * it replaces the segments whose offsets it covers. Anything else in transit is removed.
     */
    private static void settleInterruptedWork(Path dir, LogConfig config, LogResources resources) throws IOException {
        TreeSet<Long> swappedLogs = new TreeSet<>();
        Map<Long, Path> swappedTransactionIndexes = new TreeMap<>();
        List<Path> leftovers = new ArrayList<>();
        List<Path> indexesWithoutLog = new ArrayList<>();
        TreeSet<Long> logBases = new TreeSet<>();
        Map<Long, List<Path>> indexFiles = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                long base = SegmentFiles.baseOffsetOf(name);
                if (name.endsWith(SegmentFiles.DELETED) || name.endsWith(SegmentFiles.CLEANED)
                        || name.endsWith(".tmp")) {
                    leftovers.add(file);
                } else if (name.endsWith(SegmentFiles.LOG + SegmentFiles.SWAP) && base >= 0) {
                    swappedLogs.add(base);
                } else if (name.endsWith(SegmentFiles.TXN_INDEX + SegmentFiles.SWAP) && base >= 0) {
                    // Kept if its log was swapped in: the cleaned segment's aborted transactions move with it.
                    swappedTransactionIndexes.put(base, file);
                } else if (name.endsWith(SegmentFiles.SWAP)) {
                    leftovers.add(file);
                } else if (name.endsWith(SegmentFiles.LOG) && base >= 0) {
                    logBases.add(base);
                } else if ((name.endsWith(SegmentFiles.INDEX) || name.endsWith(SegmentFiles.TIME_INDEX)
                        || name.endsWith(SegmentFiles.TXN_INDEX)) && base >= 0) {
                    indexFiles.computeIfAbsent(base, b -> new ArrayList<>()).add(file);
                }
            }
        }
        swappedTransactionIndexes.keySet().removeAll(swappedLogs);
        leftovers.addAll(swappedTransactionIndexes.values());
        for (Path file : leftovers) {
            Files.deleteIfExists(file);
        }
        for (long swapBase : swappedLogs) {
            completeSwap(dir, swapBase, logBases, config, resources);
        }
        for (Map.Entry<Long, List<Path>> entry : indexFiles.entrySet()) {
            if (!logBases.contains(entry.getKey())) {
                indexesWithoutLog.addAll(entry.getValue());
            }
        }
        for (Path file : indexesWithoutLog) {
            Files.deleteIfExists(file);
        }
    }

    private static void completeSwap(Path dir, long swapBase, TreeSet<Long> logBases, LogConfig config,
                                     LogResources resources) throws IOException {
        LogSegment swap = LogSegment.open(dir, swapBase, SegmentFiles.SWAP, config.indexIntervalBytes,
                config.segmentIndexBytes, resources);
        RecoveryResult checked = swap.recover(-1);
        swap.closeFiles();
        long swapEnd = checked.nextOffset();
        for (Long replaced : new ArrayList<>(logBases.subSet(swapBase, true, swapEnd, false))) {
            Files.deleteIfExists(SegmentFiles.log(dir, replaced, ""));
            Files.deleteIfExists(SegmentFiles.offsetIndex(dir, replaced, ""));
            Files.deleteIfExists(SegmentFiles.timeIndex(dir, replaced, ""));
            Files.deleteIfExists(SegmentFiles.transactionIndex(dir, replaced, ""));
            logBases.remove(replaced);
        }
        // The swapped segment's indexes are rebuilt when first needed.
        Files.deleteIfExists(SegmentFiles.offsetIndex(dir, swapBase, SegmentFiles.SWAP));
        Files.deleteIfExists(SegmentFiles.timeIndex(dir, swapBase, SegmentFiles.SWAP));
        Path swappedTransactions = SegmentFiles.transactionIndex(dir, swapBase, SegmentFiles.SWAP);
        if (Files.exists(swappedTransactions)) {
            Files.move(swappedTransactions, SegmentFiles.transactionIndex(dir, swapBase, ""),
                    StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(SegmentFiles.log(dir, swapBase, SegmentFiles.SWAP), SegmentFiles.log(dir, swapBase, ""),
                StandardCopyOption.ATOMIC_MOVE);
        logBases.add(swapBase);
        PartitionLog.forceDirectory(dir);
        LOG.log(Level.INFO, "Completed the interrupted replacement of segments in {0} by the cleaned segment at {1}",
                dir, swapBase);
    }
}

package io.strata.storage.log;

import io.strata.storage.checkpoint.OffsetCheckpointFile;
import io.strata.storage.cleaner.LogCleaner;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.file.FileChannelCache;
import io.strata.storage.segment.IndexCache;
import io.strata.storage.segment.LogResources;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A directory of partition logs and the background work that keeps them: retention, time-based flushing, recovery
 * point and log start offset checkpoints, and the cleaner. Kafka calls this the log manager.
 *
 * <p>Files it owns in the directory: one sub-directory per partition ({@code <topic>-<partition>}), a {@code .lock}
 * file held while open (a second process gets a clear error), {@code recovery-point-offset-checkpoint},
 * {@code log-start-offset-checkpoint}, {@code cleaner-offset-checkpoint}, and {@code .strata-clean-shutdown}, written
 * last on a clean close and removed once the logs are loaded again. A deleted partition's directory is renamed to
 * {@code <topic>-<partition>.<id>-delete} at once and removed in the background. Folders starting with {@code @}
 * are left alone: no topic name can contain that character, so the broker keeps its own stores there.
 *
 * <p>An I/O error on any of its logs takes the whole directory offline ({@link LogDirectoryHealth}): its logs then
 * refuse appends and reads with {@code KafkaStorageException}, background work stops touching them, the shutdown is
 * not marked clean, and the listeners registered with {@link #onOffline} are told, so that the broker can stop
 * leading its partitions and tell the controller.
 *
 * <p>Thread-safe.
 */
public final class LogDirectory implements AutoCloseable {

    public static final String CLEAN_SHUTDOWN_FILE = ".strata-clean-shutdown";
    public static final String LOCK_FILE = ".lock";
    public static final String RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
    public static final String LOG_START_CHECKPOINT = "log-start-offset-checkpoint";
    public static final String CLEANER_CHECKPOINT = "cleaner-offset-checkpoint";
    private static final String DELETE_SUFFIX = "-delete";
    /** Folders whose name starts with this belong to the broker, not to a partition; no topic name can. */
    public static final String RESERVED_PREFIX = "@";

    private static final System.Logger LOG = System.getLogger(LogDirectory.class.getName());

    private final LogDirectoryConfig config;
    private final Path dir;
    private final Function<TopicPartition, LogConfig> topicConfigs;
    private final LogResources resources;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ConcurrentHashMap<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    private final OffsetCheckpointFile recoveryPoints;
    private final OffsetCheckpointFile logStartOffsets;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final LogCleaner cleaner;
    private final ThreadFactory threads;
    private final LogDirectoryHealth health;
    private volatile ToLongFunction<TopicPartition> highWatermarks = tp -> Long.MAX_VALUE;
    private volatile boolean closed;

    private LogDirectory(LogDirectoryConfig config, Function<TopicPartition, LogConfig> topicConfigs,
                         ThreadFactory threads, Clock clock, FileChannel lockChannel, FileLock lock,
                         FileChannelCache.Opener opener) {
        this.config = config;
        this.dir = config.logDir;
        this.topicConfigs = topicConfigs;
        this.threads = threads;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.resources = new LogResources(new FileChannelCache(config.openFilesMax, opener),
                new IndexCache(config.indexCacheBytes), clock);
        this.scheduler = new ScheduledThreadPoolExecutor(2, named(threads, "strata-log-scheduler"));
        this.scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.health = new LogDirectoryHealth(dir, scheduler);
        this.recoveryPoints = new OffsetCheckpointFile(dir.resolve(RECOVERY_POINT_CHECKPOINT));
        this.logStartOffsets = new OffsetCheckpointFile(dir.resolve(LOG_START_CHECKPOINT));
        this.cleaner = new LogCleaner(config, logs::values, log -> deletionBound(log),
                new OffsetCheckpointFile(dir.resolve(CLEANER_CHECKPOINT)), named(threads, "strata-log-cleaner"), clock);
    }

    /**
     * Opens the directory, creating it if needed, loads every partition in it (recovering those a crash left
     * unflushed), and starts the background work.
     *
     * @param topicConfigs the settings of each partition's topic
     * @param threads      where background threads come from (a container's managed thread factory, in a server)
     * @throws KafkaStorageException if the directory cannot be created, locked or read, saying which and why
     */
    public static LogDirectory open(LogDirectoryConfig config, Function<TopicPartition, LogConfig> topicConfigs,
                                    ThreadFactory threads, Clock clock) {
        return open(config, topicConfigs, threads, clock,
                path -> FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    /**
     * As {@link #open(LogDirectoryConfig, Function, ThreadFactory, Clock)}, opening segment files with {@code opener}:
     * for tests, here and in the broker, that make a disk fail under a running log.
     */
    public static LogDirectory open(LogDirectoryConfig config, Function<TopicPartition, LogConfig> topicConfigs,
                             ThreadFactory threads, Clock clock, FileChannelCache.Opener opener) {
        Path dir = config.logDir;
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockChannel.tryLock();
            if (lock == null) {
                throw new KafkaStorageException("The log directory " + dir.toAbsolutePath() + " is in use by another"
                        + " process: stop it, or give this one another log.dir");
            }
            LogDirectory directory = new LogDirectory(config, topicConfigs, threads, clock, lockChannel, lock,
                    opener);
            try {
                directory.loadLogs();
            } catch (IOException | RuntimeException e) {
                directory.closeLoadedLogs();
                throw e;
            }
            directory.startBackgroundWork();
            return directory;
        } catch (OverlappingFileLockException e) {
            closeQuietly(lockChannel);
            throw new KafkaStorageException("The log directory " + dir.toAbsolutePath() + " is already open in this"
                    + " process");
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw new KafkaStorageException("Cannot open the log directory " + dir.toAbsolutePath() + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(lockChannel);
            throw e;
        }
    }

    public Path path() {
        return dir;
    }

    public LogResources resources() {
        return resources;
    }

    public LogCleaner cleaner() {
        return cleaner;
    }

    /** Whether an I/O error took this directory offline; then its logs refuse appends and reads. */
    public boolean isOffline() {
        return health.isOffline();
    }

    /** What took this directory offline, if anything did. */
    public Optional<LogDirectoryHealth.Failure> offlineFailure() {
        return health.failure();
    }

    /**
     * Calls {@code listener} once, on a background thread, when this directory goes offline (at once if it already
     * is): the broker stops serving the directory's partitions and reports them offline.
     */
    public void onOffline(Consumer<LogDirectoryHealth.Failure> listener) {
        health.onOffline(listener);
    }

    /** The partitions whose logs live in this directory. */
    public List<TopicPartition> partitions() {
        return List.copyOf(logs.keySet());
    }

    /**
     * Where each partition's readers stop (its high watermark): retention and compaction never touch data at or
     * above it. Until set, the whole log counts.
     */
    public void setHighWatermarks(ToLongFunction<TopicPartition> highWatermarks) {
        this.highWatermarks = highWatermarks;
    }

    public Optional<PartitionLog> get(TopicPartition topicPartition) {
        return Optional.ofNullable(logs.get(topicPartition));
    }

    public Collection<PartitionLog> all() {
        return List.copyOf(logs.values());
    }

    /** The partition's log, created empty with {@code logConfig} if it does not exist. */
    public synchronized PartitionLog getOrCreate(TopicPartition topicPartition, LogConfig logConfig) {
        checkOpen();
        health.checkOnline();
        return logs.computeIfAbsent(topicPartition, tp -> {
            try {
                return LogLoader.load(tp, partitionDir(tp), logConfig, resources, scheduler,
                        this::checkpointRecoveryPointsQuietly, 0, 0, true, health);
            } catch (IOException e) {
                throw health.fail("Creating the log of " + tp + " in " + dir, e);
            } catch (UncheckedIOException e) {
                throw health.fail("Creating the log of " + tp + " in " + dir, e);
            }
        });
    }

    /**
     * Deletes a partition's log and its data: it disappears at once (its directory renamed) and its files are
     * removed in the background.
     */
    public synchronized boolean delete(TopicPartition topicPartition) {
        PartitionLog log = logs.remove(topicPartition);
        if (log == null) {
            return false;
        }
        log.closeForDeletion();
        cleaner.forget(topicPartition);
        Path doomed = dir.resolve(partitionDir(topicPartition).getFileName() + "."
                + UUID.randomUUID().toString().replace("-", "") + DELETE_SUFFIX);
        try {
            Files.move(log.dir(), doomed, StandardCopyOption.ATOMIC_MOVE);
            PartitionLog.forceDirectory(dir);
        } catch (IOException e) {
            throw new KafkaStorageException("Cannot delete the log of " + topicPartition + ": " + e, e);
        }
        scheduler.execute(() -> deleteRecursively(doomed));
        checkpointRecoveryPointsQuietly();
        LOG.log(Level.INFO, "Deleted the log of {0}", topicPartition);
        return true;
    }

    // ---------------------------------------------------------------------------------------------------- background

    /** Applies retention to every log now; returns the segments deleted. */
    public int enforceRetention() {
        if (health.isOffline()) {
            return 0;
        }
        int deleted = 0;
        for (PartitionLog log : logs.values()) {
            try {
                deleted += log.deleteRetentionBreachedSegments(deletionBound(log));
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Retention of " + log.topicPartition() + " failed", e);
            }
        }
        if (deleted > 0) {
            checkpointLogStartOffsetsQuietly();
        }
        return deleted;
    }

    /**
     * Writes every log's recovery point to {@code recovery-point-offset-checkpoint}. The points are taken and written
     * under one lock, so a slower writer never puts back a point a truncation has just lowered.
     */
    public void checkpointRecoveryPoints() throws IOException {
        synchronized (recoveryPoints) {
            Map<TopicPartition, Long> points = new HashMap<>();
            for (PartitionLog log : logs.values()) {
                points.put(log.topicPartition(), log.recoveryPoint());
            }
            recoveryPoints.write(points);
        }
    }

    /** Writes every log's start offset to {@code log-start-offset-checkpoint}. */
    public void checkpointLogStartOffsets() throws IOException {
        synchronized (logStartOffsets) {
            Map<TopicPartition, Long> starts = new HashMap<>();
            for (PartitionLog log : logs.values()) {
                starts.put(log.topicPartition(), log.logStartOffset());
            }
            logStartOffsets.write(starts);
        }
    }

    private long deletionBound(PartitionLog log) {
        return Math.min(log.logEndOffset(), highWatermarks.applyAsLong(log.topicPartition()));
    }

    private void startBackgroundWork() {
        scheduler.scheduleWithFixedDelay(this::enforceRetention, config.retentionCheckIntervalMs,
                config.retentionCheckIntervalMs, TimeUnit.MILLISECONDS);
        if (config.flushSchedulerIntervalMs < Long.MAX_VALUE) {
            scheduler.scheduleWithFixedDelay(this::flushDueLogs, config.flushSchedulerIntervalMs,
                    config.flushSchedulerIntervalMs, TimeUnit.MILLISECONDS);
        }
        scheduler.scheduleWithFixedDelay(this::checkpointRecoveryPointsQuietly, config.flushOffsetCheckpointIntervalMs,
                config.flushOffsetCheckpointIntervalMs, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::checkpointLogStartOffsetsQuietly,
                config.flushStartOffsetCheckpointIntervalMs, config.flushStartOffsetCheckpointIntervalMs,
                TimeUnit.MILLISECONDS);
        if (config.cleanerEnable) {
            cleaner.start();
        }
    }

    private void flushDueLogs() {
        if (health.isOffline()) {
            return;
        }
        long nowMs = resources.clock().millis();
        for (PartitionLog log : logs.values()) {
            try {
                log.flushIfDue(nowMs);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Flushing " + log.topicPartition() + " failed", e);
            }
        }
    }

    private void checkpointRecoveryPointsQuietly() {
        if (health.isOffline()) {
            return;
        }
        try {
            checkpointRecoveryPoints();
        } catch (IOException e) {
            health.fail("Writing the recovery point checkpoint of " + dir, e);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Writing the recovery point checkpoint of " + dir + " failed", e);
        }
    }

    private void checkpointLogStartOffsetsQuietly() {
        if (health.isOffline()) {
            return;
        }
        try {
            checkpointLogStartOffsets();
        } catch (IOException e) {
            health.fail("Writing the log start offset checkpoint of " + dir, e);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Writing the log start offset checkpoint of " + dir + " failed", e);
        }
    }

    // ---------------------------------------------------------------------------------------------------- loading

    private void loadLogs() throws IOException {
        long startNanos = System.nanoTime();
        Path marker = dir.resolve(CLEAN_SHUTDOWN_FILE);
        boolean cleanShutdown = Files.exists(marker);
        Map<TopicPartition, Long> points = readCheckpoint(recoveryPoints);
        Map<TopicPartition, Long> starts = readCheckpoint(logStartOffsets);
        if (!cleanShutdown && Files.exists(recoveryPoints.path())) {
            LOG.log(Level.WARNING, "{0} was not shut down cleanly: recovering every partition from its recovery point",
                    dir);
        }
        List<Path> partitionDirs = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (name.startsWith(RESERVED_PREFIX)) {
                    continue;
                } else if (name.endsWith(DELETE_SUFFIX)) {
                    scheduler.execute(() -> deleteRecursively(child));
                } else if (parsePartitionDir(name) != null) {
                    partitionDirs.add(child);
                } else {
                    LOG.log(Level.WARNING, "Ignoring {0}: not a partition directory (<topic>-<partition>)", child);
                }
            }
        }
        ExecutorService loaders = Executors.newFixedThreadPool(config.recoveryThreads,
                named(threads, "strata-log-recovery"));
        try {
            List<Future<PartitionLog>> loading = new ArrayList<>();
            for (Path partitionDir : partitionDirs) {
                TopicPartition tp = parsePartitionDir(partitionDir.getFileName().toString());
                loading.add(loaders.submit(() -> LogLoader.load(tp, partitionDir, topicConfigs.apply(tp), resources,
                        scheduler, this::checkpointRecoveryPointsQuietly, points.getOrDefault(tp, 0L),
                        starts.getOrDefault(tp, 0L), cleanShutdown, health)));
            }
            ExecutionException failure = null;
            for (Future<PartitionLog> future : loading) {
                try {
                    PartitionLog log = future.get();
                    logs.put(log.topicPartition(), log);
                } catch (ExecutionException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading logs", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(cause);
        } finally {
            loaders.shutdownNow();
        }
        Files.deleteIfExists(marker);
        checkpointRecoveryPoints();
        LOG.log(Level.INFO, "Loaded {0} partition log(s) from {1} in {2} ms", logs.size(), dir,
                (System.nanoTime() - startNanos) / 1_000_000);
    }

    private void closeLoadedLogs() {
        for (PartitionLog log : logs.values()) {
            log.close();
        }
        logs.clear();
        closeQuietly(lockChannel);
        scheduler.shutdownNow();
    }

    private static Map<TopicPartition, Long> readCheckpoint(OffsetCheckpointFile file) {
        try {
            return file.read();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "{0}; treating every partition as unrecorded", e.getMessage());
            return Map.of();
        }
    }

    /** {@code <topic>-<partition>} to a partition, or {@code null}. */
    static TopicPartition parsePartitionDir(String name) {
        int dash = name.lastIndexOf('-');
        if (dash <= 0 || dash == name.length() - 1) {
            return null;
        }
        try {
            int partition = Integer.parseInt(name.substring(dash + 1));
            return partition < 0 ? null : new TopicPartition(name.substring(0, dash), partition);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private Path partitionDir(TopicPartition topicPartition) {
        return dir.resolve(topicPartition.topic() + "-" + topicPartition.partition());
    }

    // ---------------------------------------------------------------------------------------------------- closing

    /**
     * Stops the background work, forces every log to disk, writes the checkpoints and closes the logs; when all of
     * that succeeded, marks the shutdown clean so that the next start skips recovery.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cleaner.close();
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Runnable pending : scheduler.shutdownNow()) {
            // Delayed deletions of .deleted segments: done now rather than left with their files open.
            try {
                pending.run();
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "A pending task failed at shutdown", e);
            }
        }
        boolean clean = true;
        for (PartitionLog log : logs.values()) {
            try {
                log.stopAppends();
                log.flush(log.logEndOffset());
            } catch (RuntimeException e) {
                clean = false;
                LOG.log(Level.ERROR, "Flushing " + log.topicPartition() + " at shutdown failed", e);
            }
        }
        // An offline directory is left as a crash would leave it: the next start recovers what reached the disk.
        if (!health.isOffline()) {
            try {
                checkpointRecoveryPoints();
                checkpointLogStartOffsets();
            } catch (IOException e) {
                clean = false;
                LOG.log(Level.ERROR, "Writing checkpoints at shutdown failed", e);
            }
        }
        clean &= !health.isOffline();
        for (PartitionLog log : logs.values()) {
            log.close();
        }
        if (clean) {
            try {
                Files.createFile(dir.resolve(CLEAN_SHUTDOWN_FILE));
                PartitionLog.forceDirectory(dir);
            } catch (IOException e) {
                LOG.log(Level.ERROR, "Writing the clean shutdown marker failed; the next start will recover", e);
            }
        }
        try {
            lock.release();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Releasing the lock of " + dir + " failed", e);
        }
        closeQuietly(lockChannel);
        LOG.log(Level.INFO, "Closed the log directory {0} ({1} shutdown)", dir, clean ? "clean" : "unclean");
    }

    private void checkOpen() {
        if (closed) {
            throw new KafkaStorageException("The log directory " + dir + " is closed");
        }
    }

    private static void deleteRecursively(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path directory, IOException e) throws IOException {
                    Files.deleteIfExists(directory);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + root + " failed", e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing the lock file failed", e);
            }
        }
    }

    private static ThreadFactory named(ThreadFactory threads, String name) {
        return runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName(name + "-" + thread.getId());
            thread.setDaemon(true);
            return thread;
        };
    }
}

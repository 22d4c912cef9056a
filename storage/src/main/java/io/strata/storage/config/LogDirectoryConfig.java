package io.strata.storage.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The settings of one log directory and its background work, under the broker setting names Kafka uses
 * ({@code log.retention.check.interval.ms}, {@code log.cleaner.threads}, ...), plus two bounds Kafka has no name for:
 * {@code log.open.files.max} and {@code log.index.cache.bytes}. Names this class does not know are ignored, so the
 * broker's whole configuration can be handed over. Immutable; thread-safe.
 */
public final class LogDirectoryConfig {

    public static final String LOG_DIR = "log.dir";
    public static final String NUM_RECOVERY_THREADS = "num.recovery.threads.per.data.dir";
    public static final String RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms";
    public static final String FLUSH_SCHEDULER_INTERVAL_MS = "log.flush.scheduler.interval.ms";
    public static final String FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS = "log.flush.offset.checkpoint.interval.ms";
    public static final String FLUSH_START_OFFSET_CHECKPOINT_INTERVAL_MS = "log.flush.start.offset.checkpoint.interval.ms";
    public static final String CLEANER_ENABLE = "log.cleaner.enable";
    public static final String CLEANER_THREADS = "log.cleaner.threads";
    public static final String CLEANER_DEDUPE_BUFFER_SIZE = "log.cleaner.dedupe.buffer.size";
    public static final String CLEANER_IO_BUFFER_SIZE = "log.cleaner.io.buffer.size";
    public static final String CLEANER_IO_BUFFER_LOAD_FACTOR = "log.cleaner.io.buffer.load.factor";
    public static final String CLEANER_BACKOFF_MS = "log.cleaner.backoff.ms";
    public static final String OPEN_FILES_MAX = "log.open.files.max";
    public static final String INDEX_CACHE_BYTES = "log.index.cache.bytes";

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(LOG_DIR, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                    "The directory that holds the partition logs.")
            .define(NUM_RECOVERY_THREADS, Type.INT, 1, Range.atLeast(1), Importance.HIGH,
                    "Threads that load and recover partitions at start.")
            .define(RETENTION_CHECK_INTERVAL_MS, Type.LONG, 300_000L, Range.atLeast(1), Importance.MEDIUM,
                    "How often segments are checked against retention.ms and retention.bytes.")
            .define(FLUSH_SCHEDULER_INTERVAL_MS, Type.LONG, Long.MAX_VALUE, Range.atLeast(1), Importance.MEDIUM,
                    "How often logs are checked against flush.ms.")
            .define(FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS, Type.INT, 60_000, Range.atLeast(1), Importance.MEDIUM,
                    "How often the recovery points are written to disk.")
            .define(FLUSH_START_OFFSET_CHECKPOINT_INTERVAL_MS, Type.INT, 60_000, Range.atLeast(1), Importance.MEDIUM,
                    "How often the log start offsets are written to disk.")
            .define(CLEANER_ENABLE, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Whether the cleaner compacts logs with cleanup.policy=compact.")
            .define(CLEANER_THREADS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                    "Threads that compact logs.")
            .define(CLEANER_DEDUPE_BUFFER_SIZE, Type.LONG, 134_217_728L, Range.atLeast(1024), Importance.MEDIUM,
                    "Memory, over all cleaner threads, for the map from key to latest offset.")
            .define(CLEANER_IO_BUFFER_SIZE, Type.INT, 524_288, Range.atLeast(512), Importance.MEDIUM,
                    "Memory, over all cleaner threads, for reading and writing segments.")
            .define(CLEANER_IO_BUFFER_LOAD_FACTOR, Type.DOUBLE, 0.9, Range.between(0.1, 0.95), Importance.MEDIUM,
                    "How full the cleaner's key map may get.")
            .define(CLEANER_BACKOFF_MS, Type.LONG, 15_000L, Range.atLeast(0), Importance.MEDIUM,
                    "How long the cleaner sleeps when no log needs cleaning.")
            .define(OPEN_FILES_MAX, Type.INT, 8192, Range.atLeast(1), Importance.MEDIUM,
                    "Log files kept open at once; idle ones beyond this are closed and reopened on use.")
            .define(INDEX_CACHE_BYTES, Type.LONG, 134_217_728L, Range.atLeast(0), Importance.MEDIUM,
                    "Heap for the indexes of inactive segments; the least recently used are dropped beyond it.");

    public final Path logDir;
    public final int recoveryThreads;
    public final long retentionCheckIntervalMs;
    public final long flushSchedulerIntervalMs;
    public final int flushOffsetCheckpointIntervalMs;
    public final int flushStartOffsetCheckpointIntervalMs;
    public final boolean cleanerEnable;
    public final int cleanerThreads;
    public final long cleanerDedupeBufferSize;
    public final int cleanerIoBufferSize;
    public final double cleanerIoBufferLoadFactor;
    public final long cleanerBackoffMs;
    public final int openFilesMax;
    public final long indexCacheBytes;

    private LogDirectoryConfig(Map<String, Object> values) {
        this.logDir = Path.of((String) values.get(LOG_DIR));
        this.recoveryThreads = (Integer) values.get(NUM_RECOVERY_THREADS);
        this.retentionCheckIntervalMs = (Long) values.get(RETENTION_CHECK_INTERVAL_MS);
        this.flushSchedulerIntervalMs = (Long) values.get(FLUSH_SCHEDULER_INTERVAL_MS);
        this.flushOffsetCheckpointIntervalMs = (Integer) values.get(FLUSH_OFFSET_CHECKPOINT_INTERVAL_MS);
        this.flushStartOffsetCheckpointIntervalMs = (Integer) values.get(FLUSH_START_OFFSET_CHECKPOINT_INTERVAL_MS);
        this.cleanerEnable = (Boolean) values.get(CLEANER_ENABLE);
        this.cleanerThreads = (Integer) values.get(CLEANER_THREADS);
        this.cleanerDedupeBufferSize = (Long) values.get(CLEANER_DEDUPE_BUFFER_SIZE);
        this.cleanerIoBufferSize = (Integer) values.get(CLEANER_IO_BUFFER_SIZE);
        this.cleanerIoBufferLoadFactor = (Double) values.get(CLEANER_IO_BUFFER_LOAD_FACTOR);
        this.cleanerBackoffMs = (Long) values.get(CLEANER_BACKOFF_MS);
        this.openFilesMax = (Integer) values.get(OPEN_FILES_MAX);
        this.indexCacheBytes = (Long) values.get(INDEX_CACHE_BYTES);
    }

    /**
     * The settings among {@code settings} this class knows, with Kafka's defaults for the rest.
     *
     * @throws ConfigException naming the setting if a value is invalid or {@code log.dir} is missing
     */
    public static LogDirectoryConfig of(Map<?, ?> settings) {
        Map<String, Object> known = new HashMap<>();
        for (Map.Entry<?, ?> entry : settings.entrySet()) {
            String name = String.valueOf(entry.getKey());
            if (DEFINITION.names().contains(name)) {
                known.put(name, entry.getValue());
            }
        }
        return new LogDirectoryConfig(DEFINITION.parse(known));
    }

    /** Defaults for a directory. */
    public static LogDirectoryConfig forDirectory(Path dir) {
        return of(Map.of(LOG_DIR, dir.toString()));
    }

    public static ConfigDef definition() {
        return DEFINITION;
    }
}

package io.strata.storage.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidList;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.record.TimestampType;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The settings of one partition log, under Kafka's topic-level names and with Kafka's defaults.
 *
 * <p>Parsing and validation go through kafka-clients' {@link ConfigDef}, so a bad value is rejected with the same
 * {@link ConfigException} message a Kafka broker gives. Unknown names are rejected too: a misspelt
 * {@code retention.ms} that silently does nothing is worse than an error.
 *
 * <p>Immutable, and therefore thread-safe. A change of settings makes a new instance.
 */
public final class LogConfig {

    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String COMPRESSION_TYPE = "compression.type";
    public static final String DELETE_RETENTION_MS = "delete.retention.ms";
    /**
     * KIP-1191: whether share groups may use the topic as their dead-letter topic. The log itself ignores it; the
     * broker's dead-letter writer reads it.
     */
    public static final String ERRORS_DEADLETTERQUEUE_GROUP_ENABLE = "errors.deadletterqueue.group.enable";
    public static final String FILE_DELETE_DELAY_MS = "file.delete.delay.ms";
    public static final String FLUSH_MESSAGES = "flush.messages";
    public static final String FLUSH_MS = "flush.ms";
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
    public static final String MAX_COMPACTION_LAG_MS = "max.compaction.lag.ms";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String MESSAGE_TIMESTAMP_AFTER_MAX_MS = "message.timestamp.after.max.ms";
    public static final String MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "message.timestamp.before.max.ms";
    public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
    public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
    public static final String MIN_IN_SYNC_REPLICAS = "min.insync.replicas";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String RETENTION_MS = "retention.ms";
    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
    public static final String SEGMENT_JITTER_MS = "segment.jitter.ms";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";
    /**
     * Strata's own: the group whose members keep this topic alive. The topic of a JMS temporary destination names its
     * connection's lease group here; the broker deletes the topic once that group has no members (broker-ejb's
     * {@code TemporaryTopicCleaner}). The storage does not read it.
     */
    public static final String STRATA_JMS_TEMPORARY_OWNER = "strata.jms.temporary.owner";

    public static final String CLEANUP_POLICY_DELETE = "delete";
    public static final String CLEANUP_POLICY_COMPACT = "compact";
    public static final String COMPRESSION_PRODUCER = "producer";

    /** Smallest segment that can hold a batch header: a smaller one would roll on every append. */
    public static final int SEGMENT_BYTES_MIN = 14;
    /**
     * The offset index entry is 8 bytes and the time index entry 12; a segment needs room for at least one time
     * index entry besides the closing one that carries its largest timestamp.
     */
    public static final int SEGMENT_INDEX_BYTES_MIN = 24;

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(CLEANUP_POLICY, Type.LIST, CLEANUP_POLICY_DELETE,
                    ValidList.in(false, CLEANUP_POLICY_DELETE, CLEANUP_POLICY_COMPACT), Importance.MEDIUM,
                    "'delete' discards old segments by retention.ms and retention.bytes; 'compact' keeps the latest "
                            + "record of every key; both may be given.")
            .define(COMPRESSION_TYPE, Type.STRING, COMPRESSION_PRODUCER,
                    ValidString.in("uncompressed", "zstd", "lz4", "snappy", "gzip", COMPRESSION_PRODUCER),
                    Importance.MEDIUM, "The codec batches are stored with; 'producer' keeps the producer's codec.")
            .define(DELETE_RETENTION_MS, Type.LONG, 86_400_000L, Range.atLeast(0), Importance.MEDIUM,
                    "How long a tombstone is kept by compaction after its first cleaning.")
            .define(ERRORS_DEADLETTERQUEUE_GROUP_ENABLE, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Whether share groups may write the records they give up on to this topic, as their dead-letter"
                            + " topic (KIP-1191).")
            .define(FILE_DELETE_DELAY_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.MEDIUM,
                    "How long a deleted segment's files stay on disk, renamed to .deleted, before removal.")
            .define(FLUSH_MESSAGES, Type.LONG, Long.MAX_VALUE, Range.atLeast(1), Importance.MEDIUM,
                    "Force an fsync after this many appended records; by default the OS decides.")
            .define(FLUSH_MS, Type.LONG, Long.MAX_VALUE, Range.atLeast(0), Importance.MEDIUM,
                    "Force an fsync when the oldest unflushed record is this old; by default the OS decides.")
            .define(INDEX_INTERVAL_BYTES, Type.INT, 4096, Range.atLeast(0), Importance.MEDIUM,
                    "Log bytes between two entries of the sparse offset index.")
            .define(MAX_COMPACTION_LAG_MS, Type.LONG, Long.MAX_VALUE, Range.atLeast(1), Importance.MEDIUM,
                    "The longest a record may stay uncompacted.")
            .define(MAX_MESSAGE_BYTES, Type.INT, 1_048_588, Range.atLeast(0), Importance.MEDIUM,
                    "The largest record batch accepted, in bytes, after compression.")
            .define(MESSAGE_TIMESTAMP_AFTER_MAX_MS, Type.LONG, 3_600_000L, Range.atLeast(0), Importance.MEDIUM,
                    "How far in the future a CreateTime timestamp may be.")
            .define(MESSAGE_TIMESTAMP_BEFORE_MAX_MS, Type.LONG, Long.MAX_VALUE, Range.atLeast(0), Importance.MEDIUM,
                    "How far in the past a CreateTime timestamp may be.")
            .define(MESSAGE_TIMESTAMP_TYPE, Type.STRING, "CreateTime", ValidString.in("CreateTime", "LogAppendTime"),
                    Importance.MEDIUM, "Whether records keep the producer's timestamp or get the time of the append.")
            .define(MIN_CLEANABLE_DIRTY_RATIO, Type.DOUBLE, 0.5, Range.between(0, 1), Importance.MEDIUM,
                    "The share of uncleaned bytes at which the cleaner compacts a log.")
            .define(MIN_COMPACTION_LAG_MS, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                    "The shortest a record stays uncompacted.")
            .define(MIN_IN_SYNC_REPLICAS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                    "Replicas that must have a record before an acks=all write is acknowledged.")
            .define(RETENTION_BYTES, Type.LONG, -1L, Importance.MEDIUM,
                    "The size the log is kept under by deleting old segments; -1 for no limit.")
            .define(RETENTION_MS, Type.LONG, 604_800_000L, Range.atLeast(-1), Importance.MEDIUM,
                    "How long a segment is kept after its newest record; -1 for ever.")
            .define(SEGMENT_BYTES, Type.INT, 1_073_741_824, Range.atLeast(SEGMENT_BYTES_MIN), Importance.MEDIUM,
                    "The size at which the active segment rolls.")
            .define(SEGMENT_INDEX_BYTES, Type.INT, 10_485_760, Range.atLeast(SEGMENT_INDEX_BYTES_MIN),
                    Importance.MEDIUM, "The size of a segment's offset index at which the segment rolls.")
            .define(SEGMENT_JITTER_MS, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                    "A random amount subtracted from segment.ms so that partitions do not all roll at once.")
            .define(SEGMENT_MS, Type.LONG, 604_800_000L, Range.atLeast(1), Importance.MEDIUM,
                    "The age at which the active segment rolls.")
            .define(STRATA_JMS_TEMPORARY_OWNER, Type.STRING, "", Importance.LOW,
                    "Strata's own: the consumer group whose members keep this topic alive, as the JMS provider sets it"
                            + " on the topic of a temporary queue or topic (its connection's lease group). Once the"
                            + " group has no member (its connection closed or died and its session expired), the"
                            + " group's coordinator deletes the topic. Empty, the default: the topic lives until"
                            + " deleted.")
            .define(UNCLEAN_LEADER_ELECTION_ENABLE, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Whether a replica outside the in-sync set may become leader, at the cost of losing records.");

    private static final LogConfig DEFAULTS = new LogConfig(Map.of());

    private final Map<String, Object> values;

    public final List<String> cleanupPolicy;
    public final String compressionType;
    public final long deleteRetentionMs;
    public final long fileDeleteDelayMs;
    public final long flushMessages;
    public final long flushMs;
    public final int indexIntervalBytes;
    public final long maxCompactionLagMs;
    public final int maxMessageBytes;
    public final long messageTimestampAfterMaxMs;
    public final long messageTimestampBeforeMaxMs;
    public final TimestampType messageTimestampType;
    public final double minCleanableDirtyRatio;
    public final long minCompactionLagMs;
    public final int minInSyncReplicas;
    public final long retentionBytes;
    public final long retentionMs;
    public final int segmentBytes;
    public final int segmentIndexBytes;
    public final long segmentJitterMs;
    public final long segmentMs;
    public final boolean uncleanLeaderElectionEnable;

    private LogConfig(Map<?, ?> settings) {
        Set<String> unknown = new java.util.TreeSet<>();
        for (Object name : settings.keySet()) {
            if (!DEFINITION.names().contains(String.valueOf(name))) {
                unknown.add(String.valueOf(name));
            }
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException("Unknown topic config name: " + String.join(", ", unknown));
        }
        this.values = Map.copyOf(DEFINITION.parse(settings));
        @SuppressWarnings("unchecked")
        List<String> policy = (List<String>) values.get(CLEANUP_POLICY);
        this.cleanupPolicy = List.copyOf(policy);
        this.compressionType = (String) values.get(COMPRESSION_TYPE);
        this.deleteRetentionMs = (Long) values.get(DELETE_RETENTION_MS);
        this.fileDeleteDelayMs = (Long) values.get(FILE_DELETE_DELAY_MS);
        this.flushMessages = (Long) values.get(FLUSH_MESSAGES);
        this.flushMs = (Long) values.get(FLUSH_MS);
        this.indexIntervalBytes = (Integer) values.get(INDEX_INTERVAL_BYTES);
        this.maxCompactionLagMs = (Long) values.get(MAX_COMPACTION_LAG_MS);
        this.maxMessageBytes = (Integer) values.get(MAX_MESSAGE_BYTES);
        this.messageTimestampAfterMaxMs = (Long) values.get(MESSAGE_TIMESTAMP_AFTER_MAX_MS);
        this.messageTimestampBeforeMaxMs = (Long) values.get(MESSAGE_TIMESTAMP_BEFORE_MAX_MS);
        this.messageTimestampType = TimestampType.forName((String) values.get(MESSAGE_TIMESTAMP_TYPE));
        this.minCleanableDirtyRatio = (Double) values.get(MIN_CLEANABLE_DIRTY_RATIO);
        this.minCompactionLagMs = (Long) values.get(MIN_COMPACTION_LAG_MS);
        this.minInSyncReplicas = (Integer) values.get(MIN_IN_SYNC_REPLICAS);
        this.retentionBytes = (Long) values.get(RETENTION_BYTES);
        this.retentionMs = (Long) values.get(RETENTION_MS);
        this.segmentBytes = (Integer) values.get(SEGMENT_BYTES);
        this.segmentIndexBytes = (Integer) values.get(SEGMENT_INDEX_BYTES);
        this.segmentJitterMs = (Long) values.get(SEGMENT_JITTER_MS);
        this.segmentMs = (Long) values.get(SEGMENT_MS);
        this.uncleanLeaderElectionEnable = (Boolean) values.get(UNCLEAN_LEADER_ELECTION_ENABLE);
        if (minCompactionLagMs > maxCompactionLagMs) {
            throw new ConfigException(MIN_COMPACTION_LAG_MS, minCompactionLagMs,
                    "must not be greater than " + MAX_COMPACTION_LAG_MS + " (" + maxCompactionLagMs + ")");
        }
    }

    /** Kafka's defaults for every setting. */
    public static LogConfig defaults() {
        return DEFAULTS;
    }

    /**
     * Settings given by name; names not given take Kafka's default.
     *
     * @throws ConfigException naming the setting when a name is unknown or a value is not valid
     */
    public static LogConfig of(Map<?, ?> settings) {
        return new LogConfig(settings);
    }

    /** These settings with some of them replaced. */
    public LogConfig with(Map<String, ?> overrides) {
        Map<String, Object> merged = new TreeMap<>(values);
        merged.putAll(overrides);
        return new LogConfig(merged);
    }

    /** The definition of every setting, with its type, default and documentation. */
    public static ConfigDef definition() {
        return DEFINITION;
    }

    /** Every setting and its parsed value. */
    public Map<String, Object> values() {
        return values;
    }

    public boolean compact() {
        return cleanupPolicy.contains(CLEANUP_POLICY_COMPACT);
    }

    public boolean delete() {
        return cleanupPolicy.contains(CLEANUP_POLICY_DELETE);
    }

    /** Entries the offset index may hold before the segment rolls. */
    public int offsetIndexEntriesMax() {
        return segmentIndexBytes / 8;
    }

    /** Entries the time index may hold before the segment rolls. */
    public int timeIndexEntriesMax() {
        return segmentIndexBytes / 12;
    }

    @Override
    public String toString() {
        return "LogConfig" + new TreeMap<>(values);
    }
}

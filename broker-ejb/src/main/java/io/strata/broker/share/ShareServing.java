package io.strata.broker.share;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.delayed.FetchPurgatory;
import io.strata.broker.partition.ReplicaManager;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What this broker needs to serve share consumers as the leader of topic partitions: the live share partitions
 * ({@link SharePartitionManager}), the share sessions ({@link ShareSessionCache}), and where share fetches that found
 * nothing wait ({@link FetchPurgatory}, woken when a high watermark moves or records are released). Share sessions
 * close with their connection ({@link #onConnectionClosed}) or once idle past {@code group.share.session.timeout.ms}
 * (a sweep every second), and their members' records are released.
 *
 * <p>Thread-safe; built once per broker run and closed with it.
 */
public final class ShareServing implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ShareServing.class.getName());
    /** How often expired acquisition locks are looked for: the lateness of a redelivery, at most. */
    private static final long LOCK_EXPIRY_SWEEP_MS = 100;
    private static final long IDLE_SESSION_SWEEP_MS = 1_000;

    private final SharePartitionManager partitions;
    private final ShareSessionCache sessions;
    private final FetchPurgatory waiting;
    private final Function<String, ShareGroupSettings> settings;
    private final ScheduledExecutorService sweeper;
    private final Clock clock;

    /**
     * @param settings each share group's settings; the integrator passes the group coordinator's, otherwise
     *                 {@link #brokerDefaults} apply to every group
     */
    public ShareServing(BrokerConfig config, SharePersister persister, ReplicaManager replicas,
                        Function<String, ShareGroupSettings> settings,
                        SharePartitionManager.ArchiveListener archiveListener, ThreadFactory threads, Clock clock) {
        this(config, persister, replicas, settings, archiveListener, DeadLetterWriter.ARCHIVE_ONLY, threads, clock);
    }

    /** As the other constructor, with {@code deadLetters} writing the records groups give up on (KIP-1191). */
    public ShareServing(BrokerConfig config, SharePersister persister, ReplicaManager replicas,
                        Function<String, ShareGroupSettings> settings,
                        SharePartitionManager.ArchiveListener archiveListener, DeadLetterWriter deadLetters,
                        ThreadFactory threads, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.waiting = new FetchPurgatory(threads);
        this.sessions = new ShareSessionCache(config.groupShareMaxShareSessions, config.groupShareSessionTimeoutMs);
        this.partitions = new SharePartitionManager(persister, new ReplicaLeaderLogs(replicas), settings,
                config.groupSharePartitionMaxRecordLocks, clock,
                released -> waiting.onAppend(released.topicPartition(), 0), archiveListener, deadLetters, threads,
                LOCK_EXPIRY_SWEEP_MS);
        replicas.addHighWatermarkListener(waiting::onAppend);
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-share-session-expiry");
            thread.setDaemon(true);
            return thread;
        });
        this.sweeper = executor;
        sweeper.scheduleWithFixedDelay(this::closeIdleSessions, IDLE_SESSION_SWEEP_MS, IDLE_SESSION_SWEEP_MS,
                TimeUnit.MILLISECONDS);
    }

    /** The broker's {@code group.share.*} defaults, for every group: lock duration, delivery limit, latest, uncommitted. */
    public static Function<String, ShareGroupSettings> brokerDefaults(BrokerConfig config) {
        ShareGroupSettings defaults = new ShareGroupSettings(config.groupShareRecordLockDurationMs,
                config.groupShareDeliveryCountLimit, AutoOffsetReset.LATEST, IsolationLevel.READ_UNCOMMITTED);
        return groupId -> defaults;
    }

    public SharePartitionManager partitions() {
        return partitions;
    }

    public ShareSessionCache sessions() {
        return sessions;
    }

    public FetchPurgatory waiting() {
        return waiting;
    }

    public ShareGroupSettings settings(String groupId) {
        return settings.apply(groupId);
    }

    /**
     * Gives back what the member holds on each of {@code topicPartitions}, as its session closed or forgot them. A
     * share partition no session of its group fetches any more is read from the store again at its next use, so that
     * what changed the stored state meanwhile (AlterShareGroupOffsets, DeleteShareGroupOffsets, allowed only while the
     * group has no members) counts.
     */
    public void release(String groupId, String memberId, List<TopicIdPartition> topicPartitions) {
        for (TopicIdPartition topicPartition : topicPartitions) {
            partitions.releaseMember(groupId, memberId, topicPartition);
            if (!sessions.anyFetches(groupId, topicPartition)) {
                partitions.reloadWhenIdle(groupId, topicPartition);
            }
        }
    }

    /**
     * Closes the share sessions of a connection that closed and releases their members' records; called on a network
     * thread, so the release runs on the sweeper's.
     */
    public void onConnectionClosed(String connectionId) {
        sweeper.execute(() -> {
            try {
                sessions.removeConnection(connectionId).forEach((key, topicPartitions) ->
                        release(key.groupId(), key.memberId(), topicPartitions));
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Closing the share sessions of connection " + connectionId + " failed", e);
            }
        });
    }

    /** Drops the share partitions of topic partitions no longer led here; call after every metadata change. */
    public void onLeadershipChanged() {
        partitions.onLeadershipChanged();
    }

    private void closeIdleSessions() {
        try {
            Map<ShareSessionCache.Key, List<TopicIdPartition>> idle = sessions.removeIdle(clock.millis());
            idle.forEach((key, topicPartitions) -> {
                LOG.log(Level.INFO, "Closed the idle share session of member {0} of share group {1}",
                        key.memberId(), key.groupId());
                release(key.groupId(), key.memberId(), topicPartitions);
            });
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Closing idle share sessions failed", e);
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        waiting.close();
        partitions.close();
    }
}

package io.strata.broker.share.coordinator;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorRuntime;
import io.strata.broker.coordinator.InternalTopic;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.coordinator.ShareCoordinatorShard.ReadResult;
import io.strata.broker.share.coordinator.ShareCoordinatorShard.Summary;
import io.strata.storage.config.LogConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadFactory;

/**
 * The share coordinator (KIP-932): keeps every share group's per-partition state in {@code __share_group_state}, one
 * {@link ShareCoordinatorShard} per partition this broker leads, on its own {@link CoordinatorRuntime}. A share
 * partition's state lives in the partition chosen by the hash of its coordinator key {@code groupId:topicId:partition}
 * modulo the partition count, as Kafka's {@code ShareCoordinatorService.partitionFor} chooses it.
 *
 * <p>{@code __share_group_state} is created when first needed (a FindCoordinator of key type SHARE, or the persister
 * looking for a state's coordinator), as {@code __transaction_state} is: on a standalone broker with one replica unless
 * {@code share.coordinator.state.topic.replication.factor} is set, in a cluster once enough brokers are alive to hold
 * every replica. Its cleanup policy is {@code delete}, as KIP-932 defines it (compaction would drop the update records
 * a snapshot still needs), with unlimited retention: each shard deletes, every
 * {@code share.coordinator.state.topic.prune.interval.ms}, the records before the oldest snapshot replay still needs.
 *
 * <p>Every operation answers through a future completed once its records are committed; none fails exceptionally:
 * errors are Kafka's codes in the result. No caller thread waits.
 *
 * <p>Thread-safe.
 */
public final class ShareCoordinator implements AutoCloseable {

    public static final String STATE_TOPIC = "__share_group_state";
    /** How many operations may wait for the coordinator's thread before new ones are refused. */
    private static final int OPERATIONS_WAITING_MAX = 65_536;
    private static final System.Logger LOG = System.getLogger(ShareCoordinator.class.getName());

    private final BrokerConfig config;
    private final Controller controller;
    /** Where this coordinator keeps its state, created when first needed. */
    private final InternalTopic stateTopic;
    private final CoordinatorRuntime<ShareCoordinatorShard> runtime;
    private volatile int partitions;
    private volatile boolean started;

    public ShareCoordinator(BrokerConfig config, Controller controller, ReplicaManager replicas, ThreadFactory threads,
                            Clock clock) {
        this.config = config;
        this.controller = controller;
        this.stateTopic = new InternalTopic(STATE_TOPIC, config, controller,
                BrokerConfig.SHARE_STATE_TOPIC_REPLICATION_FACTOR, () -> config.shareStateTopicReplicationFactor,
                "share-group state requests");
        this.partitions = config.shareStateTopicNumPartitions;
        this.runtime = new CoordinatorRuntime<>(STATE_TOPIC, replicas, context -> {
            TopicPartition partition = new TopicPartition(STATE_TOPIC, context.partition());
            return new ShareCoordinatorShard(context, config.shareSnapshotUpdateRecordsPerSnapshot,
                    () -> logEndOffset(replicas.partition(partition)),
                    offset -> prune(replicas.partition(partition), offset),
                    config.shareStateTopicPruneIntervalMs);
        }, threads, clock, config.shareCoordinatorWriteTimeoutMs, OPERATIONS_WAITING_MAX);
        replicas.addLogDirectoryFailureListener((directory, allOffline) -> runtime.onLeadershipChanged());
    }

    /**
     * Loads the share state of the partitions this broker leads, and follows leadership from then on.
     *
     * @param standaloneBroker whether this broker is a cluster of one, whose {@code __share_group_state} has one
     *                         replica unless {@code share.coordinator.state.topic.replication.factor} is set
     */
    public void startup(boolean standaloneBroker) {
        stateTopic.standalone(standaloneBroker);
        TopicImage topic = controller.image().topic(STATE_TOPIC);
        partitions = topic == null ? config.shareStateTopicNumPartitions : topic.partitionCount();
        controller.addListener((previous, current) -> {
            TopicImage state = current.topic(STATE_TOPIC);
            if (state != null) {
                partitions = state.partitionCount();
            }
            runtime.onLeadershipChanged();
        });
        runtime.onLeadershipChanged();
        started = true;
    }

    /** The log end offset, or 0 (which holds pruning back) for a partition this broker no longer has. */
    private static long logEndOffset(Partition partition) {
        return partition == null ? 0 : partition.log().logEndOffset();
    }

    /**
     * Moves the log start offset of a {@code __share_group_state} partition this broker leads up to {@code offset},
     * never past its high watermark (followers follow the leader's log start offset).
     */
    private static void prune(Partition partition, long offset) {
        if (partition == null || !partition.isLeader()) {
            return;
        }
        long before = Math.min(offset, partition.highWatermark());
        if (before <= partition.log().logStartOffset()) {
            return;
        }
        try {
            partition.log().deleteRecordsBefore(before);
        } catch (ApiException e) {
            LOG.log(Level.WARNING, "Pruning {0} before offset {1} failed: {2}", partition.topicPartition(), before,
                    e.getMessage());
        }
    }

    /** The {@code __share_group_state} partition of a coordinator key {@code groupId:topicId:partition}. */
    public int partitionFor(String coordinatorKey) {
        return Utils.abs(coordinatorKey.hashCode()) % partitions;
    }

    /** The broker that coordinates the state of {@code key}: the leader of its partition, or -1 for none yet. */
    public int coordinatorFor(ShareStateKey key) {
        TopicImage topic = controller.image().topic(STATE_TOPIC);
        if (topic == null) {
            try {
                topic = ensureTopic();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Creating {0} failed: {1}", STATE_TOPIC, e.getMessage());
                return -1;
            }
            if (topic == null) {
                return -1;
            }
        }
        PartitionAssignment assignment = topic.partition(Utils.abs(key.coordinatorKey().hashCode())
                % topic.partitionCount());
        return assignment == null ? -1 : assignment.leader();
    }

    private TopicImage ensureTopic() {
        int minIsr = Math.min(config.shareStateTopicMinIsr, stateTopic.replicationFactor());
        return stateTopic.ensure(config.shareStateTopicNumPartitions,
                Map.of(LogConfig.CLEANUP_POLICY, LogConfig.CLEANUP_POLICY_DELETE,
                        LogConfig.RETENTION_MS, "-1",
                        LogConfig.SEGMENT_BYTES, String.valueOf(config.shareStateTopicSegmentBytes),
                        LogConfig.MIN_IN_SYNC_REPLICAS, String.valueOf(minIsr),
                        LogConfig.COMPRESSION_TYPE, LogConfig.COMPRESSION_PRODUCER));
    }

    /** NONE if this broker serves the state of {@code key} now, else the error a caller retries on. */
    public Errors coordinatorError(ShareStateKey key) {
        return started ? runtime.status(partitionFor(key.coordinatorKey())) : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    // ---------------------------------------------------------------------------------------------------- operations

    /** Creates or replaces the state at a higher state epoch, with {@code startOffset} and no batches. */
    public CompletableFuture<Errors> initialize(ShareStateKey key, int stateEpoch, long startOffset) {
        return run("initialize-share-group-state", key, shard -> shard.initialize(key, stateEpoch, startOffset),
                error -> error);
    }

    public CompletableFuture<ReadResult> read(ShareStateKey key, int leaderEpoch) {
        return run("read-share-group-state", key, shard -> shard.read(key, leaderEpoch),
                error -> new ReadResult(error, null, -1));
    }

    public CompletableFuture<Errors> write(ShareStateKey key, int leaderEpoch, int stateEpoch, long startOffset,
                                           List<StateBatch> batches) {
        return run("write-share-group-state", key,
                shard -> shard.write(key, leaderEpoch, stateEpoch, startOffset, batches), error -> error);
    }

    public CompletableFuture<Summary> summary(ShareStateKey key) {
        return run("read-share-group-state-summary", key,
                shard -> CompletableFuture.completedFuture(shard.summary(key)),
                error -> new Summary(error, 0, -1, -1));
    }

    public CompletableFuture<Errors> delete(ShareStateKey key) {
        return run("delete-share-group-state", key, shard -> shard.delete(key), error -> error);
    }

    private <T> CompletableFuture<T> run(String name, ShareStateKey key,
                                         java.util.function.Function<ShareCoordinatorShard, CompletableFuture<T>> op,
                                         java.util.function.Function<Errors, T> failed) {
        if (!started) {
            return CompletableFuture.completedFuture(failed.apply(Errors.COORDINATOR_LOAD_IN_PROGRESS));
        }
        return runtime.submit(name, partitionFor(key.coordinatorKey()), op)
                .exceptionally(failure -> failed.apply(errorOf(failure)));
    }

    /** The error to answer for a failed operation. */
    static Errors errorOf(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof ApiException ? Errors.forException(cause) : Errors.UNKNOWN_SERVER_ERROR;
    }

    @Override
    public void close() {
        runtime.close();
    }
}

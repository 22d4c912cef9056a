package io.strata.broker.transaction;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;
import io.strata.broker.coordinator.CoordinatorRuntime;
import io.strata.broker.coordinator.InternalTopic;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.config.LogConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadFactory;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The transaction coordinator: the entry point of InitProducerId (with a transactional id), AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn, DescribeTransactions and ListTransactions, which it hands to the shard of the
 * transactional id's {@code __transaction_state} partition (the hash of the id modulo the partition count, as Kafka
 * chooses it) on its own {@link CoordinatorRuntime}. Markers go out through a {@link TransactionMarkerSender}; when
 * all of a transaction's are written the shard completes it.
 *
 * <p>{@code __transaction_state} is created, as Kafka creates it, when a transactional producer first looks for its
 * coordinator (so that brokers without transactional producers hold none of its 50 partitions): on a standalone
 * broker with one replica unless {@code transaction.state.log.replication.factor} is set, in a cluster once enough
 * brokers are alive to hold every replica.
 *
 * <p>Every operation returns at once with a future completed on the runtime's thread once the records it wrote are
 * committed. No caller thread waits for replication.
 *
 * <p>Thread-safe.
 */
public final class TransactionCoordinator implements AutoCloseable {

    public static final String TRANSACTION_STATE_TOPIC = Topic.TRANSACTION_STATE_TOPIC_NAME;
    /** How many operations may wait for the coordinator's thread before new ones are refused. */
    private static final int OPERATIONS_WAITING_MAX = 65_536;
    /** How long a write to {@code __transaction_state} may wait for the in-sync replicas: Kafka's request.timeout.ms. */
    static final int WRITE_TIMEOUT_MS = 30_000;
    /** Partition markers in flight over all transactions of this broker. */
    private static final int MARKERS_IN_FLIGHT_MAX = 100_000;
    private static final long MARKER_RETRY_BACKOFF_MS = 100;
    private static final int MARKER_SOCKET_TIMEOUT_MS = 30_000;
    private static final System.Logger LOG = System.getLogger(TransactionCoordinator.class.getName());

    /**
     * The outcome of InitProducerId; {@code ongoingProducerId}/{@code ongoingProducerEpoch} are those of a Prepared
     * transaction kept for a {@code KeepPreparedTxn} request (version 6), else -1.
     */
    public record InitResult(Errors error, long producerId, short producerEpoch, long ongoingProducerId,
                             short ongoingProducerEpoch) {
        InitResult(Errors error, long producerId, short producerEpoch) {
            this(error, producerId, producerEpoch, -1, (short) -1);
        }

        static InitResult failed(Errors error) {
            return new InitResult(error, -1, (short) -1);
        }
    }

    /**
     * The outcome of EndTxn: the error and, for transaction protocol version 2, the producer id and epoch the producer
     * goes on with (-1 otherwise).
     */
    public record EndResult(Errors error, long producerId, short producerEpoch) {
        static EndResult failed(Errors error) {
            return new EndResult(error, -1, (short) -1);
        }
    }

    /** A transactional id as DescribeTransactions shows it. */
    public record Description(String transactionalId, Errors error, TransactionState state, int timeoutMs,
                              long startMs, long producerId, short producerEpoch, Set<TopicPartition> partitions) {
    }

    /** A transactional id as ListTransactions shows it. */
    public record Listing(String transactionalId, long producerId, TransactionState state) {
    }

    /** ListTransactions' filters; an empty set or a negative duration or null pattern filters nothing. */
    public record ListFilter(Set<TransactionState> states, Set<Long> producerIds, long durationMs, String pattern) {
    }

    private final BrokerConfig config;
    private final Controller controller;
    /** Where this coordinator keeps its state, created when first needed. */
    private final InternalTopic stateTopic;
    private final CoordinatorRuntime<TransactionCoordinatorShard> runtime;
    private final TransactionMarkerSender markers;
    private final TransactionVerifier verifier;
    private volatile int partitions;
    private volatile boolean loaded;

    /**
     * @param producerIds hands out new producer ids; called on the coordinator's thread, so it must not wait long
     * @param endpoints   the inter-broker endpoint of a live broker, or null
     */
    public TransactionCoordinator(BrokerConfig config, Controller controller, ReplicaManager replicas,
                                  LongSupplier producerIds, IntFunction<Endpoint> endpoints, ThreadFactory threads,
                                  Clock clock) {
        this.config = config;
        this.controller = controller;
        this.stateTopic = new InternalTopic(TRANSACTION_STATE_TOPIC, config, controller,
                BrokerConfig.TRANSACTION_STATE_LOG_REPLICATION_FACTOR,
                () -> config.transactionStateLogReplicationFactor,
                "transactional producers");
        this.partitions = config.transactionStateLogNumPartitions;
        this.markers = new TransactionMarkerSender(this::leaderOf, endpoints, threads, MARKER_SOCKET_TIMEOUT_MS,
                MARKER_RETRY_BACKOFF_MS, MARKERS_IN_FLIGHT_MAX);
        this.runtime = new CoordinatorRuntime<>(TRANSACTION_STATE_TOPIC, replicas, context -> {
            Partition partition = replicas.partition(new TopicPartition(TRANSACTION_STATE_TOPIC, context.partition()));
            int coordinatorEpoch = partition == null ? 0 : partition.leaderEpoch();
            TransactionCoordinatorShard[] shard = new TransactionCoordinatorShard[1];
            shard[0] = new TransactionCoordinatorShard(context, config, producerIds, job -> {
                job.onDone(() -> runtime().call("complete-transaction", context.partition(), current -> {
                    if (current == shard[0]) {
                        current.onMarkersWritten(job);
                    }
                    return null;
                }));
                return markers.send(job);
            }, transactionalId -> verifier().settled(transactionalId), coordinatorEpoch);
            return shard[0];
        }, threads, clock, WRITE_TIMEOUT_MS, OPERATIONS_WAITING_MAX);
        replicas.addLogDirectoryFailureListener((directory, allOffline) -> runtime.onLeadershipChanged());
        this.verifier = new TransactionVerifier(this, this::coordinatorFor, endpoints, config.nodeId, threads,
                MARKER_SOCKET_TIMEOUT_MS);
    }

    /** How partition leaders and the group coordinator add partitions to transactions, or check they are in one. */
    public TransactionVerifier verifier() {
        return verifier;
    }

    private CoordinatorRuntime<TransactionCoordinatorShard> runtime() {
        return runtime;
    }

    /**
     * Loads the transactions of the partitions this broker leads, and follows leadership from then on.
     *
     * @param standaloneBroker whether this broker is a cluster of one, whose {@code __transaction_state} has one
     *                         replica unless {@code transaction.state.log.replication.factor} is set
     */
    public void startup(boolean standaloneBroker) {
        stateTopic.standalone(standaloneBroker);
        TopicImage topic = controller.image().topic(TRANSACTION_STATE_TOPIC);
        partitions = topic == null ? config.transactionStateLogNumPartitions : topic.partitionCount();
        controller.addListener((previous, current) -> {
            TopicImage state = current.topic(TRANSACTION_STATE_TOPIC);
            if (state != null) {
                partitions = state.partitionCount();
            }
            runtime.onLeadershipChanged();
        });
        runtime.onLeadershipChanged();
        loaded = true;
    }

    private TopicImage ensureTopic() {
        int minIsr = Math.min(config.transactionStateLogMinIsr, stateTopic.replicationFactor());
        return stateTopic.ensure(config.transactionStateLogNumPartitions,
                Map.of(LogConfig.CLEANUP_POLICY, LogConfig.CLEANUP_POLICY_COMPACT,
                        LogConfig.SEGMENT_BYTES, String.valueOf(config.transactionStateLogSegmentBytes),
                        LogConfig.MIN_IN_SYNC_REPLICAS, String.valueOf(minIsr),
                        LogConfig.COMPRESSION_TYPE, LogConfig.COMPRESSION_PRODUCER));
    }

    public int partitionFor(String transactionalId) {
        return Utils.abs(transactionalId.hashCode()) % partitions;
    }

    /** The broker that coordinates {@code transactionalId}: the leader of its partition, or -1. */
    public int coordinatorFor(String transactionalId) {
        TopicImage topic = controller.image().topic(TRANSACTION_STATE_TOPIC);
        if (topic == null) {
            try {
                topic = ensureTopic();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Creating {0} failed: {1}", TRANSACTION_STATE_TOPIC, e.getMessage());
                return -1;
            }
            if (topic == null) {
                return -1;
            }
        }
        PartitionAssignment assignment = topic.partition(partitionFor(transactionalId));
        return assignment == null ? -1 : assignment.leader();
    }

    /** The leader of {@code partition}, for the marker sender. */
    private int leaderOf(TopicPartition partition) {
        TopicImage topic = controller.image().topic(partition.topic());
        PartitionAssignment assignment = topic == null ? null : topic.partition(partition.partition());
        if (assignment == null) {
            return TransactionMarkerSender.TOPIC_GONE;
        }
        return assignment.leader() < 0 ? TransactionMarkerSender.LEADER_UNKNOWN : assignment.leader();
    }

    /** NONE if this broker coordinates the transactional id now, else the error a client retries on. */
    public Errors coordinatorError(String transactionalId) {
        return loaded ? runtime.status(partitionFor(transactionalId)) : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    private Errors precheck(String transactionalId) {
        return transactionalId == null || transactionalId.isEmpty() ? Errors.INVALID_REQUEST
                : coordinatorError(transactionalId);
    }

    /** The error to answer for a failed operation. */
    public static Errors errorOf(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof ApiException ? Errors.forException(cause) : Errors.UNKNOWN_SERVER_ERROR;
    }

    // ---------------------------------------------------------------------------------------------------- operations

    public CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs,
                                                        long expectedProducerId, short expectedEpoch) {
        return initProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch, false);
    }

    /**
     * InitProducerId; with {@code keepPrepared} (version 6's {@code KeepPreparedTxn}) a Prepared transaction of the id
     * is kept and its producer id and epoch answered; without, a Prepared transaction makes it fail with
     * INVALID_TXN_STATE.
     */
    public CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs,
                                                        long expectedProducerId, short expectedEpoch,
                                                        boolean keepPrepared) {
        // Checked before the coordinator, as Kafka does: a bad timeout is refused by any broker.
        Errors error = transactionalId != null && !transactionalId.isEmpty()
                && (timeoutMs <= 0 || timeoutMs > config.transactionMaxTimeoutMs)
                ? Errors.INVALID_TRANSACTION_TIMEOUT : precheck(transactionalId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(InitResult.failed(error));
        }
        return runtime.submit("init-producer-id", partitionFor(transactionalId),
                        shard -> shard.initProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch,
                                keepPrepared))
                .exceptionally(failure -> InitResult.failed(errorOf(failure)));
    }

    /** AddPartitionsToTxn and AddOffsetsToTxn of a producer of transaction protocol version 1. */
    public CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch,
                                                   Collection<TopicPartition> partitionsToAdd) {
        return addPartitions(transactionalId, producerId, producerEpoch, partitionsToAdd, false);
    }

    /**
     * Adds partitions to the producer's transaction, opening it if none is open.
     *
     * @param version2 whether a partition leader (or the group coordinator) adds them for a producer of transaction
     *                 protocol version 2, which sends no AddPartitionsToTxn of its own
     */
    public CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch,
                                                   Collection<TopicPartition> partitionsToAdd, boolean version2) {
        Errors error = precheck(transactionalId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(error);
        }
        Set<TopicPartition> adding = Set.copyOf(partitionsToAdd);
        return runtime.submit("add-partitions-to-txn", partitionFor(transactionalId),
                        shard -> shard.addPartitions(transactionalId, producerId, producerEpoch, adding, version2))
                .exceptionally(TransactionCoordinator::errorOf);
    }

    /**
     * Whether each partition is in the producer's open transaction (KIP-890 part 1: a partition leader asks before
     * the first transactional batch of a producer of transaction version 1). NONE or INVALID_TXN_STATE per partition,
     * or one error for all.
     */
    public CompletableFuture<Map<TopicPartition, Errors>> verifyPartitions(
            String transactionalId, long producerId, short producerEpoch, Collection<TopicPartition> partitionsToCheck) {
        Set<TopicPartition> checking = Set.copyOf(partitionsToCheck);
        Errors error = precheck(transactionalId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(allFailed(checking, error));
        }
        return runtime.call("verify-partitions-in-txn", partitionFor(transactionalId),
                        shard -> shard.verifyPartitions(transactionalId, producerId, producerEpoch, checking))
                .exceptionally(failure -> allFailed(checking, errorOf(failure)));
    }

    private static Map<TopicPartition, Errors> allFailed(Set<TopicPartition> partitions, Errors error) {
        Map<TopicPartition, Errors> errors = new HashMap<>();
        partitions.forEach(tp -> errors.put(tp, error));
        return errors;
    }

    public CompletableFuture<Errors> endTransaction(String transactionalId, long producerId, short producerEpoch,
                                                    boolean commit) {
        return endTransaction(transactionalId, producerId, producerEpoch, commit, false)
                .thenApply(EndResult::error);
    }

    /**
     * EndTxn; with {@code version2} (EndTxn version 5) the epoch is bumped and the answer carries the producer id and
     * epoch to go on with.
     */
    public CompletableFuture<EndResult> endTransaction(String transactionalId, long producerId, short producerEpoch,
                                                       boolean commit, boolean version2) {
        Errors error = precheck(transactionalId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(EndResult.failed(error));
        }
        return runtime.submit("end-txn", partitionFor(transactionalId), shard -> version2
                        ? shard.endTransactionV2(transactionalId, producerId, producerEpoch, commit)
                        : shard.endTransaction(transactionalId, producerId, producerEpoch, commit)
                                .thenApply(EndResult::failed))
                .exceptionally(failure -> EndResult.failed(errorOf(failure)));
    }

    /**
     * EndTxn with Strata's prepare tag: the producer's Ongoing transaction becomes Prepared, stored, at the same
     * producer id and epoch (the answer's).
     */
    public CompletableFuture<EndResult> prepareTransaction(String transactionalId, long producerId,
                                                           short producerEpoch) {
        Errors error = precheck(transactionalId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(EndResult.failed(error));
        }
        return runtime.submit("prepare-txn", partitionFor(transactionalId),
                        shard -> shard.prepareTransaction(transactionalId, producerId, producerEpoch))
                .exceptionally(failure -> EndResult.failed(errorOf(failure)));
    }

    public CompletableFuture<Description> describe(String transactionalId) {
        Errors error = precheck(transactionalId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(failedDescription(transactionalId, error));
        }
        return runtime.call("describe-transactions", partitionFor(transactionalId),
                        shard -> shard.describe(transactionalId))
                .exceptionally(failure -> failedDescription(transactionalId, errorOf(failure)));
    }

    private static Description failedDescription(String transactionalId, Errors error) {
        return new Description(transactionalId, error, TransactionState.DEAD, 0, -1, -1, (short) -1, Set.of());
    }

    /**
     * The transactional ids of every partition this broker coordinates that pass {@code filter}; fails with
     * COORDINATOR_LOAD_IN_PROGRESS while a partition this broker leads is still loading, as Kafka answers, rather than
     * list part of them.
     */
    public CompletableFuture<List<Listing>> list(ListFilter filter) {
        TopicImage topic = controller.image().topic(TRANSACTION_STATE_TOPIC);
        if (topic != null) {
            for (int partition = 0; partition < topic.partitionCount(); partition++) {
                PartitionAssignment assignment = topic.partition(partition);
                if (assignment != null && assignment.leader() == config.nodeId
                        && runtime.status(partition) == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
                    return CompletableFuture.failedFuture(Errors.COORDINATOR_LOAD_IN_PROGRESS.exception());
                }
            }
        }
        Pattern pattern = filter.pattern() == null || filter.pattern().isEmpty() ? null
                : Pattern.compile(filter.pattern());
        return runtime.callAll("list-transactions", shard -> {
            long nowMs = shard.nowMs();
            Predicate<TransactionMetadata> passes = metadata ->
                    (filter.states().isEmpty() || filter.states().contains(metadata.state))
                            && (filter.producerIds().isEmpty() || filter.producerIds().contains(metadata.producerId))
                            && (filter.durationMs() < 0 || (metadata.startMs >= 0
                                    && nowMs - metadata.startMs > filter.durationMs()))
                            && (pattern == null || pattern.matcher(metadata.transactionalId).matches());
            return shard.list(passes);
        }).thenApply(perPartition -> {
            List<Listing> all = new ArrayList<>();
            perPartition.forEach(all::addAll);
            return all;
        });
    }

    /** Partition markers being sent, for tests and metrics. */
    public int markersInFlight() {
        return markers.markersInFlight();
    }

    @Override
    public void close() {
        verifier.close();
        runtime.close();
        markers.close();
    }
}

package io.strata.broker.share.coordinator;

import io.strata.broker.config.Endpoint;
import io.strata.broker.replication.BrokerChannel;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.SharePersister;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteShareGroupStateRequestData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryResponseData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteShareGroupStateRequest;
import org.apache.kafka.common.requests.DeleteShareGroupStateResponse;
import org.apache.kafka.common.requests.InitializeShareGroupStateRequest;
import org.apache.kafka.common.requests.InitializeShareGroupStateResponse;
import org.apache.kafka.common.requests.ReadShareGroupStateRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateResponse;
import org.apache.kafka.common.requests.ReadShareGroupStateSummaryRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateSummaryResponse;
import org.apache.kafka.common.requests.WriteShareGroupStateRequest;
import org.apache.kafka.common.requests.WriteShareGroupStateResponse;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * The {@link SharePersister} of a Strata broker: the state of a share partition goes to the share coordinator of its
 * {@code __share_group_state} partition, directly when this broker leads that partition, otherwise as
 * InitializeShareGroupState, ReadShareGroupState, WriteShareGroupState, DeleteShareGroupState or
 * ReadShareGroupStateSummary over the inter-broker connection to the leader.
 *
 * <p>An operation that finds no coordinator, or is answered NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or
 * COORDINATOR_LOAD_IN_PROGRESS, or whose connection fails, is routed again from fresh metadata after
 * {@code retryBackoffMs}, until {@code timeoutMs} after it was asked for; then its future is answered with the last
 * error. Every other answer (NONE, the fencing errors, INVALID_REQUEST, ...) is final.
 *
 * <p>Threads: one per destination broker sends that broker's requests one at a time (the order of the operations
 * queued for it is kept); one scheduler thread routes operations and runs their retries. The caller's thread only
 * queues. Bounds: at most {@code operationsInFlightMax} operations are in flight; one more is answered
 * COORDINATOR_NOT_AVAILABLE at once. Each destination's queue holds at most that many.
 *
 * <p>Thread-safe.
 */
public final class ShareCoordinatorPersister implements SharePersister, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ShareCoordinatorPersister.class.getName());

    private final ShareCoordinator coordinator;
    private final ToIntFunction<ShareStateKey> coordinatorOf;
    private final int localBrokerId;
    private final IntFunction<Endpoint> endpoints;
    private final ThreadFactory threads;
    private final long timeoutMs;
    private final long retryBackoffMs;
    private final int socketTimeoutMs;
    private final int operationsInFlightMax;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<Integer, Destination> destinations = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor scheduler;
    private volatile boolean running = true;

    /**
     * @param coordinator   this broker's share coordinator, for the states whose partition it leads
     * @param localBrokerId this broker's id
     * @param endpoints     the inter-broker endpoint of a live broker, or null
     * @param timeoutMs     how long an operation is retried before it is answered with its last error
     */
    public ShareCoordinatorPersister(ShareCoordinator coordinator, int localBrokerId, IntFunction<Endpoint> endpoints,
                                     ThreadFactory threads, long timeoutMs, long retryBackoffMs, int socketTimeoutMs,
                                     int operationsInFlightMax) {
        this(coordinator, coordinator::coordinatorFor, localBrokerId, endpoints, threads, timeoutMs, retryBackoffMs,
                socketTimeoutMs, operationsInFlightMax);
    }

    /**
     * A persister that finds the coordinator of a state with {@code coordinatorOf} (a broker id, or -1 for none yet):
     * outside a broker (a tool, a test) {@code coordinator} may be null, with a {@code localBrokerId} that is no
     * broker's.
     */
    public ShareCoordinatorPersister(ShareCoordinator coordinator, ToIntFunction<ShareStateKey> coordinatorOf,
                              int localBrokerId, IntFunction<Endpoint> endpoints, ThreadFactory threads,
                              long timeoutMs, long retryBackoffMs, int socketTimeoutMs, int operationsInFlightMax) {
        if (timeoutMs < 1 || retryBackoffMs < 1 || socketTimeoutMs < 1 || operationsInFlightMax < 1) {
            throw new IllegalArgumentException("timeoutMs, retryBackoffMs, socketTimeoutMs and operationsInFlightMax"
                    + " must be positive, got " + timeoutMs + ", " + retryBackoffMs + ", " + socketTimeoutMs + " and "
                    + operationsInFlightMax);
        }
        this.coordinator = coordinator;
        this.coordinatorOf = coordinatorOf;
        this.localBrokerId = localBrokerId;
        this.endpoints = endpoints;
        this.threads = threads;
        this.timeoutMs = timeoutMs;
        this.retryBackoffMs = retryBackoffMs;
        this.socketTimeoutMs = socketTimeoutMs;
        this.operationsInFlightMax = operationsInFlightMax;
        this.scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-share-persister");
            thread.setDaemon(true);
            return thread;
        });
        this.scheduler.setRemoveOnCancelPolicy(true);
    }

    // ---------------------------------------------------------------------------------------------------- the API

    @Override
    public CompletableFuture<Errors> initialize(String groupId, Uuid topicId, int partition,
                                                SharePartitionState state) {
        if (!state.stateBatches().isEmpty()) {
            // InitializeShareGroupState carries a state epoch and a start offset only.
            return CompletableFuture.completedFuture(Errors.INVALID_REQUEST);
        }
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>("initialize", key,
                local -> local.initialize(key, state.stateEpoch(), state.startOffset()),
                () -> new InitializeShareGroupStateRequest.Builder(new InitializeShareGroupStateRequestData()
                        .setGroupId(groupId).setTopics(List.of(new InitializeShareGroupStateRequestData
                                .InitializeStateData().setTopicId(topicId).setPartitions(List.of(
                                        new InitializeShareGroupStateRequestData.PartitionData()
                                                .setPartition(partition).setStateEpoch(state.stateEpoch())
                                                .setStartOffset(state.startOffset())))))).build(),
                response -> Errors.forCode(((InitializeShareGroupStateResponse) response).data().results().get(0)
                        .partitions().get(0).errorCode()),
                error -> error, error -> error));
    }

    @Override
    public CompletableFuture<ReadResult> read(String groupId, Uuid topicId, int partition, int leaderEpoch) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>("read", key,
                local -> local.read(key, leaderEpoch).thenApply(read -> new ReadResult(read.error(), read.state())),
                () -> new ReadShareGroupStateRequest.Builder(new ReadShareGroupStateRequestData().setGroupId(groupId)
                        .setTopics(List.of(new ReadShareGroupStateRequestData.ReadStateData().setTopicId(topicId)
                                .setPartitions(List.of(new ReadShareGroupStateRequestData.PartitionData()
                                        .setPartition(partition).setLeaderEpoch(leaderEpoch)))))).build(),
                response -> readResult(((ReadShareGroupStateResponse) response).data().results().get(0)
                        .partitions().get(0)),
                ReadResult::error, error -> new ReadResult(error, null)));
    }

    /** The state in a ReadShareGroupState answer; start offset -1 means never initialized. */
    private static ReadResult readResult(ReadShareGroupStateResponseData.PartitionResult answer) {
        Errors error = Errors.forCode(answer.errorCode());
        if (error != Errors.NONE || answer.startOffset() < 0) {
            return new ReadResult(error, null);
        }
        List<StateBatch> batches = new ArrayList<>();
        try {
            for (ReadShareGroupStateResponseData.StateBatch batch : answer.stateBatches()) {
                batches.add(new StateBatch(batch.firstOffset(), batch.lastOffset(),
                        RecordState.forId(batch.deliveryState()), batch.deliveryCount()));
            }
            return new ReadResult(Errors.NONE, new SharePartitionState(answer.stateEpoch(), answer.startOffset(),
                    batches));
        } catch (IllegalArgumentException e) {
            LOG.log(Level.ERROR, "A share coordinator answered a malformed state: {0}", e.getMessage());
            return new ReadResult(Errors.UNKNOWN_SERVER_ERROR, null);
        }
    }

    @Override
    public CompletableFuture<Errors> write(String groupId, Uuid topicId, int partition, int leaderEpoch,
                                           SharePartitionState state) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>("write", key,
                local -> local.write(key, leaderEpoch, state.stateEpoch(), state.startOffset(), state.stateBatches()),
                () -> {
                    List<WriteShareGroupStateRequestData.StateBatch> batches = new ArrayList<>();
                    for (StateBatch batch : state.stateBatches()) {
                        batches.add(new WriteShareGroupStateRequestData.StateBatch()
                                .setFirstOffset(batch.firstOffset()).setLastOffset(batch.lastOffset())
                                .setDeliveryState(batch.state().id).setDeliveryCount((short) batch.deliveryCount()));
                    }
                    return new WriteShareGroupStateRequest.Builder(new WriteShareGroupStateRequestData()
                            .setGroupId(groupId).setTopics(List.of(new WriteShareGroupStateRequestData.WriteStateData()
                                    .setTopicId(topicId).setPartitions(List.of(
                                            new WriteShareGroupStateRequestData.PartitionData()
                                                    .setPartition(partition).setLeaderEpoch(leaderEpoch)
                                                    .setStateEpoch(state.stateEpoch())
                                                    .setStartOffset(state.startOffset())
                                                    .setStateBatches(batches)))))).build();
                },
                response -> Errors.forCode(((WriteShareGroupStateResponse) response).data().results().get(0)
                        .partitions().get(0).errorCode()),
                error -> error, error -> error));
    }

    @Override
    public CompletableFuture<Summary> readSummary(String groupId, Uuid topicId, int partition) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>("read-summary", key,
                local -> local.summary(key).thenApply(summary -> new Summary(summary.error(), summary.stateEpoch(),
                        summary.startOffset())),
                () -> new ReadShareGroupStateSummaryRequest.Builder(new ReadShareGroupStateSummaryRequestData()
                        .setGroupId(groupId).setTopics(List.of(new ReadShareGroupStateSummaryRequestData
                                .ReadStateSummaryData().setTopicId(topicId).setPartitions(List.of(
                                        new ReadShareGroupStateSummaryRequestData.PartitionData()
                                                .setPartition(partition).setLeaderEpoch(-1)))))).build(),
                response -> {
                    ReadShareGroupStateSummaryResponseData.PartitionResult answer =
                            ((ReadShareGroupStateSummaryResponse) response).data().results().get(0).partitions()
                                    .get(0);
                    return new Summary(Errors.forCode(answer.errorCode()), answer.stateEpoch(),
                            answer.startOffset());
                },
                Summary::error, error -> new Summary(error, 0, -1)));
    }

    @Override
    public CompletableFuture<Errors> delete(String groupId, Uuid topicId, int partition) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>("delete", key, local -> local.delete(key),
                () -> new DeleteShareGroupStateRequest.Builder(new DeleteShareGroupStateRequestData()
                        .setGroupId(groupId).setTopics(List.of(new DeleteShareGroupStateRequestData.DeleteStateData()
                                .setTopicId(topicId).setPartitions(List.of(
                                        new DeleteShareGroupStateRequestData.PartitionData()
                                                .setPartition(partition)))))).build(),
                response -> Errors.forCode(((DeleteShareGroupStateResponse) response).data().results().get(0)
                        .partitions().get(0).errorCode()),
                error -> error, error -> error));
    }

    /** Operations queued, being sent or waiting to be retried; for tests and metrics. */
    public int operationsInFlight() {
        return inFlight.get();
    }

    // ---------------------------------------------------------------------------------------------------- routing

    /** One operation on one share partition's state, and how to do it here or ask another broker for it. */
    private final class Operation<T> {
        final String name;
        final ShareStateKey key;
        final Function<ShareCoordinator, CompletableFuture<T>> local;
        final java.util.function.Supplier<AbstractRequest> request;
        final Function<AbstractResponse, T> parse;
        final Function<T, Errors> errorOf;
        final Function<Errors, T> failed;
        final long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final CompletableFuture<T> result = new CompletableFuture<>();

        Operation(String name, ShareStateKey key, Function<ShareCoordinator, CompletableFuture<T>> local,
                  java.util.function.Supplier<AbstractRequest> request, Function<AbstractResponse, T> parse,
                  Function<T, Errors> errorOf, Function<Errors, T> failed) {
            this.name = name;
            this.key = key;
            this.local = local;
            this.request = request;
            this.parse = parse;
            this.errorOf = errorOf;
            this.failed = failed;
        }

        /** {@link #route}, answering UNKNOWN_SERVER_ERROR if it fails, rather than leave the caller waiting. */
        void routeOrFail() {
            try {
                route();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Routing a share-state " + name + " of " + key + " failed", e);
                complete(failed.apply(Errors.UNKNOWN_SERVER_ERROR));
            }
        }

        /** Routes the operation to its coordinator, on the scheduler's thread. */
        private void route() {
            int node;
            try {
                node = coordinatorOf.applyAsInt(key);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Finding the share coordinator of {0} failed: {1}", key, e.toString());
                node = -1;
            }
            if (node < 0) {
                retryOrFail(Errors.COORDINATOR_NOT_AVAILABLE);
            } else if (node == localBrokerId) {
                if (coordinator == null) {
                    throw new IllegalStateException("broker " + localBrokerId + " coordinates " + key
                            + ", but this persister was built without its share coordinator");
                }
                local.apply(coordinator).whenComplete((answer, failure) -> answered(failure == null ? answer
                        : failed.apply(ShareCoordinator.errorOf(failure))));
            } else {
                Destination destination = destinations.computeIfAbsent(node, Destination::new);
                if (!running || !destination.queue.offer(this)) {
                    retryOrFail(Errors.COORDINATOR_NOT_AVAILABLE);
                }
            }
        }

        /** Answers the caller, unless the answer says to ask again and there is time for it. */
        void answered(T answer) {
            Errors error = errorOf.apply(answer);
            if (error == Errors.NOT_COORDINATOR || error == Errors.COORDINATOR_NOT_AVAILABLE
                    || error == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
                retryOrFail(error);
            } else {
                complete(answer);
            }
        }

        void retryOrFail(Errors error) {
            if (!running || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(retryBackoffMs) > deadlineNanos) {
                complete(failed.apply(error));
                return;
            }
            try {
                scheduler.schedule(this::routeOrFail, retryBackoffMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                complete(failed.apply(error));
            }
        }

        void complete(T answer) {
            if (result.complete(answer)) {
                inFlight.decrementAndGet();
            }
        }
    }

    private <T> CompletableFuture<T> start(Operation<T> operation) {
        if (!running) {
            return CompletableFuture.completedFuture(operation.failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
        }
        if (inFlight.incrementAndGet() > operationsInFlightMax) {
            inFlight.decrementAndGet();
            LOG.log(Level.WARNING, "{0} share-state operations are in flight, the most allowed; refusing a {1} of {2}",
                    operationsInFlightMax, operation.name, operation.key);
            return CompletableFuture.completedFuture(operation.failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
        }
        try {
            scheduler.execute(operation::routeOrFail);
        } catch (RejectedExecutionException e) {
            operation.complete(operation.failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
        }
        return operation.result;
    }

    @Override
    public void close() {
        running = false;
        scheduler.shutdownNow();
        destinations.values().forEach(Destination::stop);
    }

    /** The queue and thread of one destination broker, and its connection. */
    private final class Destination {
        final int brokerId;
        final ArrayBlockingQueue<Operation<?>> queue = new ArrayBlockingQueue<>(operationsInFlightMax);
        final BrokerChannel channel;
        final Thread thread;
        /** Whether the last request failed: a failure is logged as a warning once, until a request succeeds. */
        boolean failing;

        Destination(int brokerId) {
            this.brokerId = brokerId;
            this.channel = new BrokerChannel("strata-share-persister", socketTimeoutMs);
            this.thread = threads.newThread(this::run);
            thread.setName("strata-share-persister-to-" + brokerId);
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            thread.interrupt();
        }

        private void run() {
            try {
                while (running) {
                    Operation<?> operation = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (operation != null) {
                        send(operation);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                channel.close();
                for (Operation<?> operation = queue.poll(); operation != null; operation = queue.poll()) {
                    failNow(operation);
                }
            }
        }

        private <T> void failNow(Operation<T> operation) {
            operation.complete(operation.failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
        }

        private <T> void send(Operation<T> operation) {
            T answer;
            try {
                Endpoint endpoint = endpoints.apply(brokerId);
                if (endpoint == null) {
                    operation.retryOrFail(Errors.COORDINATOR_NOT_AVAILABLE); // not live (yet)
                    return;
                }
                channel.target(endpoint.host(), endpoint.port());
                answer = operation.parse.apply(channel.send(operation.request.get()));
            } catch (IOException | RuntimeException e) {
                LOG.log(failing ? Level.DEBUG : Level.WARNING, "Sending a share-state {0} to broker {1} failed: {2};"
                        + " trying again every {3} ms", operation.name, brokerId, e.toString(), retryBackoffMs);
                failing = true;
                operation.retryOrFail(Errors.COORDINATOR_NOT_AVAILABLE);
                return;
            }
            if (failing) {
                failing = false;
                LOG.log(Level.INFO, "Sending share-state requests to broker {0} works again", brokerId);
            }
            operation.answered(answer);
        }
    }
}

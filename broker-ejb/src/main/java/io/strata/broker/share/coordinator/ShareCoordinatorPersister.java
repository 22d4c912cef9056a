package io.strata.broker.share.coordinator;

import io.strata.broker.config.Endpoint;
import io.strata.broker.replication.BrokerChannel;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.SharePersister;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteShareGroupStateRequestData;
import org.apache.kafka.common.message.DeleteShareGroupStateResponseData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.InitializeShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryResponseData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.message.WriteShareGroupStateResponseData;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>A state batch's pending acknowledgement travels as the Strata tag {@link PendingAcknowledgementTag} on the
 * StateBatch of WriteShareGroupState and ReadShareGroupState, as it is kept in the records.
 *
 * <p>An operation that finds no coordinator, or is answered NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or
 * COORDINATOR_LOAD_IN_PROGRESS, or whose connection fails, is routed again from fresh metadata after
 * {@code retryBackoffMs}, until {@code timeoutMs} after it was asked for; then its future is answered with the last
 * error. Every other answer (NONE, the fencing errors, INVALID_REQUEST, ...) is final.
 *
 * <p>Threads: one per destination broker sends that broker's requests one at a time, each carrying what has queued
 * meanwhile of one kind and one group (up to {@link #OPERATIONS_PER_REQUEST_MAX} share partitions), so that many
 * leaders' writes cost few round trips; operations on one share partition are sent in the order they were asked for.
 * One scheduler thread routes operations and runs their retries. The caller's thread only queues. Bounds: at most {@code operationsInFlightMax} operations are in flight; one more is answered
 * COORDINATOR_NOT_AVAILABLE at once. Each destination's queue holds at most that many.
 *
 * <p>Thread-safe.
 */
public final class ShareCoordinatorPersister implements SharePersister, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ShareCoordinatorPersister.class.getName());
    /** The most operations one request to another broker carries. */
    static final int OPERATIONS_PER_REQUEST_MAX = 100;

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
    private final java.util.concurrent.atomic.AtomicLong requestsSent = new java.util.concurrent.atomic.AtomicLong();
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
        return start(new Operation<>(Kind.INITIALIZE, key,
                local -> local.initialize(key, state.stateEpoch(), state.startOffset()),
                new InitializeShareGroupStateRequestData.InitializeStateData().setTopicId(topicId).setPartitions(
                        List.of(new InitializeShareGroupStateRequestData.PartitionData().setPartition(partition)
                                .setStateEpoch(state.stateEpoch()).setStartOffset(state.startOffset()))),
                response -> Errors.forCode(find(((InitializeShareGroupStateResponse) response).data().results(),
                        InitializeShareGroupStateResponseData.InitializeStateResult::topicId,
                        InitializeShareGroupStateResponseData.InitializeStateResult::partitions,
                        InitializeShareGroupStateResponseData.PartitionResult::partition, key).errorCode()),
                error -> error, error -> error));
    }

    @Override
    public CompletableFuture<ReadResult> read(String groupId, Uuid topicId, int partition, int leaderEpoch) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>(Kind.READ, key,
                local -> local.read(key, leaderEpoch).thenApply(read -> new ReadResult(read.error(), read.state())),
                new ReadShareGroupStateRequestData.ReadStateData().setTopicId(topicId).setPartitions(List.of(
                        new ReadShareGroupStateRequestData.PartitionData().setPartition(partition)
                                .setLeaderEpoch(leaderEpoch))),
                response -> readResult(find(((ReadShareGroupStateResponse) response).data().results(),
                        ReadShareGroupStateResponseData.ReadStateResult::topicId,
                        ReadShareGroupStateResponseData.ReadStateResult::partitions,
                        ReadShareGroupStateResponseData.PartitionResult::partition, key)),
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
                        RecordState.forId(batch.deliveryState()), batch.deliveryCount(),
                        PendingAcknowledgementTag.find(batch.unknownTaggedFields())));
            }
            return new ReadResult(Errors.NONE, new SharePartitionState(answer.stateEpoch(), answer.startOffset(),
                    batches));
        } catch (IllegalArgumentException | io.strata.broker.share.ShareStateFormatException e) {
            LOG.log(Level.ERROR, "A share coordinator answered a malformed state: {0}", e.getMessage());
            return new ReadResult(Errors.UNKNOWN_SERVER_ERROR, null);
        }
    }

    @Override
    public CompletableFuture<Errors> write(String groupId, Uuid topicId, int partition, int leaderEpoch,
                                           SharePartitionState state) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        List<WriteShareGroupStateRequestData.StateBatch> batches = new ArrayList<>();
        for (StateBatch batch : state.stateBatches()) {
            WriteShareGroupStateRequestData.StateBatch written = new WriteShareGroupStateRequestData.StateBatch()
                    .setFirstOffset(batch.firstOffset()).setLastOffset(batch.lastOffset())
                    .setDeliveryState(batch.state().id).setDeliveryCount((short) batch.deliveryCount());
            written.unknownTaggedFields().addAll(PendingAcknowledgementTag.fields(batch.pending()));
            batches.add(written);
        }
        return start(new Operation<>(Kind.WRITE, key,
                local -> local.write(key, leaderEpoch, state.stateEpoch(), state.startOffset(), state.stateBatches()),
                new WriteShareGroupStateRequestData.WriteStateData().setTopicId(topicId).setPartitions(List.of(
                        new WriteShareGroupStateRequestData.PartitionData().setPartition(partition)
                                .setLeaderEpoch(leaderEpoch).setStateEpoch(state.stateEpoch())
                                .setStartOffset(state.startOffset()).setStateBatches(batches))),
                response -> Errors.forCode(find(((WriteShareGroupStateResponse) response).data().results(),
                        WriteShareGroupStateResponseData.WriteStateResult::topicId,
                        WriteShareGroupStateResponseData.WriteStateResult::partitions,
                        WriteShareGroupStateResponseData.PartitionResult::partition, key).errorCode()),
                error -> error, error -> error));
    }

    @Override
    public CompletableFuture<Summary> readSummary(String groupId, Uuid topicId, int partition) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>(Kind.SUMMARY, key,
                local -> local.summary(key).thenApply(summary -> new Summary(summary.error(), summary.stateEpoch(),
                        summary.startOffset(), summary.deliveryCompleteCount())),
                new ReadShareGroupStateSummaryRequestData.ReadStateSummaryData().setTopicId(topicId).setPartitions(
                        List.of(new ReadShareGroupStateSummaryRequestData.PartitionData().setPartition(partition)
                                .setLeaderEpoch(-1))),
                response -> {
                    ReadShareGroupStateSummaryResponseData.PartitionResult answer = find(
                            ((ReadShareGroupStateSummaryResponse) response).data().results(),
                            ReadShareGroupStateSummaryResponseData.ReadStateSummaryResult::topicId,
                            ReadShareGroupStateSummaryResponseData.ReadStateSummaryResult::partitions,
                            ReadShareGroupStateSummaryResponseData.PartitionResult::partition, key);
                    return new Summary(Errors.forCode(answer.errorCode()), answer.stateEpoch(),
                            answer.startOffset(), answer.deliveryCompleteCount());
                },
                Summary::error, error -> new Summary(error, 0, -1)));
    }

    @Override
    public CompletableFuture<Errors> delete(String groupId, Uuid topicId, int partition) {
        ShareStateKey key = new ShareStateKey(groupId, topicId, partition);
        return start(new Operation<>(Kind.DELETE, key, local -> local.delete(key),
                new DeleteShareGroupStateRequestData.DeleteStateData().setTopicId(topicId).setPartitions(List.of(
                        new DeleteShareGroupStateRequestData.PartitionData().setPartition(partition))),
                response -> Errors.forCode(find(((DeleteShareGroupStateResponse) response).data().results(),
                        DeleteShareGroupStateResponseData.DeleteStateResult::topicId,
                        DeleteShareGroupStateResponseData.DeleteStateResult::partitions,
                        DeleteShareGroupStateResponseData.PartitionResult::partition, key).errorCode()),
                error -> error, error -> error));
    }

    /** The answer for {@code key} among a response's topics, or IllegalStateException when it has none. */
    private static <R, P> P find(List<R> results, Function<R, Uuid> topicOf, Function<R, List<P>> partitionsOf,
                                 ToIntFunction<P> partitionOf, ShareStateKey key) {
        for (R topic : results) {
            if (topicOf.apply(topic).equals(key.topicId())) {
                for (P partition : partitionsOf.apply(topic)) {
                    if (partitionOf.applyAsInt(partition) == key.partition()) {
                        return partition;
                    }
                }
            }
        }
        throw new IllegalStateException("the share coordinator did not answer for " + key);
    }

    /** The five share-state APIs, and how several operations of one group become one request of each. */
    private enum Kind {
        INITIALIZE, READ, WRITE, DELETE, SUMMARY;

        /** One request of this kind for {@code groupId} with the topic entries of several operations. */
        AbstractRequest request(String groupId, List<Object> topics) {
            return switch (this) {
                case INITIALIZE -> new InitializeShareGroupStateRequest.Builder(
                        new InitializeShareGroupStateRequestData().setGroupId(groupId).setTopics(cast(topics)))
                        .build();
                case READ -> new ReadShareGroupStateRequest.Builder(new ReadShareGroupStateRequestData()
                        .setGroupId(groupId).setTopics(cast(topics))).build();
                case WRITE -> new WriteShareGroupStateRequest.Builder(new WriteShareGroupStateRequestData()
                        .setGroupId(groupId).setTopics(cast(topics))).build();
                case DELETE -> new DeleteShareGroupStateRequest.Builder(new DeleteShareGroupStateRequestData()
                        .setGroupId(groupId).setTopics(cast(topics))).build();
                case SUMMARY -> new ReadShareGroupStateSummaryRequest.Builder(
                        new ReadShareGroupStateSummaryRequestData().setGroupId(groupId).setTopics(cast(topics)))
                        .build();
            };
        }

        @SuppressWarnings("unchecked")
        private static <E> List<E> cast(List<Object> topics) {
            List<E> typed = new ArrayList<>(topics.size());
            topics.forEach(topic -> typed.add((E) topic));
            return typed;
        }
    }

    /** Requests sent to other brokers so far (several operations may share one); for tests and metrics. */
    public long requestsSent() {
        return requestsSent.get();
    }

    /** Operations queued, being sent or waiting to be retried; for tests and metrics. */
    public int operationsInFlight() {
        return inFlight.get();
    }

    // ---------------------------------------------------------------------------------------------------- routing

    /**
     * One operation on one share partition's state, and how to do it here or ask another broker for it: its entry in
     * the topics of a request of its kind, and how to find its answer in the response.
     */
    private final class Operation<T> {
        final Kind kind;
        final String name;
        final ShareStateKey key;
        final Function<ShareCoordinator, CompletableFuture<T>> local;
        final Object topicEntry;
        final Function<AbstractResponse, T> parse;
        final Function<T, Errors> errorOf;
        final Function<Errors, T> failed;
        final long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final CompletableFuture<T> result = new CompletableFuture<>();
        private final AtomicBoolean completed = new AtomicBoolean();

        Operation(Kind kind, ShareStateKey key, Function<ShareCoordinator, CompletableFuture<T>> local,
                  Object topicEntry, Function<AbstractResponse, T> parse, Function<T, Errors> errorOf,
                  Function<Errors, T> failed) {
            this.kind = kind;
            this.name = kind.name().toLowerCase(java.util.Locale.ROOT);
            this.key = key;
            this.local = local;
            this.topicEntry = topicEntry;
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
            // The operation leaves the in-flight count before its caller can see the answer, so a caller that
            // counts operations after an answer never counts its own; once only, whoever else completes the future.
            if (completed.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
                result.complete(answer);
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
        /** Operations taken from the queue and held for a later request; only this destination's thread uses it. */
        final java.util.ArrayDeque<Operation<?>> held = new java.util.ArrayDeque<>();
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
                    Operation<?> first = held.isEmpty() ? queue.poll(100, TimeUnit.MILLISECONDS) : held.poll();
                    if (first == null) {
                        continue;
                    }
                    try {
                        send(batchWith(first));
                    } catch (RuntimeException e) {
                        // A bug: say so loudly, and keep the thread, or nothing would reach this broker again.
                        LOG.log(Level.ERROR, "Sending share-state requests to broker " + brokerId + " failed", e);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                channel.close();
                held.forEach(this::failNow);
                held.clear();
                for (Operation<?> operation = queue.poll(); operation != null; operation = queue.poll()) {
                    failNow(operation);
                }
            }
        }

        /**
         * {@code first} and the operations waiting behind it of the same kind and group, each on another share
         * partition, up to {@link #OPERATIONS_PER_REQUEST_MAX}: what one request carries. The others are held for the
         * next request, in their order; once one operation on a share partition is held, every later one on it is
         * too, so that the operations on one share partition are sent in the order they were asked for.
         */
        private List<Operation<?>> batchWith(Operation<?> first) {
            List<Operation<?>> candidates = new ArrayList<>(held);
            held.clear();
            queue.drainTo(candidates, OPERATIONS_PER_REQUEST_MAX);
            List<Operation<?>> batch = new ArrayList<>();
            batch.add(first);
            Set<ShareStateKey> inBatch = new HashSet<>();
            inBatch.add(first.key);
            Set<ShareStateKey> heldKeys = new HashSet<>();
            for (Operation<?> candidate : candidates) {
                if (batch.size() < OPERATIONS_PER_REQUEST_MAX && candidate.kind == first.kind
                        && candidate.key.groupId().equals(first.key.groupId()) && !heldKeys.contains(candidate.key)
                        && inBatch.add(candidate.key)) {
                    batch.add(candidate);
                } else {
                    heldKeys.add(candidate.key);
                    held.add(candidate);
                }
            }
            return batch;
        }

        private <T> void failNow(Operation<T> operation) {
            operation.complete(operation.failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
        }

        private void send(List<Operation<?>> batch) {
            Operation<?> first = batch.get(0);
            AbstractResponse response;
            try {
                Endpoint endpoint = endpoints.apply(brokerId);
                if (endpoint == null) {
                    batch.forEach(operation -> operation.retryOrFail(Errors.COORDINATOR_NOT_AVAILABLE)); // not live
                    return;
                }
                List<Object> topics = new ArrayList<>(batch.size());
                batch.forEach(operation -> topics.add(operation.topicEntry));
                channel.target(endpoint.host(), endpoint.port());
                response = channel.send(first.kind.request(first.key.groupId(), topics));
                requestsSent.incrementAndGet();
            } catch (IOException | RuntimeException e) {
                LOG.log(failing ? Level.DEBUG : Level.WARNING, "Sending a share-state {0} to broker {1} failed: {2};"
                        + " trying again every {3} ms", first.name, brokerId, e.toString(), retryBackoffMs);
                failing = true;
                batch.forEach(operation -> operation.retryOrFail(Errors.COORDINATOR_NOT_AVAILABLE));
                return;
            }
            if (failing) {
                failing = false;
                LOG.log(Level.INFO, "Sending share-state requests to broker {0} works again", brokerId);
            }
            batch.forEach(operation -> answer(operation, response));
        }

        private <T> void answer(Operation<T> operation, AbstractResponse response) {
            T answer;
            try {
                answer = operation.parse.apply(response);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Broker {0} answered a share-state {1} of {2} without it: {3}", brokerId,
                        operation.name, operation.key, e.getMessage());
                operation.retryOrFail(Errors.COORDINATOR_NOT_AVAILABLE);
                return;
            }
            operation.answered(answer);
        }
    }
}

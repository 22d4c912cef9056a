package io.strata.broker.transaction;

import io.strata.broker.config.Endpoint;
import io.strata.broker.replication.BrokerChannel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * A partition leader's questions to the transaction coordinator before it takes the first transactional batch of a
 * producer in a partition (KIP-890): for a producer of transaction protocol version 2, which sends no
 * AddPartitionsToTxn, "add this partition to the transaction"; for one of version 1, "is this partition in the
 * transaction?" (AddPartitionsToTxn's {@code verifyOnly}). The group coordinator asks the same for the offsets
 * partition of a TxnOffsetCommit.
 *
 * <p>When this broker coordinates the transactional id the coordinator is called in process; otherwise an
 * AddPartitionsToTxn of the brokers' batched form (version 4 and later) goes to the coordinator's broker over the
 * inter-broker connection, on one of {@value #SENDER_THREADS} sender threads, each with its own connection per
 * destination. CONCURRENT_TRANSACTIONS (the previous transaction's markers are still being written, or another state
 * change of the id is being stored) and COORDINATOR_LOAD_IN_PROGRESS are asked again for up to {@value #RETRY_MAX_MS}
 * ms before the error is handed back: a question to this broker's coordinator as soon as that coordinator has stored
 * a state change of the transactional id ({@link #settled}, which the coordinator calls), else after
 * {@value #SETTLED_FALLBACK_MS} ms; a question to another broker every {@value #RETRY_BACKOFF_MS} ms, as Kafka's
 * leaders retry them. Waking on the event matters because a transactional producer's next transaction begins as soon
 * as its EndTxn is answered, before the markers are written: its first Produce, and a transactional consumer's first
 * acknowledgement, meet CONCURRENT_TRANSACTIONS nearly every time, and a fixed poll made each wait up to a whole
 * interval after the markers were already written.
 *
 * <p>Bounds: at most {@value #QUEUED_MAX} questions wait for a sender thread; past that, and once closed, a question
 * is answered COORDINATOR_NOT_AVAILABLE at once. Futures complete on the verifier's own threads, never on the
 * coordinator's, so that the caller may append to a log in its callback.
 *
 * <p>Thread-safe.
 */
public final class TransactionVerifier implements AutoCloseable {

    static final int SENDER_THREADS = 4;
    static final int QUEUED_MAX = 10_000;
    static final long RETRY_BACKOFF_MS = 20;
    /** How long a question to this broker's coordinator waits for {@link #settled} before it is asked again anyway. */
    static final long SETTLED_FALLBACK_MS = 100;
    static final long RETRY_MAX_MS = 1_000;
    private static final short REQUEST_VERSION = 4;
    private static final System.Logger LOG = System.getLogger(TransactionVerifier.class.getName());

    /** What the coordinator is asked about one producer's partitions. */
    record Question(String transactionalId, long producerId, short producerEpoch, Set<TopicPartition> partitions,
                    boolean add) {
    }

    /** This broker's transaction coordinator, as the verifier asks it: an error per partition. */
    @FunctionalInterface
    interface LocalCoordinator {
        CompletableFuture<Map<TopicPartition, Errors>> ask(Question question);
    }

    /**
     * A question being asked until it has its answer or its time is up. Between rounds it waits for the coordinator
     * to settle its transactional id; a settle that comes while a round is out is remembered, so that the round's
     * CONCURRENT_TRANSACTIONS is asked again at once rather than waiting for a settle that already happened.
     */
    private final class Asking {
        final Question question;
        final long deadlineNanos;
        final CompletableFuture<Map<TopicPartition, Errors>> result;
        /** Guarded by this: the coordinator settled the id since this round went out. */
        private boolean settled;
        /** Guarded by this: the fallback of a round that is waiting to be asked again, or null. */
        private ScheduledFuture<?> fallback;

        Asking(Question question, long deadlineNanos, CompletableFuture<Map<TopicPartition, Errors>> result) {
            this.question = question;
            this.deadlineNanos = deadlineNanos;
            this.result = result;
        }

        synchronized void roundStarts() {
            settled = false;
        }

        /** The round was answered CONCURRENT_TRANSACTIONS: asks again now if settled meanwhile, else waits. */
        void awaitSettled() {
            synchronized (this) {
                if (!settled) {
                    try {
                        fallback = retries.schedule(this::wake, settledFallbackMs, TimeUnit.MILLISECONDS);
                        return;
                    } catch (RejectedExecutionException e) {
                        LOG.log(Level.DEBUG, "Not asking again about {0}: closed", question);
                        // and asked once more below, which answers COORDINATOR_NOT_AVAILABLE as the verifier is closed
                    }
                }
            }
            ask(this);
        }

        /** The coordinator settled the id, or the fallback ran out: a waiting question is asked again. */
        void wake() {
            synchronized (this) {
                settled = true;
                if (fallback == null) {
                    return;
                }
                fallback.cancel(false);
                fallback = null;
            }
            runOnSender(() -> ask(this));
        }
    }

    private final LocalCoordinator coordinator;
    private final long settledFallbackMs;
    private final ToIntFunction<String> coordinatorOf;
    private final IntFunction<Endpoint> endpoints;
    private final int localBrokerId;
    private final int socketTimeoutMs;
    private final ThreadPoolExecutor senders;
    private final ScheduledExecutorService retries;
    /** The connections of each sender thread, by destination broker; closed with the verifier. */
    private final Map<Thread, Map<Integer, BrokerChannel>> channels = new ConcurrentHashMap<>();
    /** Questions to this broker's coordinator in flight, by transactional id; each set changed only in compute. */
    private final ConcurrentHashMap<String, Set<Asking>> asking = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    /**
     * @param coordinatorOf the broker coordinating a transactional id, or -1
     * @param endpoints     the inter-broker endpoint of a live broker, or null
     */
    TransactionVerifier(TransactionCoordinator coordinator, ToIntFunction<String> coordinatorOf,
                        IntFunction<Endpoint> endpoints, int localBrokerId, ThreadFactory threads,
                        int socketTimeoutMs) {
        this(question -> askLocally(coordinator, question), coordinatorOf, endpoints, localBrokerId, threads,
                socketTimeoutMs, SETTLED_FALLBACK_MS);
    }

    /** @param settledFallbackMs how long a question to {@code coordinator} waits for {@link #settled} at most */
    TransactionVerifier(LocalCoordinator coordinator, ToIntFunction<String> coordinatorOf,
                        IntFunction<Endpoint> endpoints, int localBrokerId, ThreadFactory threads,
                        int socketTimeoutMs, long settledFallbackMs) {
        this.coordinator = coordinator;
        this.settledFallbackMs = settledFallbackMs;
        this.coordinatorOf = coordinatorOf;
        this.endpoints = endpoints;
        this.localBrokerId = localBrokerId;
        this.socketTimeoutMs = socketTimeoutMs;
        this.senders = new ThreadPoolExecutor(SENDER_THREADS, SENDER_THREADS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUED_MAX), runnable -> {
                    Thread thread = threads.newThread(runnable);
                    thread.setName("strata-txn-verifier");
                    thread.setDaemon(true);
                    return thread;
                });
        this.retries = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-txn-verifier-retry");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Adds {@code partitions} to the producer's transaction ({@code add}, transaction version 2) or checks that they
     * are in it. Completes with an error per partition: NONE, or INVALID_TXN_STATE for a partition not in the
     * transaction, or the coordinator's error (PRODUCER_FENCED, INVALID_PRODUCER_ID_MAPPING, CONCURRENT_TRANSACTIONS,
     * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, ...).
     */
    public CompletableFuture<Map<TopicPartition, Errors>> verify(String transactionalId, long producerId,
                                                                 short producerEpoch, Set<TopicPartition> partitions,
                                                                 boolean add) {
        CompletableFuture<Map<TopicPartition, Errors>> result = new CompletableFuture<>();
        ask(new Asking(new Question(transactionalId, producerId, producerEpoch, Set.copyOf(partitions), add),
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MAX_MS), result));
        return result;
    }

    /**
     * This broker's coordinator stored a state change of {@code transactionalId} (or failed to): the questions about
     * it that were answered CONCURRENT_TRANSACTIONS are asked again now. Cheap; called on the coordinator's thread.
     */
    void settled(String transactionalId) {
        Set<Asking> waiting = asking.remove(transactionalId);
        if (waiting != null) {
            waiting.forEach(Asking::wake);
        }
    }

    private void ask(Asking attempt) {
        Question question = attempt.question;
        if (!running) {
            done(attempt, all(question.partitions(), Errors.COORDINATOR_NOT_AVAILABLE));
            return;
        }
        int broker = coordinatorOf.applyAsInt(question.transactionalId());
        boolean local = broker == localBrokerId;
        CompletableFuture<Map<TopicPartition, Errors>> answer;
        if (broker < 0) {
            answer = CompletableFuture.completedFuture(all(question.partitions(), Errors.COORDINATOR_NOT_AVAILABLE));
        } else if (local) {
            attempt.roundStarts();
            asking.compute(question.transactionalId(), (id, set) -> {
                Set<Asking> watched = set == null ? new HashSet<>() : set;
                watched.add(attempt);
                return watched;
            });
            answer = coordinator.ask(question);
        } else {
            answer = askRemotely(question, broker);
        }
        answer.whenCompleteAsync((errors, failure) -> {
            Map<TopicPartition, Errors> answered = failure != null
                    ? all(question.partitions(), TransactionCoordinator.errorOf(failure)) : errors;
            if (shouldRetry(answered) && System.nanoTime() < attempt.deadlineNanos && running) {
                if (local && answered.containsValue(Errors.CONCURRENT_TRANSACTIONS)) {
                    attempt.awaitSettled();
                    return;
                }
                try {
                    retries.schedule(() -> ask(attempt), RETRY_BACKOFF_MS, TimeUnit.MILLISECONDS);
                    return;
                } catch (RejectedExecutionException e) {
                    LOG.log(Level.DEBUG, "Not asking again about {0}: closed", question);
                }
            }
            done(attempt, answered);
        }, this::runOnSender);
    }

    private void done(Asking attempt, Map<TopicPartition, Errors> answered) {
        asking.computeIfPresent(attempt.question.transactionalId(), (id, set) -> {
            set.remove(attempt);
            return set.isEmpty() ? null : set;
        });
        attempt.result.complete(answered);
    }

    private static boolean shouldRetry(Map<TopicPartition, Errors> errors) {
        return errors.values().stream().anyMatch(error -> error == Errors.CONCURRENT_TRANSACTIONS
                || error == Errors.COORDINATOR_LOAD_IN_PROGRESS);
    }

    /** Runs {@code task} on a sender thread, or here if none can take it (it only completes a future). */
    private void runOnSender(Runnable task) {
        try {
            senders.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    private static CompletableFuture<Map<TopicPartition, Errors>> askLocally(TransactionCoordinator coordinator,
                                                                             Question question) {
        if (!question.add()) {
            return coordinator.verifyPartitions(question.transactionalId(), question.producerId(),
                    question.producerEpoch(), question.partitions());
        }
        return coordinator.addPartitions(question.transactionalId(), question.producerId(), question.producerEpoch(),
                question.partitions(), true).thenApply(error -> all(question.partitions(), error));
    }

    private CompletableFuture<Map<TopicPartition, Errors>> askRemotely(Question question, int broker) {
        CompletableFuture<Map<TopicPartition, Errors>> answer = new CompletableFuture<>();
        try {
            senders.execute(() -> answer.complete(send(question, broker)));
        } catch (RejectedExecutionException e) {
            LOG.log(Level.WARNING, "{0} questions to transaction coordinators wait already; answering {1}"
                    + " COORDINATOR_NOT_AVAILABLE", QUEUED_MAX, question);
            answer.complete(all(question.partitions(), Errors.COORDINATOR_NOT_AVAILABLE));
        }
        return answer;
    }

    /** Sends one AddPartitionsToTxn to {@code broker} and waits for its answer; on a sender thread. */
    private Map<TopicPartition, Errors> send(Question question, int broker) {
        Endpoint endpoint;
        try {
            endpoint = endpoints.apply(broker);
        } catch (RuntimeException e) {
            endpoint = null;
        }
        if (endpoint == null) {
            return all(question.partitions(), Errors.COORDINATOR_NOT_AVAILABLE);
        }
        BrokerChannel channel = channels.computeIfAbsent(Thread.currentThread(), thread -> new ConcurrentHashMap<>())
                .computeIfAbsent(broker, id -> new BrokerChannel("strata-txn-verifier", socketTimeoutMs));
        try {
            channel.target(endpoint.host(), endpoint.port());
            AddPartitionsToTxnResponse response = (AddPartitionsToTxnResponse) channel.send(
                    AddPartitionsToTxnRequest.Builder.forBroker(request(question)).build(REQUEST_VERSION));
            return errorsOf(question, response);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "Asking broker {0} about {1} failed: {2}", broker, question, e.toString());
            return all(question.partitions(), Errors.NETWORK_EXCEPTION);
        }
    }

    private static AddPartitionsToTxnTransactionCollection request(Question question) {
        Map<String, AddPartitionsToTxnTopic> topics = new LinkedHashMap<>();
        for (TopicPartition tp : question.partitions()) {
            topics.computeIfAbsent(tp.topic(), name -> new AddPartitionsToTxnTopic().setName(name))
                    .partitions().add(tp.partition());
        }
        AddPartitionsToTxnTopicCollection topicCollection = new AddPartitionsToTxnTopicCollection();
        topics.values().forEach(topicCollection::add);
        AddPartitionsToTxnTransactionCollection transactions = new AddPartitionsToTxnTransactionCollection();
        transactions.add(new AddPartitionsToTxnTransaction().setTransactionalId(question.transactionalId())
                .setProducerId(question.producerId()).setProducerEpoch(question.producerEpoch())
                .setVerifyOnly(!question.add()).setTopics(topicCollection));
        return transactions;
    }

    private static Map<TopicPartition, Errors> errorsOf(Question question, AddPartitionsToTxnResponse response) {
        Errors top = Errors.forCode(response.data().errorCode());
        if (top != Errors.NONE) {
            return all(question.partitions(), top);
        }
        AddPartitionsToTxnResult result = response.data().resultsByTransaction().find(question.transactionalId());
        if (result == null) {
            return all(question.partitions(), Errors.UNKNOWN_SERVER_ERROR);
        }
        Map<TopicPartition, Errors> errors = new HashMap<>(all(question.partitions(), Errors.UNKNOWN_SERVER_ERROR));
        AddPartitionsToTxnResponse.errorsForTransaction(result.topicResults()).forEach((tp, error) -> {
            if (errors.containsKey(tp)) {
                errors.put(tp, error);
            }
        });
        return errors;
    }

    private static Map<TopicPartition, Errors> all(Set<TopicPartition> partitions, Errors error) {
        Map<TopicPartition, Errors> errors = new HashMap<>();
        partitions.forEach(tp -> errors.put(tp, error));
        return errors;
    }

    @Override
    public void close() {
        running = false;
        retries.shutdownNow();
        senders.shutdownNow();
        channels.values().forEach(byBroker -> byBroker.values().forEach(BrokerChannel::close));
        // Questions waiting for a settle that will not come now are answered (COORDINATOR_NOT_AVAILABLE, as closed).
        List.copyOf(asking.keySet()).forEach(this::settled);
    }

    @Override
    public String toString() {
        return "transaction verifier of broker " + localBrokerId + " (" + senders.getQueue().size() + " queued)";
    }
}

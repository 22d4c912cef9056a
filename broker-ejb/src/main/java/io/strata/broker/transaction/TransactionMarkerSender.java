package io.strata.broker.transaction;

import io.strata.broker.config.Endpoint;
import io.strata.broker.replication.BrokerChannel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * Writes transaction markers to the leaders of the transactions' partitions, as Kafka's
 * {@code TransactionMarkerChannelManager}: each partition's marker is queued for its leader's broker; one thread per
 * destination broker takes what is queued (up to {@link #MARKERS_PER_REQUEST_MAX}), sends it as one
 * WriteTxnMarkersRequest over the inter-broker connection and reads the error of each partition. A marker whose
 * leader moved, is not known yet or could not be reached (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION,
 * NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, a broken connection) is routed again after
 * {@code retryBackoffMs} from fresh metadata; one for a deleted topic is dropped, as is one a leader does not take
 * (UNSUPPORTED_VERSION, UNSUPPORTED_FOR_MESSAGE_FORMAT: it can hold no transactional data); TRANSACTION_COORDINATOR_FENCED
 * or INVALID_PRODUCER_EPOCH cancel the whole job, since a newer coordinator or producer epoch has taken over.
 *
 * <p>Bounds: at most {@code markersInFlightMax} partition markers are in flight over all jobs; a job that would pass
 * it is refused ({@link #send} returns false) and the coordinator offers it again later. Every queue holds at most
 * that many. The coordinator's and the request threads never block here.
 *
 * <p>Thread-safe.
 */
public final class TransactionMarkerSender implements AutoCloseable {

    /** The leader of a partition, or {@link #LEADER_UNKNOWN}, or {@link #TOPIC_GONE} if the partition does not exist. */
    public static final int LEADER_UNKNOWN = -1;
    public static final int TOPIC_GONE = -2;
    static final int MARKERS_PER_REQUEST_MAX = 1000;
    private static final short REQUEST_VERSION = 1;
    private static final System.Logger LOG = System.getLogger(TransactionMarkerSender.class.getName());

    /** One partition's marker of one job. */
    private record Entry(TransactionMarkerJob job, TopicPartition partition) {
    }

    private final ToIntFunction<TopicPartition> leaders;
    private final IntFunction<Endpoint> endpoints;
    private final ThreadFactory threads;
    private final int socketTimeoutMs;
    private final long retryBackoffMs;
    private final int markersInFlightMax;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<Integer, Destination> destinations = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor retries;
    private volatile boolean running = true;

    /**
     * @param leaders   the leader of a partition from the current metadata
     * @param endpoints the inter-broker endpoint of a live broker, or null
     */
    public TransactionMarkerSender(ToIntFunction<TopicPartition> leaders, IntFunction<Endpoint> endpoints,
                                   ThreadFactory threads, int socketTimeoutMs, long retryBackoffMs,
                                   int markersInFlightMax) {
        if (markersInFlightMax < 1 || retryBackoffMs < 1) {
            throw new IllegalArgumentException("markersInFlightMax and retryBackoffMs must be positive, got "
                    + markersInFlightMax + " and " + retryBackoffMs);
        }
        this.leaders = leaders;
        this.endpoints = endpoints;
        this.threads = threads;
        this.socketTimeoutMs = socketTimeoutMs;
        this.retryBackoffMs = retryBackoffMs;
        this.markersInFlightMax = markersInFlightMax;
        this.retries = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-txn-marker-retry");
            thread.setDaemon(true);
            return thread;
        });
        this.retries.setRemoveOnCancelPolicy(true);
    }

    /**
     * Starts writing {@code job}'s markers; false if that would pass the bound on markers in flight (or the sender is
     * closed), in which case nothing was taken.
     */
    public boolean send(TransactionMarkerJob job) {
        int count = job.partitions.size();
        if (!running) {
            return false;
        }
        if (inFlight.addAndGet(count) > markersInFlightMax) {
            inFlight.addAndGet(-count);
            LOG.log(Level.WARNING, "{0} markers are in flight, the most allowed; {1} waits", markersInFlightMax, job);
            return false;
        }
        job.startIfEmpty();
        for (TopicPartition partition : job.partitions) {
            route(new Entry(job, partition));
        }
        return true;
    }

    /** Markers queued or being sent, for tests and metrics. */
    public int markersInFlight() {
        return inFlight.get();
    }

    private void route(Entry entry) {
        if (!entry.job.isPending(entry.partition)) {
            release(entry);
            return;
        }
        int leader = leaders.applyAsInt(entry.partition);
        if (leader == TOPIC_GONE) {
            LOG.log(Level.INFO, "Dropping the marker of {0} for {1}: the partition no longer exists", entry.job,
                    entry.partition);
            finish(entry);
            return;
        }
        Endpoint endpoint = leader < 0 ? null : endpointOf(leader);
        if (endpoint == null) {
            retryLater(entry);
            return;
        }
        Destination destination = destinations.computeIfAbsent(leader, Destination::new);
        if (!destination.queue.offer(entry)) {
            retryLater(entry); // cannot happen while in-flight markers are bounded by the queue's capacity
        }
    }

    /**
     * The broker's inter-broker endpoint, or null while it cannot be known: not live, or (this broker, starting) not
     * listening yet, when the membership throws rather than answer.
     */
    private Endpoint endpointOf(int brokerId) {
        try {
            return endpoints.apply(brokerId);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "No endpoint of broker {0} yet: {1}", brokerId, e.toString());
            return null;
        }
    }

    private void retryLater(Entry entry) {
        if (!running) {
            release(entry);
            return;
        }
        try {
            retries.schedule(() -> route(entry), retryBackoffMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            release(entry);
        }
    }

    private void finish(Entry entry) {
        inFlight.decrementAndGet();
        entry.job.done(entry.partition);
    }

    private void release(Entry entry) {
        inFlight.decrementAndGet();
    }

    @Override
    public void close() {
        running = false;
        retries.shutdownNow();
        destinations.values().forEach(Destination::stop);
    }

    /** The queue and thread of one destination broker, and its connection. */
    private final class Destination {
        final int brokerId;
        final ArrayBlockingQueue<Entry> queue = new ArrayBlockingQueue<>(markersInFlightMax);
        final BrokerChannel channel;
        final Thread thread;
        /** Whether the last request failed: a failure is logged as a warning once, until a request succeeds. */
        boolean failing;

        Destination(int brokerId) {
            this.brokerId = brokerId;
            this.channel = new BrokerChannel("strata-txn-markers", socketTimeoutMs);
            this.thread = threads.newThread(this::run);
            thread.setName("strata-txn-markers-to-" + brokerId);
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            thread.interrupt();
        }

        private void run() {
            try {
                while (running) {
                    Entry first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    List<Entry> batch = new ArrayList<>();
                    batch.add(first);
                    queue.drainTo(batch, MARKERS_PER_REQUEST_MAX - 1);
                    try {
                        sendBatch(batch);
                    } catch (RuntimeException e) {
                        // A bug: say so loudly, and keep the thread, or no marker would reach this broker again.
                        LOG.log(Level.ERROR, "Sending transaction markers to broker " + brokerId + " failed", e);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                channel.close();
                for (Entry entry = queue.poll(); entry != null; entry = queue.poll()) {
                    release(entry);
                }
            }
        }

        private void sendBatch(List<Entry> batch) {
            // One marker per producer id per request, since the response is keyed by producer id.
            Map<Long, TransactionMarkerJob> jobs = new LinkedHashMap<>();
            Map<Long, List<Entry>> byProducer = new LinkedHashMap<>();
            for (Entry entry : batch) {
                if (!entry.job.isPending(entry.partition)) {
                    release(entry);
                    continue;
                }
                TransactionMarkerJob known = jobs.putIfAbsent(entry.job.producerId, entry.job);
                if (known != null && known != entry.job) {
                    retryLater(entry);
                    continue;
                }
                byProducer.computeIfAbsent(entry.job.producerId, id -> new ArrayList<>()).add(entry);
            }
            if (byProducer.isEmpty()) {
                return;
            }
            Endpoint endpoint = endpointOf(brokerId);
            if (endpoint == null) {
                byProducer.values().forEach(entries -> entries.forEach(TransactionMarkerSender.this::retryLater));
                return;
            }
            AbstractResponse response;
            try {
                channel.target(endpoint.host(), endpoint.port());
                response = channel.send(new WriteTxnMarkersRequest.Builder(request(jobs, byProducer))
                        .build(REQUEST_VERSION));
            } catch (IOException | RuntimeException e) {
                LOG.log(failing ? Level.DEBUG : Level.WARNING, "Sending transaction markers to broker {0} failed: {1};"
                        + " trying again every {2} ms", brokerId, e.toString(), retryBackoffMs);
                failing = true;
                byProducer.values().forEach(entries -> entries.forEach(TransactionMarkerSender.this::retryLater));
                return;
            }
            if (failing) {
                failing = false;
                LOG.log(Level.INFO, "Sending transaction markers to broker {0} works again", brokerId);
            }
            Map<Long, Map<TopicPartition, Errors>> errors = ((WriteTxnMarkersResponse) response).errorsByProducerId();
            for (Map.Entry<Long, List<Entry>> producer : byProducer.entrySet()) {
                Map<TopicPartition, Errors> perPartition = errors.getOrDefault(producer.getKey(), Map.of());
                for (Entry entry : producer.getValue()) {
                    handle(entry, perPartition.get(entry.partition));
                }
            }
        }

        private WriteTxnMarkersRequestData request(Map<Long, TransactionMarkerJob> jobs,
                                                   Map<Long, List<Entry>> byProducer) {
            WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData();
            for (Map.Entry<Long, List<Entry>> producer : byProducer.entrySet()) {
                TransactionMarkerJob job = jobs.get(producer.getKey());
                Map<String, WritableTxnMarkerTopic> topics = new LinkedHashMap<>();
                for (Entry entry : producer.getValue()) {
                    topics.computeIfAbsent(entry.partition.topic(), name -> new WritableTxnMarkerTopic().setName(name))
                            .partitionIndexes().add(entry.partition.partition());
                }
                data.markers().add(new WritableTxnMarker().setProducerId(job.producerId)
                        .setProducerEpoch(job.producerEpoch).setTransactionResult(job.commit)
                        .setCoordinatorEpoch(job.coordinatorEpoch).setTopics(new ArrayList<>(topics.values())));
            }
            return data;
        }

        private void handle(Entry entry, Errors error) {
            if (error == null) {
                retryLater(entry); // the leader did not answer for it
                return;
            }
            switch (error) {
                case NONE -> finish(entry);
                case UNSUPPORTED_VERSION, UNSUPPORTED_FOR_MESSAGE_FORMAT -> {
                    LOG.log(Level.WARNING, "Broker {0} does not take the {1} for {2} ({3}); it can hold no"
                            + " transactional data there, so none is needed", brokerId, entry.job, entry.partition,
                            error);
                    finish(entry);
                }
                case TRANSACTION_COORDINATOR_FENCED, INVALID_PRODUCER_EPOCH -> {
                    LOG.log(Level.WARNING, "Broker {0} refused the {1} for {2} with {3}: a newer coordinator"
                            + " or producer epoch has taken over; no more markers are sent for it", brokerId,
                            entry.job, entry.partition, error);
                    entry.job.cancel();
                    release(entry);
                }
                case UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS,
                     NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, COORDINATOR_NOT_AVAILABLE,
                     COORDINATOR_LOAD_IN_PROGRESS, NETWORK_EXCEPTION -> retryLater(entry);
                default -> {
                    LOG.log(Level.ERROR, "Broker {0} answered the {1} for {2} with {3}, which a marker should"
                            + " never get; trying again", brokerId, entry.job, entry.partition, error);
                    retryLater(entry);
                }
            }
        }
    }
}

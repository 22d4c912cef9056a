package io.strata.broker.coordinator;

import io.strata.broker.partition.AppendResult;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.log.LogReadResult;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Hosts the state machines ({@link CoordinatorShard}s) of one internal topic, one per partition this broker leads:
 * Kafka's coordinator runtime, on which the group coordinator stands, and later the transaction and share-group
 * state coordinators.
 *
 * <p>One thread, the runtime's own, runs every operation, timer and write completion of every shard, in the order they
 * were submitted, so shards are plain single-threaded code. Request threads only submit and return: an operation's
 * result is a future, and a shard answers through the completions of its writes, which run once the partition's
 * in-sync replicas have the records (Kafka's purgatory model). No thread of the runtime or of a request waits for
 * replication.
 *
 * <p>When this broker becomes the leader of a partition (at a new leader epoch) the runtime builds a new shard and
 * replays the partition from its log start into it, on a loader thread so that the other shards keep serving, before
 * it serves; a load that fails part way is retried, never served half. When the broker stops leading (or the
 * partition's log directory goes offline), the shard is dropped and its waiting requests and writes are answered
 * NOT_COORDINATOR. Operations for a partition not loaded here fail with NOT_COORDINATOR, or
 * COORDINATOR_LOAD_IN_PROGRESS while it loads.
 *
 * <p>Bounds: at most {@code queueCapacity} submitted operations wait; beyond that a submission fails at once with
 * COORDINATOR_NOT_AVAILABLE. A write that is not replicated within {@code writeTimeoutMs} is answered
 * COORDINATOR_NOT_AVAILABLE, but stays in the log and is applied by its {@code onCommitted} if the in-sync replicas
 * take it later, so the shard's state always follows its log.
 *
 * <p>Thread-safe: every public method may be called from any thread.
 *
 * @param <S> the kind of shard
 */
public final class CoordinatorRuntime<S extends CoordinatorShard> implements AutoCloseable {

    /** Builds an empty shard for a partition, before the partition is replayed into it. */
    @FunctionalInterface
    public interface ShardFactory<S> {
        S create(CoordinatorContext context);
    }

    private static final System.Logger LOG = System.getLogger(CoordinatorRuntime.class.getName());
    private static final int LOAD_READ_BYTES = 1 << 20;
    /** How long after a failed load it is tried again. */
    private static final long LOAD_RETRY_MS = 1_000;

    private final String topic;
    private final ReplicaManager replicas;
    private final ShardFactory<S> factory;
    private final Clock clock;
    private final long writeTimeoutMs;
    private final int queueCapacity;
    private final LinkedBlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
    private final ScheduledThreadPoolExecutor timers;
    private final java.util.concurrent.ExecutorService loader;
    private final Thread thread;
    /** The loaded shards by partition; changed only on the runtime's thread, read anywhere. */
    private final ConcurrentHashMap<Integer, Loaded> loaded = new ConcurrentHashMap<>();
    /** Partitions being loaded, with the leader epoch they are loaded at; only the runtime's thread touches it. */
    private final Map<Integer, Integer> loading = new HashMap<>();
    private volatile boolean running = true;

    /**
     * @param topic          the internal topic whose partitions hold the shards' records
     * @param writeTimeoutMs how long a write may wait for the in-sync replicas
     * @param queueCapacity  how many submitted operations may wait
     */
    public CoordinatorRuntime(String topic, ReplicaManager replicas, ShardFactory<S> factory, ThreadFactory threads,
                              Clock clock, long writeTimeoutMs, int queueCapacity) {
        if (writeTimeoutMs < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("writeTimeoutMs and queueCapacity must be positive, got "
                    + writeTimeoutMs + " and " + queueCapacity);
        }
        this.topic = topic;
        this.replicas = replicas;
        this.factory = factory;
        this.clock = clock;
        this.writeTimeoutMs = writeTimeoutMs;
        this.queueCapacity = queueCapacity;
        this.timers = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread timer = threads.newThread(runnable);
            timer.setName("strata-" + topic + "-timer");
            timer.setDaemon(true);
            return timer;
        });
        this.timers.setRemoveOnCancelPolicy(true);
        this.loader = java.util.concurrent.Executors.newSingleThreadExecutor(runnable -> {
            Thread loading = threads.newThread(runnable);
            loading.setName("strata-" + topic + "-loader");
            loading.setDaemon(true);
            return loading;
        });
        this.thread = threads.newThread(this::run);
        this.thread.setName("strata-coordinator-" + topic);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public String topic() {
        return topic;
    }

    // ------------------------------------------------------------------------------------------------ leadership

    /**
     * Loads the shards of partitions this broker has come to lead and drops those of partitions it no longer leads.
     * Call after every metadata change (the replica manager must have applied it first); runs on the runtime's thread.
     */
    public void onLeadershipChanged() {
        post(this::reconcile);
    }

    /** NONE if this broker serves {@code partition} now; else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
    public Errors status(int partition) {
        Partition leader = replicas.partition(new TopicPartition(topic, partition));
        if (!leads(leader)) {
            return Errors.NOT_COORDINATOR;
        }
        Loaded shard = loaded.get(partition);
        return shard != null && shard.leaderEpoch == leader.leaderEpoch() ? Errors.NONE
                : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /** The partitions whose shards serve here now. */
    public List<Integer> activePartitions() {
        List<Integer> active = new ArrayList<>();
        for (Integer partition : loaded.keySet()) {
            if (status(partition) == Errors.NONE) {
                active.add(partition);
            }
        }
        return active;
    }

    /** Whether this broker leads {@code partition} and can serve it: its log directory has not failed. */
    private static boolean leads(Partition partition) {
        return partition != null && partition.isLeader() && !partition.log().health().isOffline();
    }

    private void reconcile() {
        Map<Integer, Partition> leading = new HashMap<>();
        for (Partition partition : replicas.partitions()) {
            if (partition.topicPartition().topic().equals(topic) && leads(partition)) {
                leading.put(partition.topicPartition().partition(), partition);
            }
        }
        for (Loaded shard : List.copyOf(loaded.values())) {
            Partition leader = leading.get(shard.partition);
            if (leader == null || leader.leaderEpoch() != shard.leaderEpoch) {
                unload(shard, leader == null ? "this broker no longer leads it, or its log directory is offline"
                        : "it has a new leader epoch " + leader.leaderEpoch());
            }
        }
        for (Partition leader : leading.values()) {
            int partition = leader.topicPartition().partition();
            Integer loadingAt = loading.get(partition);
            if (!loaded.containsKey(partition) && (loadingAt == null || loadingAt != leader.leaderEpoch())) {
                startLoad(leader);
            }
        }
    }

    /**
     * Replays the partition into a new shard on the loader thread, then installs it on the runtime's thread if this
     * broker still leads at the same epoch; a failed load is tried again after {@link #LOAD_RETRY_MS}.
     */
    private void startLoad(Partition partition) {
        int index = partition.topicPartition().partition();
        int epoch = partition.leaderEpoch();
        loading.put(index, epoch);
        Loaded shard = new Loaded(index, epoch);
        shard.state = factory.create(shard);
        try {
            loader.execute(() -> {
                long startNanos = System.nanoTime();
                try {
                    int records = replay(partition, shard.state);
                    post(() -> install(partition, shard, records, startNanos));
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.ERROR, "Loading " + partition.topicPartition() + " at leader epoch " + epoch
                            + " failed; trying again in " + LOAD_RETRY_MS + " ms", e);
                    post(() -> loading.remove(index, epoch));
                    retryLoadLater();
                }
            });
        } catch (RejectedExecutionException e) {
            loading.remove(index, epoch); // closed
        }
    }

    private void retryLoadLater() {
        try {
            timers.schedule(this::onLeadershipChanged, LOAD_RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Closed.
        }
    }

    /** Reads the partition from its log start to its end into {@code shard}; returns the records replayed. */
    private static int replay(Partition partition, CoordinatorShard shard) throws IOException {
        long next = partition.log().logStartOffset();
        long end = partition.log().logEndOffset();
        int records = 0;
        while (next < end) {
            try (LogReadResult read = partition.log().read(next, LOAD_READ_BYTES, end, true)) {
                ByteBuffer bytes = read.records().readAll();
                if (bytes.limit() == 0) {
                    throw new IOException("reading " + partition.topicPartition() + " at offset " + next
                            + " returned nothing before its end " + end);
                }
                for (MutableRecordBatch batch : MemoryRecords.readableRecords(bytes).batches()) {
                    if (!batch.isControlBatch()) {
                        for (Record record : batch) {
                            if (record.hasKey()) {
                                shard.replay(record.offset(), new CoordinatorRecord(Utils.toArray(record.key()),
                                        record.hasValue() ? Utils.toArray(record.value()) : null));
                                records++;
                            }
                        }
                    }
                    next = batch.lastOffset() + 1;
                }
            }
        }
        return records;
    }

    private void install(Partition partition, Loaded shard, int records, long startNanos) {
        loading.remove(shard.partition, shard.leaderEpoch);
        Partition current = replicas.partition(partition.topicPartition());
        if (current != partition || !leads(current) || current.leaderEpoch() != shard.leaderEpoch
                || loaded.containsKey(shard.partition)) {
            reconcile(); // leadership moved while it loaded: load what is led now
            return;
        }
        loaded.put(shard.partition, shard);
        shard.state.onLoaded();
        LOG.log(Level.INFO, "Coordinating {0} at leader epoch {1}: {2} record(s) replayed in {3} ms",
                partition.topicPartition(), shard.leaderEpoch, records, (System.nanoTime() - startNanos) / 1_000_000);
    }

    private void unload(Loaded shard, String reason) {
        loaded.remove(shard.partition, shard);
        shard.cancelTimers();
        shard.failPendingWrites(Errors.NOT_COORDINATOR);
        try {
            shard.state.onUnloaded();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Unloading " + topic + "-" + shard.partition + " failed", e);
        }
        LOG.log(Level.INFO, "No longer coordinating {0}-{1}: {2}", topic, shard.partition, reason);
    }

    // ------------------------------------------------------------------------------------------------ operations

    /**
     * Runs {@code operation} on the shard of {@code partition}, on the runtime's thread; its future (typically
     * completed by the completion of a write) is the result. Fails with NOT_COORDINATOR or
     * COORDINATOR_LOAD_IN_PROGRESS when the shard does not serve here, COORDINATOR_NOT_AVAILABLE when the runtime is
     * overloaded or closed.
     */
    public <T> CompletableFuture<T> submit(String name, int partition, Function<S, CompletableFuture<T>> operation) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (!running || events.size() >= queueCapacity) {
            result.completeExceptionally(Errors.COORDINATOR_NOT_AVAILABLE.exception("The " + topic
                    + " coordinator " + (running ? "has " + queueCapacity + " operations waiting" : "is closed")));
            return result;
        }
        post(() -> {
            Errors error = status(partition);
            Loaded shard = loaded.get(partition);
            if (error != Errors.NONE || shard == null) {
                result.completeExceptionally((error == Errors.NONE ? Errors.COORDINATOR_LOAD_IN_PROGRESS : error)
                        .exception());
                return;
            }
            try {
                operation.apply(shard.state).whenComplete((value, failure) -> {
                    if (failure == null) {
                        result.complete(value);
                    } else {
                        result.completeExceptionally(failure instanceof CompletionException ? failure.getCause()
                                : failure);
                    }
                });
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Operation " + name + " on " + topic + "-" + partition + " failed", e);
                result.completeExceptionally(Errors.UNKNOWN_SERVER_ERROR.exception(name + " failed: " + e));
            }
        });
        return result;
    }

    /** {@link #submit} for an operation whose result is known when it returns (a read, or a change without writes). */
    public <T> CompletableFuture<T> call(String name, int partition, Function<S, T> operation) {
        return submit(name, partition, shard -> CompletableFuture.completedFuture(operation.apply(shard)));
    }

    /** Runs {@code operation} on every shard serving here, and collects the results. */
    public <T> CompletableFuture<List<T>> callAll(String name, Function<S, T> operation) {
        List<CompletableFuture<T>> each = new ArrayList<>();
        for (int partition : activePartitions()) {
            each.add(call(name, partition, operation));
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).handle((ignored, failure) -> {
            List<T> results = new ArrayList<>();
            for (CompletableFuture<T> one : each) {
                if (!one.isCompletedExceptionally()) {
                    results.add(one.join());
                }
            }
            return results;
        });
    }

    // ------------------------------------------------------------------------------------------------ the thread

    /** Runs {@code event} on the runtime's thread; once closed, at once on this thread (against no shard). */
    private void post(Runnable event) {
        if (running) {
            events.add(event);
            if (running) {
                return;
            }
            if (!events.remove(event)) {
                return; // taken by the thread or the close's drain
            }
        }
        try {
            event.run();
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "An event after close failed: {0}", e.toString());
        }
    }

    private void run() {
        while (running) {
            Runnable event;
            try {
                event = events.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (event == null) {
                continue;
            }
            try {
                event.run();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "An event of the " + topic + " coordinator failed", e);
            }
        }
    }

    private void checkOnRuntimeThread() {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("coordinator shards of " + topic + " are used only on "
                    + thread.getName() + ", not on " + Thread.currentThread().getName());
        }
    }

    /**
     * Stops the thread, drops every shard (their waiting requests are answered NOT_COORDINATOR) and fails the
     * operations that were still queued with COORDINATOR_NOT_AVAILABLE.
     */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        CompletableFuture<Void> unloaded = new CompletableFuture<>();
        post(() -> {
            for (Loaded shard : List.copyOf(loaded.values())) {
                unload(shard, "the broker is stopping");
            }
            unloaded.complete(null);
        });
        try {
            unloaded.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            LOG.log(Level.WARNING, "The {0} coordinator did not stop in time", topic);
        }
        // Neither thread is interrupted: an interrupt while one reads or appends to a log closes the log's file
        // channel, which takes its whole log directory offline. The runtime's thread polls, and sees running.
        running = false;
        timers.shutdownNow();
        loader.shutdown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
            if (!loader.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "Loading a {0} partition did not end within 10 s of stopping", topic);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Anything still queued ran against no shard: submissions fail, completions see unloaded shards.
        for (Runnable event = events.poll(); event != null; event = events.poll()) {
            try {
                event.run();
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "A queued event failed at close: {0}", e.toString());
            }
        }
    }

    /** Maps a write's failure to the error a group client retries on, as Kafka's coordinator does. */
    static Errors normalize(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof TimeoutException) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        Errors error = Errors.forException(cause);
        return switch (error) {
            case NOT_LEADER_OR_FOLLOWER, NOT_COORDINATOR -> Errors.NOT_COORDINATOR;
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT,
                 KAFKA_STORAGE_ERROR, COORDINATOR_NOT_AVAILABLE -> Errors.COORDINATOR_NOT_AVAILABLE;
            case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE -> Errors.INVALID_COMMIT_OFFSET_SIZE;
            default -> Errors.UNKNOWN_SERVER_ERROR;
        };
    }

    /** A shard loaded at one leader epoch, and the context it writes and schedules through. */
    private final class Loaded implements CoordinatorContext {
        final int partition;
        final int leaderEpoch;
        final TopicPartition topicPartition;
        /** Timers by key; only the runtime's thread touches it. */
        final Map<String, ScheduledFuture<?>> timerTasks = new HashMap<>();
        /** Writes appended and not yet committed or failed; only the runtime's thread touches it. */
        final List<PendingWrite> pendingWrites = new ArrayList<>();
        S state;

        Loaded(int partition, int leaderEpoch) {
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
            this.topicPartition = new TopicPartition(topic, partition);
        }

        boolean active() {
            return loaded.get(partition) == this;
        }

        @Override
        public int partition() {
            return partition;
        }

        @Override
        public long nowMs() {
            return clock.millis();
        }

        @Override
        public void write(List<CoordinatorRecord> records, Runnable onCommitted, Consumer<Errors> onFailed) {
            checkOnRuntimeThread();
            if (records.isEmpty()) {
                post(onCommitted);
                return;
            }
            Partition leader = replicas.partition(topicPartition);
            if (!active() || leader == null || !leader.isLeader() || leader.leaderEpoch() != leaderEpoch) {
                post(() -> onFailed.accept(Errors.NOT_COORDINATOR));
                return;
            }
            MemoryRecords batch = build(records);
            AppendResult appended;
            try {
                appended = leader.appendAsLeader(batch, (short) -1, AppendOrigin.COORDINATOR);
            } catch (ApiException e) {
                LOG.log(Level.WARNING, "Writing to {0} failed: {1}", topicPartition, e.getMessage());
                Errors error = normalize(e);
                post(() -> onFailed.accept(error));
                return;
            }
            replicas.notifyAppended(topicPartition, batch.sizeInBytes());
            PendingWrite write = new PendingWrite(onCommitted, onFailed);
            pendingWrites.add(write);
            ScheduledFuture<?> deadline = scheduleDeadline(write);
            leader.awaitReplication(appended.lastOffset()).whenComplete((ignored, failure) -> post(() -> {
                pendingWrites.remove(write);
                if (deadline != null) {
                    deadline.cancel(false);
                }
                if (failure == null) {
                    write.committed();
                } else {
                    Errors error = normalize(failure);
                    LOG.log(Level.WARNING, "Replicating a write to {0} failed: {1}", topicPartition, error);
                    write.failed(error);
                }
            }));
        }

        /**
         * Answers the write COORDINATOR_NOT_AVAILABLE when it is not replicated in time; the waiter stays, so that the
         * write is still applied if the in-sync replicas take it later.
         */
        private ScheduledFuture<?> scheduleDeadline(PendingWrite write) {
            try {
                return timers.schedule(() -> post(() -> {
                    if (!write.answered) {
                        LOG.log(Level.WARNING, "A write to {0} was not replicated within {1} ms", topicPartition,
                                writeTimeoutMs);
                        write.failed(Errors.COORDINATOR_NOT_AVAILABLE);
                    }
                }), writeTimeoutMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                return null; // closed: the unload answers it
            }
        }

        void failPendingWrites(Errors error) {
            for (PendingWrite write : List.copyOf(pendingWrites)) {
                write.failed(error);
            }
            pendingWrites.clear();
        }

        private MemoryRecords build(List<CoordinatorRecord> records) {
            int size = 64;
            for (CoordinatorRecord record : records) {
                size += record.key().length + (record.value() == null ? 0 : record.value().length) + 32;
            }
            MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(size), Compression.NONE,
                    TimestampType.CREATE_TIME, 0L);
            long nowMs = clock.millis();
            for (CoordinatorRecord record : records) {
                builder.append(nowMs, record.key(), record.value());
            }
            return builder.build();
        }

        @Override
        public void schedule(String key, long delayMs, Runnable task) {
            checkOnRuntimeThread();
            cancel(key);
            ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
            try {
                self[0] = timers.schedule(() -> post(() -> {
                    if (active() && timerTasks.get(key) == self[0]) {
                        timerTasks.remove(key);
                        try {
                            task.run();
                        } catch (RuntimeException e) {
                            LOG.log(Level.ERROR, "Timer " + key + " of " + topicPartition + " failed", e);
                        }
                    }
                }), Math.max(0, delayMs), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                return; // closed
            }
            timerTasks.put(key, self[0]);
        }

        @Override
        public void cancel(String key) {
            checkOnRuntimeThread();
            ScheduledFuture<?> task = timerTasks.remove(key);
            if (task != null) {
                task.cancel(false);
            }
        }

        void cancelTimers() {
            timerTasks.values().forEach(task -> task.cancel(false));
            timerTasks.clear();
        }
    }

    /**
     * One write's callbacks: {@code onCommitted} runs at most once, when the records are committed, even after the
     * write was answered as failed by its deadline; {@code onFailed} runs at most once, and never after
     * {@code onCommitted}. Only the runtime's thread uses it.
     */
    private static final class PendingWrite {
        private final Runnable onCommitted;
        private final Consumer<Errors> onFailed;
        boolean answered;
        private boolean applied;

        PendingWrite(Runnable onCommitted, Consumer<Errors> onFailed) {
            this.onCommitted = onCommitted;
            this.onFailed = onFailed;
        }

        void committed() {
            if (!applied) {
                applied = true;
                answered = true;
                onCommitted.run();
            }
        }

        void failed(Errors error) {
            if (!answered) {
                answered = true;
                onFailed.accept(error);
            }
        }
    }
}

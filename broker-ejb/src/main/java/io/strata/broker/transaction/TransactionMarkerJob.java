package io.strata.broker.transaction;

import org.apache.kafka.common.TopicPartition;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The commit or abort markers of one transaction, to be written to each of its partitions: which partitions still
 * wait for theirs, and what to run once none does. Built by the coordinator shard once PrepareCommit or PrepareAbort
 * is committed; the {@link TransactionMarkerSender} works it off. Cancelled when the shard is unloaded (its new
 * coordinator sends the markers again) or when a partition's leader answers that this coordinator is fenced.
 *
 * <p>Thread-safe: the sender's threads mark partitions done, the runtime's thread cancels.
 */
final class TransactionMarkerJob {

    final String transactionalId;
    final long producerId;
    final short producerEpoch;
    final int coordinatorEpoch;
    final boolean commit;
    final Set<TopicPartition> partitions;
    private final Set<TopicPartition> remaining = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile boolean cancelled;
    private volatile Runnable onDone = () -> { };

    TransactionMarkerJob(String transactionalId, long producerId, short producerEpoch, int coordinatorEpoch,
                         boolean commit, Set<TopicPartition> partitions) {
        this.transactionalId = transactionalId;
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.coordinatorEpoch = coordinatorEpoch;
        this.commit = commit;
        this.partitions = Collections.unmodifiableSet(new LinkedHashSet<>(partitions));
        this.remaining.addAll(partitions);
    }

    /** Runs {@code task} (once, on whichever thread marks the last partition done) when every marker is written. */
    void onDone(Runnable task) {
        this.onDone = task;
    }

    /** The partition's marker is written, or need not be (its topic is gone). */
    void done(TopicPartition partition) {
        remaining.remove(partition);
        if (remaining.isEmpty() && !cancelled && finished.compareAndSet(false, true)) {
            onDone.run();
        }
    }

    /** Runs the completion at once if there is nothing to write. */
    void startIfEmpty() {
        if (remaining.isEmpty() && !cancelled && finished.compareAndSet(false, true)) {
            onDone.run();
        }
    }

    boolean isPending(TopicPartition partition) {
        return !cancelled && remaining.contains(partition);
    }

    Set<TopicPartition> remaining() {
        return Set.copyOf(remaining);
    }

    void cancel() {
        cancelled = true;
    }

    boolean isCancelled() {
        return cancelled;
    }

    @Override
    public String toString() {
        return (commit ? "commit" : "abort") + " markers of transactional id " + transactionalId + " (producer id "
                + producerId + ", epoch " + producerEpoch + ", coordinator epoch " + coordinatorEpoch + ")";
    }
}

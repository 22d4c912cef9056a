package io.strata.broker.delayed;

import org.apache.kafka.common.TopicPartition;

import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fetch waiting for data: completes once {@code minBytes} have been appended to the partitions it reads (or, as its
 * {@link Readiness} judges, may have become readable), or when {@code maxWaitMs} has passed, whichever is first,
 * exactly once.
 *
 * <p>Thread-safe: appends from request threads and the timer race to complete it; one wins.
 */
public final class DelayedFetch {

    private final List<TopicPartition> partitions;
    private final long minBytes;
    private final Runnable onComplete;
    private final Readiness readiness;
    private final AtomicLong bytesAppended = new AtomicLong();
    private final AtomicBoolean completed = new AtomicBoolean();
    private volatile ScheduledFuture<?> timeout;

    /**
     * Whether a waiting fetch should read again, given the bytes counted for it (those readable when it began to wait
     * plus those appended since). Called on the appending thread, for every append to one of its partitions: cheap,
     * no I/O.
     */
    @FunctionalInterface
    public interface Readiness {
        /** Enough bytes were appended: what the fetch reads up to (the high watermark) passed them. */
        Readiness BYTES_APPENDED = (bytesCounted, minBytes) -> bytesCounted >= minBytes;

        boolean ready(long bytesCounted, long minBytes);
    }

    /**
     * A fetch that reads again once {@code minBytes} have been counted.
     *
     * @param bytesAvailable bytes already readable when the fetch began to wait
     * @param onComplete     reads again and sends the response; runs once, on the completing thread
     */
    public DelayedFetch(List<TopicPartition> partitions, long minBytes, long bytesAvailable, Runnable onComplete) {
        this(partitions, minBytes, bytesAvailable, Readiness.BYTES_APPENDED, onComplete);
    }

    /**
     * A fetch that reads again when {@code readiness} says so.
     *
     * @param bytesAvailable bytes already readable when the fetch began to wait
     * @param onComplete     reads again and sends the response; runs once, on the completing thread
     */
    public DelayedFetch(List<TopicPartition> partitions, long minBytes, long bytesAvailable, Readiness readiness,
                        Runnable onComplete) {
        this.partitions = List.copyOf(partitions);
        this.minBytes = minBytes;
        this.readiness = readiness;
        this.onComplete = onComplete;
        this.bytesAppended.set(bytesAvailable);
    }

    public List<TopicPartition> partitions() {
        return partitions;
    }

    void setTimeout(ScheduledFuture<?> timeout) {
        this.timeout = timeout;
    }

    /** Counts appended bytes; returns true if the fetch should read again now. */
    boolean onAppend(int bytes) {
        return readiness.ready(bytesAppended.addAndGet(bytes), minBytes);
    }

    /** Completes the fetch if nobody has; returns whether this call did. */
    boolean complete() {
        if (!completed.compareAndSet(false, true)) {
            return false;
        }
        ScheduledFuture<?> pending = timeout;
        if (pending != null) {
            pending.cancel(false);
        }
        onComplete.run();
        return true;
    }

    public boolean isCompleted() {
        return completed.get();
    }
}

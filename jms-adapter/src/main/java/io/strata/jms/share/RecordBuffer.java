package io.strata.jms.share;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongPredicate;
import java.util.function.ToIntFunction;

/**
 * The records fetched and not yet polled, with the time their acquisition lock runs out and the share session that
 * acquired them. Handed out in fetch order, or, given a priority function (0 to 9, read once per record as it is
 * added), highest priority first and in fetch order within a priority ({@link PriorityBuffer}). Bounded by
 * {@code recordsMax} and {@code bytesMax}: the network thread asks for no more than {@link #roomRecords()} and
 * {@link #roomBytes()}, and {@link #add} refuses to go past them; so the records reordered by priority are at most
 * the buffer's. A record whose lock ran out, or whose session the leader dropped, is no longer the member's: it is
 * dropped, never handed out.
 *
 * <p>It also counts the records handed out and not yet given an outcome ({@link #acknowledged}), and when records were
 * last added or handed out: while some are buffered or held by the caller, an acknowledgement of them is coming, and
 * the network thread keeps its fetches short so that the acknowledgement does not wait behind a long poll
 * ({@link #activeSinceMs}).
 *
 * <p>Thread-safe: one lock; the network thread adds and drops, callers poll (waiting on a condition).
 */
final class RecordBuffer {

    /** A buffered record, its lock's deadline, and the session (leader session identity) that acquired it. */
    record Entry(ShareRecord record, long lockDeadlineMs, long sessionId) {
    }

    private final int recordsMax;
    private final long bytesMax;
    /** A record's priority, 0 to 9; null: one priority, fetch order. */
    private final ToIntFunction<ShareRecord> priority;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityBuffer<Entry> entries;
    /** The acquisition lock duration the leaders last gave (ShareFetch's AcquisitionLockTimeoutMs); 0 until one. */
    private volatile long lockTimeoutMs;
    private long bytes;
    /** Bumped by {@link #wakeup()}: a waiting poll returns early. */
    private long wakeups;
    /** Records handed out and not yet given an outcome (never below 0: an outcome given twice counts once). */
    private final AtomicLong held = new AtomicLong();
    /** When records were last added or handed out. */
    private volatile long activeMs;

    /** A buffer that hands out records in fetch order. */
    RecordBuffer(int recordsMax, long bytesMax) {
        this(recordsMax, bytesMax, null);
    }

    /** A buffer that hands out records highest {@code priority} (0 to 9) first; null: in fetch order. */
    RecordBuffer(int recordsMax, long bytesMax, ToIntFunction<ShareRecord> priority) {
        this.recordsMax = recordsMax;
        this.bytesMax = bytesMax;
        this.priority = priority;
        this.entries = new PriorityBuffer<>(priority == null ? 1 : PriorityBuffer.JMS_LEVELS);
    }

    void lockTimeoutMs(long lockTimeoutMs) {
        if (lockTimeoutMs > 0) {
            this.lockTimeoutMs = lockTimeoutMs;
        }
    }

    long lockTimeoutMs() {
        return lockTimeoutMs;
    }

    int roomRecords() {
        lock.lock();
        try {
            return recordsMax - entries.size();
        } finally {
            lock.unlock();
        }
    }

    long roomBytes() {
        lock.lock();
        try {
            return bytesMax - bytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether one more record of {@code size} bytes fits. The first record always fits an empty buffer, so that a
     * record larger than {@code bytesMax} is still delivered rather than stuck.
     */
    boolean fits(int size) {
        lock.lock();
        try {
            return entries.size() < recordsMax && (entries.isEmpty() || bytes + size <= bytesMax);
        } finally {
            lock.unlock();
        }
    }

    void add(Entry entry) {
        lock.lock();
        try {
            int size = entry.record().sizeInBytes();
            if (entries.size() >= recordsMax || (!entries.isEmpty() && bytes + size > bytesMax)) {
                throw new IllegalStateException("the record buffer holds " + entries.size() + " records of " + bytes
                        + " bytes; " + entry.record() + " (" + size + " bytes) goes past its bounds " + recordsMax
                        + " and " + bytesMax);
            }
            entries.add(entry, priority == null ? 0 : priority.applyAsInt(entry.record()));
            bytes += size;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds, in their order, the records of one fetch that fit (see {@link #fits}), all at once, so that a waiting
     * poll chooses by priority among the whole fetch rather than taking its first record alone.
     *
     * @param nowMs when they came
     * @return the records that did not fit, for the caller to release
     */
    List<ShareRecord> addFitting(List<ShareRecord> records, long lockDeadlineMs, long sessionId, long nowMs) {
        List<ShareRecord> excess = new ArrayList<>();
        lock.lock();
        try {
            for (ShareRecord record : records) {
                if (fits(record.sizeInBytes())) {
                    add(new Entry(record, lockDeadlineMs, sessionId));
                    activeMs = nowMs;
                } else {
                    excess.add(record);
                }
            }
            return excess;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Up to {@code maxRecords} records whose lock has not run out at {@code nowMs}, waiting up to {@code timeoutMs}
     * for the first; empty when none came in time or on {@link #wakeup()}.
     */
    List<ShareRecord> poll(int maxRecords, long timeoutMs, java.util.function.LongSupplier clockMs)
            throws InterruptedException {
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        lock.lock();
        try {
            long wakeupsBefore = wakeups;
            while (true) {
                List<ShareRecord> taken = take(maxRecords, clockMs.getAsLong());
                long leftNanos = deadlineNanos - System.nanoTime();
                if (!taken.isEmpty() || leftNanos <= 0 || wakeups != wakeupsBefore) {
                    return taken;
                }
                changed.awaitNanos(leftNanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Drops the records of sessions {@code dropped} says are gone; returns how many went. */
    int dropSessions(LongPredicate dropped) {
        lock.lock();
        try {
            int removed = entries.removeIf(entry -> {
                if (dropped.test(entry.sessionId())) {
                    bytes -= entry.record().sizeInBytes();
                    return true;
                }
                return false;
            });
            changed.signalAll();
            return removed;
        } finally {
            lock.unlock();
        }
    }

    /** Ends a waiting poll now (close, or a failure to report). */
    void wakeup() {
        lock.lock();
        try {
            wakeups++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return entries.size();
        } finally {
            lock.unlock();
        }
    }

    /** {@code count} records handed out got their outcome (accepted, released, rejected, in a transaction or not). */
    void acknowledged(int count) {
        held.updateAndGet(n -> Math.max(0, n - count));
    }

    /**
     * When records were last added or handed out, if some are buffered or held by the caller without an outcome (an
     * acknowledgement of them is coming); else -1.
     */
    long activeSinceMs() {
        return held.get() > 0 || size() > 0 ? activeMs : -1;
    }

    private List<ShareRecord> take(int maxRecords, long nowMs) {
        List<ShareRecord> taken = new ArrayList<>(Math.min(maxRecords, entries.size()));
        while (taken.size() < maxRecords && !entries.isEmpty()) {
            Entry entry = entries.poll();
            bytes -= entry.record().sizeInBytes();
            if (entry.lockDeadlineMs() > nowMs) {
                taken.add(entry.record());
            }
        }
        if (!taken.isEmpty()) {
            activeMs = nowMs;
            held.addAndGet(taken.size());
        }
        if (!taken.isEmpty() || entries.isEmpty()) {
            changed.signalAll();
        }
        return taken;
    }
}

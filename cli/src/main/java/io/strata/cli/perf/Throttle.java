package io.strata.cli.perf;

import java.util.concurrent.locks.LockSupport;

/**
 * Holds a sender to a target rate: before record number n it waits until n / rate seconds have passed since the
 * start. Falling behind (a slow broker) is not made up by a burst beyond what the schedule allows at that moment.
 * A rate of zero or less means no limit.
 *
 * <p>Not thread-safe; one sending thread.
 */
final class Throttle {

    private final long recordsPerSecond;
    private final long startNanos;

    Throttle(long recordsPerSecond, long startNanos) {
        this.recordsPerSecond = recordsPerSecond;
        this.startNanos = startNanos;
    }

    void awaitTurn(long recordsSent) {
        if (recordsPerSecond <= 0) {
            return;
        }
        long dueNanos = startNanos + (long) (recordsSent * 1e9 / recordsPerSecond);
        for (long waitNanos = dueNanos - System.nanoTime(); waitNanos > 0;
             waitNanos = dueNanos - System.nanoTime()) {
            LockSupport.parkNanos(waitNanos);
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }
}

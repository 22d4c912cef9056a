package io.strata.broker.network;

import java.util.concurrent.atomic.AtomicInteger;

/** Counts open client connections against {@code max.connections}. Thread-safe. */
final class ConnectionQuota {

    private final int max;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionQuota(int max) {
        this.max = max;
    }

    boolean tryAcquire() {
        while (true) {
            int current = open.get();
            if (current >= max) {
                return false;
            }
            if (open.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void release() {
        open.updateAndGet(current -> Math.max(0, current - 1));
    }

    int open() {
        return open.get();
    }
}

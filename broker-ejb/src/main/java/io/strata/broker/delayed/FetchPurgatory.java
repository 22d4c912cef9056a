package io.strata.broker.delayed;

import org.apache.kafka.common.TopicPartition;

import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Where fetches wait for data (long polling by {@code fetch.max.wait.ms} and {@code fetch.min.bytes}): each waiting
 * fetch is watched on the partitions it reads and woken by appends to them, or by its timeout. Waiting holds no
 * thread and no file.
 *
 * <p>Thread-safe.
 */
public final class FetchPurgatory implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(FetchPurgatory.class.getName());

    private final ScheduledExecutorService timer;
    private final ConcurrentHashMap<TopicPartition, Set<DelayedFetch>> watchers = new ConcurrentHashMap<>();
    /** Appends reported so far: a fetch that reads this before looking and after parking sees what it missed. */
    private final java.util.concurrent.atomic.AtomicLong appendsSeen = new java.util.concurrent.atomic.AtomicLong();

    public FetchPurgatory(ThreadFactory threads) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-fetch-timer");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.timer = executor;
    }

    /** Parks {@code fetch} until enough data arrives or {@code maxWaitMs} passes. */
    public void watch(DelayedFetch fetch, long maxWaitMs) {
        for (TopicPartition tp : fetch.partitions()) {
            watchers.compute(tp, (key, waiting) -> {
                Set<DelayedFetch> set = waiting == null ? ConcurrentHashMap.newKeySet() : waiting;
                set.add(fetch);
                return set;
            });
        }
        fetch.setTimeout(timer.schedule(() -> complete(fetch), maxWaitMs, TimeUnit.MILLISECONDS));
    }

    /** Completes {@code fetch} now if it is still waiting, as when data arrived while it was being parked. */
    public void completeNow(DelayedFetch fetch) {
        complete(fetch);
    }

    /** Called after {@code bytes} were appended to {@code tp}. */
    public void onAppend(TopicPartition tp, int bytes) {
        appendsSeen.incrementAndGet();
        Set<DelayedFetch> waiting = watchers.get(tp);
        if (waiting == null || waiting.isEmpty()) {
            return;
        }
        for (DelayedFetch fetch : waiting) {
            if (fetch.onAppend(bytes)) {
                complete(fetch);
            }
        }
    }

    /** How many appends were reported so far, on any partition. */
    public long appendsSeen() {
        return appendsSeen.get();
    }

    public int waiting() {
        return watchers.values().stream().mapToInt(Set::size).sum();
    }

    private void complete(DelayedFetch fetch) {
        for (TopicPartition tp : fetch.partitions()) {
            watchers.computeIfPresent(tp, (key, waiting) -> {
                waiting.remove(fetch);
                return waiting.isEmpty() ? null : waiting;
            });
        }
        try {
            fetch.complete();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Completing a waiting fetch failed", e);
        }
    }

    /** Completes every waiting fetch and stops the timer. */
    @Override
    public void close() {
        for (Set<DelayedFetch> waiting : watchers.values()) {
            for (DelayedFetch fetch : waiting) {
                complete(fetch);
            }
        }
        timer.shutdownNow();
    }
}

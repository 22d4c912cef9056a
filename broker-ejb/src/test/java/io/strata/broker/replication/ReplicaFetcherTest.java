package io.strata.broker.replication;

import io.strata.broker.config.Endpoint;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ReplicaFetcherTest {

    private static final ReplicationSettings SETTINGS = new ReplicationSettings(1 << 20, 10 << 20, 100, 50, 5000, "");

    /**
     * A fetcher is stopped whenever this broker leads or stops following a leader. Its thread may be writing to a log
     * at that moment, and an interrupt then closes the log's FileChannel (ClosedByInterruptException), which takes the
     * whole log directory offline: so stopping must wait for the thread, never interrupt it.
     */
    @Test
    void shuttingDownNeverInterruptsTheFetcherThread() throws Exception {
        CountDownLatch working = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        // The fetcher's thread asks for the leader's endpoint in every round: stand in for a long write there.
        IntFunction<Endpoint> endpoints = leaderId -> {
            working.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (release.getCount() > 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            interrupted.compareAndSet(false, Thread.currentThread().isInterrupted());
            return null;
        };
        ReplicaFetcher fetcher = new ReplicaFetcher(2, 1, null, endpoints, SETTINGS);
        Thread thread = new Thread(fetcher, "fetcher-under-test");
        fetcher.start(thread);
        fetcher.follow(new TopicPartition("t", 0), 0);
        assertThat(working.await(10, TimeUnit.SECONDS)).isTrue();

        Thread stopper = new Thread(fetcher::shutdown);
        stopper.start();
        Thread.sleep(200);
        release.countDown();
        stopper.join(10_000);
        thread.join(10_000);

        assertThat(thread.isAlive()).as("the fetcher stopped").isFalse();
        assertThat(interrupted).as("the fetcher's thread was interrupted while it worked").isFalse();
    }
}

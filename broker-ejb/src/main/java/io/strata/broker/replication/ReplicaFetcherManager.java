package io.strata.broker.replication;

import io.strata.broker.config.Endpoint;
import io.strata.broker.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.function.IntFunction;

/**
 * The fetchers of the partitions this broker follows: one {@link ReplicaFetcher} thread per leader broker, told which
 * partitions to copy at which leader epoch after every metadata change.
 *
 * <p>Thread-safe.
 */
public final class ReplicaFetcherManager implements ReplicaManager.Followers, AutoCloseable {

    private final int brokerId;
    private final IntFunction<Endpoint> endpoints;
    private final ReplicationSettings settings;
    private final ThreadFactory threads;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private final Map<TopicPartition, Integer> leaders = new HashMap<>();
    private ReplicaManager replicas;
    private boolean closed;

    /**
     * @param endpoints the endpoint of a live broker's replication listener, or {@code null} if it is not live
     */
    public ReplicaFetcherManager(int brokerId, IntFunction<Endpoint> endpoints, ReplicationSettings settings,
                                 ThreadFactory threads) {
        this.brokerId = brokerId;
        this.endpoints = endpoints;
        this.settings = settings;
        this.threads = threads;
    }

    public synchronized void attach(ReplicaManager replicaManager) {
        this.replicas = replicaManager;
    }

    @Override
    public synchronized void follow(TopicPartition tp, int leaderId, int leaderEpoch) {
        if (closed) {
            return;
        }
        Integer previous = leaders.put(tp, leaderId);
        if (previous != null && previous != leaderId) {
            fetchers.get(previous).unfollow(tp);
        }
        ReplicaFetcher fetcher = fetchers.get(leaderId);
        if (fetcher == null) {
            fetcher = new ReplicaFetcher(brokerId, leaderId, replicas, endpoints, settings);
            Thread thread = threads.newThread(fetcher);
            thread.setName("strata-replica-fetcher-" + leaderId);
            thread.setDaemon(true);
            fetcher.start(thread);
            fetchers.put(leaderId, fetcher);
        }
        fetcher.follow(tp, leaderEpoch);
        removeIdle();
    }

    @Override
    public synchronized void unfollow(TopicPartition tp) {
        Integer leader = leaders.remove(tp);
        if (leader != null) {
            fetchers.get(leader).unfollow(tp);
            removeIdle();
        }
    }

    private void removeIdle() {
        for (Iterator<ReplicaFetcher> it = fetchers.values().iterator(); it.hasNext(); ) {
            ReplicaFetcher fetcher = it.next();
            if (fetcher.isIdle()) {
                fetcher.shutdown();
                it.remove();
            }
        }
    }

    @Override
    public void close() {
        Map<Integer, ReplicaFetcher> running;
        synchronized (this) {
            closed = true;
            running = new HashMap<>(fetchers);
            fetchers.clear();
            leaders.clear();
        }
        for (ReplicaFetcher fetcher : running.values()) {
            fetcher.shutdown();
        }
    }
}

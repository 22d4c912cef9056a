package io.strata.broker.share;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link SharePersister} kept in memory, with the share coordinator's fencing rules: a read or write at a leader
 * epoch lower than one already seen for the share partition is FENCED_LEADER_EPOCH, and a write whose state epoch is
 * lower than the stored one is FENCED_STATE_EPOCH (the state was re-initialized). For tests, it can fail the next
 * writes with a given error, or hold writes until the test lets them complete. Thread-safe.
 */
public final class InMemorySharePersister implements SharePersister {

    private record Key(String groupId, Uuid topicId, int partition) {
    }

    private static final class Stored {
        SharePartitionState state;
        int leaderEpoch = -1;
    }

    private final Map<Key, Stored> stored = new HashMap<>();
    private final Queue<Errors> failWrites = new ArrayDeque<>();
    private final Queue<Runnable> heldWrites = new ArrayDeque<>();
    private boolean holdWrites;
    private int writes;

    /** Fails the next write with {@code error}, storing nothing. */
    public synchronized void failNextWrite(Errors error) {
        failWrites.add(error);
    }

    /** Holds writes (their futures stay incomplete) until {@link #releaseHeldWrites}. */
    public synchronized void holdWrites() {
        holdWrites = true;
    }

    /** Completes the held writes, in order, and stops holding. */
    public void releaseHeldWrites() {
        Queue<Runnable> held;
        synchronized (this) {
            holdWrites = false;
            held = new ArrayDeque<>(heldWrites);
            heldWrites.clear();
        }
        held.forEach(Runnable::run);
    }

    public synchronized int writes() {
        return writes;
    }

    /** The stored state, or null. */
    public synchronized SharePartitionState state(String groupId, Uuid topicId, int partition) {
        Stored entry = stored.get(new Key(groupId, topicId, partition));
        return entry == null ? null : entry.state;
    }

    @Override
    public synchronized CompletableFuture<Errors> initialize(String groupId, Uuid topicId, int partition,
                                                             SharePartitionState state) {
        Stored entry = stored.computeIfAbsent(new Key(groupId, topicId, partition), k -> new Stored());
        if (entry.state != null && state.stateEpoch() <= entry.state.stateEpoch()) {
            return CompletableFuture.completedFuture(Errors.FENCED_STATE_EPOCH);
        }
        entry.state = state;
        return CompletableFuture.completedFuture(Errors.NONE);
    }

    @Override
    public synchronized CompletableFuture<ReadResult> read(String groupId, Uuid topicId, int partition,
                                                           int leaderEpoch) {
        Stored entry = stored.computeIfAbsent(new Key(groupId, topicId, partition), k -> new Stored());
        if (leaderEpoch < entry.leaderEpoch) {
            return CompletableFuture.completedFuture(new ReadResult(Errors.FENCED_LEADER_EPOCH, null));
        }
        entry.leaderEpoch = leaderEpoch;
        return CompletableFuture.completedFuture(new ReadResult(Errors.NONE, entry.state));
    }

    @Override
    public CompletableFuture<Errors> write(String groupId, Uuid topicId, int partition, int leaderEpoch,
                                           SharePartitionState state) {
        CompletableFuture<Errors> done = new CompletableFuture<>();
        Runnable apply = () -> done.complete(apply(new Key(groupId, topicId, partition), leaderEpoch, state));
        synchronized (this) {
            if (holdWrites) {
                heldWrites.add(apply);
                return done;
            }
        }
        apply.run();
        return done;
    }

    private synchronized Errors apply(Key key, int leaderEpoch, SharePartitionState state) {
        Errors failure = failWrites.poll();
        if (failure != null) {
            return failure;
        }
        Stored entry = stored.computeIfAbsent(key, k -> new Stored());
        if (leaderEpoch < entry.leaderEpoch) {
            return Errors.FENCED_LEADER_EPOCH;
        }
        if (entry.state != null && state.stateEpoch() < entry.state.stateEpoch()) {
            return Errors.FENCED_STATE_EPOCH;
        }
        entry.leaderEpoch = leaderEpoch;
        entry.state = state;
        writes++;
        return Errors.NONE;
    }

    @Override
    public synchronized CompletableFuture<Summary> readSummary(String groupId, Uuid topicId, int partition) {
        Stored entry = stored.get(new Key(groupId, topicId, partition));
        return CompletableFuture.completedFuture(entry == null || entry.state == null
                ? new Summary(Errors.NONE, 0, -1)
                : new Summary(Errors.NONE, entry.state.stateEpoch(), entry.state.startOffset(),
                        (int) entry.state.stateBatches().stream().filter(batch -> batch.state() == RecordState.ACKNOWLEDGED
                                || batch.state() == RecordState.ARCHIVED)
                        .mapToLong(batch -> batch.lastOffset() - batch.firstOffset() + 1).sum()));
    }

    @Override
    public synchronized CompletableFuture<Errors> delete(String groupId, Uuid topicId, int partition) {
        stored.remove(new Key(groupId, topicId, partition));
        return CompletableFuture.completedFuture(Errors.NONE);
    }
}

package io.strata.broker.share.coordinator;

import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.CoordinatorShard;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.coordinator.ShareStateRecords.Decoded;
import io.strata.broker.share.coordinator.ShareStateRecords.Snapshot;
import io.strata.broker.share.coordinator.ShareStateRecords.Update;

import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The share-partition states kept in one partition of {@code __share_group_state}, as Kafka's
 * {@code ShareCoordinatorShard} keeps them: per share partition the state epoch, the highest leader epoch that read
 * or wrote it, the start offset and the batches of offsets with their delivery state and count.
 *
 * <p>A write is stored as a ShareUpdate record, merged into what is there (its batches replace the state of their
 * offsets; batches and parts of batches below the start offset are dropped), until
 * {@code updatesPerSnapshot} updates have gathered on one snapshot: then the merged state is written whole as a
 * ShareSnapshot record with the next snapshot epoch, so that replaying a share partition reads one snapshot and at
 * most that many updates after it. An update names the snapshot epoch it applies to; replay skips one whose snapshot
 * was replaced.
 *
 * <p>Fencing: a read or a write whose leader epoch is below the stored one is refused FENCED_LEADER_EPOCH (a newer
 * leader of the topic partition owns the state); a write whose state epoch is not the stored one is refused
 * FENCED_STATE_EPOCH (the state was initialized again, by AlterShareGroupOffsets say); an initialize must bring a
 * state epoch above the stored one, else FENCED_STATE_EPOCH. A read with a higher leader epoch records it (an update
 * without batches) before it answers, so a failover does not forget who was fenced.
 *
 * <p>Pruning: the records a replay needs are, per share partition, its latest snapshot and the updates after it. Every
 * {@code pruneIntervalMs} the shard moves the partition's log start offset up to the oldest such snapshot (and never
 * past a write still in flight, nor past the high watermark), so that {@code __share_group_state}, whose cleanup policy
 * is {@code delete} with unlimited retention, keeps only what replay needs, as Kafka's share coordinator prunes it.
 * A record's offset is the log end offset read just before it is written: the runtime's thread is this partition's
 * only writer, and appends within {@link CoordinatorContext#write}.
 *
 * <p>The in-memory state changes only once the records of a change are committed, so what a request is told is
 * always what replay rebuilds. Operations on one share partition run one after another: the next waits until the
 * write of the previous one is answered, so each decides on the state its predecessor left. At most
 * {@link #WAITING_PER_KEY_MAX} operations wait per share partition; beyond that they are refused
 * COORDINATOR_NOT_AVAILABLE (the caller retries).
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
public final class ShareCoordinatorShard implements CoordinatorShard {

    private static final System.Logger LOG = System.getLogger(ShareCoordinatorShard.class.getName());
    static final int WAITING_PER_KEY_MAX = 1024;

    /** A read: the error, the state (null when never initialized) and the leader epoch now stored. */
    public record ReadResult(Errors error, SharePartitionState state, int leaderEpoch) {
    }

    /**
     * A summary: the error, state epoch, leader epoch and start offset (-1 when never initialized), and how many
     * offsets past the start offset are Acknowledged or Archived (KIP-1226's delivery complete count; -1 when never
     * initialized).
     */
    public record Summary(Errors error, int stateEpoch, int leaderEpoch, long startOffset, int deliveryCompleteCount) {

        public Summary(Errors error, int stateEpoch, int leaderEpoch, long startOffset) {
            this(error, stateEpoch, leaderEpoch, startOffset, -1);
        }
    }

    /** What is stored for one share partition. Immutable; replaced on every change. */
    record Stored(int snapshotEpoch, int stateEpoch, int leaderEpoch, long startOffset, long createTimestamp,
                  List<StateBatch> batches, int updatesSinceSnapshot, long snapshotOffset) {

        SharePartitionState state() {
            return new SharePartitionState(stateEpoch, startOffset, batches);
        }
    }

    /** Where the log may be cut: moves the partition's log start offset up to at most the given offset. */
    @FunctionalInterface
    public interface Pruner {
        void deleteRecordsBefore(long offset);
    }

    private static final String PRUNE_TIMER = "prune-share-state";

    private final CoordinatorContext context;
    private final int updatesPerSnapshot;
    private final java.util.function.LongSupplier logEndOffset;
    private final Pruner pruner;
    private final long pruneIntervalMs;
    /** Offsets of writes appended and not yet committed or failed, with how many writes start at each. */
    private final java.util.TreeMap<Long, Integer> inFlightOffsets = new java.util.TreeMap<>();
    private final Map<ShareStateKey, Stored> states = new HashMap<>();
    /** An operation waiting for the one in progress on its key: how to run it, and how to refuse it. */
    private record Waiting(Runnable run, java.util.function.Consumer<Errors> refuse) {
    }

    /** Operations waiting for the one in progress on the same key; a key is here while one is in progress. */
    private final Map<ShareStateKey, ArrayDeque<Waiting>> inProgress = new HashMap<>();

    /**
     * @param updatesPerSnapshot {@code share.coordinator.snapshot.update.records.per.snapshot}: how many updates a
     *                           snapshot gathers before the next write is a snapshot (0: every write is one)
     */
    public ShareCoordinatorShard(CoordinatorContext context, int updatesPerSnapshot,
                                 java.util.function.LongSupplier logEndOffset, Pruner pruner, long pruneIntervalMs) {
        if (updatesPerSnapshot < 0 || pruneIntervalMs < 1) {
            throw new IllegalArgumentException("updatesPerSnapshot must not be negative and pruneIntervalMs must be"
                    + " positive, got " + updatesPerSnapshot + " and " + pruneIntervalMs);
        }
        this.context = context;
        this.updatesPerSnapshot = updatesPerSnapshot;
        this.logEndOffset = logEndOffset;
        this.pruner = pruner;
        this.pruneIntervalMs = pruneIntervalMs;
    }

    // ------------------------------------------------------------------------------------------------ replay

    @Override
    public void replay(long offset, CoordinatorRecord record) {
        Decoded decoded;
        try {
            decoded = ShareStateRecords.decode(record);
        } catch (IllegalArgumentException | io.strata.broker.share.ShareStateFormatException e) {
            throw new IllegalStateException("record at offset " + offset + " of __share_group_state partition "
                    + context.partition() + " is not share state: " + e.getMessage(), e);
        }
        apply(decoded, offset);
    }

    /** Applies a committed record written at {@code offset}. */
    private void apply(Decoded decoded, long offset) {
        ShareStateKey key = decoded.key();
        if (decoded.isTombstone()) {
            if (decoded.type() == ShareStateRecords.SNAPSHOT_TYPE) {
                states.remove(key);
            }
            return;
        }
        if (decoded.snapshot() != null) {
            Snapshot snapshot = decoded.snapshot();
            states.put(key, new Stored(snapshot.snapshotEpoch(), snapshot.stateEpoch(), snapshot.leaderEpoch(),
                    snapshot.startOffset(), snapshot.createTimestamp(), snapshot.batches(), 0, offset));
            return;
        }
        Update update = decoded.update();
        Stored stored = states.get(key);
        if (stored == null || stored.snapshotEpoch() != update.snapshotEpoch()) {
            return; // an update of a snapshot since replaced or deleted
        }
        long startOffset = update.startOffset() < 0 ? stored.startOffset() : update.startOffset();
        states.put(key, new Stored(stored.snapshotEpoch(), stored.stateEpoch(),
                Math.max(stored.leaderEpoch(), update.leaderEpoch()), startOffset, stored.createTimestamp(),
                merge(stored.batches(), startOffset, update.batches()), stored.updatesSinceSnapshot() + 1,
                stored.snapshotOffset()));
    }

    @Override
    public void onLoaded() {
        LOG.log(Level.DEBUG, "__share_group_state-{0} serves {1} share partition state(s)", context.partition(),
                states.size());
        context.schedule(PRUNE_TIMER, pruneIntervalMs, this::prune);
    }

    /** Cuts the log below what replay needs, and comes back after {@code pruneIntervalMs}. */
    private void prune() {
        try {
            pruner.deleteRecordsBefore(prunableBefore());
        } finally {
            context.schedule(PRUNE_TIMER, pruneIntervalMs, this::prune);
        }
    }

    /**
     * The offset below which replay needs nothing: the oldest latest snapshot of a share partition, or the oldest
     * write in flight, whichever is lower; the log end offset when there is neither.
     */
    long prunableBefore() {
        long before = inFlightOffsets.isEmpty() ? logEndOffset.getAsLong() : inFlightOffsets.firstKey();
        for (Stored stored : states.values()) {
            before = Math.min(before, stored.snapshotOffset());
        }
        return before;
    }

    @Override
    public void onUnloaded() {
        inFlightOffsets.clear();
        // The runtime has answered the writes in flight; what still waits behind them is answered here.
        for (ArrayDeque<Waiting> waiting : inProgress.values()) {
            waiting.forEach(operation -> operation.refuse().accept(Errors.NOT_COORDINATOR));
        }
        inProgress.clear();
    }

    // ------------------------------------------------------------------------------------------------ operations

    /**
     * Creates the state, or replaces it with a higher state epoch: start offset {@code startOffset}, no batches. The
     * leader epoch stored stays, so that an old leader is still fenced.
     */
    public CompletableFuture<Errors> initialize(ShareStateKey key, int stateEpoch, long startOffset) {
        return serialized(key, () -> {
            Stored stored = states.get(key);
            if (stored != null && stateEpoch <= stored.stateEpoch()) {
                return CompletableFuture.completedFuture(Errors.FENCED_STATE_EPOCH);
            }
            int snapshotEpoch = stored == null ? 0 : stored.snapshotEpoch() + 1;
            int leaderEpoch = stored == null ? -1 : stored.leaderEpoch();
            long nowMs = context.nowMs();
            Snapshot snapshot = new Snapshot(snapshotEpoch, stateEpoch, leaderEpoch, startOffset, nowMs, nowMs,
                    List.of());
            return writeThen(ShareStateRecords.snapshot(key, snapshot), () -> Errors.NONE, error -> error);
        });
    }

    /**
     * The state, as the leader of the topic partition at {@code leaderEpoch} (-1: without fencing); a higher leader
     * epoch than the stored one is recorded first.
     */
    public CompletableFuture<ReadResult> read(ShareStateKey key, int leaderEpoch) {
        return serialized(key, () -> {
            Stored stored = states.get(key);
            if (stored == null) {
                return CompletableFuture.completedFuture(new ReadResult(Errors.NONE, null, -1));
            }
            if (leaderEpoch >= 0 && leaderEpoch < stored.leaderEpoch()) {
                return CompletableFuture.completedFuture(new ReadResult(Errors.FENCED_LEADER_EPOCH, null,
                        stored.leaderEpoch()));
            }
            if (leaderEpoch <= stored.leaderEpoch()) {
                return CompletableFuture.completedFuture(new ReadResult(Errors.NONE, stored.state(),
                        stored.leaderEpoch()));
            }
            return writeThen(change(key, stored, leaderEpoch, -1, List.of()),
                    () -> new ReadResult(Errors.NONE, states.get(key).state(), leaderEpoch),
                    error -> new ReadResult(error, null, -1));
        });
    }

    /**
     * Merges a write of the leader at {@code leaderEpoch} (-1: without fencing) into the state: {@code startOffset}
     * (-1: unchanged) and {@code batches}, sorted and not overlapping. A share partition never initialized is created
     * at {@code stateEpoch}.
     */
    public CompletableFuture<Errors> write(ShareStateKey key, int leaderEpoch, int stateEpoch, long startOffset,
                                           List<StateBatch> batches) {
        return serialized(key, () -> {
            Stored stored = states.get(key);
            if (stored == null) {
                long nowMs = context.nowMs();
                long start = Math.max(0, startOffset);
                Snapshot snapshot = new Snapshot(0, stateEpoch, leaderEpoch, start, nowMs, nowMs,
                        merge(List.of(), start, batches));
                return writeThen(ShareStateRecords.snapshot(key, snapshot), () -> Errors.NONE, error -> error);
            }
            if (leaderEpoch >= 0 && leaderEpoch < stored.leaderEpoch()) {
                return CompletableFuture.completedFuture(Errors.FENCED_LEADER_EPOCH);
            }
            if (stateEpoch != stored.stateEpoch()) {
                return CompletableFuture.completedFuture(Errors.FENCED_STATE_EPOCH);
            }
            return writeThen(change(key, stored, leaderEpoch, startOffset, batches), () -> Errors.NONE,
                    error -> error);
        });
    }

    /** The state epoch, leader epoch and start offset, fencing nobody. */
    public Summary summary(ShareStateKey key) {
        Stored stored = states.get(key);
        if (stored == null) {
            return new Summary(Errors.NONE, 0, -1, -1);
        }
        long complete = 0;
        for (StateBatch batch : stored.batches()) {
            boolean done = batch.state() == io.strata.broker.share.RecordState.ACKNOWLEDGED
                    || batch.state() == io.strata.broker.share.RecordState.ARCHIVED;
            if (done && batch.lastOffset() >= stored.startOffset()) {
                complete += batch.lastOffset() - Math.max(batch.firstOffset(), stored.startOffset()) + 1;
            }
        }
        return new Summary(Errors.NONE, stored.stateEpoch(), stored.leaderEpoch(), stored.startOffset(),
                (int) Math.min(Integer.MAX_VALUE, Math.max(0, complete)));
    }

    /** Forgets the state: tombstones for its records, so the next read finds none. */
    public CompletableFuture<Errors> delete(ShareStateKey key) {
        return serialized(key, () -> {
            if (!states.containsKey(key)) {
                return CompletableFuture.completedFuture(Errors.NONE);
            }
            CompletableFuture<Errors> result = new CompletableFuture<>();
            long offset = logEndOffset.getAsLong();
            inFlightOffsets.merge(offset, 1, Integer::sum);
            context.write(ShareStateRecords.tombstones(key), () -> {
                landed(offset);
                states.remove(key);
                result.complete(Errors.NONE);
            }, error -> {
                failed(offset);
                result.complete(error);
            });
            return result;
        });
    }

    /** Share partitions with state here, for tests and metrics. */
    public int stateCount() {
        return states.size();
    }

    /** The stored state, or null; for tests. */
    Stored stored(ShareStateKey key) {
        return states.get(key);
    }

    // ------------------------------------------------------------------------------------------------ the records

    /**
     * The record of a change to existing state: an update on the current snapshot, or, once
     * {@code updatesPerSnapshot} updates have gathered, a snapshot of the merged state at the next snapshot epoch.
     */
    private CoordinatorRecord change(ShareStateKey key, Stored stored, int leaderEpoch, long startOffset,
                                     List<StateBatch> batches) {
        int newLeaderEpoch = Math.max(stored.leaderEpoch(), leaderEpoch);
        if (stored.updatesSinceSnapshot() < updatesPerSnapshot) {
            return ShareStateRecords.update(key, new Update(stored.snapshotEpoch(), newLeaderEpoch, startOffset,
                    batches));
        }
        long start = startOffset < 0 ? stored.startOffset() : startOffset;
        return ShareStateRecords.snapshot(key, new Snapshot(stored.snapshotEpoch() + 1, stored.stateEpoch(),
                newLeaderEpoch, start, stored.createTimestamp(), context.nowMs(),
                merge(stored.batches(), start, batches)));
    }

    /**
     * Writes {@code record} and, once committed, applies it to the state exactly as replay would and answers
     * {@code onCommitted}; a failed write changes nothing and answers {@code onFailed} of the error.
     */
    private <T> CompletableFuture<T> writeThen(CoordinatorRecord record, Supplier<T> onCommitted,
                                               java.util.function.Function<Errors, T> onFailed) {
        CompletableFuture<T> result = new CompletableFuture<>();
        long offset = logEndOffset.getAsLong();
        inFlightOffsets.merge(offset, 1, Integer::sum);
        context.write(List.of(record), () -> {
            landed(offset);
            apply(ShareStateRecords.decode(record), offset);
            result.complete(onCommitted.get());
        }, error -> {
            failed(offset);
            result.complete(onFailed.apply(error));
        });
        return result;
    }

    /** The write at {@code offset} is committed: it no longer holds the log's start. */
    private void landed(long offset) {
        inFlightOffsets.computeIfPresent(offset, (ignored, count) -> count == 1 ? null : count - 1);
    }

    /**
     * The write at {@code offset} was answered as failed. If nothing was appended since it was asked for, none of it
     * is in the log and it no longer holds the log's start. Otherwise it may be in the log, not replicated in time,
     * and still be committed and applied later: it keeps holding the start until then, or until the shard is
     * unloaded, so that pruning never cuts a record the state is built on. (Pruning stalls meanwhile: safety first.)
     */
    private void failed(long offset) {
        if (logEndOffset.getAsLong() == offset) {
            landed(offset);
        }
    }

    /**
     * Runs {@code operation} once the operations before it on the same key are answered, so that each decides on the
     * state its predecessor left.
     */
    private <T> CompletableFuture<T> serialized(ShareStateKey key, Supplier<CompletableFuture<T>> operation) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable run = () -> operation.get().whenComplete((value, failure) -> {
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(failure);
            }
            next(key);
        });
        ArrayDeque<Waiting> waiting = inProgress.get(key);
        if (waiting == null) {
            inProgress.put(key, new ArrayDeque<>());
            run.run();
        } else if (waiting.size() >= WAITING_PER_KEY_MAX) {
            result.completeExceptionally(Errors.COORDINATOR_NOT_AVAILABLE.exception(WAITING_PER_KEY_MAX
                    + " operations already wait on share partition " + key));
        } else {
            waiting.add(new Waiting(run, error -> result.completeExceptionally(error.exception())));
        }
        return result;
    }

    private void next(ShareStateKey key) {
        ArrayDeque<Waiting> waiting = inProgress.get(key);
        if (waiting == null) {
            return; // unloaded meanwhile
        }
        Waiting following = waiting.poll();
        if (following == null) {
            inProgress.remove(key);
        } else {
            following.run().run();
        }
    }

    // ------------------------------------------------------------------------------------------------ the merge rule

    /**
     * Kafka's merge rule: {@code changes} replace the state of the offsets they cover in {@code existing}; whatever
     * lies below {@code startOffset} is dropped (a batch across it is cut at it); neighbouring batches of the same
     * state, delivery count and pending acknowledgement are joined, which keeps the list as short as the state allows.
     */
    static List<StateBatch> merge(List<StateBatch> existing, long startOffset, List<StateBatch> changes) {
        List<StateBatch> pieces = new ArrayList<>();
        for (StateBatch old : existing) {
            addUncovered(old, changes, pieces);
        }
        pieces.addAll(changes);
        pieces.sort(Comparator.comparingLong(StateBatch::firstOffset));
        List<StateBatch> merged = new ArrayList<>();
        for (StateBatch piece : pieces) {
            if (piece.lastOffset() < startOffset) {
                continue;
            }
            StateBatch kept = piece.firstOffset() >= startOffset ? piece
                    : piece.over(startOffset, piece.lastOffset());
            StateBatch last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && last.lastOffset() + 1 == kept.firstOffset() && last.sameStateAs(kept)
                    && kept.lastOffset() - last.firstOffset() < Integer.MAX_VALUE) {
                merged.set(merged.size() - 1, last.over(last.firstOffset(), kept.lastOffset()));
            } else {
                merged.add(kept);
            }
        }
        return merged;
    }

    /** Adds the parts of {@code old} that no batch of {@code changes} covers. */
    private static void addUncovered(StateBatch old, List<StateBatch> changes, List<StateBatch> into) {
        long next = old.firstOffset();
        for (StateBatch change : changes) { // sorted, not overlapping
            if (change.lastOffset() < next) {
                continue;
            }
            if (change.firstOffset() > old.lastOffset()) {
                break;
            }
            if (change.firstOffset() > next) {
                into.add(old.over(next, change.firstOffset() - 1));
            }
            next = change.lastOffset() + 1;
            if (next > old.lastOffset()) {
                return;
            }
        }
        into.add(old.over(next, old.lastOffset()));
    }
}

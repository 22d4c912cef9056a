package io.strata.broker.partition;

import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.producer.ProducerStateManager;
import io.strata.broker.producer.ProducerStateManager.BatchMetadata;
import io.strata.broker.producer.ProducerStateManager.CompletedTransaction;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.batch.BatchInfo;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.AppendInfo;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

import io.strata.storage.log.LeaderEpochCache;
import org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One partition as this broker holds it: its log, its assignment (replicas, in-sync replicas, leader, leader epoch),
 * its high watermark (the offset below which every in-sync replica has the records, and below which consumers
 * read), its idempotent and transactional producers' state and its last stable offset (below which no transaction
 * is undecided, and below which read_committed consumers read).
 *
 * <p>As leader it tracks how far each follower has fetched: the high watermark is the lowest log end offset in the
 * ISR; a follower that has not caught up for {@code replica.lag.time.max.ms} is asked out of the ISR, and one that
 * has caught up is asked back in, through the controller ({@link IsrChanges}). As follower it takes the leader's
 * batches as they are, with their offsets and epochs, and the leader's high watermark.
 *
 * <p>Role changes are fenced against writes already on their way. A new term (leader or leader epoch) is taken holding
 * both locks, and every write checks, holding the append lock, that the role and leader epoch it was begun under still
 * hold: a produce that passed the leader check just before a demotion, and a fetch response from a leader that is no
 * longer the leader (or that lands after this broker was elected), are refused and leave the log as it is.
 *
 * <p>Thread-safety: appends, truncation and the producer state are serialised by the partition's append lock; the
 * followers' progress, the high watermark and its waiters by the replica lock (taken before the append lock when both
 * are held); reads take no lock; the assignment and high watermark are published through volatile fields. Waiters are
 * completed holding neither lock.
 */
public final class Partition {

    private static final System.Logger LOG = System.getLogger(Partition.class.getName());
    /** How long a leader waits before asking again for an ISR expansion the controller refused. */
    private static final long ISR_RETRY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final TopicPartition topicPartition;
    private final int localBrokerId;
    private final PartitionLog log;
    private final ProducerStateManager producers;
    private final Object appendLock = new Object();
    /**
     * KIP-890's verification guards, by producer id: the token a produce took before asking the transaction
     * coordinator about the producer's first transactional batch here. A marker for the producer drops it, so that
     * a batch verified before the transaction ended cannot open a transaction no coordinator knows of. At most one
     * per producer; dropped by the marker, by the append it guarded, or when the coordinator refused. Guarded by the
     * append lock.
     */
    private final Map<Long, Object> verificationGuards = new HashMap<>();
    private final Object replicaLock = new Object();
    private final Listener listener;
    private final Map<Integer, FollowerProgress> followers = new HashMap<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private volatile Uuid topicId;
    private volatile PartitionAssignment assignment;
    private volatile long highWatermark;
    /**
     * The producer state's first unstable offset, published for readers of the last stable offset; written holding
     * the append lock. {@link Long#MAX_VALUE} when no transaction is open or waiting for its marker to replicate.
     */
    private volatile long firstUnstableOffset = Long.MAX_VALUE;
    /** The ISR change this leader asked the controller for and has no answer to yet; guarded by the replica lock. */
    private IsrChange pendingIsrChange;
    /** The last ISR expansion the controller refused, and when: it is asked for again only after a pause. */
    private List<Integer> refusedExpansion;
    private long refusedExpansionNanos;
    private long leaderEpochStartOffset;
    private final java.util.concurrent.atomic.AtomicLong bytesSinceHighWatermark =
            new java.util.concurrent.atomic.AtomicLong();

    /** What the replica manager hears from a partition. */
    public interface Listener {
        /** The high watermark moved up: records became readable by consumers. */
        void onHighWatermark(TopicPartition partition, long bytes);

        /** This leader wants the ISR changed; the answer comes back as a metadata update. */
        void requestIsrChange(Partition partition, PartitionAssignment basedOn, List<Integer> newIsr);

        /** Whether the broker is a live member of the cluster now. */
        boolean isLive(int brokerId);
    }

    /** A follower as its leader sees it. */
    private static final class FollowerProgress {
        long logEndOffset = -1;
        long lastCaughtUpTimeMs;
        long lastFetchTimeMs;
        long lastFetchLeaderLogEndOffset;
    }

    /** An ISR change asked for: {@code isr} instead of the ISR of {@code basedOn}. */
    private record IsrChange(PartitionAssignment basedOn, List<Integer> isr) {
    }

    /** An acks=all produce waiting for the high watermark to pass {@code offset}. */
    private record Waiter(long offset, CompletableFuture<Void> done) {
    }

    Partition(TopicPartition topicPartition, Uuid topicId, int localBrokerId, PartitionAssignment assignment,
              PartitionLog log, Listener listener, long nowMs) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.localBrokerId = localBrokerId;
        this.assignment = assignment;
        this.log = log;
        this.listener = listener;
        this.producers = new ProducerStateManager(topicPartition);
        loadProducerState();
        this.highWatermark = log.logStartOffset();
        if (assignment.leader() == localBrokerId) {
            synchronized (replicaLock) {
                synchronized (appendLock) {
                    startLeaderEpoch(assignment);
                }
                becomeLeader(assignment, nowMs);
            }
        }
        maybeAdvanceHighWatermark();
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public PartitionLog log() {
        return log;
    }

    public PartitionAssignment assignment() {
        return assignment;
    }

    public int leaderEpoch() {
        return assignment.leaderEpoch();
    }

    public boolean isLeader() {
        return assignment.leader() == localBrokerId;
    }

    public long highWatermark() {
        return highWatermark;
    }

    /**
     * The offset below which consumers reading committed data may read: the high watermark, or the first offset of
     * the earliest transaction still open (or whose marker the in-sync replicas do not all have yet), if lower.
     */
    public long lastStableOffset() {
        // An open transaction whose first records retention deleted holds the LSO at the log start, as in Kafka.
        return Math.min(highWatermark, Math.max(firstUnstableOffset, log.logStartOffset()));
    }

    /**
     * The aborted transactions overlapping {@code [fetchOffset, upperBoundOffset)}, for a read_committed fetch of
     * that range: their producers' records there are to be skipped.
     */
    public List<AbortedTransaction> abortedTransactions(long fetchOffset, long upperBoundOffset) {
        return log.collectAbortedTransactions(fetchOffset, upperBoundOffset);
    }

    /**
     * Whether the producer has a transaction open here at {@code epoch}. A batch of a later epoch begins a new
     * transaction (transaction protocol version 2 bumps the epoch at every end), which the transaction coordinator
     * must confirm first: until the marker of the one open here is written, it would be taken into that one.
     */
    public boolean hasOngoingTransaction(long producerId, short epoch) {
        synchronized (appendLock) {
            return producers.ongoingTransactionFirstOffset(producerId) >= 0 && producers.epochOf(producerId) == epoch;
        }
    }

    /**
     * Takes the verification guard of the producer (the one a concurrent verification took, if any) before its first
     * transactional batch here is checked with the transaction coordinator; {@link #appendAsLeader(MemoryRecords,
     * short, AppendOrigin, Object)} refuses the batch if a marker for the producer was written meanwhile.
     */
    public Object startTransactionVerification(long producerId) {
        synchronized (appendLock) {
            return verificationGuards.computeIfAbsent(producerId, id -> new Object());
        }
    }

    /** Drops the producer's verification guard, if it is still {@code guard}: the coordinator refused the batch. */
    public void abandonTransactionVerification(long producerId, Object guard) {
        synchronized (appendLock) {
            verificationGuards.remove(producerId, guard);
        }
    }

    /** The first offset of the producer's open transaction here, or -1. */
    public long ongoingTransactionFirstOffset(long producerId) {
        synchronized (appendLock) {
            return producers.ongoingTransactionFirstOffset(producerId);
        }
    }

    /**
     * Takes a new assignment from the metadata. Produces waiting for acks=all are failed NOT_LEADER_OR_FOLLOWER when
     * this broker stops leading.
     */
    void update(Uuid newTopicId, PartitionAssignment newAssignment, LogConfig config, long nowMs) {
        this.topicId = newTopicId;
        log.updateConfig(config);
        List<Waiter> orphaned = List.of();
        synchronized (replicaLock) {
            PartitionAssignment previous = this.assignment;
            boolean newTerm = startsNewTerm(previous, newAssignment);
            if (newTerm) {
                synchronized (appendLock) {
                    // A write holding the append lock has checked the term it was begun under; one after this sees
                    // the new term. A new leader's epoch starts at the log end in the same step, before its appends.
                    this.assignment = newAssignment;
                    if (newAssignment.leader() == localBrokerId) {
                        startLeaderEpoch(newAssignment);
                    }
                }
            } else {
                // Same leader and epoch (an ISR or replica change): nothing a write checks changes.
                this.assignment = newAssignment;
            }
            if (!newAssignment.equals(previous)) {
                // The answer to a pending ISR change, or a change that makes it moot: the controller refuses a
                // change based on an older partition epoch.
                pendingIsrChange = null;
            }
            if (newTerm && newAssignment.leader() == localBrokerId) {
                becomeLeader(newAssignment, nowMs);
            } else if (newAssignment.leader() == localBrokerId
                    && !newAssignment.replicas().equals(previous.replicas())) {
                trackReplicas(newAssignment);
            } else if (newTerm) {
                followers.clear();
                orphaned = drainWaiters();
            }
        }
        if (!orphaned.isEmpty()) {
            completeWaiters(orphaned, new NotLeaderOrFollowerException("Broker " + localBrokerId
                    + " no longer leads " + topicPartition + "; the leader is now " + newAssignment.leader()));
        }
        maybeAdvanceHighWatermark();
    }

    /** Whether {@code next} has another leader or leader epoch than {@code previous}: a new term for the fetchers. */
    static boolean startsNewTerm(PartitionAssignment previous, PartitionAssignment next) {
        return previous.leader() != next.leader() || previous.leaderEpoch() != next.leaderEpoch();
    }

    /**
     * The replica set changed within this leader's term (a reassignment adding or removing replicas): new replicas
     * are tracked from their first fetch, and removed ones are no longer waited for. Called holding the replica lock.
     */
    private void trackReplicas(PartitionAssignment current) {
        followers.keySet().removeIf(replica -> !current.replicas().contains(replica));
        for (int replica : current.replicas()) {
            if (replica != localBrokerId) {
                followers.computeIfAbsent(replica, added -> new FollowerProgress());
            }
        }
    }

    /**
     * This broker no longer holds a replica (the partition moved away or its topic was deleted): produces waiting for
     * acks=all are answered NOT_LEADER_OR_FOLLOWER now, so that their producers look for the new leader instead of
     * waiting for a timeout.
     */
    void removed(String reason) {
        List<Waiter> orphaned;
        synchronized (replicaLock) {
            followers.clear();
            orphaned = drainWaiters();
        }
        completeWaiters(orphaned, new NotLeaderOrFollowerException("Broker " + localBrokerId
                + " no longer holds a replica of " + topicPartition + ": " + reason));
    }

    /** Refuses an acks=all write when fewer than {@code min.insync.replicas} of the ISR are in sync and alive. */
    private void checkEnoughInSync(PartitionAssignment current) {
        int minInSync = log.config().minInSyncReplicas;
        if (current.isr().size() < minInSync || liveInSync(current) < minInSync) {
            List<Integer> live = current.isr().stream().filter(this::isLiveReplica).toList();
            throw new NotEnoughReplicasException("Only " + live + " of the current ISR " + current.isr()
                    + " are live and in sync, too few to satisfy the min.isr requirement of " + minInSync
                    + " for partition " + topicPartition);
        }
    }

    /** How many of the ISR are live brokers; counted on every acks=all append, so without allocating. */
    private int liveInSync(PartitionAssignment current) {
        int live = 0;
        for (int replica : current.isr()) {
            if (isLiveReplica(replica)) {
                live++;
            }
        }
        return live;
    }

    private boolean isLiveReplica(int brokerId) {
        return brokerId == localBrokerId || listener.isLive(brokerId);
    }

    /** Records that this leader's epoch starts at the log end. Called holding the replica lock and the append lock. */
    private void startLeaderEpoch(PartitionAssignment current) {
        leaderEpochStartOffset = log.logEndOffset();
        log.leaderEpochCache().assign(current.leaderEpoch(), leaderEpochStartOffset);
    }

    /** Starts tracking the followers of a new term as leader. Called holding the replica lock. */
    private void becomeLeader(PartitionAssignment current, long nowMs) {
        followers.clear();
        for (int replica : current.replicas()) {
            if (replica != localBrokerId) {
                FollowerProgress progress = new FollowerProgress();
                // Replicas in the ISR get a full lag period to show up before they are asked out.
                progress.lastCaughtUpTimeMs = current.isr().contains(replica) ? nowMs : 0;
                followers.put(replica, progress);
            }
        }
        LOG.log(Level.INFO, "Broker {0} leads {1} from offset {2} at epoch {3}, ISR {4}", localBrokerId,
                topicPartition, leaderEpochStartOffset, current.leaderEpoch(), current.isr());
    }

    /**
     * Appends a producer's batches as leader. Retries of batches already written (same producer, epoch and
     * sequence numbers) are not written again: the original offsets are returned.
     *
     * @param requiredAcks 0, 1 or -1 (all in-sync replicas)
     * @throws NotLeaderOrFollowerException if this broker does not lead the partition, or stopped leading it (or
     *                                      began another term) before the records were written
     * @throws NotEnoughReplicasException   if acks=all and fewer replicas than {@code min.insync.replicas} are in sync
     *                                      and alive: a follower known dead is not waited for, even before the
     *                                      controller has taken it out of the ISR (or when there is no controller)
     */
    public AppendResult appendAsLeader(MemoryRecords records, short requiredAcks, AppendOrigin origin) {
        return appendAsLeader(records, requiredAcks, origin, null);
    }

    /**
     * As {@link #appendAsLeader(MemoryRecords, short, AppendOrigin)}, for a transactional batch the transaction
     * coordinator confirmed holding {@code verificationGuard} from {@link #startTransactionVerification}.
     *
     * @throws NotEnoughReplicasException if the batch would open a transaction and the guard is gone: a marker for
     *                                     the producer was written after the coordinator confirmed it (retriable: the
     *                                     retry is verified again)
     */
    public AppendResult appendAsLeader(MemoryRecords records, short requiredAcks, AppendOrigin origin,
                                       Object verificationGuard) {
        PartitionAssignment current = assignment;
        if (current.leader() != localBrokerId) {
            throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " does not lead " + topicPartition
                    + "; its leader is " + current.leader());
        }
        int minInSync = log.config().minInSyncReplicas;
        if (requiredAcks == -1 && current.isr().size() < minInSync) {
            throw new NotEnoughReplicasException("The size of the current ISR " + current.isr() + " is insufficient"
                    + " to satisfy the min.isr requirement of " + minInSync + " for partition " + topicPartition);
        }
        if (requiredAcks == -1 && liveInSync(current) < minInSync) {
            List<Integer> live = current.isr().stream().filter(this::isLiveReplica).toList();
            throw new NotEnoughReplicasException("Only " + live + " of the current ISR " + current.isr()
                    + " are live, too few to satisfy the min.isr requirement of " + minInSync + " for partition "
                    + topicPartition);
        }
        AppendResult result;
        synchronized (appendLock) {
            checkStillLeading(current);
            MutableRecordBatch first = records.batches().iterator().hasNext()
                    ? records.batches().iterator().next() : null;
            List<Boolean> transactionalFlags = new ArrayList<>();
            for (MutableRecordBatch batch : records.batches()) {
                transactionalFlags.add(batch.isTransactional());
            }
            boolean transactional = first != null && first.isTransactional();
            if (first != null && first.hasProducerId()) {
                BatchMetadata duplicate = producers.checkBeforeAppend(first.producerId(), first.producerEpoch(),
                        first.baseSequence(), first.lastSequence());
                if (duplicate != null) {
                    return AppendResult.duplicate(duplicate.firstOffset(), duplicate.lastOffset(),
                            log.logStartOffset());
                }
                producers.checkTransactionState(first.producerId(), transactional);
                checkVerificationGuard(first, verificationGuard);
            }
            long activeBase = log.activeSegment().baseOffset();
            AppendInfo info = log.append(records.buffer(), current.leaderEpoch(), origin);
            List<BatchInfo> written = info.batches();
            if (written.size() != transactionalFlags.size()) {
                throw new IllegalStateException("the log wrote " + written.size() + " batches for the "
                        + transactionalFlags.size() + " appended to " + topicPartition);
            }
            for (int i = 0; i < written.size(); i++) {
                BatchInfo batch = written.get(i);
                if (batch.producerId() != RecordBatch.NO_PRODUCER_ID) {
                    // The validator writes the batches it was given, in order, one for one.
                    producers.update(batch.producerId(), batch.producerEpoch(), metadataOf(batch),
                            transactionalFlags.get(i));
                }
            }
            publishFirstUnstableOffset();
            if (log.activeSegment().baseOffset() != activeBase && producers.producerCount() > 0) {
                // The log rolled: a snapshot now bounds the replay after a crash to the active segment.
                writeProducerSnapshot();
            }
            bytesSinceHighWatermark.addAndGet(info.sizeInBytes());
            result = AppendResult.appended(info);
        }
        // Outside the append lock: completing waiting fetches sends their responses.
        maybeAdvanceHighWatermark();
        return result;
    }

    /**
     * Checks, holding the append lock, a verified transactional batch that would open its producer's transaction
     * here against the guard taken before the coordinator was asked, and drops the guard: it has served.
     */
    private void checkVerificationGuard(RecordBatch first, Object verificationGuard) {
        if (verificationGuard == null || !first.isTransactional()
                || producers.ongoingTransactionFirstOffset(first.producerId()) >= 0) {
            return;
        }
        if (verificationGuards.get(first.producerId()) != verificationGuard) {
            // A marker of the producer came between the coordinator's answer and now. It may have ended the
            // transaction the batch belongs to (taking the batch would open one no coordinator knows of), or only the
            // previous one, whose markers the coordinator finished before it added this partition to the next. Which
            // one cannot be told here: the producer retries, and the retry is verified afresh.
            throw new NotEnoughReplicasException("A transaction marker of producer " + first.producerId() + " was"
                    + " written in " + topicPartition + " while its batch was being verified with the transaction"
                    + " coordinator; verify it again");
        }
        verificationGuards.remove(first.producerId());
    }

    /**
     * Checks, holding the append lock, that this broker still leads in the term {@code begunUnder} an append checked
     * before taking it: the leader epoch it stamps on the records must be the current one.
     */
    private void checkStillLeading(PartitionAssignment begunUnder) {
        PartitionAssignment current = assignment;
        if (current.leader() != localBrokerId || current.leaderEpoch() != begunUnder.leaderEpoch()) {
            throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " stopped leading " + topicPartition
                    + " at epoch " + begunUnder.leaderEpoch() + " before the records were written; its leader is "
                    + current.leader() + " at epoch " + current.leaderEpoch());
        }
    }

    /**
     * Writes a COMMIT or ABORT marker for a producer's transaction as leader, as the transaction coordinator asks
     * through WriteTxnMarkers: a control batch with the producer's id and epoch and the coordinator's epoch. An ABORT
     * is recorded in the aborted-transaction index. The caller waits for acks=all with {@link #awaitReplication}.
     *
     * @throws NotLeaderOrFollowerException   if this broker does not lead the partition
     * @throws NotEnoughReplicasException     if fewer replicas than {@code min.insync.replicas} are in sync and alive
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException         if the producer epoch is older
     *                                        than the producer's current one here
     * @throws org.apache.kafka.common.errors.TransactionCoordinatorFencedException if the coordinator epoch is older
     *                                        than the last marker's
     */
    public AppendResult appendTransactionMarker(long producerId, short producerEpoch, int coordinatorEpoch,
                                                boolean commit, long nowMs) {
        PartitionAssignment current = assignment;
        if (current.leader() != localBrokerId) {
            throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " does not lead " + topicPartition
                    + "; its leader is " + current.leader());
        }
        checkEnoughInSync(current);
        AppendResult result;
        synchronized (appendLock) {
            checkStillLeading(current);
            producers.checkEndTransaction(producerId, producerEpoch, coordinatorEpoch);
            MemoryRecords marker = MemoryRecords.withEndTransactionMarker(nowMs, producerId, producerEpoch,
                    new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
                            coordinatorEpoch));
            long activeBase = log.activeSegment().baseOffset();
            AppendInfo info = log.append(marker.buffer(), current.leaderEpoch(), AppendOrigin.COORDINATOR);
            completeTransaction(producerId, producerEpoch, coordinatorEpoch, commit, info.firstOffset(), nowMs);
            if (log.activeSegment().baseOffset() != activeBase) {
                writeProducerSnapshot();
            }
            bytesSinceHighWatermark.addAndGet(info.sizeInBytes());
            result = AppendResult.appended(info);
        }
        maybeAdvanceHighWatermark();
        return result;
    }

    /**
     * Ends a transaction in the producer state at the marker written at {@code markerOffset}, and indexes it if it
     * aborted. Called holding the append lock, as leader, as follower and in a replay (where an entry the segment
     * holds already is not written again).
     */
    private void completeTransaction(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                     long markerOffset, long timestampMs) {
        CompletedTransaction completed = producers.completeTransaction(producerId, producerEpoch, coordinatorEpoch,
                commit, markerOffset, timestampMs);
        verificationGuards.remove(producerId); // a batch verified before this marker must not open a transaction
        if (completed.aborted()) {
            log.appendAbortedTransaction(new AbortedTransaction(producerId, completed.firstOffset(),
                    completed.lastOffset(), producers.lastStableOffsetAfter(completed)));
        }
        publishFirstUnstableOffset();
    }

    /** Applies a control batch from the log (fetched from the leader, or replayed). Called holding the append lock. */
    private void applyControlBatch(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return;
        }
        Record record;
        try (var records = batch.streamingIterator(org.apache.kafka.common.utils.BufferSupplier.NO_CACHING)) {
            if (!records.hasNext()) {
                return;
            }
            record = records.next();
        }
        ControlRecordType type = ControlRecordType.parse(record.key());
        if (type != ControlRecordType.COMMIT && type != ControlRecordType.ABORT) {
            return;
        }
        EndTransactionMarker marker = EndTransactionMarker.deserialize(record);
        completeTransaction(batch.producerId(), batch.producerEpoch(), marker.coordinatorEpoch(),
                type == ControlRecordType.COMMIT, batch.baseOffset(), batch.maxTimestamp());
    }

    /** Publishes the producer state's first unstable offset to readers. Called holding the append lock. */
    private void publishFirstUnstableOffset() {
        long first = producers.firstUnstableOffset();
        firstUnstableOffset = first;
        log.setFirstUnstableOffset(first);
    }

    /**
     * The high watermark moved to {@code newHighWatermark}: transactions whose marker it passed are stable now.
     * Takes the append lock, so only when a transaction is unstable.
     */
    private void releaseStableTransactions(long newHighWatermark) {
        if (firstUnstableOffset == Long.MAX_VALUE) {
            return;
        }
        synchronized (appendLock) {
            producers.onHighWatermark(newHighWatermark);
            publishFirstUnstableOffset();
        }
    }

    /**
     * Completes when the high watermark has passed {@code lastOffset} with at least {@code min.insync.replicas} in
     * sync (acks=all); fails with NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below it meanwhile, or
     * NOT_LEADER_OR_FOLLOWER if this broker stopped leading.
     */
    public CompletableFuture<Void> awaitReplication(long lastOffset) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        RuntimeException outcome;
        synchronized (replicaLock) {
            if (assignment.leader() != localBrokerId) {
                outcome = new NotLeaderOrFollowerException("Broker " + localBrokerId + " no longer leads "
                        + topicPartition);
            } else if (highWatermark > lastOffset) {
                outcome = tooFewInSync(assignment);
            } else {
                waiters.add(new Waiter(lastOffset, done));
                return done;
            }
        }
        complete(done, outcome);
        return done;
    }

    /**
     * NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR {@code current} is smaller than {@code min.insync.replicas}, so
     * that records the high watermark passed are not acknowledged as safe; {@code null} if they are.
     */
    private RuntimeException tooFewInSync(PartitionAssignment current) {
        int minInSync = log.config().minInSyncReplicas;
        if (current.isr().size() >= minInSync) {
            return null;
        }
        return new NotEnoughReplicasAfterAppendException("The ISR of " + topicPartition + " " + current.isr()
                + " shrank below min.insync.replicas=" + minInSync + " while the records were replicated");
    }

    /** Takes every waiter out of the list, to be completed once the replica lock is released. */
    private List<Waiter> drainWaiters() {
        if (waiters.isEmpty()) {
            return List.of();
        }
        List<Waiter> drained = new ArrayList<>(waiters);
        waiters.clear();
        return drained;
    }

    /**
     * Completes waiters taken out of the list, with {@code error} unless it is {@code null}. Called holding neither lock: a completion runs the produce's
     * callbacks on this thread, and those call back into this partition ({@link #cancelWaiter},
     * {@link #appendAsLeader}, {@link #awaitReplication}) or answer a request.
     */
    private static void completeWaiters(List<Waiter> drained, RuntimeException error) {
        for (Waiter waiter : drained) {
            complete(waiter.done(), error);
        }
    }

    /** Completes normally if {@code error} is {@code null}, else with it. */
    private static void complete(CompletableFuture<Void> done, RuntimeException error) {
        if (error == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(error);
        }
    }

    /** Abandons a waiter that timed out. */
    public void cancelWaiter(CompletableFuture<Void> done) {
        synchronized (replicaLock) {
            waiters.removeIf(waiter -> waiter.done() == done);
        }
    }

    // ------------------------------------------------------------------------------------------ as leader

    /**
     * Records a follower's fetch from {@code fetchOffset}, which tells that it has every record below it: moves the
     * high watermark, and asks for the follower to join the ISR once it has caught up.
     */
    public void recordFollowerFetch(int replicaId, long fetchOffset, long nowMs) {
        PartitionAssignment current;
        List<Integer> expanded = null;
        boolean quietRetry;
        synchronized (replicaLock) {
            current = assignment;
            FollowerProgress progress = followers.get(replicaId);
            if (progress == null || current.leader() != localBrokerId) {
                return;
            }
            long leaderEnd = log.logEndOffset();
            if (fetchOffset >= leaderEnd) {
                progress.lastCaughtUpTimeMs = Math.max(progress.lastCaughtUpTimeMs, nowMs);
            } else if (fetchOffset >= progress.lastFetchLeaderLogEndOffset) {
                progress.lastCaughtUpTimeMs = Math.max(progress.lastCaughtUpTimeMs, progress.lastFetchTimeMs);
            }
            progress.logEndOffset = fetchOffset;
            progress.lastFetchLeaderLogEndOffset = leaderEnd;
            progress.lastFetchTimeMs = nowMs;
            boolean retry = false;
            if (!current.isr().contains(replicaId) && pendingIsrChange == null && fetchOffset >= highWatermark
                    && fetchOffset >= leaderEpochStartOffset) {
                expanded = new ArrayList<>(current.isr());
                expanded.add(replicaId);
                retry = expanded.equals(refusedExpansion);
                if (retry && System.nanoTime() - refusedExpansionNanos < ISR_RETRY_BACKOFF_NANOS) {
                    // Refused moments ago (a restarted broker not yet back in the controller quorum): every fetch
                    // asking again would flood the controller and the log.
                    expanded = null;
                } else {
                    pendingIsrChange = new IsrChange(current, List.copyOf(expanded));
                }
            }
            quietRetry = retry;
        }
        maybeAdvanceHighWatermark();
        if (expanded != null) {
            LOG.log(quietRetry ? Level.DEBUG : Level.INFO, "{0}: follower {1} has caught up at offset {2}; asking to"
                    + " add it to the ISR", topicPartition, replicaId, fetchOffset);
            listener.requestIsrChange(this, current, expanded);
        }
    }

    /** Asks for followers that have not caught up for {@code maxLagMs} to leave the ISR. */
    public void maybeShrinkIsr(long nowMs, long maxLagMs) {
        PartitionAssignment current;
        List<Integer> shrunk;
        List<Integer> lagging = new ArrayList<>();
        synchronized (replicaLock) {
            current = assignment;
            if (current.leader() != localBrokerId || pendingIsrChange != null) {
                return;
            }
            shrunk = new ArrayList<>();
            for (int replica : current.isr()) {
                FollowerProgress progress = followers.get(replica);
                if (replica != localBrokerId && progress != null && nowMs - progress.lastCaughtUpTimeMs > maxLagMs) {
                    lagging.add(replica);
                } else {
                    shrunk.add(replica);
                }
            }
            if (lagging.isEmpty()) {
                return;
            }
            pendingIsrChange = new IsrChange(current, List.copyOf(shrunk));
        }
        LOG.log(Level.INFO, "{0}: followers {1} have not caught up for {2} ms; asking to shrink the ISR to {3}",
                topicPartition, lagging, maxLagMs, shrunk);
        listener.requestIsrChange(this, current, shrunk);
    }

    /**
     * The ISR change to {@code isr} that this leader asked for, based on {@code basedOn}, was refused or lost: it may
     * ask again, and the high watermark no longer waits for a follower that change would have added. The answer to an
     * earlier request leaves a later pending one alone.
     */
    void isrChangeFailed(PartitionAssignment basedOn, List<Integer> isr) {
        synchronized (replicaLock) {
            if (pendingIsrChange == null || !pendingIsrChange.basedOn().equals(basedOn)
                    || !pendingIsrChange.isr().equals(isr)) {
                return;
            }
            pendingIsrChange = null;
            if (isr.size() > basedOn.isr().size()) {
                refusedExpansion = List.copyOf(isr);
                refusedExpansionNanos = System.nanoTime();
            }
        }
        maybeAdvanceHighWatermark();
    }

    /** The log end offset each replica is known to have, this leader's included (-1: not known yet). */
    public Map<Integer, Long> replicaLogEndOffsets() {
        Map<Integer, Long> ends = new HashMap<>();
        synchronized (replicaLock) {
            followers.forEach((id, progress) -> ends.put(id, progress.logEndOffset));
        }
        ends.put(localBrokerId, log.logEndOffset());
        return ends;
    }

    // ------------------------------------------------------------------------------------------ as follower

    /**
     * Appends batches fetched from the leader, keeping their offsets and leader epochs.
     *
     * @param leaderId    the broker the batches were fetched from
     * @param leaderEpoch the leader epoch they were fetched under
     * @throws FencedLeaderEpochException   if this broker no longer follows {@code leaderId} at {@code leaderEpoch}
     * @throws NotLeaderOrFollowerException if this broker leads the partition, or it has no leader
     */
    public void appendAsFollower(MemoryRecords records, int leaderId, int leaderEpoch) {
        synchronized (appendLock) {
            checkFollowing(leaderId, leaderEpoch);
            long activeBase = log.activeSegment().baseOffset();
            log.appendAsFollower(records.buffer());
            for (MutableRecordBatch batch : records.batches()) {
                applyBatch(batch);
            }
            if (log.activeSegment().baseOffset() != activeBase && producers.producerCount() > 0) {
                writeProducerSnapshot();
            }
        }
    }

    /**
     * Takes the leader's high watermark, as far as this replica's log reaches.
     *
     * @throws FencedLeaderEpochException   if this broker no longer follows {@code leaderId} at {@code leaderEpoch}
     * @throws NotLeaderOrFollowerException if this broker leads the partition, or it has no leader
     */
    public void updateFollowerHighWatermark(long leaderHighWatermark, int leaderId, int leaderEpoch) {
        long next = Math.min(leaderHighWatermark, log.logEndOffset());
        long before;
        synchronized (replicaLock) {
            // A new term is taken holding both locks, so this one suffices to see it settled.
            checkFollowing(leaderId, leaderEpoch);
            before = highWatermark;
            if (next > before) {
                highWatermark = next;
            }
        }
        if (next > before) {
            releaseStableTransactions(next);
            listener.onHighWatermark(topicPartition, 0);
        }
    }

    /**
     * Removes the records from {@code offset} on, where this replica's log diverged from the leader's, and rebuilds
     * the producer state without them.
     *
     * @param leaderId    the leader whose answer called for the truncation
     * @param leaderEpoch the leader epoch it answered under
     * @throws FencedLeaderEpochException   if this broker no longer follows {@code leaderId} at {@code leaderEpoch}
     * @throws NotLeaderOrFollowerException if this broker leads the partition, or it has no leader
     */
    public void truncateTo(long offset, int leaderId, int leaderEpoch) {
        synchronized (appendLock) {
            checkFollowing(leaderId, leaderEpoch);
            if (!log.truncateTo(offset)) {
                return;
            }
            loadProducerState();
        }
        synchronized (replicaLock) {
            highWatermark = Math.min(highWatermark, log.logEndOffset());
        }
        releaseStableTransactions(highWatermark);
    }

    /**
     * Empties the log and restarts it at {@code offset}, when the leader no longer has what this replica lacks.
     *
     * @throws FencedLeaderEpochException   if this broker no longer follows {@code leaderId} at {@code leaderEpoch}
     * @throws NotLeaderOrFollowerException if this broker leads the partition, or it has no leader
     */
    public void truncateFullyAndStartAt(long offset, int leaderId, int leaderEpoch) {
        synchronized (appendLock) {
            checkFollowing(leaderId, leaderEpoch);
            log.truncateFullyAndStartAt(offset);
            loadProducerState();
        }
        synchronized (replicaLock) {
            highWatermark = offset;
        }
        releaseStableTransactions(offset);
    }

    /**
     * Checks that this broker follows {@code leaderId} at {@code leaderEpoch}, the term a fetch response was asked
     * under. Called holding the append lock or the replica lock, which the assignment changes under: the answer holds
     * until the lock is released.
     */
    private void checkFollowing(int leaderId, int leaderEpoch) {
        PartitionAssignment current = assignment;
        if (current.leader() == localBrokerId || current.leader() < 0) {
            throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " does not follow a leader of "
                    + topicPartition + " (its leader is " + current.leader() + " at epoch " + current.leaderEpoch()
                    + "); records fetched from broker " + leaderId + " at epoch " + leaderEpoch + " are dropped");
        }
        if (current.leader() != leaderId || current.leaderEpoch() != leaderEpoch) {
            throw new FencedLeaderEpochException("Broker " + localBrokerId + " follows broker " + current.leader()
                    + " at epoch " + current.leaderEpoch() + " for " + topicPartition + ", not broker " + leaderId
                    + " at epoch " + leaderEpoch + "; what was fetched from it is dropped");
        }
    }

    public LeaderEpochCache leaderEpochCache() {
        return log.leaderEpochCache();
    }

    /**
     * Applies a batch the log holds to the producer state: a producer's data batch, or a transaction marker. Called
     * holding the append lock.
     */
    private void applyBatch(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return;
        }
        if (batch.isControlBatch()) {
            applyControlBatch(batch);
        } else {
            producers.update(batch.producerId(), batch.producerEpoch(), BatchMetadata.of(batch),
                    batch.isTransactional());
            publishFirstUnstableOffset();
        }
    }

    private static BatchMetadata metadataOf(BatchInfo batch) {
        return BatchMetadata.of(batch);
    }

    /**
     * As leader, moves the high watermark up to the lowest log end offset among the in-sync replicas (this broker's
     * own for a replica it has not heard from yet cannot count: it stays where it is), and completes the produces
     * waiting for it.
     *
     * <p>The in-sync replicas counted are Kafka's "maximal ISR": the ISR plus a follower this leader asked to add, until
     * the controller answers. The controller may commit that follower and elect it at any moment, so records it lacks
     * must not be acknowledged yet. A follower asked out still counts until the controller commits its removal.
     */
    private void maybeAdvanceHighWatermark() {
        long bytes;
        List<Waiter> reached;
        RuntimeException outcome;
        long candidate;
        synchronized (replicaLock) {
            PartitionAssignment current = assignment;
            if (current.leader() != localBrokerId) {
                return;
            }
            candidate = Math.min(log.logEndOffset(), lowestLogEndOffset(current.isr()));
            if (pendingIsrChange != null) {
                candidate = Math.min(candidate, lowestLogEndOffset(pendingIsrChange.isr()));
            }
            if (candidate <= highWatermark) {
                return;
            }
            highWatermark = candidate;
            reached = drainWaitersBelow(candidate);
            outcome = reached.isEmpty() ? null : tooFewInSync(current);
            bytes = bytesSinceHighWatermark.getAndSet(0);
        }
        // Before the fetches waiting for it are woken: read_committed ones read up to the last stable offset.
        releaseStableTransactions(candidate);
        completeWaiters(reached, outcome);
        listener.onHighWatermark(topicPartition, bytes);
    }

    /**
     * The lowest log end offset among {@code replicas} other than this broker ({@code Long.MAX_VALUE} if none; -1 for
     * one not heard from). Called holding the replica lock, on every high watermark check, so without allocating.
     */
    private long lowestLogEndOffset(List<Integer> replicas) {
        long lowest = Long.MAX_VALUE;
        for (int replica : replicas) {
            if (replica != localBrokerId) {
                FollowerProgress progress = followers.get(replica);
                lowest = Math.min(lowest, progress == null ? -1 : progress.logEndOffset);
            }
        }
        return lowest;
    }

    /** Takes the waiters for offsets below {@code highWatermark} out of the list. Called holding the replica lock. */
    private List<Waiter> drainWaitersBelow(long highWatermark) {
        List<Waiter> reached = List.of();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter waiter = it.next();
            if (waiter.offset() < highWatermark) {
                it.remove();
                if (reached.isEmpty()) {
                    reached = new ArrayList<>();
                }
                reached.add(waiter);
            }
        }
        return reached;
    }

    /**
     * Checks the leader epoch a client believes in against this partition's: an older one is fenced, a newer one
     * means this broker has not heard of the change yet.
     */
    public void checkLeaderEpoch(Optional<Integer> clientEpoch) {
        if (clientEpoch.isEmpty() || clientEpoch.get() == RecordBatch.NO_PARTITION_LEADER_EPOCH) {
            return;
        }
        int ours = leaderEpoch();
        if (clientEpoch.get() < ours) {
            throw new FencedLeaderEpochException("Leader epoch " + clientEpoch.get() + " of " + topicPartition
                    + " is older than the current epoch " + ours);
        }
        if (clientEpoch.get() > ours) {
            throw new UnknownLeaderEpochException("Leader epoch " + clientEpoch.get() + " of " + topicPartition
                    + " is newer than this broker's " + ours);
        }
    }

    /** Whole batches from {@code offset}, up to the log end, for a follower. */
    public LogReadResult readForFollower(long offset, int maxBytes, boolean minOneMessage) {
        return log.read(offset, maxBytes, Long.MAX_VALUE, minOneMessage);
    }

    /** Whole batches from {@code offset}, up to the high watermark, as a region to send. */
    public LogReadResult readForConsumer(long offset, int maxBytes, boolean minOneMessage) {
        return log.read(offset, maxBytes, highWatermark, minOneMessage);
    }

    /**
     * Whole batches from {@code offset} up to {@code maxOffsetExclusive} (the last stable offset a read_committed
     * fetch read before, so that its aborted-transaction list covers what it returns).
     */
    public LogReadResult readForConsumer(long offset, int maxBytes, boolean minOneMessage, long maxOffsetExclusive) {
        return log.read(offset, maxBytes, Math.min(maxOffsetExclusive, highWatermark), minOneMessage);
    }

    /** Writes the producer state snapshot at the log end, so the next start need not replay the log. */
    void snapshotProducerState() {
        synchronized (appendLock) {
            writeProducerSnapshot();
        }
    }

    /** Called holding the append lock. A failure costs only a longer replay at the next start. */
    private void writeProducerSnapshot() {
        try {
            producers.writeSnapshot(log.dir(), log.logEndOffset());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Writing the producer state of " + topicPartition + " failed", e);
        }
    }

    void expireProducers(long nowMs, long expirationMs) {
        synchronized (appendLock) {
            producers.expire(nowMs, expirationMs);
        }
    }

    /** The producers this replica keeps state for, for DescribeProducers; as leader or as follower. */
    public List<ProducerStateManager.ActiveProducer> activeProducers() {
        synchronized (appendLock) {
            return producers.activeProducers();
        }
    }

    public int producerCount() {
        synchronized (appendLock) {
            return producers.producerCount();
        }
    }

    /** Loads the newest producer snapshot and replays the batch headers written after it. */
    private void loadProducerState() {
        long from;
        try {
            // At or below the recovery point: the replay from there rewrites the aborted-transaction entries a crash
            // may have taken from the segments above it.
            from = producers.loadSnapshot(log.dir(), Math.min(log.logEndOffset(), log.recoveryPoint()));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Reading the producer state of " + topicPartition + " failed; replaying the log", e);
            from = -1;
        }
        long next = Math.max(from, log.logStartOffset());
        int replayed = 0;
        while (next < log.logEndOffset()) {
            try (LogReadResult read = log.read(next, 1 << 20, Long.MAX_VALUE, true)) {
                ByteBuffer bytes = read.records().readAll();
                if (bytes.limit() == 0) {
                    break;
                }
                for (MutableRecordBatch batch : MemoryRecords.readableRecords(bytes).batches()) {
                    if (batch.lastOffset() >= next && batch.hasProducerId()) {
                        applyBatch(batch);
                        replayed++;
                    }
                    next = batch.lastOffset() + 1;
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Replaying the producer state of " + topicPartition + " stopped", e);
                break;
            }
        }
        publishFirstUnstableOffset();
        if (replayed > 0) {
            LOG.log(Level.INFO, "Rebuilt the producer state of {0} from {1} batch(es) after offset {2}",
                    topicPartition, replayed, Math.max(from, log.logStartOffset()));
        }
    }

    @Override
    public String toString() {
        return topicPartition + " (leader " + assignment.leader() + ", epoch " + assignment.leaderEpoch() + ")";
    }
}

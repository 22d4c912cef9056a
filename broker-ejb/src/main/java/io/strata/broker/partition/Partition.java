package io.strata.broker.partition;

import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.producer.ProducerStateManager;
import io.strata.broker.producer.ProducerStateManager.BatchMetadata;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.batch.BatchInfo;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.AppendInfo;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * One partition as this broker holds it: its log, its assignment (replicas, in-sync replicas, leader, leader epoch),
 * its high watermark (the offset below which every in-sync replica has the records, and below which consumers
 * read) and its idempotent producers' state.
 *
 * <p>Thread-safety: appends are serialised by the partition's append lock, which also covers the producer state;
 * reads take no lock; the assignment and high watermark are published through volatile fields.
 */
public final class Partition {

    private static final System.Logger LOG = System.getLogger(Partition.class.getName());

    private final TopicPartition topicPartition;
    private final int localBrokerId;
    private final PartitionLog log;
    private final ProducerStateManager producers;
    private final Object appendLock = new Object();
    private volatile Uuid topicId;
    private volatile PartitionAssignment assignment;
    private volatile long highWatermark;

    Partition(TopicPartition topicPartition, Uuid topicId, int localBrokerId, PartitionAssignment assignment,
              PartitionLog log) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.localBrokerId = localBrokerId;
        this.assignment = assignment;
        this.log = log;
        this.producers = new ProducerStateManager(topicPartition);
        loadProducerState();
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

    /** The offset below which consumers reading committed data may read: no transactions, so the high watermark. */
    public long lastStableOffset() {
        return highWatermark;
    }

    void update(Uuid newTopicId, PartitionAssignment newAssignment, LogConfig config) {
        this.topicId = newTopicId;
        this.assignment = newAssignment;
        log.updateConfig(config);
        maybeAdvanceHighWatermark();
    }

    /**
     * Appends a producer's batches as leader. Retries of batches already written (same producer, epoch and
     * sequence numbers) are not written again: the original offsets are returned.
     *
     * @param requiredAcks 0, 1 or -1 (all in-sync replicas)
     * @throws NotLeaderOrFollowerException if this broker does not lead the partition
     * @throws NotEnoughReplicasException   if acks=all and fewer replicas than {@code min.insync.replicas} are in sync
     */
    public AppendResult appendAsLeader(MemoryRecords records, short requiredAcks, AppendOrigin origin) {
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
        synchronized (appendLock) {
            MutableRecordBatch first = records.batches().iterator().hasNext()
                    ? records.batches().iterator().next() : null;
            if (first != null && first.hasProducerId()) {
                BatchMetadata duplicate = producers.checkBeforeAppend(first.producerId(), first.producerEpoch(),
                        first.baseSequence(), first.lastSequence());
                if (duplicate != null) {
                    return AppendResult.duplicate(duplicate.firstOffset(), duplicate.lastOffset(),
                            log.logStartOffset());
                }
            }
            long activeBase = log.activeSegment().baseOffset();
            AppendInfo info = log.append(records.buffer(), current.leaderEpoch(), origin);
            for (BatchInfo batch : info.batches()) {
                if (batch.producerId() != RecordBatch.NO_PRODUCER_ID) {
                    producers.update(batch.producerId(), batch.producerEpoch(), metadataOf(batch));
                }
            }
            if (log.activeSegment().baseOffset() != activeBase && producers.producerCount() > 0) {
                // The log rolled: a snapshot now bounds the replay after a crash to the active segment.
                writeProducerSnapshot();
            }
            maybeAdvanceHighWatermark();
            return AppendResult.appended(info);
        }
    }

    private static BatchMetadata metadataOf(BatchInfo batch) {
        int lastSequence = batch.baseSequence() + (int) (batch.lastOffset() - batch.baseOffset());
        return new BatchMetadata(batch.baseSequence(), lastSequence, batch.baseOffset(), batch.lastOffset(),
                batch.maxTimestamp());
    }

    /**
     * With every replica in sync on this broker alone, the high watermark is the log end; replicas on other brokers
     * move it through their fetches.
     */
    private void maybeAdvanceHighWatermark() {
        PartitionAssignment current = assignment;
        if (current.isr().size() == 1 && current.isr().get(0) == localBrokerId) {
            highWatermark = log.logEndOffset();
        }
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

    /** Whole batches from {@code offset}, up to the high watermark, as a region to send. */
    public LogReadResult readForConsumer(long offset, int maxBytes, boolean minOneMessage) {
        return log.read(offset, maxBytes, highWatermark, minOneMessage);
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

    public int producerCount() {
        synchronized (appendLock) {
            return producers.producerCount();
        }
    }

    /** Loads the newest producer snapshot and replays the batch headers written after it. */
    private void loadProducerState() {
        long from;
        try {
            from = producers.loadSnapshot(log.dir(), log.logEndOffset());
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
                    if (batch.lastOffset() >= next && batch.hasProducerId() && !batch.isControlBatch()) {
                        producers.update(batch.producerId(), batch.producerEpoch(), new BatchMetadata(
                                batch.baseSequence(), batch.lastSequence(), batch.baseOffset(), batch.lastOffset(),
                                batch.maxTimestamp()));
                        replayed++;
                    }
                    next = batch.lastOffset() + 1;
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Replaying the producer state of " + topicPartition + " stopped", e);
                break;
            }
        }
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

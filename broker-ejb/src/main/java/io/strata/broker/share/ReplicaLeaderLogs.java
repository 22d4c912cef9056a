package io.strata.broker.share;

import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.batch.BatchHeader;
import io.strata.storage.batch.RecordReader.OffsetAndTimestamp;
import io.strata.storage.log.LogReadResult;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The topic partitions this broker leads, as the {@link SharePartitionManager} sees them, read from the
 * {@link ReplicaManager}: a partition counts as led while it is leader, its topic id is the one asked for (a topic
 * recreated under the same name is another topic) and its log directory is online. Thread-safe, as the replica
 * manager's partitions are.
 */
public final class ReplicaLeaderLogs implements SharePartitionManager.LeaderLogs {

    /** How much of the log one step of a marker search reads into memory (a larger batch is read whole). */
    static final int MARKER_SEARCH_READ_BYTES = 1 << 20;

    private final ReplicaManager replicas;

    public ReplicaLeaderLogs(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public SharePartitionManager.LeaderLog leader(TopicIdPartition topicPartition) {
        Partition partition = replicas.partition(topicPartition.topicPartition());
        if (partition == null || !partition.isLeader() || !partition.topicId().equals(topicPartition.topicId())
                || partition.log().health().isOffline()) {
            return null;
        }
        return new SharePartitionManager.LeaderLog(partition.leaderEpoch(), partition.log().logStartOffset(),
                partition.highWatermark(), partition.lastStableOffset(), timestampMs -> {
                    OffsetAndTimestamp found = partition.log().offsetForTimestamp(timestampMs);
                    return found == null ? -1 : found.offset();
                }, partition.log().logEndOffset(),
                (producerId, fromOffset) -> firstMarker(partition, producerId, fromOffset));
    }

    /**
     * The producer's first COMMIT or ABORT marker at or after {@code fromOffset} (or the log start offset, if higher)
     * and below the high watermark, reading the log forward {@link #MARKER_SEARCH_READ_BYTES} at a time and looking
     * at batch headers only, but for the producer's control batches; null when there is none. Bounded by the log
     * between the two offsets.
     */
    static SharePartitionManager.TransactionMarker firstMarker(Partition partition, long producerId,
                                                              long fromOffset) {
        long offset = Math.max(fromOffset, partition.log().logStartOffset());
        while (offset < partition.highWatermark()) {
            long readFrom = offset;
            ByteBuffer batches;
            try (LogReadResult read = partition.readForConsumer(offset, MARKER_SEARCH_READ_BYTES, true)) {
                if (read.records().sizeInBytes() == 0) {
                    return null; // the next batch reaches past the high watermark
                }
                batches = read.records().readAll();
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + partition.topicPartition() + " from offset " + offset
                        + " for a transaction marker failed", e);
            }
            int position = 0;
            while (batches.limit() - position >= BatchHeader.SIZE) {
                int size = BatchHeader.sizeInBytes(batches, position);
                if (size < BatchHeader.SIZE || position + size > batches.limit()) {
                    break;
                }
                long lastOffset = BatchHeader.lastOffset(batches, position);
                if (lastOffset >= offset && BatchHeader.isControl(batches, position)
                        && BatchHeader.producerId(batches, position) == producerId) {
                    Boolean commit = commitOf(batches.slice(position, size));
                    if (commit != null) {
                        return new SharePartitionManager.TransactionMarker(BatchHeader.baseOffset(batches, position),
                                commit);
                    }
                }
                offset = Math.max(offset, lastOffset + 1);
                position += size;
            }
            if (offset == readFrom) {
                throw new IllegalStateException("a read of " + partition.topicPartition() + " at offset " + offset
                        + " returned no whole batch past it");
            }
        }
        return null;
    }

    /** Whether the control batch holds a COMMIT (true) or an ABORT (false) marker; null for another control type. */
    private static Boolean commitOf(ByteBuffer batch) {
        for (RecordBatch control : MemoryRecords.readableRecords(batch).batches()) {
            try (CloseableIterator<Record> records = control.streamingIterator(BufferSupplier.NO_CACHING)) {
                if (!records.hasNext()) {
                    return null;
                }
                ControlRecordType type = ControlRecordType.parse(records.next().key());
                return type == ControlRecordType.COMMIT ? Boolean.TRUE
                        : type == ControlRecordType.ABORT ? Boolean.FALSE : null;
            }
        }
        return null;
    }
}

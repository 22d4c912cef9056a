package io.strata.broker.share;

import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.partition.TransactionMarkerSearch;
import io.strata.storage.batch.RecordReader.OffsetAndTimestamp;
import org.apache.kafka.common.TopicIdPartition;

/**
 * The topic partitions this broker leads, as the {@link SharePartitionManager} sees them, read from the
 * {@link ReplicaManager}: a partition counts as led while it is leader, its topic id is the one asked for (a topic
 * recreated under the same name is another topic) and its log directory is online. Thread-safe, as the replica
 * manager's partitions are.
 */
public final class ReplicaLeaderLogs implements SharePartitionManager.LeaderLogs {

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
     * The producer's first COMMIT or ABORT marker at or after {@code fromOffset} and below the high watermark, or
     * null: {@link TransactionMarkerSearch#first}.
     */
    static SharePartitionManager.TransactionMarker firstMarker(Partition partition, long producerId,
                                                              long fromOffset) {
        TransactionMarkerSearch.Marker found = TransactionMarkerSearch.first(partition, producerId, fromOffset);
        return found == null ? null : new SharePartitionManager.TransactionMarker(found.offset(), found.commit());
    }
}

package io.strata.broker.share;

import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
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
                });
    }
}

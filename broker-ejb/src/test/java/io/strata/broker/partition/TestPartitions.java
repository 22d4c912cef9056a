package io.strata.broker.partition;

import io.strata.broker.metadata.PartitionAssignment;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

import java.util.List;

/**
 * Real partitions for tests outside this package: a partition led by broker 1 as its only replica, on a log of a real
 * log directory, so that what it appends is at once below its high watermark.
 */
public final class TestPartitions {

    private static final Partition.Listener QUIET = new Partition.Listener() {
        @Override
        public void onHighWatermark(TopicPartition partition, long bytes) {
        }

        @Override
        public void requestIsrChange(Partition partition, PartitionAssignment basedOn, List<Integer> newIsr) {
        }

        @Override
        public boolean isLive(int brokerId) {
            return true;
        }
    };

    private TestPartitions() {
    }

    /** The partition of {@code topicPartition} in {@code directory}, led by broker 1, its only replica. */
    public static Partition soleLeader(LogDirectory directory, TopicPartition topicPartition, Uuid topicId) {
        return new Partition(topicPartition, topicId, 1, new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0),
                directory.getOrCreate(topicPartition, LogConfig.defaults()), QUIET, System.currentTimeMillis());
    }
}

package io.strata.bench.kafka;

/**
 * One throughput case of the cluster run: ProducerPerformance with acks=all, records of {@code recordBytes} to a
 * topic of {@code partitions} partitions, replication factor {@value ClusterSettings#REPLICATION_FACTOR}. Immutable.
 */
record ClusterCase(int recordBytes, int partitions) {

    ClusterCase {
        if (recordBytes <= 0) {
            throw new IllegalArgumentException("record size must be positive: " + recordBytes);
        }
        if (partitions <= 0) {
            throw new IllegalArgumentException("partition count must be positive: " + partitions);
        }
    }

    String topic() {
        return "bench-cluster-" + id();
    }

    String label() {
        return recordBytes + " B, acks=all, " + partitions + (partitions == 1 ? " partition" : " partitions")
                + ", RF " + ClusterSettings.REPLICATION_FACTOR + ", min.insync " + ClusterSettings.MIN_IN_SYNC_REPLICAS;
    }

    String id() {
        return recordBytes + "b-p" + partitions + "-rf" + ClusterSettings.REPLICATION_FACTOR;
    }
}

package io.strata.bench.kafka;

import java.util.ArrayList;
import java.util.List;

/** One cell of the matrix: record size, producer acks and partition count. Immutable. */
record BenchCase(int recordBytes, String acks, int partitions) {

    BenchCase {
        if (recordBytes <= 0) {
            throw new IllegalArgumentException("record size must be positive: " + recordBytes);
        }
        if (!acks.equals("1") && !acks.equals("all")) {
            throw new IllegalArgumentException("acks must be 1 or all (EndToEndLatency takes no other): " + acks);
        }
        if (partitions <= 0) {
            throw new IllegalArgumentException("partition count must be positive: " + partitions);
        }
    }

    /** Every combination, record size outermost, partition count innermost. */
    static List<BenchCase> matrix(List<Integer> recordSizes, List<String> acksValues, List<Integer> partitionCounts) {
        List<BenchCase> cases = new ArrayList<>();
        for (int recordBytes : recordSizes) {
            for (String acks : acksValues) {
                for (int partitions : partitionCounts) {
                    cases.add(new BenchCase(recordBytes, acks, partitions));
                }
            }
        }
        return cases;
    }

    /** The topic ProducerPerformance writes and ConsumerPerformance reads. */
    String throughputTopic() {
        return "bench-" + id();
    }

    /** The topic EndToEndLatency writes and reads, kept apart so its consumer starts on an empty log. */
    String latencyTopic() {
        return "bench-e2e-" + id();
    }

    String label() {
        return recordBytes + " B, acks=" + acks + ", " + partitions + (partitions == 1 ? " partition" : " partitions");
    }

    String id() {
        return recordBytes + "b-acks" + acks + "-p" + partitions;
    }
}

package io.strata.bench.kafka;

import java.util.ArrayList;
import java.util.List;

/**
 * One cell of the matrix: record size, producer acks, partition count, whether the producer writes in transactions,
 * and what kind of group consumes. A transactional case's producer commits a transaction every
 * {@code transactionDurationMs} and its consumer reads with {@code isolation.level=read_committed}. Immutable.
 *
 * @param transactionDurationMs how long each of the producer's transactions lasts before it commits, as
 *                              ProducerPerformance's {@code --transaction-duration-ms};
 *                              {@link #NOT_TRANSACTIONAL} for a plain producer and a read_uncommitted consumer
 * @param consumer              the group that reads what the producer wrote
 */
record BenchCase(int recordBytes, String acks, int partitions, int transactionDurationMs, GroupConsumer consumer) {

    static final int NOT_TRANSACTIONAL = 0;

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
        if (transactionDurationMs < 0) {
            throw new IllegalArgumentException("transaction duration must be positive, or " + NOT_TRANSACTIONAL
                    + " for no transactions: " + transactionDurationMs);
        }
        if (transactionDurationMs != NOT_TRANSACTIONAL && !acks.equals("all")) {
            // A transactional producer is idempotent, and the producer refuses idempotence with any other acks.
            throw new IllegalArgumentException("a transactional producer needs acks=all: acks=" + acks);
        }
        if (transactionDurationMs != NOT_TRANSACTIONAL && consumer.share()) {
            // ShareConsumerPerformance has no isolation-level option, and share.isolation.level is a group config.
            throw new IllegalArgumentException("share consumers are measured without transactions");
        }
    }

    /** A case without transactions, read by a classic group. */
    BenchCase(int recordBytes, String acks, int partitions) {
        this(recordBytes, acks, partitions, NOT_TRANSACTIONAL, GroupConsumer.CLASSIC_GROUP);
    }

    /** A case read by a classic group. */
    BenchCase(int recordBytes, String acks, int partitions, int transactionDurationMs) {
        this(recordBytes, acks, partitions, transactionDurationMs, GroupConsumer.CLASSIC_GROUP);
    }

    /**
     * Every combination, record size outermost, then acks, partition count, and consumer kind innermost, each with
     * the same transactions.
     */
    static List<BenchCase> matrix(List<Integer> recordSizes, List<String> acksValues, List<Integer> partitionCounts,
                                  int transactionDurationMs, List<GroupConsumer> consumers) {
        List<BenchCase> cases = new ArrayList<>();
        for (int recordBytes : recordSizes) {
            for (String acks : acksValues) {
                for (int partitions : partitionCounts) {
                    for (GroupConsumer consumer : consumers) {
                        cases.add(new BenchCase(recordBytes, acks, partitions, transactionDurationMs, consumer));
                    }
                }
            }
        }
        return cases;
    }

    boolean transactional() {
        return transactionDurationMs != NOT_TRANSACTIONAL;
    }

    /**
     * The transactional id of this case's producer: one per case, so that no case's producer fences another's, and
     * stable, so that a rerun against a broker that kept its data would fence the earlier run's producer.
     */
    String transactionalId() {
        if (!transactional()) {
            throw new IllegalStateException("case " + id() + " is not transactional and has no transactional id");
        }
        return "bench-" + id();
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
        return recordBytes + " B, acks=" + acks + ", " + partitions + (partitions == 1 ? " partition" : " partitions")
                + (transactional() ? ", transactions of " + transactionDurationMs + " ms, read_committed" : "")
                + (consumer.equals(GroupConsumer.CLASSIC_GROUP) ? "" : ", " + consumer.label());
    }

    /** Names the case's topics, group and transactional id; a classic group's case keeps its earlier id. */
    String id() {
        return recordBytes + "b-acks" + acks + "-p" + partitions + (transactional() ? "-txn" + transactionDurationMs
                : "") + (consumer.equals(GroupConsumer.CLASSIC_GROUP) ? "" : "-" + consumer.id());
    }
}

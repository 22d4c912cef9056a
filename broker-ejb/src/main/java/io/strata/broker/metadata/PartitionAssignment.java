package io.strata.broker.metadata;

import java.util.List;

/**
 * Who holds one partition: its replicas (brokers, preferred leader first), the in-sync replicas, the leader and the
 * leader epoch, which goes up with every change of leader. Immutable.
 *
 * @param partitionEpoch goes up with every change of this assignment, so stale updates can be told apart
 */
public record PartitionAssignment(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                                  int partitionEpoch) {

    public PartitionAssignment {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("a partition needs at least one replica");
        }
    }

    /** A new partition on {@code replicas}, led by the first, all in sync, at epoch 0. */
    public static PartitionAssignment initial(List<Integer> replicas) {
        return new PartitionAssignment(replicas, replicas, replicas.get(0), 0, 0);
    }

    public boolean isReplica(int brokerId) {
        return replicas.contains(brokerId);
    }
}

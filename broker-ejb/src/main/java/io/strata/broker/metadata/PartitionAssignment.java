package io.strata.broker.metadata;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Who holds one partition: its replicas (brokers, preferred leader first), the in-sync replicas, the leader and the
 * leader epoch, which goes up with every change of leader, and the reassignment under way, if any. Immutable.
 *
 * <p>A reassignment works as Kafka's does: while it runs, {@code replicas} is the target followed by the replicas
 * being removed, {@code addingReplicas} the target's brokers that were not replicas before (they copy the log and join
 * the ISR) and {@code removingReplicas} the replicas the target leaves out (they serve until the target is in sync).
 *
 * @param partitionEpoch   goes up with every change of this assignment, so stale updates can be told apart
 * @param addingReplicas   replicas a reassignment adds; empty when none runs
 * @param removingReplicas replicas a reassignment removes once the target replicas are in sync; empty when none runs
 */
public record PartitionAssignment(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                                  int partitionEpoch, List<Integer> addingReplicas, List<Integer> removingReplicas) {

    public PartitionAssignment {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        addingReplicas = List.copyOf(addingReplicas);
        removingReplicas = List.copyOf(removingReplicas);
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("a partition needs at least one replica");
        }
        if (!replicas.containsAll(addingReplicas) || !replicas.containsAll(removingReplicas)) {
            throw new IllegalArgumentException("adding " + addingReplicas + " and removing " + removingReplicas
                    + " must be among the replicas " + replicas);
        }
        for (int replica : addingReplicas) {
            if (removingReplicas.contains(replica)) {
                throw new IllegalArgumentException("broker " + replica + " is both added and removed");
            }
        }
    }

    /** An assignment with no reassignment under way. */
    public PartitionAssignment(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                               int partitionEpoch) {
        this(replicas, isr, leader, leaderEpoch, partitionEpoch, List.of(), List.of());
    }

    /** A new partition on {@code replicas}, led by the first, all in sync, at epoch 0. */
    public static PartitionAssignment initial(List<Integer> replicas) {
        return new PartitionAssignment(replicas, replicas, replicas.get(0), 0, 0);
    }

    public boolean isReplica(int brokerId) {
        return replicas.contains(brokerId);
    }

    public boolean isReassigning() {
        return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
    }

    /** The replicas this partition ends up with: all of them, less those a reassignment removes. */
    public List<Integer> targetReplicas() {
        return without(replicas, removingReplicas);
    }

    /** The replicas before the reassignment under way: all of them, less those it adds. */
    public List<Integer> originalReplicas() {
        return without(replicas, addingReplicas);
    }

    /** The same replicas and leader with another ISR, at the next partition epoch. */
    public PartitionAssignment withIsr(List<Integer> newIsr) {
        return new PartitionAssignment(replicas, newIsr, leader, leaderEpoch, partitionEpoch + 1, addingReplicas,
                removingReplicas);
    }

    /** Another leader and ISR, at the next leader epoch and partition epoch; the reassignment, if any, goes on. */
    public PartitionAssignment withLeader(int newLeader, List<Integer> newIsr) {
        return new PartitionAssignment(replicas, newIsr, newLeader, leaderEpoch + 1, partitionEpoch + 1,
                addingReplicas, removingReplicas);
    }

    static List<Integer> without(List<Integer> ids, List<Integer> removed) {
        Set<Integer> gone = new HashSet<>(removed);
        List<Integer> kept = new ArrayList<>(ids.size());
        for (int id : ids) {
            if (!gone.contains(id)) {
                kept.add(id);
            }
        }
        return kept;
    }
}

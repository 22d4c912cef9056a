package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One share group (KIP-932): its epoch (raised whenever membership, a subscription or the subscribed topics' metadata
 * change), the epoch and content of its target assignment, its members, and every partition the group was ever
 * assigned, whose share state (in the share coordinator) must go when the group is deleted — Kafka's
 * ShareGroupStatePartitionMetadata. Several members may hold the same partition: nothing here keeps partitions
 * exclusive. The {@link ShareGroupMembership} drives it.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
final class ShareGroup implements Group {

    final String groupId;
    int groupEpoch;
    int assignmentEpoch;
    final LinkedHashMap<String, ShareGroupMember> members = new LinkedHashMap<>();
    /** Member id to its partitions in the target assignment of {@link #assignmentEpoch}. */
    final Map<String, Map<Uuid, Set<Integer>>> targetAssignment = new HashMap<>();
    /** The subscribed topics, by name, that the target assignment was computed for. */
    Map<String, ConsumerGroup.TopicMetadata> subscriptionMetadata = new HashMap<>();
    /** Topic id to the partitions the group was ever assigned: where it may have share state. */
    final Map<Uuid, Set<Integer>> statePartitions = new HashMap<>();
    boolean dead;

    ShareGroup(String groupId) {
        this.groupId = groupId;
    }

    @Override
    public String groupId() {
        return groupId;
    }

    @Override
    public Type type() {
        return Type.SHARE;
    }

    /** Empty or Stable, as Kafka names a share group's states (Dead once deleted). */
    @Override
    public String stateName() {
        if (dead) {
            return "Dead";
        }
        return members.isEmpty() ? "Empty" : "Stable";
    }

    @Override
    public boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public boolean isDead() {
        return dead;
    }

    Map<Uuid, Set<Integer>> targetOf(String memberId) {
        return targetAssignment.getOrDefault(memberId, Map.of());
    }

    /** Remembers partitions handed out; returns whether any was new, so the group's record must be written. */
    boolean addStatePartitions(Map<Uuid, Set<Integer>> partitions) {
        boolean added = false;
        for (Map.Entry<Uuid, Set<Integer>> topic : partitions.entrySet()) {
            added |= statePartitions.computeIfAbsent(topic.getKey(), id -> new TreeSet<>())
                    .addAll(topic.getValue());
        }
        return added;
    }
}

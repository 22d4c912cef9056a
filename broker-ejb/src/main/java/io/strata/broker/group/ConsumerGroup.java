package io.strata.broker.group;

import io.strata.broker.group.ConsumerGroupMember.State;
import org.apache.kafka.common.Uuid;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One consumer-protocol (KIP-848) group: its epoch (raised whenever membership, a subscription or the subscribed
 * topics' metadata change), the epoch and content of its target assignment, its members, and which member owns each
 * partition now (with that member's epoch), which is what keeps a partition from being handed out before its previous
 * owner revoked it. The {@link GroupCoordinatorShard} drives it; committed offsets are in the shard's
 * {@link OffsetStore}.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
final class ConsumerGroup implements Group {

    /** A subscribed topic as the target assignment saw it: a change of either starts a new group epoch. */
    record TopicMetadata(Uuid id, int partitions) {
    }

    final String groupId;
    int groupEpoch;
    int assignmentEpoch;
    /** The assignor the last target assignment used. */
    String assignorName = "";
    final LinkedHashMap<String, ConsumerGroupMember> members = new LinkedHashMap<>();
    final Map<String, String> staticMembers = new HashMap<>();
    /** Member id to its partitions in the target assignment of {@link #assignmentEpoch}. */
    final Map<String, Map<Uuid, Set<Integer>>> targetAssignment = new HashMap<>();
    /** The subscribed topics, by name, that the target assignment was computed for. */
    Map<String, TopicMetadata> subscriptionMetadata = new HashMap<>();
    /** Topic id to partition to the epoch of the member owning it (assigned to it, or pending its revocation). */
    private final Map<Uuid, Map<Integer, Integer>> partitionEpochs = new HashMap<>();
    boolean dead;

    ConsumerGroup(String groupId) {
        this.groupId = groupId;
    }

    @Override
    public String groupId() {
        return groupId;
    }

    @Override
    public Type type() {
        return Type.CONSUMER;
    }

    /** Empty, Assigning (a newer epoch than the target's), Reconciling (members not at it yet) or Stable. */
    @Override
    public String stateName() {
        if (dead) {
            return "Dead";
        }
        if (members.isEmpty()) {
            return "Empty";
        }
        if (groupEpoch > assignmentEpoch) {
            return "Assigning";
        }
        for (ConsumerGroupMember member : members.values()) {
            if (member.memberEpoch != assignmentEpoch || member.state != State.STABLE) {
                return "Reconciling";
            }
        }
        return "Stable";
    }

    @Override
    public boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public boolean isDead() {
        return dead;
    }

    ConsumerGroupMember member(String memberId) {
        return members.get(memberId);
    }

    ConsumerGroupMember staticMember(String instanceId) {
        String memberId = instanceId == null ? null : staticMembers.get(instanceId);
        return memberId == null ? null : members.get(memberId);
    }

    /** Adds or replaces the member of that id, keeping the partition owners in step. */
    void put(ConsumerGroupMember member) {
        ConsumerGroupMember previous = members.put(member.memberId, member);
        if (previous != null) {
            release(previous);
        }
        if (member.isStatic()) {
            staticMembers.put(member.instanceId, member.memberId);
        }
        own(member.assigned, member.memberEpoch);
        own(member.pendingRevocation, member.memberEpoch);
    }

    /** Removes a member and frees its partitions; its place in the target assignment goes too. */
    ConsumerGroupMember remove(String memberId) {
        ConsumerGroupMember removed = members.remove(memberId);
        if (removed != null) {
            release(removed);
            if (removed.isStatic()) {
                staticMembers.remove(removed.instanceId, memberId);
            }
        }
        targetAssignment.remove(memberId);
        return removed;
    }

    /** The epoch of the member owning that partition now, or -1 if it is free. */
    int currentPartitionEpoch(Uuid topicId, int partition) {
        Map<Integer, Integer> epochs = partitionEpochs.get(topicId);
        Integer epoch = epochs == null ? null : epochs.get(partition);
        return epoch == null ? -1 : epoch;
    }

    Map<Uuid, Set<Integer>> targetOf(String memberId) {
        return targetAssignment.getOrDefault(memberId, Map.of());
    }

    private void own(Map<Uuid, Set<Integer>> partitions, int epoch) {
        partitions.forEach((topicId, indexes) -> {
            Map<Integer, Integer> epochs = partitionEpochs.computeIfAbsent(topicId, id -> new HashMap<>());
            for (int index : indexes) {
                epochs.put(index, epoch);
            }
        });
    }

    private void release(ConsumerGroupMember member) {
        for (Map<Uuid, Set<Integer>> partitions : java.util.List.of(member.assigned, member.pendingRevocation)) {
            partitions.forEach((topicId, indexes) -> {
                Map<Integer, Integer> epochs = partitionEpochs.get(topicId);
                if (epochs != null) {
                    indexes.forEach(epochs::remove);
                    if (epochs.isEmpty()) {
                        partitionEpochs.remove(topicId);
                    }
                }
            });
        }
    }
}

package io.strata.broker.group;

import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One classic consumer group: its state, generation, chosen protocol and leader, its members (dynamic and static),
 * and members told their id but not yet joined. Pure state and the rules that read it; the
 * {@link GroupCoordinatorShard} drives the transitions and the I/O. Its committed offsets are in the shard's
 * {@link OffsetStore}.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
final class ClassicGroup implements Group {

    static final String CONSUMER_PROTOCOL_TYPE = "consumer";

    final String groupId;
    GroupState state = GroupState.EMPTY;
    long stateChangedMs;
    String protocolType;
    String protocolName;
    int generationId;
    String leaderId;
    final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
    final Map<String, String> staticMembers = new HashMap<>();
    /** Member ids handed out by MEMBER_ID_REQUIRED, with the time by which they must join. */
    final Map<String, Long> pendingMembers = new HashMap<>();
    /** Whether the leader's assignment is being written: SyncGroup answers wait for it. */
    boolean assignmentWritePending;
    /** During the first rebalance of an empty group: when the wait for more members began. */
    long initialRebalanceStartMs = -1;

    ClassicGroup(String groupId, long nowMs) {
        this.groupId = groupId;
        this.stateChangedMs = nowMs;
    }

    @Override
    public String groupId() {
        return groupId;
    }

    @Override
    public Type type() {
        return Type.CLASSIC;
    }

    @Override
    public String stateName() {
        return state.display();
    }

    @Override
    public boolean isEmpty() {
        return members.isEmpty();
    }

    @Override
    public boolean isDead() {
        return state == GroupState.DEAD;
    }

    /** The key of the group's rebalance timer (join, initial delay or sync) in its shard. */
    String rebalanceTimerKey() {
        return "rebalance/" + groupId;
    }

    void transitionTo(GroupState next, long nowMs) {
        state = next;
        stateChangedMs = nowMs;
    }

    boolean is(GroupState candidate) {
        return state == candidate;
    }

    boolean hasMember(String memberId) {
        return members.containsKey(memberId);
    }

    GroupMember member(String memberId) {
        return members.get(memberId);
    }

    void add(GroupMember member) {
        if (members.isEmpty()) {
            protocolType = member.protocolType;
        }
        members.put(member.memberId, member);
        if (member.isStatic()) {
            staticMembers.put(member.groupInstanceId, member.memberId);
        }
        if (leaderId == null) {
            leaderId = member.memberId;
        }
        pendingMembers.remove(member.memberId);
    }

    void remove(String memberId) {
        GroupMember removed = members.remove(memberId);
        if (removed != null && removed.isStatic()) {
            staticMembers.remove(removed.groupInstanceId, memberId);
        }
        if (memberId.equals(leaderId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }

    /** The member id a static instance holds now, or {@code null}. */
    String staticMemberId(String groupInstanceId) {
        return groupInstanceId == null ? null : staticMembers.get(groupInstanceId);
    }

    /**
     * Whether {@code memberId} speaks for a static instance that a newer member has taken over: such a member is
     * fenced (FENCED_INSTANCE_ID), which Kafka checks before whether the member id is known at all, so that the old
     * instance stops instead of rejoining and taking the instance back.
     */
    boolean isStaticMemberFenced(String groupInstanceId, String memberId) {
        String current = staticMemberId(groupInstanceId);
        return current != null && !current.equals(memberId);
    }

    /** Whether a member of {@code type} supporting {@code names} could join: same type, a protocol in common. */
    boolean supportsProtocols(String type, Set<String> names) {
        if (members.isEmpty()) {
            return type != null && !type.isEmpty() && !names.isEmpty();
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        Set<String> common = candidateProtocols();
        common.retainAll(names);
        return !common.isEmpty();
    }

    /** Protocols every member supports. */
    Set<String> candidateProtocols() {
        Set<String> candidates = null;
        for (GroupMember member : members.values()) {
            if (candidates == null) {
                candidates = new HashSet<>(member.protocols.keySet());
            } else {
                candidates.retainAll(member.protocols.keySet());
            }
        }
        return candidates == null ? new HashSet<>() : candidates;
    }

    /** The protocol to use: of those every member supports, the one most members prefer. */
    String selectProtocol() {
        Set<String> candidates = candidateProtocols();
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (GroupMember member : members.values()) {
            for (String protocol : member.protocols.keySet()) {
                if (candidates.contains(protocol)) {
                    votes.merge(protocol, 1, Integer::sum);
                    break;
                }
            }
        }
        String best = null;
        int bestVotes = -1;
        for (Map.Entry<String, Integer> vote : votes.entrySet()) {
            if (vote.getValue() > bestVotes) {
                best = vote.getKey();
                bestVotes = vote.getValue();
            }
        }
        if (best == null) {
            throw new IllegalStateException("group " + groupId + " has no protocol every member supports");
        }
        return best;
    }

    boolean allMembersJoined() {
        for (GroupMember member : members.values()) {
            if (member.awaitingJoin == null) {
                return false;
            }
        }
        return pendingMembers.isEmpty();
    }

    int rebalanceTimeoutMs() {
        int timeout = 0;
        for (GroupMember member : members.values()) {
            timeout = Math.max(timeout, member.rebalanceTimeoutMs);
        }
        return timeout;
    }

    /** The topics the consumer members subscribe to, from their subscription metadata. */
    Set<String> subscribedTopics() {
        Set<String> topics = new HashSet<>();
        if (!CONSUMER_PROTOCOL_TYPE.equals(protocolType) || protocolName == null) {
            return topics;
        }
        for (GroupMember member : members.values()) {
            try {
                topics.addAll(ConsumerProtocol.deserializeSubscription(
                        ByteBuffer.wrap(member.metadata(protocolName))).topics());
            } catch (RuntimeException e) {
                // Not the consumer protocol's metadata after all: nothing to learn from it.
            }
        }
        return topics;
    }

    /** The partitions each member was assigned, for consumer groups. */
    List<TopicPartition> assignedPartitions(GroupMember member) {
        if (!CONSUMER_PROTOCOL_TYPE.equals(protocolType) || member.assignment.length == 0) {
            return List.of();
        }
        try {
            return new ArrayList<>(ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(member.assignment))
                    .partitions());
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}

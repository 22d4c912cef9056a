package io.strata.broker.group;

import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Kafka's online migration between the two kinds of consumer group (KIP-848, "upgrade and downgrade"), as pure
 * functions: a classic group whose members speak the consumer embedded protocol becomes a consumer group in which
 * every member keeps speaking the classic protocol, at the classic generation as member epoch, with its current
 * assignment as assignment and target; a consumer group whose members all speak the classic protocol becomes a classic
 * group again, at the group epoch as generation, each member with its target assignment. It is also the one place
 * that reads and writes the consumer embedded protocol (subscriptions and assignments in JoinGroup and SyncGroup) for
 * classic members of consumer groups.
 *
 * <p>Stateless; thread-safe. The groups it reads and builds are confined to the coordinator runtime's thread.
 */
final class GroupConversion {

    private GroupConversion() {
    }

    /** A classic member's subscription as its JoinGroup metadata says it. */
    record Subscription(List<String> topics, List<TopicPartition> ownedPartitions, String rackId) {
    }

    /**
     * The consumer group a classic group becomes, with the classic group's members in it.
     *
     * @throws IllegalArgumentException naming the member whose subscription or assignment cannot be decoded
     */
    static ConsumerGroup toConsumerGroup(ClassicGroup classic, Function<String, TopicImage> topicByName) {
        ConsumerGroup group = new ConsumerGroup(classic.groupId);
        group.groupEpoch = classic.generationId;
        group.assignmentEpoch = classic.generationId;
        for (GroupMember member : classic.members.values()) {
            String protocol = classic.protocolName != null ? classic.protocolName
                    : member.protocols.keySet().iterator().next();
            Subscription subscription = subscription(member.metadata(protocol), member.memberId);
            Map<Uuid, Set<Integer>> assigned = byTopicId(assignment(member.assignment, member.memberId),
                    topicByName);
            ConsumerGroupMember converted = new ConsumerGroupMember(member.memberId);
            converted.instanceId = member.groupInstanceId;
            converted.rackId = subscription.rackId();
            converted.clientId = member.clientId == null ? "" : member.clientId;
            converted.clientHost = member.clientHost == null ? "" : member.clientHost;
            converted.subscribedTopicNames = List.copyOf(new TreeSet<>(subscription.topics()));
            converted.rebalanceTimeoutMs = member.rebalanceTimeoutMs;
            converted.memberEpoch = classic.generationId;
            converted.previousMemberEpoch = classic.generationId;
            converted.state = ConsumerGroupMember.State.STABLE;
            converted.assigned = assigned;
            converted.classic = new ConsumerGroupMember.ClassicMetadata(member.sessionTimeoutMs, member.protocols);
            group.put(converted);
            group.targetAssignment.put(member.memberId, ConsumerGroupMember.copyOf(assigned));
        }
        return group;
    }

    /**
     * The classic group a consumer group becomes once {@code leavingMemberId} (its last consumer-protocol member)
     * is gone: stable at the group epoch, its members with their supported protocols and their target assignments.
     * The caller starts a rebalance.
     *
     * @throws IllegalArgumentException if a member's metadata cannot be decoded
     */
    static ClassicGroup toClassicGroup(ConsumerGroup group, String leavingMemberId, Function<Uuid, String> topicName,
                                       long nowMs) {
        ClassicGroup classic = new ClassicGroup(group.groupId, nowMs);
        classic.protocolType = ClassicGroup.CONSUMER_PROTOCOL_TYPE;
        classic.generationId = group.groupEpoch;
        for (ConsumerGroupMember member : group.members.values()) {
            if (member.memberId.equals(leavingMemberId)) {
                continue;
            }
            if (!member.usesClassicProtocol()) {
                throw new IllegalStateException("member " + member.memberId + " of group " + group.groupId
                        + " does not use the classic protocol");
            }
            GroupMember converted = new GroupMember(member.memberId, member.instanceId, member.clientId,
                    member.clientHost, member.rebalanceTimeoutMs, member.classic.sessionTimeoutMs(),
                    ClassicGroup.CONSUMER_PROTOCOL_TYPE, member.classic.protocols());
            converted.lastHeartbeatMs = nowMs;
            classic.add(converted);
        }
        classic.protocolName = classic.selectProtocol();
        for (GroupMember member : classic.members.values()) {
            member.assignment = assignmentBytes(group.targetOf(member.memberId), topicName,
                    member.metadata(classic.protocolName), member.memberId);
        }
        classic.transitionTo(GroupState.STABLE, nowMs);
        return classic;
    }

    /** Decodes a classic member's subscription (its JoinGroup protocol metadata). */
    static Subscription subscription(byte[] metadata, String memberId) {
        try {
            ConsumerPartitionAssignor.Subscription decoded = ConsumerProtocol.deserializeSubscription(
                    ByteBuffer.wrap(metadata));
            return new Subscription(List.copyOf(decoded.topics()), List.copyOf(decoded.ownedPartitions()),
                    decoded.rackId().orElse(null));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the subscription of member " + memberId + " is not the consumer"
                    + " embedded protocol's: " + e.getMessage(), e);
        }
    }

    /** The member's partitions serialized as a ConsumerProtocolAssignment, in the version its metadata speaks. */
    static byte[] assignmentBytes(Map<Uuid, Set<Integer>> partitions, Function<Uuid, String> topicName,
                                  byte[] metadata, String memberId) {
        List<TopicPartition> list = new ArrayList<>();
        partitions.forEach((topicId, indexes) -> {
            String name = topicName.apply(topicId);
            if (name != null) {
                indexes.forEach(index -> list.add(new TopicPartition(name, index)));
            }
        });
        short version;
        try {
            version = ConsumerProtocol.deserializeVersion(ByteBuffer.wrap(metadata));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the metadata of member " + memberId + " is not the consumer"
                    + " embedded protocol's: " + e.getMessage(), e);
        }
        ByteBuffer buffer = ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(list),
                version);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Partitions by topic name as partitions by topic id; topics that no longer exist are left out. */
    static Map<Uuid, Set<Integer>> byTopicId(List<TopicPartition> partitions,
                                             Function<String, TopicImage> topicByName) {
        Map<Uuid, Set<Integer>> byId = new HashMap<>();
        for (TopicPartition partition : partitions) {
            TopicImage topic = topicByName.apply(partition.topic());
            if (topic != null) {
                byId.computeIfAbsent(topic.id(), id -> new TreeSet<>()).add(partition.partition());
            }
        }
        return byId;
    }

    private static List<TopicPartition> assignment(byte[] assignment, String memberId) {
        if (assignment.length == 0) {
            return List.of();
        }
        try {
            return List.copyOf(ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(assignment)).partitions());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the assignment of member " + memberId + " is not the consumer"
                    + " embedded protocol's: " + e.getMessage(), e);
        }
    }
}

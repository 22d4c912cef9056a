package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.group.ConsumerGroupMember.State;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as a consumer-protocol group serves it to
 * members that speak it, Kafka's mixed groups: the broker assigns, as for every member of a consumer group. A JoinGroup
 * is the member's full heartbeat: it says its subscription and the partitions it owns, the member is reconciled
 * towards its target ({@link MemberReconciliation}), and the answer comes at once (once its records are committed)
 * with the member epoch as generation, and as protocol the first the member supports. SyncGroup answers the member's
 * partitions as a ConsumerProtocolAssignment. Heartbeat answers REBALANCE_IN_PROGRESS when the member has a newer
 * epoch to reach, partitions to revoke or released partitions to take, and the member rejoins: a classic member
 * reconciles through rejoins, revoking first, so no partition is owned by two members. A member told to rejoin must do
 * so within its rebalance timeout, one answered at JoinGroup must sync within it, and each must heartbeat within the
 * session timeout of its JoinGroup; else it is fenced.
 *
 * <p>Part of its {@link GroupCoordinatorShard}, using its {@link ConsumerGroupMembership} for what both protocols
 * share. Not thread-safe: confined to the coordinator runtime's thread.
 */
final class ConsumerGroupClassicProtocol {

    private static final System.Logger LOG = System.getLogger(ConsumerGroupClassicProtocol.class.getName());

    private final CoordinatorContext context;
    private final BrokerConfig config;
    private final ConsumerGroupMembership membership;
    private final Function<String, TopicImage> topicByName;
    private final Function<Uuid, String> topicName;

    ConsumerGroupClassicProtocol(CoordinatorContext context, BrokerConfig config, ConsumerGroupMembership membership,
                                 Function<String, TopicImage> topicByName, Function<Uuid, String> topicName) {
        this.context = context;
        this.config = config;
        this.membership = membership;
        this.topicByName = topicByName;
        this.topicName = topicName;
    }

    // ---------------------------------------------------------------------------------------------------- join

    /** JoinGroup of a classic member to a consumer group with members; {@code respond} is called once. */
    void join(ConsumerGroup group, JoinGroupRequestData request, short version, String clientId, String clientHost,
              Map<String, byte[]> protocols, Consumer<JoinGroupResponseData> respond) {
        boolean unknown = request.memberId().isEmpty();
        String memberId = unknown ? UUID.randomUUID().toString() : request.memberId();
        String instanceId = request.groupInstanceId();
        if (group.members.size() >= config.groupConsumerMaxSize && (unknown || group.member(memberId) == null)) {
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.GROUP_MAX_SIZE_REACHED));
            return;
        }
        if (!supportsClassicProtocols(group, request.protocolType(), protocols.keySet())) {
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
            return;
        }
        // Its subscription must be readable: the broker assigns from it.
        GroupConversion.Subscription subscription;
        try {
            subscription = GroupConversion.subscription(protocols.values().iterator().next(), memberId);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.INFO, "Member {0} cannot join consumer group {1}: {2}", memberId, group.groupId,
                    e.getMessage());
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
            return;
        }
        if (unknown && instanceId == null && version >= 4) {
            // KIP-394, as in a classic group: the member learns its id first and joins with it.
            respond.accept(GroupCoordinator.joinError(memberId, Errors.MEMBER_ID_REQUIRED));
            return;
        }
        Joining joining = joining(group, memberId, unknown, instanceId);
        if (joining.error() != Errors.NONE) {
            respond.accept(GroupCoordinator.joinError(memberId, joining.error()));
            return;
        }
        ConsumerGroupMember current = joining.current();
        ConsumerGroupMember replaced = joining.replaced();
        boolean isNew = current == null;
        ConsumerGroupMember before = isNew ? new ConsumerGroupMember(memberId) : current;
        ConsumerGroupMember updated = before.copy();
        if (instanceId != null) {
            updated.instanceId = instanceId;
        }
        if (subscription.rackId() != null) {
            updated.rackId = subscription.rackId();
        }
        updated.rebalanceTimeoutMs = request.rebalanceTimeoutMs() > 0 ? request.rebalanceTimeoutMs()
                : request.sessionTimeoutMs();
        updated.subscribedTopicNames = List.copyOf(new TreeSet<>(subscription.topics()));
        updated.clientId = clientId == null ? "" : clientId;
        updated.clientHost = clientHost == null ? "" : clientHost;
        updated.classic = new ConsumerGroupMember.ClassicMetadata(request.sessionTimeoutMs(), protocols);
        boolean subscriptionChanged = isNew || !updated.subscribedTopicNames.equals(before.subscribedTopicNames)
                || !Objects.equals(updated.subscribedTopicRegex, before.subscribedTopicRegex);

        List<CoordinatorRecord> records = new ArrayList<>();
        if (replaced != null) {
            membership.replaceStaticMember(group, replaced, memberId, records);
        } else if (isNew) {
            LOG.log(Level.INFO, "Classic member {0} joins consumer group {1}", memberId, group.groupId);
        }
        ConsumerGroupMember reconciled = membership.applyAndReconcile(group, before, updated, subscriptionChanged,
                isNew || replaced != null, GroupConversion.byTopicId(subscription.ownedPartitions(), topicByName),
                records);
        membership.scheduleSession(group.groupId, reconciled);
        JoinGroupResponseData response = new JoinGroupResponseData()
                .setMemberId(memberId)
                .setGenerationId(reconciled.memberEpoch)
                .setProtocolType(ClassicGroup.CONSUMER_PROTOCOL_TYPE)
                .setProtocolName(reconciled.classic.protocolName())
                .setLeader("")
                .setSkipAssignment(false);
        String groupId = group.groupId;
        int rebalanceTimeoutMs = reconciled.rebalanceTimeoutMs;
        Runnable answer = () -> {
            membership.cancelJoinTimeout(groupId, memberId);
            membership.scheduleSyncTimeout(groupId, memberId, rebalanceTimeoutMs);
            respond.accept(response);
        };
        Consumer<Errors> failed = failure -> {
            LOG.log(Level.WARNING, "Writing consumer group {0} failed: {1}", groupId, failure);
            respond.accept(GroupCoordinator.joinError(memberId, failure));
        };
        if (replaced != null && !replaced.usesClassicProtocol() && onlyClassicMembers(group)) {
            // As Kafka: the last consumer-protocol member, static, was replaced by a classic one; once its place is
            // taken (written first), the group may become a classic group, the joiner a member of it at its epoch.
            boolean[] downgraded = {false};
            context.write(records, () -> {
                if (!downgraded[0]) {
                    answer.run();
                }
            }, failure -> {
                if (!downgraded[0]) {
                    failed.accept(failure);
                }
            });
            int generation = group.groupEpoch;
            downgraded[0] = membership.downgradeClassicOnly(group,
                    () -> respond.accept(response.setGenerationId(generation)), failed);
            return;
        }
        if (records.isEmpty()) {
            answer.run();
            return;
        }
        context.write(records, answer, failed);
    }

    private static boolean onlyClassicMembers(ConsumerGroup group) {
        for (ConsumerGroupMember member : group.members.values()) {
            if (!member.usesClassicProtocol()) {
                return false;
            }
        }
        return true;
    }

    /** Who joins: the member as it is (null if new), the static member it takes the place of (or null), or why not. */
    private record Joining(ConsumerGroupMember current, ConsumerGroupMember replaced, Errors error) {
    }

    private static Joining joining(ConsumerGroup group, String memberId, boolean unknown, String instanceId) {
        if (instanceId == null) {
            ConsumerGroupMember current = group.member(memberId);
            return current != null && !current.usesClassicProtocol()
                    ? new Joining(null, null, Errors.UNKNOWN_MEMBER_ID) : new Joining(current, null, Errors.NONE);
        }
        ConsumerGroupMember holder = group.staticMember(instanceId);
        if (unknown) {
            // A restarted static member takes its predecessor's place, partitions and epoch.
            return new Joining(holder == null ? null : holder.copyAs(memberId), holder, Errors.NONE);
        }
        if (holder == null) {
            return new Joining(null, null, Errors.UNKNOWN_MEMBER_ID);
        }
        if (!holder.memberId.equals(memberId)) {
            return new Joining(null, null, Errors.FENCED_INSTANCE_ID);
        }
        return holder.usesClassicProtocol() ? new Joining(holder, null, Errors.NONE)
                : new Joining(null, null, Errors.UNKNOWN_MEMBER_ID);
    }

    /**
     * As Kafka: the member speaks the consumer embedded protocol, and supports a protocol every classic member of the
     * group supports (any, if there is none).
     */
    private static boolean supportsClassicProtocols(ConsumerGroup group, String protocolType, Set<String> names) {
        if (!ClassicGroup.CONSUMER_PROTOCOL_TYPE.equals(protocolType) || names.isEmpty()) {
            return false;
        }
        for (String name : names) {
            boolean everyone = true;
            for (ConsumerGroupMember member : group.members.values()) {
                if (member.usesClassicProtocol() && !member.classic.protocols().containsKey(name)) {
                    everyone = false;
                    break;
                }
            }
            if (everyone) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------- sync

    /** SyncGroup of a classic member of a consumer group: its assignment, at once. */
    void sync(ConsumerGroup group, SyncGroupRequestData request, Consumer<SyncResult> respond) {
        ConsumerGroupMember member = group.isEmpty() ? null : group.member(request.memberId());
        Errors error = check(group, member, request.memberId(), request.groupInstanceId(), request.generationId());
        if (error == Errors.NONE) {
            if (request.protocolType() != null
                    && !ClassicGroup.CONSUMER_PROTOCOL_TYPE.equals(request.protocolType())) {
                error = Errors.INCONSISTENT_GROUP_PROTOCOL;
            } else if (request.protocolName() != null
                    && !request.protocolName().equals(member.classic.protocolName())) {
                error = Errors.INCONSISTENT_GROUP_PROTOCOL;
            } else if (group.groupEpoch > member.memberEpoch && member.state != State.UNREVOKED_PARTITIONS) {
                // A newer epoch began since its join: it rejoins to catch up (a member revoking rejoins anyway).
                membership.scheduleJoinTimeoutIfAbsent(group.groupId, member);
                error = Errors.REBALANCE_IN_PROGRESS;
            }
        }
        if (error != Errors.NONE) {
            respond.accept(new SyncResult(error.code(), new byte[0]));
            return;
        }
        membership.cancelSyncTimeout(group.groupId, member.memberId);
        membership.scheduleSession(group.groupId, member);
        respond.accept(new SyncResult(Errors.NONE.code(), GroupConversion.assignmentBytes(member.assigned, topicName,
                member.classic.metadata(), member.memberId)));
    }

    // ---------------------------------------------------------------------------------------------------- heartbeat

    /**
     * Heartbeat of a classic member of a consumer group: REBALANCE_IN_PROGRESS when it must rejoin, because the group
     * moved to a newer epoch, it must revoke partitions, or partitions it waited for were released.
     */
    Errors heartbeat(ConsumerGroup group, String memberId, String groupInstanceId, int generationId) {
        ConsumerGroupMember member = group.member(memberId);
        Errors error = check(group, member, memberId, groupInstanceId, generationId);
        if (error != Errors.NONE) {
            return error;
        }
        membership.scheduleSession(group.groupId, member);
        if (member.memberEpoch < group.groupEpoch || member.state == State.UNREVOKED_PARTITIONS
                || (member.state == State.UNRELEASED_PARTITIONS && !waitsOnUnreleasedPartition(group, member))) {
            membership.scheduleJoinTimeoutIfAbsent(group.groupId, member);
            return Errors.REBALANCE_IN_PROGRESS;
        }
        return Errors.NONE;
    }

    /** Whether a partition of the member's target that it does not have yet is still owned by another member. */
    private static boolean waitsOnUnreleasedPartition(ConsumerGroup group, ConsumerGroupMember member) {
        for (Map.Entry<Uuid, Set<Integer>> topic : group.targetOf(member.memberId).entrySet()) {
            Set<Integer> assigned = member.assigned.getOrDefault(topic.getKey(), Set.of());
            for (int partition : topic.getValue()) {
                if (!assigned.contains(partition) && group.currentPartitionEpoch(topic.getKey(), partition) != -1) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The checks SyncGroup and Heartbeat share: a known classic member, not fenced, at its epoch. */
    private static Errors check(ConsumerGroup group, ConsumerGroupMember member, String memberId, String instanceId,
                                int generationId) {
        if (instanceId != null) {
            ConsumerGroupMember holder = group.staticMember(instanceId);
            if (holder == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (!holder.memberId.equals(memberId)) {
                return Errors.FENCED_INSTANCE_ID;
            }
        }
        if (member == null || !member.usesClassicProtocol()) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        return generationId == member.memberEpoch ? Errors.NONE : Errors.ILLEGAL_GENERATION;
    }

    // ---------------------------------------------------------------------------------------------------- leave

    /** LeaveGroup of classic members of a consumer group; answered once their removal is committed. */
    CompletableFuture<LeaveGroupResponseData> leave(ConsumerGroup group,
                                                    List<LeaveGroupRequestData.MemberIdentity> leaving) {
        LeaveGroupResponseData response = new LeaveGroupResponseData();
        List<CoordinatorRecord> records = new ArrayList<>();
        for (LeaveGroupRequestData.MemberIdentity identity : leaving) {
            String memberId = identity.memberId();
            LeaveGroupResponseData.MemberResponse result = new LeaveGroupResponseData.MemberResponse()
                    .setMemberId(memberId).setGroupInstanceId(identity.groupInstanceId());
            response.members().add(result);
            ConsumerGroupMember member;
            if (identity.groupInstanceId() == null) {
                member = group.member(memberId);
            } else {
                member = group.staticMember(identity.groupInstanceId());
                if (member != null && memberId != null && !memberId.isEmpty() && !member.memberId.equals(memberId)) {
                    result.setErrorCode(Errors.FENCED_INSTANCE_ID.code());
                    continue;
                }
            }
            if (member == null || !member.usesClassicProtocol()) {
                result.setErrorCode(Errors.UNKNOWN_MEMBER_ID.code());
                continue;
            }
            result.setMemberId(member.memberId);
            LOG.log(Level.INFO, "Classic member {0} left consumer group {1}{2}", member.memberId, group.groupId,
                    identity.reason() == null ? "" : " (" + identity.reason() + ")");
            records.addAll(membership.removeMember(group, member.memberId));
        }
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        CompletableFuture<LeaveGroupResponseData> done = new CompletableFuture<>();
        context.write(records, () -> done.complete(response), failure -> done.complete(
                new LeaveGroupResponseData().setErrorCode(failure.code())));
        return done;
    }
}

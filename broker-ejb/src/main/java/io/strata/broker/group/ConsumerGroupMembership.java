package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.group.ConsumerGroupAssignor.Subscriber;
import io.strata.broker.group.ConsumerGroupMember.State;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The consumer group protocol of KIP-848 for the groups of one {@code __consumer_offsets} partition:
 * ConsumerGroupHeartbeat (join, heartbeat, leave, static members), the group epoch raised by every change of
 * membership, subscription or subscribed topics' metadata, the target assignment computed by a server-side assignor,
 * each member's incremental reconciliation towards it ({@link MemberReconciliation}), session and revocation timeouts
 * that fence members, and ConsumerGroupDescribe. Members speaking the classic protocol may be in a consumer group too
 * (Kafka's mixed groups): they go through the same epochs, target assignment and reconciliation, driven by their
 * JoinGroup ({@link ConsumerGroupClassicProtocol}); a classic group with members becomes a consumer group when a
 * consumer-protocol member joins it, and a consumer group becomes classic again when its last consumer-protocol member
 * leaves, as {@code group.consumer.migration.policy} allows ({@link GroupConversion}). Subscriptions by regular expression are resolved on the broker at
 * every heartbeat, with {@link Pattern} (Java syntax; Kafka uses RE2J, whose common syntax is the same) matching whole
 * topic names; internal topics are never matched.
 *
 * <p>A group is stored as one record of its epochs and subscribed topics and one per member
 * ({@link GroupRecords#consumerMemberValue}), so a heartbeat writes what it changed: its member, the group's record
 * when the epoch moved, and the members whose target changed when a new target assignment was computed (once per
 * group epoch). A heartbeat that changed something is answered once its records are committed. The in-memory state
 * changes at once, as the classic protocol's does, and each change's records go in one batch, in the order of the
 * changes: the log is always a prefix of whole changes, a consistent group. A write fails when this broker loses the
 * partition (its state is then dropped, and rebuilt from the log by the next leader) or cannot replicate in time;
 * the member gets the error and retries with a full heartbeat.
 *
 * <p>Part of its {@link GroupCoordinatorShard}, sharing its map of groups. Not thread-safe: confined to the
 * coordinator runtime's thread.
 */
final class ConsumerGroupMembership {

    private static final System.Logger LOG = System.getLogger(ConsumerGroupMembership.class.getName());

    private final CoordinatorContext context;
    private final BrokerConfig config;
    private final Function<String, TopicImage> topicByName;
    private final Supplier<Collection<TopicImage>> topics;
    private final Map<String, Group> groups;
    /** Each group's heartbeat interval and session timeout: its group configs over the broker's defaults. */
    private final Function<String, ConsumerGroupConfig> groupConfigs;
    /** The join timers of classic members told to rejoin: scheduled once, until they rejoin or are fenced. */
    private final Set<String> joinTimers = new HashSet<>();
    /** Turns a group into a classic group when its last consumer-protocol member leaves, if it may. */
    private Downgrade downgrade = (group, leavingMemberId, onCommitted, onFailed) -> false;

    /** The downgrade of a consumer group whose remaining members all speak the classic protocol. */
    interface Downgrade {
        /**
         * Turns {@code group} into a classic group without {@code leavingMemberId} (null: the group's members all
         * speak the classic protocol already), if Kafka's conditions and {@code group.consumer.migration.policy}
         * allow it: writes the records that say so and calls back once they are committed or failed. Returns false,
         * changing nothing, if the group stays a consumer group.
         */
        boolean downgrade(ConsumerGroup group, String leavingMemberId, Runnable onCommitted,
                          java.util.function.Consumer<Errors> onFailed);
    }

    ConsumerGroupMembership(CoordinatorContext context, BrokerConfig config, Function<String, TopicImage> topicByName,
                            Supplier<Collection<TopicImage>> topics, Map<String, Group> groups,
                            Function<String, ConsumerGroupConfig> groupConfigs) {
        this.context = context;
        this.config = config;
        this.topicByName = topicByName;
        this.topics = topics;
        this.groups = groups;
        this.groupConfigs = groupConfigs;
    }

    /** The downgrade of a group whose members all speak the classic protocol now; see {@link Downgrade}. */
    boolean downgradeClassicOnly(ConsumerGroup group, Runnable onCommitted,
                                 java.util.function.Consumer<Errors> onFailed) {
        return downgrade.downgrade(group, null, onCommitted, onFailed);
    }

    /** Set by the shard, which owns classic groups. */
    void onLastConsumerMemberLeaving(Downgrade downgrade) {
        this.downgrade = Objects.requireNonNull(downgrade, "downgrade");
    }

    // ---------------------------------------------------------------------------------------------------- loading

    /**
     * Replays a consumer group's record: it replaces whatever group of another kind there was; a tombstone removes the
     * group (which has no members by then; its offsets, if any, keep an empty group).
     */
    void replayGroup(String groupId, byte[] value, boolean hasOffsets) {
        if (value == null) {
            if (groups.get(groupId) instanceof ConsumerGroup) {
                groups.remove(groupId);
                if (hasOffsets) {
                    groups.put(groupId, new ConsumerGroup(groupId));
                }
            }
            return;
        }
        GroupRecords.decodeConsumerGroupValue(ByteBuffer.wrap(value), replayed(groupId));
    }

    /** Replays a member's record; compaction may have left it before its group's record, so it may create the group. */
    void replayMember(String groupId, String memberId, byte[] value) {
        if (value == null && !(groups.get(groupId) instanceof ConsumerGroup)) {
            return; // a member that left a group since gone
        }
        ConsumerGroup group = replayed(groupId);
        group.remove(memberId);
        if (value != null) {
            GroupRecords.StoredConsumerMember stored = GroupRecords.decodeConsumerMemberValue(memberId,
                    ByteBuffer.wrap(value));
            group.put(stored.member());
            group.targetAssignment.put(memberId, stored.target());
        }
    }

    private ConsumerGroup replayed(String groupId) {
        if (groups.get(groupId) instanceof ConsumerGroup group) {
            return group;
        }
        ConsumerGroup group = new ConsumerGroup(groupId);
        groups.put(groupId, group);
        return group;
    }

    /** The shard serves: every member's session starts now. */
    void onLoaded() {
        for (Group each : groups.values()) {
            if (each instanceof ConsumerGroup group) {
                for (ConsumerGroupMember member : group.members.values()) {
                    scheduleSession(group.groupId, member);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- heartbeat

    /** ConsumerGroupHeartbeat; completes once what it changed is committed. */
    CompletableFuture<ConsumerGroupHeartbeatResponseData> heartbeat(ConsumerGroupHeartbeatRequestData request,
                                                                   String clientId, String clientHost) {
        try {
            validate(request);
            if (request.memberEpoch() < 0) {
                return leave(request);
            }
            return joinOrHeartbeat(request, clientId, clientHost);
        } catch (ApiException e) {
            return CompletableFuture.completedFuture(error(Errors.forException(e), e.getMessage()));
        }
    }

    static ConsumerGroupHeartbeatResponseData error(Errors error, String message) {
        return new ConsumerGroupHeartbeatResponseData().setErrorCode(error.code()).setErrorMessage(message);
    }

    private void validate(ConsumerGroupHeartbeatRequestData request) {
        if ("".equals(request.instanceId())) {
            throw Errors.INVALID_REQUEST.exception("InstanceId can't be empty.");
        }
        if ("".equals(request.rackId())) {
            throw Errors.INVALID_REQUEST.exception("RackId can't be empty.");
        }
        int epoch = request.memberEpoch();
        if (epoch > 0 || epoch == ConsumerGroupMember.LEAVE_EPOCH) {
            if (request.memberId().isEmpty()) {
                throw Errors.INVALID_REQUEST.exception("MemberId can't be empty.");
            }
        } else if (epoch == 0) {
            if (request.rebalanceTimeoutMs() == -1) {
                throw Errors.INVALID_REQUEST.exception("RebalanceTimeoutMs must be provided in first request.");
            }
            if (request.topicPartitions() != null && !request.topicPartitions().isEmpty()) {
                throw Errors.INVALID_REQUEST.exception("TopicPartitions must be empty when (re-)joining.");
            }
            boolean names = request.subscribedTopicNames() != null && !request.subscribedTopicNames().isEmpty();
            boolean regex = request.subscribedTopicRegex() != null && !request.subscribedTopicRegex().isEmpty();
            if (!names && !regex) {
                throw Errors.INVALID_REQUEST.exception("SubscribedTopicNames or SubscribedTopicRegex must be set in"
                        + " first request.");
            }
        } else if (epoch == ConsumerGroupMember.LEAVE_STATIC_EPOCH) {
            if (request.memberId().isEmpty() || request.instanceId() == null) {
                throw Errors.INVALID_REQUEST.exception("A static member leaving needs its MemberId and InstanceId.");
            }
        } else {
            throw Errors.INVALID_REQUEST.exception("MemberEpoch " + epoch + " is invalid.");
        }
        if (request.serverAssignor() != null && !config.groupConsumerAssignors.contains(request.serverAssignor())) {
            throw Errors.UNSUPPORTED_ASSIGNOR.exception("ServerAssignor " + request.serverAssignor() + " is not"
                    + " supported. Supported assignors: " + String.join(", ", config.groupConsumerAssignors) + ".");
        }
        if (request.subscribedTopicRegex() != null && !request.subscribedTopicRegex().isEmpty()) {
            try {
                Pattern.compile(request.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                throw Errors.INVALID_REGULAR_EXPRESSION.exception("SubscribedTopicRegex "
                        + request.subscribedTopicRegex() + " is not a valid regular expression: "
                        + e.getDescription());
            }
        }
    }

    private CompletableFuture<ConsumerGroupHeartbeatResponseData> joinOrHeartbeat(
            ConsumerGroupHeartbeatRequestData request, String clientId, String clientHost) {
        List<CoordinatorRecord> records = new ArrayList<>();
        int epoch = request.memberEpoch();
        ConsumerGroup group = groupFor(request.groupId(), epoch == 0, records);
        String memberId = request.memberId().isEmpty() ? UUID.randomUUID().toString() : request.memberId();
        Map<Uuid, Set<Integer>> owned = owned(request.topicPartitions());

        ConsumerGroupMember replaced = null;
        ConsumerGroupMember current;
        if (request.instanceId() == null) {
            current = group.member(memberId);
            if (current == null && epoch != 0) {
                throw Errors.UNKNOWN_MEMBER_ID.exception("Member " + memberId + " is not a member of group "
                        + group.groupId + ".");
            }
        } else {
            ConsumerGroupMember holder = group.staticMember(request.instanceId());
            if (epoch == 0 && holder != null && !holder.memberId.equals(memberId)) {
                if (!holder.hasLeftTemporarily()) {
                    throw Errors.UNRELEASED_INSTANCE_ID.exception("Static member " + memberId + " with instance id "
                            + request.instanceId() + " cannot join group " + group.groupId + ": the instance id is"
                            + " still used by member " + holder.memberId + ".");
                }
                replaced = holder;
                current = holder.copyAs(memberId);
                current.memberEpoch = 0;
                current.previousMemberEpoch = 0;
            } else if (epoch != 0 && holder == null) {
                throw Errors.UNKNOWN_MEMBER_ID.exception("Instance id " + request.instanceId() + " is unknown in"
                        + " group " + group.groupId + ".");
            } else if (epoch != 0 && !holder.memberId.equals(memberId)) {
                throw Errors.FENCED_INSTANCE_ID.exception("Member " + memberId + " is fenced: instance id "
                        + request.instanceId() + " belongs to member " + holder.memberId + ".");
            } else {
                current = holder != null ? holder : group.member(memberId);
            }
        }
        if (current != null && epoch != 0 && replaced == null) {
            checkEpoch(current, epoch, owned);
        }
        boolean isNew = current == null;
        if (current != null && current.usesClassicProtocol()) {
            throw Errors.UNKNOWN_MEMBER_ID.exception("Member " + memberId + " of group " + group.groupId
                    + " uses the classic protocol: it joins with JoinGroup, not ConsumerGroupHeartbeat.");
        }
        if (isNew && group.members.size() >= config.groupConsumerMaxSize) {
            throw Errors.GROUP_MAX_SIZE_REACHED.exception("Group " + group.groupId + " has reached its maximum size"
                    + " of " + config.groupConsumerMaxSize + " members.");
        }
        ConsumerGroupMember before = isNew ? new ConsumerGroupMember(memberId) : current;
        ConsumerGroupMember updated = updatedFrom(before, request, clientId, clientHost);
        boolean subscriptionChanged = isNew || !updated.subscribedTopicNames.equals(before.subscribedTopicNames)
                || !Objects.equals(updated.subscribedTopicRegex, before.subscribedTopicRegex);

        if (replaced != null) {
            replaceStaticMember(group, replaced, memberId, records);
        } else if (isNew) {
            LOG.log(Level.INFO, "Member {0} joins consumer group {1}", memberId, group.groupId);
        }
        ConsumerGroupMember reconciled = applyAndReconcile(group, before, updated, subscriptionChanged,
                isNew || replaced != null, owned, records);
        scheduleSession(group.groupId, reconciled);
        if (reconciled.state == State.UNREVOKED_PARTITIONS) {
            if (updated.state != State.UNREVOKED_PARTITIONS) {
                scheduleRevocationTimeout(group.groupId, reconciled);
            }
        } else {
            context.cancel(revocationTimerKey(group.groupId, memberId));
        }

        ConsumerGroupHeartbeatResponseData response = new ConsumerGroupHeartbeatResponseData()
                .setMemberId(memberId)
                .setMemberEpoch(reconciled.memberEpoch)
                .setHeartbeatIntervalMs(groupConfigs.apply(group.groupId).heartbeatIntervalMs());
        boolean fullRequest = epoch == 0 || (request.rebalanceTimeoutMs() != -1
                && request.subscribedTopicNames() != null && request.topicPartitions() != null);
        if (fullRequest || !reconciled.assigned.equals(before.assigned)) {
            response.setAssignment(assignmentOf(reconciled));
        }
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return write(group, records, response);
    }

    /** A static member's new incarnation takes the place (and target) of the one that left for a while. */
    void replaceStaticMember(ConsumerGroup group, ConsumerGroupMember replaced, String memberId,
                             List<CoordinatorRecord> records) {
        Map<Uuid, Set<Integer>> target = group.targetOf(replaced.memberId);
        group.remove(replaced.memberId);
        group.targetAssignment.put(memberId, target);
        cancelTimers(group.groupId, replaced.memberId);
        records.add(CoordinatorRecord.tombstone(GroupRecords.consumerMemberKey(group.groupId, replaced.memberId)));
        LOG.log(Level.INFO, "Static member {0} of group {1} rejoined as {2}, replacing {3}", replaced.instanceId,
                group.groupId, memberId, replaced.memberId);
    }

    /**
     * Puts the member's change into its group: a new group epoch if its subscription or the subscribed topics changed,
     * a new target assignment if the epoch moved past the target's, and the member reconciled towards its target,
     * given the partitions it says it owns ({@code owned}, null if it did not say). Adds the records of what changed
     * (the group's, the members whose target changed, the member's own) to {@code records}; returns the member as
     * it is now. Both protocols' members go through here: the heartbeat of a consumer-protocol member, the JoinGroup
     * of a classic one.
     */
    ConsumerGroupMember applyAndReconcile(ConsumerGroup group, ConsumerGroupMember before, ConsumerGroupMember updated,
                                          boolean subscriptionChanged, boolean writeMember,
                                          Map<Uuid, Set<Integer>> owned, List<CoordinatorRecord> records) {
        String memberId = updated.memberId;
        group.put(updated);
        Map<String, ConsumerGroup.TopicMetadata> metadata = subscriptionMetadata(group);
        boolean bump = subscriptionChanged || !metadata.equals(group.subscriptionMetadata);
        boolean groupChanged = bump || group.groupEpoch > group.assignmentEpoch;
        Set<String> retargeted = Set.of();
        if (bump) {
            group.groupEpoch++;
            group.subscriptionMetadata = metadata;
            LOG.log(Level.INFO, "Consumer group {0} is at epoch {1}", group.groupId, group.groupEpoch);
        }
        if (group.groupEpoch > group.assignmentEpoch) {
            retargeted = computeTargetAssignment(group);
        }
        ConsumerGroupMember reconciled = MemberReconciliation.reconcile(updated, group.assignmentEpoch,
                group.targetOf(memberId), group::currentPartitionEpoch, owned);
        group.put(reconciled);
        if (groupChanged) {
            records.add(groupRecord(group));
        }
        for (String retargetedId : retargeted) {
            if (!retargetedId.equals(memberId)) {
                records.add(memberRecord(group, group.member(retargetedId)));
            }
        }
        if (writeMember || retargeted.contains(memberId) || !sameStoredState(before, reconciled)) {
            records.add(memberRecord(group, reconciled));
        }
        return reconciled;
    }

    /** The consumer group of that id, created (replacing an empty classic group, when allowed) for a joining member. */
    private ConsumerGroup groupFor(String groupId, boolean joining, List<CoordinatorRecord> records) {
        Group existing = groups.get(groupId);
        if (existing instanceof ConsumerGroup group && !group.isDead()) {
            return group;
        }
        if (existing == null || existing.isDead()) {
            if (!joining) {
                throw Errors.GROUP_ID_NOT_FOUND.exception("Consumer group " + groupId + " not found.");
            }
            ConsumerGroup group = new ConsumerGroup(groupId);
            groups.put(groupId, group);
            return group;
        }
        if (joining && existing instanceof ClassicGroup classic && classic.isEmpty()
                && classic.is(GroupState.EMPTY) && classic.pendingMembers.isEmpty() && upgradeAllowed()) {
            records.add(CoordinatorRecord.tombstone(GroupRecords.groupKey(groupId)));
            ConsumerGroup group = new ConsumerGroup(groupId);
            groups.put(groupId, group);
            LOG.log(Level.INFO, "Empty classic group {0} becomes a consumer group", groupId);
            return group;
        }
        if (joining && existing instanceof ClassicGroup classic && !classic.isEmpty()) {
            return upgrade(classic);
        }
        if (existing instanceof ShareGroup) {
            throw Errors.GROUP_ID_NOT_FOUND.exception("Group " + groupId + " is not a consumer group.");
        }
        throw Errors.GROUP_ID_NOT_FOUND.exception("Group " + groupId + " is not a consumer group"
                + (existing.isEmpty() ? " (" + BrokerConfig.GROUP_CONSUMER_MIGRATION_POLICY + " is "
                + config.groupConsumerMigrationPolicy + ")" : ": it is a classic group with members") + ".");
    }

    /**
     * Kafka's online upgrade: a classic group with members becomes a consumer group when a consumer-protocol member
     * joins it, if the policy allows, its members speak the consumer embedded protocol and they fit in
     * {@code group.consumer.max.size}. Its members stay, speaking the classic protocol, with their assignments at the
     * generation as epoch; members waiting in a rebalance are told to rejoin (REBALANCE_IN_PROGRESS). The conversion
     * is written at once, ahead of the joining member's records, so the log always holds a whole conversion.
     */
    private ConsumerGroup upgrade(ClassicGroup classic) {
        String groupId = classic.groupId;
        String refusal = !upgradeAllowed() ? BrokerConfig.GROUP_CONSUMER_MIGRATION_POLICY + " is "
                + config.groupConsumerMigrationPolicy + ", which does not allow an online upgrade"
                : !ClassicGroup.CONSUMER_PROTOCOL_TYPE.equals(classic.protocolType) ? "its protocol type is "
                + classic.protocolType + ", not the consumer embedded protocol"
                : classic.members.size() > config.groupConsumerMaxSize ? "its " + classic.members.size()
                + " members exceed " + BrokerConfig.GROUP_CONSUMER_MAX_SIZE + " (" + config.groupConsumerMaxSize + ")"
                : null;
        if (refusal != null) {
            LOG.log(Level.INFO, "Cannot upgrade classic group {0} to a consumer group: {1}", groupId, refusal);
            throw Errors.GROUP_ID_NOT_FOUND.exception("Group " + groupId + " is not a consumer group: it is a classic"
                    + " group with members, and " + refusal + ".");
        }
        ConsumerGroup group;
        try {
            group = GroupConversion.toConsumerGroup(classic, topicByName);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "Cannot upgrade classic group {0} to a consumer group: {1}", groupId,
                    e.getMessage());
            throw Errors.GROUP_ID_NOT_FOUND.exception("Cannot upgrade the classic group " + groupId + " to a consumer"
                    + " group because the embedded consumer protocol is malformed: " + e.getMessage() + ".");
        }
        for (GroupMember member : classic.members.values()) {
            if (member.awaitingJoin != null) {
                member.awaitingJoin.accept(GroupCoordinator.joinError(member.memberId, Errors.REBALANCE_IN_PROGRESS));
                member.awaitingJoin = null;
            }
            if (member.awaitingSync != null) {
                member.awaitingSync.accept(new SyncResult(Errors.REBALANCE_IN_PROGRESS.code(), new byte[0]));
                member.awaitingSync = null;
            }
        }
        context.cancel(classic.rebalanceTimerKey());
        classic.transitionTo(GroupState.DEAD, context.nowMs()); // its pending callbacks and timers do nothing now
        group.subscriptionMetadata = subscriptionMetadata(group);
        groups.put(groupId, group);
        List<CoordinatorRecord> records = new ArrayList<>();
        records.add(CoordinatorRecord.tombstone(GroupRecords.groupKey(groupId)));
        records.add(groupRecord(group));
        for (ConsumerGroupMember member : group.members.values()) {
            records.add(memberRecord(group, member));
            scheduleSession(groupId, member);
        }
        context.write(records, () -> { }, failure -> LOG.log(Level.WARNING, "Writing the upgrade of group {0} to a"
                + " consumer group failed: {1}", groupId, failure));
        LOG.log(Level.INFO, "Classic group {0} with {1} member(s) at generation {2} becomes a consumer group (online"
                + " upgrade); its members keep the classic protocol", groupId, group.members.size(), group.groupEpoch);
        return group;
    }

    boolean upgradeAllowed() {
        return config.groupConsumerMigrationPolicy.equals("upgrade")
                || config.groupConsumerMigrationPolicy.equals("bidirectional");
    }

    /** Whether an empty consumer group may become a classic group when a classic member joins. */
    boolean downgradeAllowed() {
        return config.groupConsumerMigrationPolicy.equals("downgrade")
                || config.groupConsumerMigrationPolicy.equals("bidirectional");
    }

    /**
     * A member's epoch must be its current one, or the previous one when the answer that raised it was lost and the
     * member owns nothing it should not; anything else means it missed a change and must rejoin.
     */
    private static void checkEpoch(ConsumerGroupMember member, int epoch, Map<Uuid, Set<Integer>> owned) {
        if (epoch > member.memberEpoch) {
            throw Errors.FENCED_MEMBER_EPOCH.exception("The member has epoch " + epoch + ", newer than the "
                    + member.memberEpoch + " the coordinator knows. It must give up its partitions and rejoin.");
        }
        if (epoch < member.memberEpoch
                && (epoch != member.previousMemberEpoch || !isSubset(owned, member.assigned))) {
            throw Errors.FENCED_MEMBER_EPOCH.exception("The member has epoch " + epoch + ", older than the "
                    + member.memberEpoch + " the coordinator knows. It must give up its partitions and rejoin.");
        }
    }

    private static boolean isSubset(Map<Uuid, Set<Integer>> owned, Map<Uuid, Set<Integer>> assigned) {
        if (owned == null) {
            return false;
        }
        for (Map.Entry<Uuid, Set<Integer>> topic : owned.entrySet()) {
            if (!assigned.getOrDefault(topic.getKey(), Set.of()).containsAll(topic.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static ConsumerGroupMember updatedFrom(ConsumerGroupMember before,
                                                   ConsumerGroupHeartbeatRequestData request, String clientId,
                                                   String clientHost) {
        ConsumerGroupMember updated = before.copy();
        if (request.instanceId() != null) {
            updated.instanceId = request.instanceId();
        }
        if (request.rackId() != null) {
            updated.rackId = request.rackId();
        }
        if (request.rebalanceTimeoutMs() != -1) {
            updated.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
        }
        if (request.serverAssignor() != null) {
            updated.serverAssignor = request.serverAssignor();
        }
        if (request.subscribedTopicNames() != null) {
            updated.subscribedTopicNames = List.copyOf(new TreeSet<>(request.subscribedTopicNames()));
        }
        if (request.subscribedTopicRegex() != null) {
            updated.subscribedTopicRegex = request.subscribedTopicRegex().isEmpty() ? null
                    : request.subscribedTopicRegex();
        }
        updated.clientId = clientId == null ? "" : clientId;
        updated.clientHost = clientHost == null ? "" : clientHost;
        return updated;
    }

    private static boolean sameStoredState(ConsumerGroupMember a, ConsumerGroupMember b) {
        return Objects.equals(a.instanceId, b.instanceId) && Objects.equals(a.rackId, b.rackId)
                && a.clientId.equals(b.clientId) && a.clientHost.equals(b.clientHost)
                && a.subscribedTopicNames.equals(b.subscribedTopicNames)
                && Objects.equals(a.subscribedTopicRegex, b.subscribedTopicRegex)
                && Objects.equals(a.serverAssignor, b.serverAssignor) && a.rebalanceTimeoutMs == b.rebalanceTimeoutMs
                && a.memberEpoch == b.memberEpoch && a.previousMemberEpoch == b.previousMemberEpoch
                && a.state == b.state && a.assigned.equals(b.assigned)
                && a.pendingRevocation.equals(b.pendingRevocation) && Objects.equals(a.classic, b.classic);
    }

    private static Map<Uuid, Set<Integer>> owned(List<ConsumerGroupHeartbeatRequestData.TopicPartitions> partitions) {
        if (partitions == null) {
            return null;
        }
        Map<Uuid, Set<Integer>> owned = new HashMap<>();
        for (ConsumerGroupHeartbeatRequestData.TopicPartitions topic : partitions) {
            owned.computeIfAbsent(topic.topicId(), id -> new TreeSet<>()).addAll(topic.partitions());
        }
        return owned;
    }

    private static ConsumerGroupHeartbeatResponseData.Assignment assignmentOf(ConsumerGroupMember member) {
        ConsumerGroupHeartbeatResponseData.Assignment assignment = new ConsumerGroupHeartbeatResponseData.Assignment();
        member.assigned.forEach((topicId, partitions) -> assignment.topicPartitions().add(
                new ConsumerGroupHeartbeatResponseData.TopicPartitions().setTopicId(topicId)
                        .setPartitions(new ArrayList<>(partitions))));
        return assignment;
    }

    // ---------------------------------------------------------------------------------------------------- assignment

    /**
     * The topics the members subscribe to (by name or regular expression) that exist, with their ids and sizes.
     * Names are looked up one by one; only regular expressions, one pass each, go over every topic of the cluster.
     */
    Map<String, ConsumerGroup.TopicMetadata> subscriptionMetadata(ConsumerGroup group) {
        Map<String, ConsumerGroup.TopicMetadata> metadata = new HashMap<>();
        Map<String, Set<String>> resolved = new HashMap<>();
        for (ConsumerGroupMember member : group.members.values()) {
            for (String name : subscribedTopics(member, resolved)) {
                TopicImage topic = topicByName.apply(name);
                if (topic != null) {
                    metadata.put(name, new ConsumerGroup.TopicMetadata(topic.id(), topic.partitionCount()));
                }
            }
        }
        return metadata;
    }

    /** The member's topic names and its regular expression's matches, resolved once per regular expression. */
    private Set<String> subscribedTopics(ConsumerGroupMember member, Map<String, Set<String>> resolved) {
        Set<String> names = new HashSet<>(member.subscribedTopicNames);
        if (member.subscribedTopicRegex != null) {
            names.addAll(resolved.computeIfAbsent(member.subscribedTopicRegex, this::matching));
        }
        return names;
    }

    private Set<String> matching(String regex) {
        Pattern pattern = Pattern.compile(regex);
        Set<String> matches = new HashSet<>();
        for (TopicImage topic : topics.get()) {
            if (!topic.name().startsWith("__") && pattern.matcher(topic.name()).matches()) {
                matches.add(topic.name());
            }
        }
        return matches;
    }

    /**
     * The target assignment of the group's epoch, by the assignor most members ask for (the first configured).
     * Returns the members whose target changed.
     */
    private Set<String> computeTargetAssignment(ConsumerGroup group) {
        Map<String, Set<String>> resolved = new HashMap<>();
        Map<Uuid, Integer> partitionCounts = new HashMap<>();
        group.subscriptionMetadata.values().forEach(topic -> partitionCounts.put(topic.id(), topic.partitions()));
        List<Subscriber> subscribers = new ArrayList<>();
        for (ConsumerGroupMember member : group.members.values()) {
            Set<Uuid> ids = new HashSet<>();
            for (String name : subscribedTopics(member, resolved)) {
                ConsumerGroup.TopicMetadata topic = group.subscriptionMetadata.get(name);
                if (topic != null) {
                    ids.add(topic.id());
                }
            }
            subscribers.add(new Subscriber(member.memberId, member.instanceId, ids, group.targetOf(member.memberId)));
        }
        ConsumerGroupAssignor assignor = ConsumerGroupAssignor.named(preferredAssignor(group));
        Map<String, Map<Uuid, Set<Integer>>> target = assignor.assign(subscribers, partitionCounts);
        Set<String> changed = new HashSet<>();
        for (String memberId : group.members.keySet()) {
            Map<Uuid, Set<Integer>> next = ConsumerGroupMember.copyOf(target.getOrDefault(memberId, Map.of()));
            if (!next.equals(group.targetOf(memberId))) {
                changed.add(memberId);
            }
            group.targetAssignment.put(memberId, next);
        }
        group.assignmentEpoch = group.groupEpoch;
        group.assignorName = assignor.name();
        LOG.log(Level.INFO, "Consumer group {0} has a new target assignment at epoch {1} by the {2} assignor, for {3}"
                + " member(s)", group.groupId, group.assignmentEpoch, assignor.name(), group.members.size());
        return changed;
    }

    private String preferredAssignor(ConsumerGroup group) {
        Map<String, Integer> votes = new HashMap<>();
        for (ConsumerGroupMember member : group.members.values()) {
            if (member.serverAssignor != null) {
                votes.merge(member.serverAssignor, 1, Integer::sum);
            }
        }
        String best = config.groupConsumerAssignors.get(0);
        int bestVotes = 0;
        for (String name : config.groupConsumerAssignors) {
            int count = votes.getOrDefault(name, 0);
            if (count > bestVotes) {
                best = name;
                bestVotes = count;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------------------------------------------- leaving

    private CompletableFuture<ConsumerGroupHeartbeatResponseData> leave(ConsumerGroupHeartbeatRequestData request) {
        Group existing = groups.get(request.groupId());
        if (!(existing instanceof ConsumerGroup group) || group.isDead()) {
            throw Errors.GROUP_ID_NOT_FOUND.exception("Consumer group " + request.groupId() + " not found.");
        }
        ConsumerGroupMember member;
        if (request.instanceId() == null) {
            member = group.member(request.memberId());
        } else {
            member = group.staticMember(request.instanceId());
            if (member != null && !member.memberId.equals(request.memberId())) {
                throw Errors.FENCED_INSTANCE_ID.exception("Member " + request.memberId() + " is fenced: instance id "
                        + request.instanceId() + " belongs to member " + member.memberId + ".");
            }
        }
        if (member == null) {
            throw Errors.UNKNOWN_MEMBER_ID.exception("Member " + request.memberId() + " is not a member of group "
                    + group.groupId + ".");
        }
        ConsumerGroupHeartbeatResponseData response = new ConsumerGroupHeartbeatResponseData()
                .setMemberId(member.memberId).setMemberEpoch(request.memberEpoch());
        if (request.memberEpoch() == ConsumerGroupMember.LEAVE_STATIC_EPOCH) {
            // The static member comes back within its session, as the same instance: its partitions wait for it.
            ConsumerGroupMember away = member.copy();
            away.memberEpoch = ConsumerGroupMember.LEAVE_STATIC_EPOCH;
            away.pendingRevocation = new HashMap<>();
            group.put(away);
            context.cancel(revocationTimerKey(group.groupId, member.memberId));
            LOG.log(Level.INFO, "Static member {0} ({1}) of consumer group {2} left for now", member.memberId,
                    member.instanceId, group.groupId);
            return write(group, List.of(memberRecord(group, away)), response);
        }
        LOG.log(Level.INFO, "Member {0} left consumer group {1}", member.memberId, group.groupId);
        CompletableFuture<ConsumerGroupHeartbeatResponseData> done = new CompletableFuture<>();
        if (downgrade.downgrade(group, member.memberId, () -> done.complete(response),
                failure -> done.complete(error(failure, "The group's change could not be stored: " + failure)))) {
            return done;
        }
        return write(group, removeMember(group, member.memberId), response);
    }

    /**
     * Removes a member: its partitions are free, and the group moves to a new epoch for the others. Returns the
     * records that say so.
     */
    List<CoordinatorRecord> removeMember(ConsumerGroup group, String memberId) {
        group.remove(memberId);
        cancelTimers(group.groupId, memberId);
        group.groupEpoch++;
        group.subscriptionMetadata = subscriptionMetadata(group);
        return List.of(CoordinatorRecord.tombstone(GroupRecords.consumerMemberKey(group.groupId, memberId)),
                groupRecord(group));
    }

    /** Fences a member that stopped heartbeating, or did not revoke in time, once it is still the one it was. */
    void fence(String groupId, String memberId, String why) {
        if (!(groups.get(groupId) instanceof ConsumerGroup group) || group.member(memberId) == null) {
            return;
        }
        LOG.log(Level.INFO, "Member {0} of consumer group {1} is fenced: {2}", memberId, groupId, why);
        if (!downgrade.downgrade(group, memberId, () -> { }, failure -> { })) {
            write(group, removeMember(group, memberId), null);
        }
    }

    /**
     * (Re)starts the member's session: the group's {@code group.consumer.session.timeout.ms}, or for a classic member
     * the session timeout of its JoinGroup.
     */
    void scheduleSession(String groupId, ConsumerGroupMember member) {
        String memberId = member.memberId;
        int sessionTimeoutMs = member.usesClassicProtocol() ? member.classic.sessionTimeoutMs()
                : groupConfigs.apply(groupId).sessionTimeoutMs();
        context.schedule(sessionTimerKey(groupId, memberId), sessionTimeoutMs,
                () -> fence(groupId, memberId, "no heartbeat within its session timeout (" + sessionTimeoutMs
                        + " ms)"));
    }

    private void scheduleRevocationTimeout(String groupId, ConsumerGroupMember member) {
        int epoch = member.memberEpoch;
        String memberId = member.memberId;
        context.schedule(revocationTimerKey(groupId, memberId), Math.max(0, member.rebalanceTimeoutMs), () -> {
            if (groups.get(groupId) instanceof ConsumerGroup group && group.member(memberId) != null
                    && group.member(memberId).state == State.UNREVOKED_PARTITIONS
                    && group.member(memberId).memberEpoch == epoch) {
                fence(groupId, memberId, "partitions not revoked within its rebalance timeout of "
                        + member.rebalanceTimeoutMs + " ms");
            }
        });
    }

    void cancelTimers(String groupId, String memberId) {
        context.cancel(sessionTimerKey(groupId, memberId));
        context.cancel(revocationTimerKey(groupId, memberId));
        cancelJoinTimeout(groupId, memberId);
        context.cancel(syncTimerKey(groupId, memberId));
    }

    /** A classic member told to rejoin (REBALANCE_IN_PROGRESS) must do so within its rebalance timeout. */
    void scheduleJoinTimeoutIfAbsent(String groupId, ConsumerGroupMember member) {
        String key = joinTimerKey(groupId, member.memberId);
        if (joinTimers.add(key)) {
            context.schedule(key, Math.max(1, member.rebalanceTimeoutMs), () -> {
                joinTimers.remove(key);
                fence(groupId, member.memberId, "the classic member did not rejoin within its rebalance timeout of "
                        + member.rebalanceTimeoutMs + " ms");
            });
        }
    }

    void cancelJoinTimeout(String groupId, String memberId) {
        String key = joinTimerKey(groupId, memberId);
        joinTimers.remove(key);
        context.cancel(key);
    }

    /** A classic member answered at JoinGroup must send its SyncGroup within its rebalance timeout. */
    void scheduleSyncTimeout(String groupId, String memberId, int rebalanceTimeoutMs) {
        context.schedule(syncTimerKey(groupId, memberId), Math.max(1, rebalanceTimeoutMs), () -> fence(groupId,
                memberId, "the classic member did not sync within its rebalance timeout of " + rebalanceTimeoutMs
                        + " ms"));
    }

    void cancelSyncTimeout(String groupId, String memberId) {
        context.cancel(syncTimerKey(groupId, memberId));
    }

    private static String joinTimerKey(String groupId, String memberId) {
        return "consumer-classic-join/" + groupId + "/" + memberId;
    }

    private static String syncTimerKey(String groupId, String memberId) {
        return "consumer-classic-sync/" + groupId + "/" + memberId;
    }

    private static String sessionTimerKey(String groupId, String memberId) {
        return "consumer-session/" + groupId + "/" + memberId;
    }

    private static String revocationTimerKey(String groupId, String memberId) {
        return "consumer-revocation/" + groupId + "/" + memberId;
    }

    static CoordinatorRecord groupRecord(ConsumerGroup group) {
        return new CoordinatorRecord(GroupRecords.consumerGroupKey(group.groupId),
                GroupRecords.consumerGroupValue(group));
    }

    static CoordinatorRecord memberRecord(ConsumerGroup group, ConsumerGroupMember member) {
        return new CoordinatorRecord(GroupRecords.consumerMemberKey(group.groupId, member.memberId),
                GroupRecords.consumerMemberValue(member, group.targetOf(member.memberId)));
    }

    /** Writes {@code records}; answers {@code response}, if any, once they are committed. */
    CompletableFuture<ConsumerGroupHeartbeatResponseData> write(ConsumerGroup group,
                                                                      List<CoordinatorRecord> records,
                                                                      ConsumerGroupHeartbeatResponseData response) {
        CompletableFuture<ConsumerGroupHeartbeatResponseData> done = new CompletableFuture<>();
        context.write(records, () -> done.complete(response), failure -> {
            LOG.log(Level.WARNING, "Writing consumer group {0} failed: {1}", group.groupId, failure);
            done.complete(error(failure, "The group's change could not be stored: " + failure.message()));
        });
        return done;
    }

    // ---------------------------------------------------------------------------------------------------- offsets

    /**
     * Whether a member may commit offsets for {@code partitions} with that epoch. Its current epoch always may. Its
     * previous one may too, for partitions it still owns: the consumer commits with the epoch it knows, and the
     * heartbeat answer that moved it on may be in flight (Kafka 4.x accepts such commits in the same spirit, by the
     * epoch each partition was assigned at). An epoch newer than the member's, or older than its previous, is
     * STALE_MEMBER_EPOCH. Anyone may commit for a group without members with a negative epoch, as Kafka's admin
     * tools and consumers without group management do.
     */
    static Errors commitCheck(ConsumerGroup group, String memberId, int memberEpoch, List<Uuid> topicIds,
                              List<Integer> partitions) {
        if (memberEpoch < 0 && group.members.isEmpty()) {
            return Errors.NONE;
        }
        ConsumerGroupMember member = memberId == null ? null : group.member(memberId);
        if (member == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (memberEpoch == member.memberEpoch) {
            return Errors.NONE;
        }
        if (member.usesClassicProtocol()) {
            return Errors.ILLEGAL_GENERATION; // as Kafka: a classic member commits with its generation, its epoch
        }
        if (memberEpoch > member.memberEpoch || memberEpoch < member.previousMemberEpoch) {
            return Errors.STALE_MEMBER_EPOCH;
        }
        for (int i = 0; i < partitions.size(); i++) {
            Uuid topicId = topicIds.get(i);
            if (topicId == null || !(member.assigned.getOrDefault(topicId, Set.of()).contains(partitions.get(i))
                    || member.pendingRevocation.getOrDefault(topicId, Set.of()).contains(partitions.get(i)))) {
                return Errors.STALE_MEMBER_EPOCH;
            }
        }
        return Errors.NONE;
    }

    /**
     * Whether a member may fetch offsets: a client outside the group always may; a member at its epoch or its
     * previous one. The consumer fetches the offsets of partitions it was just given with the epoch they came with,
     * and its next heartbeat may have moved it on meanwhile (Kafka reads at the last committed state, which narrows the
     * same window): a fetch changes nothing, so it is not refused for that.
     */
    static Errors fetchCheck(ConsumerGroup group, String memberId, int memberEpoch) {
        if (memberId == null || (memberId.isEmpty() && memberEpoch < 0)) {
            return Errors.NONE;
        }
        ConsumerGroupMember member = group.member(memberId);
        if (member == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (member.usesClassicProtocol()) {
            return memberEpoch == member.memberEpoch ? Errors.NONE : Errors.ILLEGAL_GENERATION;
        }
        return memberEpoch == member.memberEpoch || memberEpoch == member.previousMemberEpoch ? Errors.NONE
                : Errors.STALE_MEMBER_EPOCH;
    }

    // ---------------------------------------------------------------------------------------------------- describe

    /** ConsumerGroupDescribe of one group. */
    ConsumerGroupDescribeResponseData.DescribedGroup describe(String groupId) {
        ConsumerGroupDescribeResponseData.DescribedGroup described = new ConsumerGroupDescribeResponseData
                .DescribedGroup().setGroupId(groupId);
        Group existing = groups.get(groupId);
        if (!(existing instanceof ConsumerGroup group) || group.isDead()) {
            return described.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setGroupState("Dead")
                    .setErrorMessage(existing == null || existing.isDead() ? "Group " + groupId + " not found."
                            : "Group " + groupId + " is not a consumer group.");
        }
        Map<Uuid, String> names = new HashMap<>();
        for (TopicImage topic : topics.get()) {
            names.put(topic.id(), topic.name());
        }
        described.setGroupState(group.stateName()).setGroupEpoch(group.groupEpoch)
                .setAssignmentEpoch(group.assignmentEpoch).setAssignorName(group.assignorName);
        for (ConsumerGroupMember member : group.members.values()) {
            described.members().add(new ConsumerGroupDescribeResponseData.Member()
                    .setMemberId(member.memberId)
                    .setInstanceId(member.instanceId)
                    .setRackId(member.rackId)
                    .setMemberEpoch(member.memberEpoch)
                    .setClientId(member.clientId)
                    .setClientHost(member.clientHost)
                    .setSubscribedTopicNames(new ArrayList<>(member.subscribedTopicNames))
                    .setSubscribedTopicRegex(member.subscribedTopicRegex)
                    .setAssignment(describedAssignment(member.assigned, names))
                    .setTargetAssignment(describedAssignment(group.targetOf(member.memberId), names))
                    .setMemberType(member.usesClassicProtocol() ? (byte) 0 : (byte) 1));
        }
        return described;
    }

    private static ConsumerGroupDescribeResponseData.Assignment describedAssignment(Map<Uuid, Set<Integer>> partitions,
                                                                                   Map<Uuid, String> names) {
        ConsumerGroupDescribeResponseData.Assignment assignment = new ConsumerGroupDescribeResponseData.Assignment();
        partitions.forEach((topicId, indexes) -> assignment.topicPartitions().add(
                new ConsumerGroupDescribeResponseData.TopicPartitions().setTopicId(topicId)
                        .setTopicName(names.getOrDefault(topicId, "")).setPartitions(new ArrayList<>(indexes))));
        return assignment;
    }
}

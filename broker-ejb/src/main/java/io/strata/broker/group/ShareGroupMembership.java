package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
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
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The share group protocol of KIP-932 for the groups of one {@code __consumer_offsets} partition:
 * ShareGroupHeartbeat (join with epoch 0 under a member id the client chose, heartbeat, leave with epoch -1), the
 * group epoch raised by every change of membership, subscription or subscribed topics' metadata, the target assignment
 * of the {@link SimpleShareAssignor}, session timeouts that remove silent members, and ShareGroupDescribe.
 *
 * <p>Unlike a consumer group's, a share member's assignment needs no reconciliation: partitions are not exclusive, so
 * a member is given its target (and the group's assignment epoch as its epoch) at its next heartbeat, as Kafka's
 * coordinator does. A group is stored as one record and one per member ({@link GroupRecords#shareGroupValue},
 * {@link GroupRecords#shareMemberValue}); a heartbeat that changed something is answered once its records are
 * committed, and each change's records go in one batch, so the log is always a prefix of whole changes.
 *
 * <p>Part of its {@link GroupCoordinatorShard}, sharing its map of groups. Not thread-safe: confined to the
 * coordinator runtime's thread.
 */
final class ShareGroupMembership {

    private static final System.Logger LOG = System.getLogger(ShareGroupMembership.class.getName());

    private final CoordinatorContext context;
    private final BrokerConfig config;
    private final Function<String, TopicImage> topicByName;
    private final Supplier<Collection<TopicImage>> topics;
    private final Map<String, Group> groups;
    private final Function<String, ShareGroupConfig> groupConfigs;

    ShareGroupMembership(CoordinatorContext context, BrokerConfig config, Function<String, TopicImage> topicByName,
                         Supplier<Collection<TopicImage>> topics, Map<String, Group> groups,
                         Function<String, ShareGroupConfig> groupConfigs) {
        this.context = context;
        this.config = config;
        this.topicByName = topicByName;
        this.topics = topics;
        this.groups = groups;
        this.groupConfigs = groupConfigs;
    }

    // ---------------------------------------------------------------------------------------------------- loading

    /** Replays a share group's record; a tombstone removes the group (it has no members by then). */
    void replayGroup(String groupId, byte[] value) {
        if (value == null) {
            if (groups.get(groupId) instanceof ShareGroup) {
                groups.remove(groupId);
            }
            return;
        }
        GroupRecords.decodeShareGroupValue(ByteBuffer.wrap(value), replayed(groupId));
    }

    /** Replays a member's record; compaction may have left it before its group's record, so it may create the group. */
    void replayMember(String groupId, String memberId, byte[] value) {
        if (value == null && !(groups.get(groupId) instanceof ShareGroup)) {
            return;
        }
        ShareGroup group = replayed(groupId);
        group.members.remove(memberId);
        group.targetAssignment.remove(memberId);
        if (value != null) {
            GroupRecords.StoredShareMember stored = GroupRecords.decodeShareMemberValue(memberId,
                    ByteBuffer.wrap(value));
            group.members.put(memberId, stored.member());
            group.targetAssignment.put(memberId, stored.target());
        }
    }

    private ShareGroup replayed(String groupId) {
        if (groups.get(groupId) instanceof ShareGroup group) {
            return group;
        }
        ShareGroup group = new ShareGroup(groupId);
        groups.put(groupId, group);
        return group;
    }

    /** The shard serves: every member's session starts now. */
    void onLoaded() {
        for (Group each : groups.values()) {
            if (each instanceof ShareGroup group) {
                group.members.keySet().forEach(memberId -> scheduleSession(group.groupId, memberId));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- heartbeat

    /** ShareGroupHeartbeat; completes once what it changed is committed. */
    CompletableFuture<ShareGroupHeartbeatResponseData> heartbeat(ShareGroupHeartbeatRequestData request,
                                                                 String clientId, String clientHost) {
        try {
            validate(request);
            if (request.memberEpoch() == ShareGroupMember.LEAVE_EPOCH) {
                return leave(request);
            }
            return joinOrHeartbeat(request, clientId, clientHost);
        } catch (ApiException e) {
            return CompletableFuture.completedFuture(error(Errors.forException(e), e.getMessage()));
        }
    }

    static ShareGroupHeartbeatResponseData error(Errors error, String message) {
        return new ShareGroupHeartbeatResponseData().setErrorCode(error.code()).setErrorMessage(message);
    }

    private static void validate(ShareGroupHeartbeatRequestData request) {
        if (request.memberId() == null || request.memberId().isEmpty()) {
            throw Errors.INVALID_REQUEST.exception("MemberId can't be empty.");
        }
        if ("".equals(request.rackId())) {
            throw Errors.INVALID_REQUEST.exception("RackId can't be empty.");
        }
        int epoch = request.memberEpoch();
        if (epoch == 0 && (request.subscribedTopicNames() == null || request.subscribedTopicNames().isEmpty())) {
            throw Errors.INVALID_REQUEST.exception("SubscribedTopicNames must be set in first request.");
        }
        if (epoch < ShareGroupMember.LEAVE_EPOCH) {
            throw Errors.INVALID_REQUEST.exception("MemberEpoch " + epoch + " is invalid.");
        }
    }

    private CompletableFuture<ShareGroupHeartbeatResponseData> joinOrHeartbeat(
            ShareGroupHeartbeatRequestData request, String clientId, String clientHost) {
        List<CoordinatorRecord> records = new ArrayList<>();
        int epoch = request.memberEpoch();
        ShareGroup group = groupFor(request.groupId(), epoch == 0);
        String memberId = request.memberId();
        ShareGroupMember current = group.members.get(memberId);
        if (current == null && epoch != 0) {
            throw Errors.UNKNOWN_MEMBER_ID.exception("Member " + memberId + " is not a member of share group "
                    + group.groupId + ".");
        }
        if (current != null && epoch != 0) {
            checkEpoch(current, epoch);
        }
        boolean isNew = current == null;
        if (isNew && group.members.size() >= config.groupShareMaxSize) {
            throw Errors.GROUP_MAX_SIZE_REACHED.exception("Share group " + group.groupId + " has reached its maximum"
                    + " size of " + config.groupShareMaxSize + " members.");
        }
        ShareGroupMember updated = updatedFrom(current, request, clientId, clientHost);
        boolean subscriptionChanged = isNew
                || !updated.subscribedTopicNames().equals(current.subscribedTopicNames());
        if (isNew) {
            LOG.log(Level.INFO, "Member {0} joins share group {1}", memberId, group.groupId);
        }
        group.members.put(memberId, updated);
        Map<String, ConsumerGroup.TopicMetadata> metadata = subscriptionMetadata(group);
        boolean bump = subscriptionChanged || !metadata.equals(group.subscriptionMetadata);
        if (bump) {
            group.groupEpoch++;
            group.subscriptionMetadata = metadata;
            LOG.log(Level.INFO, "Share group {0} is at epoch {1}", group.groupId, group.groupEpoch);
        }
        Set<String> retargeted = group.groupEpoch > group.assignmentEpoch ? computeTargetAssignment(group) : Set.of();
        boolean newStatePartitions = group.addStatePartitions(group.targetOf(memberId));
        ShareGroupMember reconciled = updated.withEpoch(group.assignmentEpoch, group.targetOf(memberId));
        group.members.put(memberId, reconciled);
        scheduleSession(group.groupId, memberId);

        ShareGroupHeartbeatResponseData response = new ShareGroupHeartbeatResponseData()
                .setMemberId(memberId)
                .setMemberEpoch(reconciled.memberEpoch())
                .setHeartbeatIntervalMs(groupConfigs.apply(group.groupId).heartbeatIntervalMs());
        boolean fullRequest = epoch == 0 || request.subscribedTopicNames() != null;
        if (fullRequest || current == null || !reconciled.assigned().equals(current.assigned())) {
            response.setAssignment(assignmentOf(reconciled));
        }
        if (bump || !retargeted.isEmpty() || newStatePartitions) {
            records.add(groupRecord(group));
        }
        for (String retargetedId : retargeted) {
            if (!retargetedId.equals(memberId)) {
                records.add(memberRecord(group, group.members.get(retargetedId)));
            }
        }
        if (!reconciled.equals(current) || retargeted.contains(memberId)) {
            records.add(memberRecord(group, reconciled));
        }
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return write(group, records, response);
    }

    /** The share group of that id, created for a joining member; a group of another kind is refused. */
    private ShareGroup groupFor(String groupId, boolean joining) {
        Group existing = groups.get(groupId);
        if (existing instanceof ShareGroup group && !group.isDead()) {
            return group;
        }
        if (existing == null || existing.isDead()) {
            if (!joining) {
                throw Errors.GROUP_ID_NOT_FOUND.exception("Share group " + groupId + " not found.");
            }
            ShareGroup group = new ShareGroup(groupId);
            groups.put(groupId, group);
            return group;
        }
        throw Errors.GROUP_ID_NOT_FOUND.exception("Group " + groupId + " is not a share group.");
    }

    /** Kafka's rule: the member's epoch, or the previous one when the answer that raised it was lost. */
    private static void checkEpoch(ShareGroupMember member, int epoch) {
        if (epoch > member.memberEpoch() || (epoch < member.memberEpoch() && epoch != member.previousMemberEpoch())) {
            throw Errors.FENCED_MEMBER_EPOCH.exception("The share group member has epoch " + epoch + ", but the"
                    + " coordinator knows it at " + member.memberEpoch() + ". It must rejoin.");
        }
    }

    private static ShareGroupMember updatedFrom(ShareGroupMember before, ShareGroupHeartbeatRequestData request,
                                                String clientId, String clientHost) {
        String rackId = request.rackId() != null ? request.rackId() : before == null ? null : before.rackId();
        List<String> subscribed = request.subscribedTopicNames() != null
                ? List.copyOf(new TreeSet<>(request.subscribedTopicNames())) : before.subscribedTopicNames();
        return new ShareGroupMember(request.memberId(), before == null ? 0 : before.memberEpoch(),
                before == null ? 0 : before.previousMemberEpoch(), rackId, clientId == null ? "" : clientId,
                clientHost == null ? "" : clientHost, subscribed, before == null ? Map.of() : before.assigned());
    }

    private static ShareGroupHeartbeatResponseData.Assignment assignmentOf(ShareGroupMember member) {
        ShareGroupHeartbeatResponseData.Assignment assignment = new ShareGroupHeartbeatResponseData.Assignment();
        member.assigned().forEach((topicId, partitions) -> assignment.topicPartitions().add(
                new ShareGroupHeartbeatResponseData.TopicPartitions().setTopicId(topicId)
                        .setPartitions(new ArrayList<>(partitions))));
        return assignment;
    }

    // ---------------------------------------------------------------------------------------------------- assignment

    /** The subscribed topics that exist, with their ids and sizes (internal topics are never read by a share group). */
    private Map<String, ConsumerGroup.TopicMetadata> subscriptionMetadata(ShareGroup group) {
        Map<String, ConsumerGroup.TopicMetadata> metadata = new HashMap<>();
        for (ShareGroupMember member : group.members.values()) {
            for (String name : member.subscribedTopicNames()) {
                TopicImage topic = name.startsWith("__") ? null : topicByName.apply(name);
                if (topic != null) {
                    metadata.put(name, new ConsumerGroup.TopicMetadata(topic.id(), topic.partitionCount()));
                }
            }
        }
        return metadata;
    }

    /** The target assignment of the group's epoch; returns the members whose target changed. */
    private Set<String> computeTargetAssignment(ShareGroup group) {
        Map<Uuid, Integer> partitionCounts = new HashMap<>();
        group.subscriptionMetadata.values().forEach(topic -> partitionCounts.put(topic.id(), topic.partitions()));
        List<SimpleShareAssignor.Subscriber> subscribers = new ArrayList<>();
        for (ShareGroupMember member : group.members.values()) {
            Set<Uuid> ids = new HashSet<>();
            for (String name : member.subscribedTopicNames()) {
                ConsumerGroup.TopicMetadata topic = group.subscriptionMetadata.get(name);
                if (topic != null) {
                    ids.add(topic.id());
                }
            }
            subscribers.add(new SimpleShareAssignor.Subscriber(member.memberId(), ids,
                    group.targetOf(member.memberId())));
        }
        Map<String, Map<Uuid, Set<Integer>>> target = SimpleShareAssignor.assign(subscribers, partitionCounts);
        Set<String> changed = new HashSet<>();
        for (String memberId : group.members.keySet()) {
            Map<Uuid, Set<Integer>> next = ConsumerGroupMember.copyOf(target.getOrDefault(memberId, Map.of()));
            if (!next.equals(group.targetOf(memberId))) {
                changed.add(memberId);
            }
            group.targetAssignment.put(memberId, next);
        }
        group.assignmentEpoch = group.groupEpoch;
        LOG.log(Level.INFO, "Share group {0} has a new target assignment at epoch {1} for {2} member(s)",
                group.groupId, group.assignmentEpoch, group.members.size());
        return changed;
    }

    // ---------------------------------------------------------------------------------------------------- leaving

    private CompletableFuture<ShareGroupHeartbeatResponseData> leave(ShareGroupHeartbeatRequestData request) {
        Group existing = groups.get(request.groupId());
        if (existing != null && !existing.isDead() && !(existing instanceof ShareGroup)) {
            throw Errors.GROUP_ID_NOT_FOUND.exception("Group " + request.groupId() + " is not a share group.");
        }
        if (!(existing instanceof ShareGroup group) || group.isDead()) {
            throw Errors.GROUP_ID_NOT_FOUND.exception("Share group " + request.groupId() + " not found.");
        }
        if (!group.members.containsKey(request.memberId())) {
            throw Errors.UNKNOWN_MEMBER_ID.exception("Member " + request.memberId() + " is not a member of share"
                    + " group " + group.groupId + ".");
        }
        LOG.log(Level.INFO, "Member {0} left share group {1}", request.memberId(), group.groupId);
        ShareGroupHeartbeatResponseData response = new ShareGroupHeartbeatResponseData()
                .setMemberId(request.memberId()).setMemberEpoch(ShareGroupMember.LEAVE_EPOCH);
        return write(group, removeMember(group, request.memberId()), response);
    }

    /** Removes a member; the group moves to a new epoch, and the others get a new target at their next heartbeat. */
    private List<CoordinatorRecord> removeMember(ShareGroup group, String memberId) {
        group.members.remove(memberId);
        group.targetAssignment.remove(memberId);
        context.cancel(sessionTimerKey(group.groupId, memberId));
        group.groupEpoch++;
        group.subscriptionMetadata = subscriptionMetadata(group);
        return List.of(CoordinatorRecord.tombstone(GroupRecords.shareMemberKey(group.groupId, memberId)),
                groupRecord(group));
    }

    private void expire(String groupId, String memberId) {
        if (!(groups.get(groupId) instanceof ShareGroup group) || !group.members.containsKey(memberId)) {
            return;
        }
        LOG.log(Level.INFO, "Member {0} of share group {1} is removed: no heartbeat within its session timeout of"
                + " {2} ms", memberId, groupId, groupConfigs.apply(groupId).sessionTimeoutMs());
        write(group, removeMember(group, memberId), null);
    }

    private void scheduleSession(String groupId, String memberId) {
        context.schedule(sessionTimerKey(groupId, memberId), groupConfigs.apply(groupId).sessionTimeoutMs(),
                () -> expire(groupId, memberId));
    }

    private static String sessionTimerKey(String groupId, String memberId) {
        return "share-session/" + groupId + "/" + memberId;
    }

    private static CoordinatorRecord groupRecord(ShareGroup group) {
        return new CoordinatorRecord(GroupRecords.shareGroupKey(group.groupId), GroupRecords.shareGroupValue(group));
    }

    private static CoordinatorRecord memberRecord(ShareGroup group, ShareGroupMember member) {
        return new CoordinatorRecord(GroupRecords.shareMemberKey(group.groupId, member.memberId()),
                GroupRecords.shareMemberValue(member, group.targetOf(member.memberId())));
    }

    /** Writes {@code records}; answers {@code response}, if any, once they are committed. */
    private CompletableFuture<ShareGroupHeartbeatResponseData> write(ShareGroup group, List<CoordinatorRecord> records,
                                                                     ShareGroupHeartbeatResponseData response) {
        CompletableFuture<ShareGroupHeartbeatResponseData> done = new CompletableFuture<>();
        context.write(records, () -> done.complete(response), failure -> {
            LOG.log(Level.WARNING, "Writing share group {0} failed: {1}", group.groupId, failure);
            done.complete(error(failure, "The group's change could not be stored: " + failure.message()));
        });
        return done;
    }

    // ---------------------------------------------------------------------------------------------------- describe

    /** ShareGroupDescribe of one group. */
    ShareGroupDescribeResponseData.DescribedGroup describe(String groupId) {
        ShareGroupDescribeResponseData.DescribedGroup described = new ShareGroupDescribeResponseData.DescribedGroup()
                .setGroupId(groupId);
        Group existing = groups.get(groupId);
        if (!(existing instanceof ShareGroup group) || group.isDead()) {
            return described.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setGroupState("Dead")
                    .setErrorMessage(existing == null || existing.isDead() ? "Group " + groupId + " not found."
                            : "Group " + groupId + " is not a share group.");
        }
        Map<Uuid, String> names = new HashMap<>();
        group.subscriptionMetadata.forEach((name, topic) -> names.put(topic.id(), name));
        described.setGroupState(group.stateName()).setGroupEpoch(group.groupEpoch)
                .setAssignmentEpoch(group.assignmentEpoch).setAssignorName(SimpleShareAssignor.NAME);
        for (ShareGroupMember member : group.members.values()) {
            ShareGroupDescribeResponseData.Assignment assignment = new ShareGroupDescribeResponseData.Assignment();
            member.assigned().forEach((topicId, partitions) -> assignment.topicPartitions().add(
                    new ShareGroupDescribeResponseData.TopicPartitions().setTopicId(topicId)
                            .setTopicName(names.getOrDefault(topicId, nameOf(topicId)))
                            .setPartitions(new ArrayList<>(partitions))));
            described.members().add(new ShareGroupDescribeResponseData.Member()
                    .setMemberId(member.memberId())
                    .setRackId(member.rackId())
                    .setMemberEpoch(member.memberEpoch())
                    .setClientId(member.clientId())
                    .setClientHost(member.clientHost())
                    .setSubscribedTopicNames(new ArrayList<>(member.subscribedTopicNames()))
                    .setAssignment(assignment));
        }
        return described;
    }

    private String nameOf(Uuid topicId) {
        for (TopicImage topic : topics.get()) {
            if (Objects.equals(topic.id(), topicId)) {
                return topic.name();
            }
        }
        return "";
    }
}

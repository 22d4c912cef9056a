package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.CoordinatorShard;
import io.strata.broker.group.GroupCoordinator.CommitResult;
import io.strata.broker.group.GroupCoordinator.GroupListing;
import io.strata.broker.group.GroupCoordinator.GroupSummary;
import io.strata.broker.group.GroupCoordinator.MemberSummary;
import io.strata.broker.group.GroupCoordinator.OffsetCommit;
import io.strata.broker.group.GroupRecords.GroupKey;
import io.strata.broker.group.GroupRecords.OffsetKey;
import io.strata.broker.group.GroupRecords.StoredGroup;
import io.strata.broker.group.GroupRecords.StoredMember;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The groups of one {@code __consumer_offsets} partition and their committed offsets: the classic group protocol
 * (members join, the group rebalances through PreparingRebalance and CompletingRebalance to Stable, the leader's
 * assignment is handed out at SyncGroup, members are expired by {@code session.timeout.ms} or dropped when they do not
 * rejoin within the rebalance timeout, static members keep their place across restarts, generations fence stale
 * members), offset commits, fetches and deletions, group deletion and offset expiry. Consumer-protocol (KIP-848)
 * groups live in the same map of groups and share the offsets; their protocol is {@link ConsumerGroupMembership}'s,
 * and a consumer group serves classic members too ({@link ConsumerGroupClassicProtocol}), so a group changes kind
 * online as Kafka's do.
 * Share groups (KIP-932) live there too, without offsets (their progress is share state, kept by the share
 * coordinator); their protocol is {@link ShareGroupMembership}'s. A group id is of one kind at a time.
 *
 * <p>A plain state machine on the {@link io.strata.broker.coordinator.CoordinatorRuntime}: every method runs on the
 * runtime's thread. Membership changes in memory at once, and the group's membership record is written when a
 * generation's assignment is set; offsets and deletions take effect, and are answered, only once their records are
 * committed. Waiting JoinGroup and SyncGroup requests are answered through the callbacks they left.
 *
 * <p>Not thread-safe: confined to the runtime's thread.
 */
final class GroupCoordinatorShard implements CoordinatorShard {

    /** How long a new member may wait in a join before it is dropped, as Kafka's new-member timeout. */
    private static final long NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;
    static final long SWEEP_INTERVAL_MS = 250;
    private static final String SWEEP_TIMER = "sweep-members";
    private static final String EXPIRY_TIMER = "expire-offsets";

    /** The protocol type ListGroups shows for a share group, as Kafka's. */
    static final String SHARE_PROTOCOL_TYPE = "share";

    private static final System.Logger LOG = System.getLogger(GroupCoordinatorShard.class.getName());

    private final CoordinatorContext context;
    private final BrokerConfig config;
    private final Function<String, TopicImage> topics;
    private final Map<String, Group> groups = new HashMap<>();
    private final OffsetStore offsets = new OffsetStore();
    private final PendingTransactionalOffsets pendingOffsets = new PendingTransactionalOffsets();
    private final ConsumerGroupMembership consumerGroups;
    private final ConsumerGroupClassicProtocol classicMembers;
    private final Supplier<Collection<TopicImage>> allTopics;
    private final ShareGroupMembership shareGroups;
    private final ShareGroupDeletionListener shareGroupDeleted;

    GroupCoordinatorShard(CoordinatorContext context, BrokerConfig config, Function<String, TopicImage> topics) {
        this(context, config, topics, List::of, GroupConfigs.defaultsOf(config), (groupId, partitions) -> { });
    }

    /** With {@code allTopics}, every topic of the cluster: consumer-protocol groups resolve subscriptions in it. */
    GroupCoordinatorShard(CoordinatorContext context, BrokerConfig config, Function<String, TopicImage> topics,
                          Supplier<Collection<TopicImage>> allTopics) {
        this(context, config, topics, allTopics, GroupConfigs.defaultsOf(config), (groupId, partitions) -> { });
    }

    /**
     * With {@code groupConfigs}, each group's settings (heartbeat interval, session timeout), and
     * {@code shareGroupDeleted}, told of every share group deleted with the partitions it had share state on.
     */
    GroupCoordinatorShard(CoordinatorContext context, BrokerConfig config, Function<String, TopicImage> topics,
                          Supplier<Collection<TopicImage>> allTopics,
                          GroupConfigs groupConfigs, ShareGroupDeletionListener shareGroupDeleted) {
        this.context = context;
        this.config = config;
        this.topics = topics;
        this.allTopics = allTopics;
        this.consumerGroups = new ConsumerGroupMembership(context, config, topics, allTopics, groups,
                groupConfigs::consumer);
        this.consumerGroups.onLastConsumerMemberLeaving(this::downgrade);
        this.classicMembers = new ConsumerGroupClassicProtocol(context, config, consumerGroups, topics,
                this::topicName);
        this.shareGroups = new ShareGroupMembership(context, config, topics, allTopics, groups, groupConfigs::share);
        this.shareGroupDeleted = shareGroupDeleted;
    }

    // ---------------------------------------------------------------------------------------------------- loading

    @Override
    public void replay(long offset, CoordinatorRecord record) {
        GroupRecords.Key key;
        try {
            key = GroupRecords.decodeKey(ByteBuffer.wrap(record.key()));
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "Skipping an unreadable record at offset {0} of {1}-{2}", offset,
                    GroupCoordinator.OFFSETS_TOPIC, context.partition());
            return;
        }
        if (key instanceof OffsetKey offsetKey) {
            if (record.value() != null) {
                offsets.put(key.group(), offsetKey.topicPartition(),
                        GroupRecords.decodeOffsetValue(ByteBuffer.wrap(record.value())));
            } else {
                offsets.remove(key.group(), offsetKey.topicPartition());
            }
            if (!groups.containsKey(key.group()) && offsets.hasOffsets(key.group())) {
                groups.put(key.group(), new ClassicGroup(key.group(), context.nowMs()));
            }
        } else if (key instanceof GroupKey) {
            replayGroup(key.group(), record.value());
        } else if (key instanceof GroupRecords.ConsumerGroupKey) {
            consumerGroups.replayGroup(key.group(), record.value(), offsets.hasOffsets(key.group()));
        } else if (key instanceof GroupRecords.ConsumerMemberKey member) {
            consumerGroups.replayMember(key.group(), member.memberId(), record.value());
        } else if (key instanceof GroupRecords.ShareGroupKey) {
            shareGroups.replayGroup(key.group(), record.value());
        } else if (key instanceof GroupRecords.ShareMemberKey member) {
            shareGroups.replayMember(key.group(), member.memberId(), record.value());
        } else if (key instanceof GroupRecords.PendingOffsetKey pending) {
            if (record.value() != null) {
                pendingOffsets.put(pending.producerId(), key.group(), pending.topicPartition(),
                        GroupRecords.decodeOffsetValue(ByteBuffer.wrap(record.value())));
            } else {
                pendingOffsets.remove(pending.producerId(), key.group(), pending.topicPartition());
            }
        }
    }

    private void replayGroup(String groupId, byte[] value) {
        long nowMs = context.nowMs();
        Group existing = groups.get(groupId);
        if (value == null && existing != null && !(existing instanceof ClassicGroup)) {
            return; // the classic group became a group of another kind
        }
        ClassicGroup group = existing instanceof ClassicGroup classic ? classic : new ClassicGroup(groupId, nowMs);
        groups.put(groupId, group);
        group.members.clear();
        group.staticMembers.clear();
        if (value == null) {
            group.transitionTo(GroupState.EMPTY, nowMs);
            group.protocolName = null;
            group.leaderId = null;
            if (!offsets.hasOffsets(groupId)) {
                groups.remove(groupId);
            }
            return;
        }
        StoredGroup stored = GroupRecords.decodeGroupValue(ByteBuffer.wrap(value));
        group.protocolType = stored.protocolType();
        group.generationId = stored.generationId();
        group.protocolName = stored.protocolName();
        for (StoredMember member : stored.members()) {
            GroupMember restored = new GroupMember(member.memberId(), member.groupInstanceId(), member.clientId(),
                    member.clientHost(), member.rebalanceTimeoutMs(), member.sessionTimeoutMs(),
                    stored.protocolType(), stored.protocolName() == null ? Map.of()
                    : Map.of(stored.protocolName(), member.subscription()));
            restored.assignment = member.assignment();
            restored.lastHeartbeatMs = nowMs;
            group.add(restored);
        }
        group.leaderId = stored.leaderId();
        group.transitionTo(group.members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE, stored.stateTimestampMs());
    }

    @Override
    public void onLoaded() {
        LOG.log(Level.INFO, "Loaded {0} group(s), {1} committed offset(s) and {2} offset(s) of open transactions from"
                + " {3}-{4}", groups.size(), offsets.size(), pendingOffsets.size(), GroupCoordinator.OFFSETS_TOPIC,
                context.partition());
        scheduleSweep();
        scheduleExpiry();
        consumerGroups.onLoaded();
        shareGroups.onLoaded();
    }

    @Override
    public void onUnloaded() {
        for (Group each : groups.values()) {
            if (each instanceof ClassicGroup group) {
                failWaiting(group, Errors.NOT_COORDINATOR);
            }
        }
        groups.clear();
    }

    private void scheduleSweep() {
        context.schedule(SWEEP_TIMER, SWEEP_INTERVAL_MS, () -> {
            sweepExpiredMembers();
            scheduleSweep();
        });
    }

    private void scheduleExpiry() {
        context.schedule(EXPIRY_TIMER, config.offsetsRetentionCheckIntervalMs, () -> {
            expireOffsets();
            scheduleExpiry();
        });
    }

    /** The classic group of that id, or {@code null} if there is none (or it is of another kind). */
    private ClassicGroup classic(String groupId) {
        return groups.get(groupId) instanceof ClassicGroup group ? group : null;
    }

    /** The classic group of that id, created if there is no group of that id; null if one of another kind is. */
    private ClassicGroup classicOrNew(String groupId) {
        return groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, context.nowMs())) instanceof ClassicGroup
                classic ? classic : null;
    }

    /** Makes sure a group exists for committed offsets: a classic one, unless a group of that id exists. */
    private void ensureGroup(String groupId) {
        groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, context.nowMs()));
    }

    // ---------------------------------------------------------------------------------------------------- join

    /** JoinGroup; {@code respond} is called once, now or when the rebalance completes. */
    void joinGroup(JoinGroupRequestData request, short version, String clientId, String clientHost,
                   Consumer<JoinGroupResponseData> respond) {
        Map<String, byte[]> protocols = new LinkedHashMap<>();
        for (JoinGroupRequestData.JoinGroupRequestProtocol protocol : request.protocols()) {
            protocols.put(protocol.name(), protocol.metadata());
        }
        boolean unknownMember = request.memberId().isEmpty();
        if (groups.get(request.groupId()) instanceof ShareGroup shareGroup && !shareGroup.isDead()) {
            // As Kafka: a share group's id cannot be joined by a classic member.
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
            return;
        }
        if (groups.get(request.groupId()) instanceof ConsumerGroup consumerGroup && !consumerGroup.isDead()) {
            if (!consumerGroup.isEmpty()) {
                // As Kafka: a consumer group with members serves classic members too (a mixed group).
                classicMembers.join(consumerGroup, request, version, clientId, clientHost, protocols, respond);
                return;
            }
            if (!consumerGroups.downgradeAllowed()) {
                // An empty consumer group keeps its kind unless the policy lets it become a classic group.
                respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
                return;
            }
            downgradeEmpty(consumerGroup);
        }
        ClassicGroup group = unknownMember ? classicOrNew(request.groupId()) : classic(request.groupId());
        if (group == null) {
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.UNKNOWN_MEMBER_ID));
        } else if (group.is(GroupState.DEAD)) {
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.COORDINATOR_NOT_AVAILABLE));
        } else if (!group.supportsProtocols(request.protocolType(), protocols.keySet())) {
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
        } else if (unknownMember && request.groupInstanceId() == null
                && group.members.size() + group.pendingMembers.size() >= config.groupMaxSize) {
            respond.accept(GroupCoordinator.joinError(request.memberId(), Errors.GROUP_MAX_SIZE_REACHED));
        } else if (unknownMember) {
            joinNewMember(group, request, version, clientId, clientHost, protocols, respond);
        } else {
            joinKnownMember(group, request, clientId, clientHost, protocols, respond);
        }
    }

    /** An empty consumer-protocol group becomes a classic one: its record goes, its offsets stay. */
    private void downgradeEmpty(ConsumerGroup group) {
        groups.put(group.groupId, new ClassicGroup(group.groupId, context.nowMs()));
        LOG.log(Level.INFO, "Empty consumer group {0} becomes a classic group", group.groupId);
        context.write(List.of(CoordinatorRecord.tombstone(GroupRecords.consumerGroupKey(group.groupId))), () -> {
        }, error -> LOG.log(Level.WARNING, "Removing the record of consumer group {0} failed: {1}", group.groupId,
                error));
    }

    /**
     * Kafka's online downgrade: when the last consumer-protocol member of a consumer group leaves (or is fenced) and
     * every other member speaks the classic protocol, the group becomes a classic group again, if the policy allows
     * and the members fit in {@code group.max.size}: stable at the group epoch, each member with its target
     * assignment, and a rebalance begins at once, as Kafka does. With {@code leavingMemberId} null, the group's
     * members all speak the classic protocol already (a classic static member just took the place of the last
     * consumer-protocol one), and it becomes a classic group without a rebalance, as Kafka's does. The group's
     * records go and the classic group's record comes in one batch. Returns false, changing nothing, if the group
     * stays a consumer group.
     */
    private boolean downgrade(ConsumerGroup group, String leavingMemberId, Runnable onCommitted,
                              Consumer<Errors> onFailed) {
        ConsumerGroupMember leaving = leavingMemberId == null ? null : group.member(leavingMemberId);
        if (leavingMemberId != null && (leaving == null || leaving.usesClassicProtocol()
                || group.members.size() <= 1)) {
            return false;
        }
        int remaining = group.members.size() - (leaving == null ? 0 : 1);
        if (remaining == 0) {
            return false;
        }
        for (ConsumerGroupMember member : group.members.values()) {
            if (member != leaving && !member.usesClassicProtocol()) {
                return false;
            }
        }
        if (!consumerGroups.downgradeAllowed()) {
            LOG.log(Level.INFO, "Consumer group {0} stays a consumer group of classic members: {1} is {2}",
                    group.groupId, BrokerConfig.GROUP_CONSUMER_MIGRATION_POLICY, config.groupConsumerMigrationPolicy);
            return false;
        }
        if (remaining > config.groupMaxSize) {
            LOG.log(Level.INFO, "Cannot downgrade consumer group {0} to a classic group: its {1} members exceed"
                    + " group.max.size ({2})", group.groupId, remaining, config.groupMaxSize);
            return false;
        }
        ClassicGroup classic;
        try {
            classic = GroupConversion.toClassicGroup(group, leavingMemberId, this::topicName, context.nowMs());
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "Cannot downgrade consumer group {0} to a classic group: {1}", group.groupId,
                    e.getMessage());
            return false;
        }
        List<CoordinatorRecord> records = new ArrayList<>();
        for (String memberId : group.members.keySet()) {
            consumerGroups.cancelTimers(group.groupId, memberId);
            records.add(CoordinatorRecord.tombstone(GroupRecords.consumerMemberKey(group.groupId, memberId)));
        }
        records.add(CoordinatorRecord.tombstone(GroupRecords.consumerGroupKey(group.groupId)));
        records.add(groupRecord(classic));
        group.dead = true;
        groups.put(group.groupId, classic);
        context.write(records, onCommitted, error -> {
            LOG.log(Level.WARNING, "Writing the downgrade of group {0} to a classic group failed: {1}",
                    group.groupId, error);
            onFailed.accept(error);
        });
        LOG.log(Level.INFO, "Consumer group {0} becomes a classic group at generation {1} with {2} member(s) (online"
                + " downgrade): its last consumer-protocol member {3}", group.groupId, classic.generationId,
                classic.members.size(), leavingMemberId != null ? leavingMemberId + " left"
                : "was replaced by a classic static member");
        if (leavingMemberId != null) {
            prepareRebalance(classic, "the group was downgraded from a consumer group");
        }
        return true;
    }

    /** The name of the topic of that id, or null if there is none. */
    private String topicName(Uuid topicId) {
        for (TopicImage topic : allTopics.get()) {
            if (topic.id().equals(topicId)) {
                return topic.name();
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------------- KIP-848

    /** ConsumerGroupHeartbeat; completes once what it changed is committed. */
    CompletableFuture<ConsumerGroupHeartbeatResponseData> consumerGroupHeartbeat(
            ConsumerGroupHeartbeatRequestData request, String clientId, String clientHost) {
        return consumerGroups.heartbeat(request, clientId, clientHost);
    }

    /** ConsumerGroupDescribe of one group. */
    ConsumerGroupDescribeResponseData.DescribedGroup describeConsumerGroup(String groupId) {
        return consumerGroups.describe(groupId);
    }

    // ---------------------------------------------------------------------------------------------------- KIP-932

    /** ShareGroupHeartbeat; completes once what it changed is committed. */
    CompletableFuture<ShareGroupHeartbeatResponseData> shareGroupHeartbeat(ShareGroupHeartbeatRequestData request,
                                                                           String clientId, String clientHost) {
        return shareGroups.heartbeat(request, clientId, clientHost);
    }

    /** ShareGroupDescribe of one group. */
    ShareGroupDescribeResponseData.DescribedGroup describeShareGroup(String groupId) {
        return shareGroups.describe(groupId);
    }

    /** The share groups of this partition, with what they subscribe to and whether they have members. */
    List<GroupCoordinator.ShareGroupListing> shareGroupListings() {
        List<GroupCoordinator.ShareGroupListing> listed = new ArrayList<>();
        for (Group each : groups.values()) {
            if (each instanceof ShareGroup group && !group.isDead()) {
                listed.add(new GroupCoordinator.ShareGroupListing(group.groupId,
                        Set.copyOf(group.subscriptionMetadata.keySet()), !group.isEmpty(), group.statePartitions));
            }
        }
        return listed;
    }

    private void joinNewMember(ClassicGroup group, JoinGroupRequestData request, short version, String clientId,
                               String clientHost, Map<String, byte[]> protocols,
                               Consumer<JoinGroupResponseData> respond) {
        String memberId = clientId + "-" + UUID.randomUUID();
        String instanceId = request.groupInstanceId();
        if (instanceId != null) {
            String previous = group.staticMemberId(instanceId);
            if (previous != null) {
                replaceStaticMember(group, previous, memberId, request, version, clientId, clientHost, protocols,
                        respond);
                return;
            }
        } else if (version >= 4) {
            // KIP-394: the member learns its id first and joins with it, so a lost response leaves no ghost.
            group.pendingMembers.put(memberId, context.nowMs() + request.sessionTimeoutMs());
            respond.accept(GroupCoordinator.joinError(memberId, Errors.MEMBER_ID_REQUIRED));
            return;
        }
        addMemberAndRebalance(group, newMember(memberId, request, clientId, clientHost, protocols), respond,
                "member " + memberId + " joined");
    }

    private void replaceStaticMember(ClassicGroup group, String oldId, String newId, JoinGroupRequestData request,
                                     short version, String clientId, String clientHost, Map<String, byte[]> protocols,
                                     Consumer<JoinGroupResponseData> respond) {
        GroupMember old = group.member(oldId);
        GroupMember replacement = newMember(newId, request, clientId, clientHost, protocols);
        replacement.assignment = old.assignment;
        if (old.awaitingJoin != null) {
            old.awaitingJoin.accept(GroupCoordinator.joinError(oldId, Errors.FENCED_INSTANCE_ID));
        }
        if (old.awaitingSync != null) {
            old.awaitingSync.accept(new SyncResult(Errors.FENCED_INSTANCE_ID.code(), new byte[0]));
        }
        boolean wasLeader = oldId.equals(group.leaderId);
        boolean sameProtocols = old.matches(protocols);
        group.remove(oldId);
        group.add(replacement);
        if (wasLeader) {
            group.leaderId = newId;
        }
        LOG.log(Level.INFO, "Static member {0} of group {1} rejoined as {2}", request.groupInstanceId(),
                group.groupId, newId);
        replacement.lastHeartbeatMs = context.nowMs();
        if (group.is(GroupState.STABLE) && sameProtocols) {
            // A restarted static member takes its old place, without a rebalance, once that is durable. A leader
            // must not run its assignor again: from JoinGroup v9 it is told to skip the assignment (and gets the
            // members, as Kafka does); before v9 it is not told it leads.
            JoinGroupResponseData response = !wasLeader ? joinResponse(group, replacement, false)
                    : version >= 9 ? joinResponse(group, replacement, true).setSkipAssignment(true)
                    : joinResponse(group, replacement, false).setLeader(oldId);
            boolean[] answered = {false};
            writeGroup(group, () -> {
                if (!answered[0]) {
                    answered[0] = true;
                    respond.accept(response);
                }
            }, error -> {
                if (answered[0]) {
                    return;
                }
                answered[0] = true;
                if (group.member(newId) == replacement) {
                    // Not durable: the previous instance keeps its place, as if this join never happened.
                    group.remove(newId);
                    group.add(old);
                    if (wasLeader) {
                        group.leaderId = oldId;
                    }
                }
                respond.accept(GroupCoordinator.joinError(newId, error));
            });
            return;
        }
        replacement.awaitingJoin = respond;
        if (group.is(GroupState.PREPARING_REBALANCE)) {
            tryCompleteJoin(group);
        } else {
            prepareRebalance(group, "static member " + request.groupInstanceId() + " rejoined with changes");
        }
    }

    private void joinKnownMember(ClassicGroup group, JoinGroupRequestData request, String clientId,
                                 String clientHost, Map<String, byte[]> protocols,
                                 Consumer<JoinGroupResponseData> respond) {
        String memberId = request.memberId();
        if (group.pendingMembers.containsKey(memberId)) {
            addMemberAndRebalance(group, newMember(memberId, request, clientId, clientHost, protocols), respond,
                    "member " + memberId + " joined");
            return;
        }
        if (group.isStaticMemberFenced(request.groupInstanceId(), memberId)) {
            respond.accept(GroupCoordinator.joinError(memberId, Errors.FENCED_INSTANCE_ID));
            return;
        }
        GroupMember member = group.member(memberId);
        if (member == null) {
            respond.accept(GroupCoordinator.joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
            return;
        }
        member.lastHeartbeatMs = context.nowMs();
        switch (group.state) {
            case PREPARING_REBALANCE -> {
                update(member, request, protocols);
                member.awaitingJoin = respond;
                tryCompleteJoin(group);
            }
            case COMPLETING_REBALANCE -> {
                if (member.matches(protocols)) {
                    respond.accept(joinResponse(group, member, memberId.equals(group.leaderId)));
                } else {
                    update(member, request, protocols);
                    member.awaitingJoin = respond;
                    prepareRebalance(group, "member " + memberId + " changed its protocols");
                }
            }
            case STABLE -> {
                if (memberId.equals(group.leaderId) || !member.matches(protocols)) {
                    update(member, request, protocols);
                    member.awaitingJoin = respond;
                    prepareRebalance(group, memberId.equals(group.leaderId) ? "the leader rejoined"
                            : "member " + memberId + " changed its protocols");
                } else {
                    respond.accept(joinResponse(group, member, false));
                }
            }
            default -> respond.accept(GroupCoordinator.joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
        }
    }

    private static GroupMember newMember(String memberId, JoinGroupRequestData request, String clientId,
                                         String clientHost, Map<String, byte[]> protocols) {
        int rebalanceTimeout = request.rebalanceTimeoutMs() > 0 ? request.rebalanceTimeoutMs()
                : request.sessionTimeoutMs();
        return new GroupMember(memberId, request.groupInstanceId(), clientId, clientHost, rebalanceTimeout,
                request.sessionTimeoutMs(), request.protocolType(), protocols);
    }

    private static void update(GroupMember member, JoinGroupRequestData request, Map<String, byte[]> protocols) {
        member.protocols = new LinkedHashMap<>(protocols);
        member.sessionTimeoutMs = request.sessionTimeoutMs();
        member.rebalanceTimeoutMs = request.rebalanceTimeoutMs() > 0 ? request.rebalanceTimeoutMs()
                : request.sessionTimeoutMs();
    }

    private void addMemberAndRebalance(ClassicGroup group, GroupMember member, Consumer<JoinGroupResponseData> respond,
                                       String reason) {
        member.awaitingJoin = respond;
        member.isNew = true;
        member.lastHeartbeatMs = context.nowMs();
        group.add(member);
        if (group.is(GroupState.PREPARING_REBALANCE)) {
            tryCompleteJoin(group);
        } else {
            prepareRebalance(group, reason);
        }
    }

    /** Starts a rebalance: members must rejoin within the rebalance timeout. */
    private void prepareRebalance(ClassicGroup group, String reason) {
        if (group.is(GroupState.COMPLETING_REBALANCE)) {
            for (GroupMember member : group.members.values()) {
                if (member.awaitingSync != null) {
                    member.awaitingSync.accept(new SyncResult(Errors.REBALANCE_IN_PROGRESS.code(), new byte[0]));
                    member.awaitingSync = null;
                }
            }
        }
        boolean initial = group.is(GroupState.EMPTY);
        long nowMs = context.nowMs();
        group.transitionTo(GroupState.PREPARING_REBALANCE, nowMs);
        group.assignmentWritePending = false;
        context.cancel(group.rebalanceTimerKey());
        LOG.log(Level.INFO, "Preparing to rebalance group {0} in state PreparingRebalance with old generation {1}"
                + " ({2})", group.groupId, group.generationId, reason);
        if (initial && config.groupInitialRebalanceDelayMs > 0) {
            group.initialRebalanceStartMs = nowMs;
            scheduleInitialDelay(group, config.groupInitialRebalanceDelayMs);
        } else {
            group.initialRebalanceStartMs = -1;
            int generation = group.generationId;
            context.schedule(group.rebalanceTimerKey(), Math.max(1, group.rebalanceTimeoutMs()),
                    () -> onJoinTimeout(group, generation));
            tryCompleteJoin(group);
        }
    }

    /**
     * The first rebalance of an empty group waits {@code group.initial.rebalance.delay.ms} for more members, and
     * again while more keep coming, up to the rebalance timeout: consumers starting together share one rebalance.
     */
    private void scheduleInitialDelay(ClassicGroup group, long delayMs) {
        int membersAtStart = group.members.size();
        context.schedule(group.rebalanceTimerKey(), delayMs, () -> {
            if (!group.is(GroupState.PREPARING_REBALANCE) || group.initialRebalanceStartMs < 0) {
                return;
            }
            long waited = context.nowMs() - group.initialRebalanceStartMs;
            long remaining = group.rebalanceTimeoutMs() - waited;
            if (group.members.size() > membersAtStart && remaining > 0) {
                scheduleInitialDelay(group, Math.min(config.groupInitialRebalanceDelayMs, remaining));
            } else {
                group.initialRebalanceStartMs = -1;
                completeJoin(group);
            }
        });
    }

    private void onJoinTimeout(ClassicGroup group, int generation) {
        if (group.is(GroupState.PREPARING_REBALANCE) && group.generationId == generation) {
            completeJoin(group);
        }
    }

    private void tryCompleteJoin(ClassicGroup group) {
        if (group.is(GroupState.PREPARING_REBALANCE) && group.initialRebalanceStartMs < 0 && group.allMembersJoined()) {
            completeJoin(group);
        }
    }

    /**
     * Ends the join phase: members that did not rejoin are dropped, the generation moves on, a protocol and leader
     * are chosen, and every waiting member gets its JoinGroup response (the leader with the members' metadata).
     */
    private void completeJoin(ClassicGroup group) {
        context.cancel(group.rebalanceTimerKey());
        long nowMs = context.nowMs();
        for (GroupMember member : List.copyOf(group.members.values())) {
            if (member.awaitingJoin == null) {
                group.remove(member.memberId);
                LOG.log(Level.INFO, "Removed member {0} from group {1}: it did not rejoin within the rebalance"
                        + " timeout", member.memberId, group.groupId);
            }
        }
        group.pendingMembers.clear();
        group.generationId++;
        if (group.members.isEmpty()) {
            group.protocolName = null;
            group.leaderId = null;
            group.transitionTo(GroupState.EMPTY, nowMs);
            writeGroup(group, () -> { }, error -> { });
            LOG.log(Level.INFO, "Group {0} is empty at generation {1}", group.groupId, group.generationId);
            return;
        }
        group.protocolName = group.selectProtocol();
        if (group.leaderId == null || !group.hasMember(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        group.transitionTo(GroupState.COMPLETING_REBALANCE, nowMs);
        for (GroupMember member : group.members.values()) {
            Consumer<JoinGroupResponseData> respond = member.awaitingJoin;
            member.awaitingJoin = null;
            member.isNew = false;
            member.lastHeartbeatMs = nowMs;
            respond.accept(joinResponse(group, member, member.memberId.equals(group.leaderId)));
        }
        LOG.log(Level.INFO, "Group {0} rebalanced to generation {1} with {2} member(s), protocol {3}, leader {4}",
                group.groupId, group.generationId, group.members.size(), group.protocolName, group.leaderId);
        int generation = group.generationId;
        context.schedule(group.rebalanceTimerKey(), Math.max(1, group.rebalanceTimeoutMs()),
                () -> onSyncTimeout(group, generation));
    }

    /** The leader never sent its assignment: start over. */
    private void onSyncTimeout(ClassicGroup group, int generation) {
        if (group.is(GroupState.COMPLETING_REBALANCE) && group.generationId == generation) {
            for (GroupMember member : List.copyOf(group.members.values())) {
                if (member.awaitingSync == null) {
                    group.remove(member.memberId);
                }
            }
            prepareRebalance(group, "members did not send SyncGroup within the rebalance timeout");
        }
    }

    private static JoinGroupResponseData joinResponse(ClassicGroup group, GroupMember member, boolean withMembers) {
        JoinGroupResponseData response = new JoinGroupResponseData()
                .setGenerationId(group.generationId)
                .setProtocolType(group.protocolType)
                .setProtocolName(group.protocolName)
                .setLeader(group.leaderId)
                .setMemberId(member.memberId)
                .setSkipAssignment(false);
        if (withMembers) {
            for (GroupMember each : group.members.values()) {
                response.members().add(new JoinGroupResponseData.JoinGroupResponseMember()
                        .setMemberId(each.memberId)
                        .setGroupInstanceId(each.groupInstanceId)
                        .setMetadata(each.metadata(group.protocolName)));
            }
        }
        return response;
    }

    // ---------------------------------------------------------------------------------------------------- sync

    /** SyncGroup; {@code respond} is called once, now or when the leader's assignment is durable. */
    void syncGroup(SyncGroupRequestData request, Consumer<SyncResult> respond) {
        if (groups.get(request.groupId()) instanceof ConsumerGroup consumerGroup && !consumerGroup.isDead()) {
            classicMembers.sync(consumerGroup, request, respond);
            return;
        }
        ClassicGroup group = classic(request.groupId());
        if (group == null) {
            respond.accept(new SyncResult(Errors.UNKNOWN_MEMBER_ID.code(), new byte[0]));
            return;
        }
        if (group.isStaticMemberFenced(request.groupInstanceId(), request.memberId())) {
            respond.accept(new SyncResult(Errors.FENCED_INSTANCE_ID.code(), new byte[0]));
            return;
        }
        GroupMember member = group.member(request.memberId());
        if (member == null) {
            respond.accept(new SyncResult(Errors.UNKNOWN_MEMBER_ID.code(), new byte[0]));
            return;
        }
        if (request.generationId() != group.generationId) {
            respond.accept(new SyncResult(Errors.ILLEGAL_GENERATION.code(), new byte[0]));
            return;
        }
        if ((request.protocolType() != null && !request.protocolType().equals(group.protocolType))
                || (request.protocolName() != null && !request.protocolName().equals(group.protocolName))) {
            respond.accept(new SyncResult(Errors.INCONSISTENT_GROUP_PROTOCOL.code(), new byte[0]));
            return;
        }
        member.lastHeartbeatMs = context.nowMs();
        switch (group.state) {
            case PREPARING_REBALANCE -> respond.accept(new SyncResult(Errors.REBALANCE_IN_PROGRESS.code(),
                    new byte[0]));
            case COMPLETING_REBALANCE -> {
                member.awaitingSync = respond;
                if (member.memberId.equals(group.leaderId) && !group.assignmentWritePending) {
                    completeSync(group, request.assignments());
                }
            }
            case STABLE -> respond.accept(new SyncResult(Errors.NONE.code(), member.assignment));
            default -> respond.accept(new SyncResult(Errors.UNKNOWN_MEMBER_ID.code(), new byte[0]));
        }
    }

    /** Stores the leader's assignment; once it is durable the group is stable and the members get their parts. */
    private void completeSync(ClassicGroup group, List<SyncGroupRequestData.SyncGroupRequestAssignment> assignments) {
        Map<String, byte[]> byMember = new HashMap<>();
        for (SyncGroupRequestData.SyncGroupRequestAssignment assignment : assignments) {
            byMember.put(assignment.memberId(), assignment.assignment());
        }
        for (GroupMember member : group.members.values()) {
            byte[] assignment = byMember.get(member.memberId);
            member.assignment = assignment == null ? new byte[0] : assignment;
        }
        int generation = group.generationId;
        group.assignmentWritePending = true;
        writeGroup(group, () -> {
            if (!group.is(GroupState.COMPLETING_REBALANCE) || group.generationId != generation) {
                return; // a rebalance began meanwhile and answered the members already
            }
            group.assignmentWritePending = false;
            context.cancel(group.rebalanceTimerKey());
            group.transitionTo(GroupState.STABLE, context.nowMs());
            for (GroupMember member : group.members.values()) {
                if (member.awaitingSync != null) {
                    member.awaitingSync.accept(new SyncResult(Errors.NONE.code(), member.assignment));
                    member.awaitingSync = null;
                }
            }
            LOG.log(Level.INFO, "Group {0} is stable at generation {1}", group.groupId, group.generationId);
        }, error -> {
            if (!group.is(GroupState.COMPLETING_REBALANCE) || group.generationId != generation) {
                return;
            }
            group.assignmentWritePending = false;
            for (GroupMember member : group.members.values()) {
                if (member.awaitingSync != null) {
                    member.awaitingSync.accept(new SyncResult(error.code(), new byte[0]));
                    member.awaitingSync = null;
                }
            }
            prepareRebalance(group, "its assignment could not be stored: " + error);
        });
    }

    // ---------------------------------------------------------------------------------------------------- liveness

    Errors heartbeat(String groupId, String memberId, String groupInstanceId, int generationId) {
        if (groups.get(groupId) instanceof ConsumerGroup consumerGroup && !consumerGroup.isDead()) {
            return classicMembers.heartbeat(consumerGroup, memberId, groupInstanceId, generationId);
        }
        ClassicGroup group = classic(groupId);
        if (group == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (group.isStaticMemberFenced(groupInstanceId, memberId)) {
            return Errors.FENCED_INSTANCE_ID;
        }
        GroupMember member = group.member(memberId);
        if (member == null || group.is(GroupState.EMPTY) || group.is(GroupState.DEAD)) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (generationId != group.generationId) {
            return Errors.ILLEGAL_GENERATION;
        }
        member.lastHeartbeatMs = context.nowMs();
        return group.is(GroupState.PREPARING_REBALANCE) ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
    }

    /** LeaveGroup: each departing member (by member id, or by instance id for static ones) and its error. */
    CompletableFuture<LeaveGroupResponseData> leaveGroup(String groupId,
                                                         List<LeaveGroupRequestData.MemberIdentity> leaving) {
        if (groups.get(groupId) instanceof ConsumerGroup consumerGroup && !consumerGroup.isDead()) {
            return classicMembers.leave(consumerGroup, leaving);
        }
        return CompletableFuture.completedFuture(leaveClassicGroup(groupId, leaving));
    }

    private LeaveGroupResponseData leaveClassicGroup(String groupId,
                                                     List<LeaveGroupRequestData.MemberIdentity> leaving) {
        LeaveGroupResponseData response = new LeaveGroupResponseData();
        ClassicGroup group = classic(groupId);
        if (group == null) {
            return response.setErrorCode(Errors.UNKNOWN_MEMBER_ID.code());
        }
        boolean removed = false;
        for (LeaveGroupRequestData.MemberIdentity identity : leaving) {
            LeaveGroupResponseData.MemberResponse result = new LeaveGroupResponseData.MemberResponse()
                    .setMemberId(identity.memberId()).setGroupInstanceId(identity.groupInstanceId());
            response.members().add(result);
            String memberId = identity.memberId();
            if (identity.groupInstanceId() != null) {
                String current = group.staticMemberId(identity.groupInstanceId());
                if (current == null) {
                    result.setErrorCode(Errors.UNKNOWN_MEMBER_ID.code());
                    continue;
                }
                if (memberId != null && !memberId.isEmpty() && !memberId.equals(current)) {
                    result.setErrorCode(Errors.FENCED_INSTANCE_ID.code());
                    continue;
                }
                memberId = current;
            }
            if (group.pendingMembers.remove(memberId) != null) {
                continue;
            }
            if (group.member(memberId) == null) {
                result.setErrorCode(Errors.UNKNOWN_MEMBER_ID.code());
                continue;
            }
            group.remove(memberId);
            removed = true;
            LOG.log(Level.INFO, "Member {0} left group {1}{2}", memberId, groupId,
                    identity.reason() == null ? "" : " (" + identity.reason() + ")");
        }
        if (removed) {
            onMembershipShrunk(group, "members left");
        }
        return response;
    }

    private void onMembershipShrunk(ClassicGroup group, String reason) {
        switch (group.state) {
            case STABLE, COMPLETING_REBALANCE -> prepareRebalance(group, reason);
            case PREPARING_REBALANCE -> tryCompleteJoin(group);
            default -> {
            }
        }
    }

    /** Drops members whose session lapsed and pending members that never joined. */
    private void sweepExpiredMembers() {
        long nowMs = context.nowMs();
        for (Group each : List.copyOf(groups.values())) {
            if (!(each instanceof ClassicGroup group)) {
                continue;
            }
            group.pendingMembers.values().removeIf(deadline -> deadline < nowMs);
            boolean removed = false;
            for (GroupMember member : List.copyOf(group.members.values())) {
                if (!keepsAlive(member, nowMs)) {
                    if (member.awaitingJoin != null) {
                        member.awaitingJoin.accept(GroupCoordinator.joinError(member.memberId,
                                Errors.UNKNOWN_MEMBER_ID));
                    }
                    group.remove(member.memberId);
                    removed = true;
                    LOG.log(Level.INFO, "Member {0} in group {1} has failed: no heartbeat within its session"
                            + " timeout of {2} ms", member.memberId, group.groupId, member.sessionTimeoutMs);
                }
            }
            if (removed) {
                onMembershipShrunk(group, "members' sessions expired");
            }
        }
    }

    private static boolean keepsAlive(GroupMember member, long nowMs) {
        if (member.awaitingJoin != null) {
            return !member.isNew || nowMs - member.lastHeartbeatMs < NEW_MEMBER_JOIN_TIMEOUT_MS;
        }
        if (member.awaitingSync != null) {
            return true;
        }
        return nowMs - member.lastHeartbeatMs <= member.sessionTimeoutMs;
    }

    private static void failWaiting(ClassicGroup group, Errors error) {
        for (GroupMember member : group.members.values()) {
            if (member.awaitingJoin != null) {
                member.awaitingJoin.accept(GroupCoordinator.joinError(member.memberId, error));
                member.awaitingJoin = null;
            }
            if (member.awaitingSync != null) {
                member.awaitingSync.accept(new SyncResult(error.code(), new byte[0]));
                member.awaitingSync = null;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- offsets

    /**
     * OffsetCommit: writes the offsets; they are stored, and the commit answered, once the in-sync replicas have
     * them. Members commit within their generation; a client outside any group (generation -1, no member id) may
     * commit for a group without members.
     */
    CompletableFuture<List<CommitResult>> commitOffsets(String groupId, String memberId, String groupInstanceId,
                                                        int generationId, List<OffsetCommit> commits) {
        boolean simple = generationId < 0 && (memberId == null || memberId.isEmpty());
        if (groups.get(groupId) instanceof ShareGroup) {
            return CompletableFuture.completedFuture(failAll(commits, Errors.GROUP_ID_NOT_FOUND));
        }
        if (groups.get(groupId) instanceof ConsumerGroup consumerGroup) {
            Errors check = consumerCommitCheck(consumerGroup, memberId, generationId, commits);
            if (check != Errors.NONE) {
                return CompletableFuture.completedFuture(failAll(commits, check));
            }
        } else {
            ClassicGroup group = simple ? classicOrNew(groupId) : classic(groupId);
            Errors check = group == null ? Errors.ILLEGAL_GENERATION : commitCheck(group, simple, memberId,
                    groupInstanceId, generationId);
            if (check != Errors.NONE) {
                return CompletableFuture.completedFuture(failAll(commits, check));
            }
            if (!simple) {
                group.member(memberId).lastHeartbeatMs = context.nowMs();
            }
        }
        long nowMs = context.nowMs();
        List<CommitResult> results = new ArrayList<>();
        List<CoordinatorRecord> records = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> accepted = new LinkedHashMap<>();
        for (OffsetCommit commit : commits) {
            Errors refused = checkOffset(commit);
            if (refused != Errors.NONE) {
                results.add(new CommitResult(commit.topicPartition(), refused));
            } else {
                OffsetAndMetadata offset = new OffsetAndMetadata(commit.offset(), commit.leaderEpoch(),
                        commit.metadata() == null ? "" : commit.metadata(), nowMs);
                accepted.put(commit.topicPartition(), offset);
                records.add(new CoordinatorRecord(GroupRecords.offsetKey(groupId, commit.topicPartition()),
                        GroupRecords.offsetValue(offset)));
            }
        }
        CompletableFuture<List<CommitResult>> done = new CompletableFuture<>();
        context.write(records, () -> {
            // The group may have been deleted or expired while this commit was written: it exists again.
            ensureGroup(groupId);
            offsets.putAll(groupId, accepted);
            accepted.keySet().forEach(tp -> results.add(new CommitResult(tp, Errors.NONE)));
            done.complete(results);
        }, error -> {
            accepted.keySet().forEach(tp -> results.add(new CommitResult(tp, error)));
            done.complete(results);
        });
        return done;
    }

    private Errors consumerCommitCheck(ConsumerGroup group, String memberId, int memberEpoch,
                                       List<OffsetCommit> commits) {
        List<Uuid> topicIds = new ArrayList<>(commits.size());
        List<Integer> partitions = new ArrayList<>(commits.size());
        for (OffsetCommit commit : commits) {
            TopicImage topic = topics.apply(commit.topicPartition().topic());
            topicIds.add(topic == null ? null : topic.id());
            partitions.add(commit.topicPartition().partition());
        }
        return ConsumerGroupMembership.commitCheck(group, memberId, memberEpoch, topicIds, partitions);
    }

    private static Errors commitCheck(ClassicGroup group, boolean simple, String memberId, String groupInstanceId,
                                      int generationId) {
        if (group.is(GroupState.DEAD)) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        } else if (simple) {
            return group.members.isEmpty() ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
        } else if (group.isStaticMemberFenced(groupInstanceId, memberId)) {
            return Errors.FENCED_INSTANCE_ID;
        } else if (!group.hasMember(memberId)) {
            return Errors.UNKNOWN_MEMBER_ID;
        } else if (generationId != group.generationId) {
            return Errors.ILLEGAL_GENERATION;
        } else if (group.is(GroupState.COMPLETING_REBALANCE)) {
            return Errors.REBALANCE_IN_PROGRESS; // the member must sync first; Kafka checks in this order
        }
        return Errors.NONE;
    }

    /**
     * TxnOffsetCommit: writes the offsets as pending offsets of the producer's open transaction; they become the
     * group's committed offsets when the transaction commits ({@link #completeTransaction}). A member commits within
     * its generation, as Kafka Streams does; a producer outside the group (generation -1, no member id) may commit
     * whatever the group's state.
     */
    CompletableFuture<List<CommitResult>> commitTransactionalOffsets(String groupId, long producerId,
                                                                     String memberId, String groupInstanceId,
                                                                     int generationId, List<OffsetCommit> commits) {
        // Kafka's checks of a transactional commit in a classic group: no state check (a member may commit while the
        // group rebalances), and a producer outside the group (generation -1, no member id) commits in any state.
        boolean fromMember = generationId >= 0 || (memberId != null && !memberId.isEmpty()) || groupInstanceId != null;
        if (groups.get(groupId) instanceof ShareGroup) {
            return CompletableFuture.completedFuture(failAll(commits, Errors.GROUP_ID_NOT_FOUND));
        }
        ClassicGroup group = classic(groupId);
        if (group == null && generationId < 0) {
            group = classicOrNew(groupId);
        }
        Errors check;
        if (groups.get(groupId) instanceof ConsumerGroup consumerGroup) {
            check = fromMember ? consumerCommitCheck(consumerGroup, memberId, generationId, commits) : Errors.NONE;
        } else if (group == null) {
            check = Errors.ILLEGAL_GENERATION;
        } else if (group.is(GroupState.DEAD)) {
            check = Errors.COORDINATOR_NOT_AVAILABLE;
        } else if ((generationId < 0 && group.is(GroupState.EMPTY)) || !fromMember) {
            check = Errors.NONE;
        } else if (group.isStaticMemberFenced(groupInstanceId, memberId)) {
            check = Errors.FENCED_INSTANCE_ID;
        } else if (!group.hasMember(memberId)) {
            check = Errors.UNKNOWN_MEMBER_ID;
        } else if (generationId != group.generationId) {
            check = Errors.ILLEGAL_GENERATION;
        } else {
            check = Errors.NONE;
        }
        if (check != Errors.NONE) {
            return CompletableFuture.completedFuture(failAll(commits, check));
        }
        long nowMs = context.nowMs();
        List<CommitResult> results = new ArrayList<>();
        List<CoordinatorRecord> records = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> accepted = new LinkedHashMap<>();
        for (OffsetCommit commit : commits) {
            Errors refused = checkOffset(commit);
            if (refused != Errors.NONE) {
                results.add(new CommitResult(commit.topicPartition(), refused));
            } else {
                OffsetAndMetadata offset = new OffsetAndMetadata(commit.offset(), commit.leaderEpoch(),
                        commit.metadata() == null ? "" : commit.metadata(), nowMs);
                accepted.put(commit.topicPartition(), offset);
                records.add(new CoordinatorRecord(GroupRecords.pendingOffsetKey(groupId, producerId,
                        commit.topicPartition()), GroupRecords.offsetValue(offset)));
            }
        }
        CompletableFuture<List<CommitResult>> done = new CompletableFuture<>();
        context.write(records, () -> {
            accepted.forEach((tp, offset) -> pendingOffsets.put(producerId, groupId, tp, offset));
            accepted.keySet().forEach(tp -> results.add(new CommitResult(tp, Errors.NONE)));
            done.complete(results);
        }, error -> {
            accepted.keySet().forEach(tp -> results.add(new CommitResult(tp, error)));
            done.complete(results);
        });
        return done;
    }

    /**
     * The marker of the producer's transaction reached this partition: its pending offsets become committed offsets
     * (commit) or are dropped (abort), once the records saying so are committed. Completes with NONE at once if the
     * producer has none here.
     */
    CompletableFuture<Errors> completeTransaction(long producerId, boolean committed) {
        Map<String, Map<TopicPartition, OffsetAndMetadata>> pending = pendingOffsets.ofProducer(producerId);
        if (pending.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }
        List<CoordinatorRecord> records = new ArrayList<>();
        pending.forEach((groupId, byPartition) -> byPartition.forEach((tp, offset) -> {
            if (committed) {
                records.add(new CoordinatorRecord(GroupRecords.offsetKey(groupId, tp),
                        GroupRecords.offsetValue(offset)));
            }
            records.add(CoordinatorRecord.tombstone(GroupRecords.pendingOffsetKey(groupId, producerId, tp)));
        }));
        CompletableFuture<Errors> done = new CompletableFuture<>();
        context.write(records, () -> {
            pendingOffsets.removeProducer(producerId);
            if (committed) {
                pending.forEach((groupId, byPartition) -> {
                    ensureGroup(groupId);
                    offsets.putAll(groupId, byPartition);
                });
            }
            done.complete(Errors.NONE);
        }, done::complete);
        return done;
    }

    /** The group's partitions among {@code partitions} (all if null) whose offsets an open transaction holds. */
    Set<TopicPartition> unstableOffsets(String groupId, Collection<TopicPartition> partitions) {
        return pendingOffsets.pendingPartitions(groupId, partitions);
    }

    private static List<CommitResult> failAll(List<OffsetCommit> commits, Errors error) {
        List<CommitResult> results = new ArrayList<>(commits.size());
        for (OffsetCommit commit : commits) {
            results.add(new CommitResult(commit.topicPartition(), error));
        }
        return results;
    }

    /**
     * Whether a member of the group may fetch its offsets (OffsetFetch v9+ names the member and its epoch): in a
     * consumer-protocol group a member must be known (else UNKNOWN_MEMBER_ID) and at its epoch (else
     * STALE_MEMBER_EPOCH); anyone else, and classic groups, may. NONE if it may.
     */
    Errors checkOffsetFetch(String groupId, String memberId, int memberEpoch) {
        return groups.get(groupId) instanceof ConsumerGroup group
                ? ConsumerGroupMembership.fetchCheck(group, memberId, memberEpoch) : Errors.NONE;
    }

    /** The group's committed offsets for {@code partitions}, or for every partition if {@code null}. */
    Map<TopicPartition, OffsetAndMetadata> fetchOffsets(String groupId, Collection<TopicPartition> partitions) {
        if (partitions == null) {
            return offsets.offsets(groupId);
        }
        Map<TopicPartition, OffsetAndMetadata> result = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            OffsetAndMetadata offset = offsets.get(groupId, tp);
            if (offset != null) {
                result.put(tp, offset);
            }
        }
        return result;
    }

    /**
     * OffsetDelete: removes a group's offsets for partitions of topics its members do not subscribe to, once the
     * tombstones are committed. Answers the group-level error and each partition's.
     */
    CompletableFuture<Map.Entry<Errors, Map<TopicPartition, Errors>>> deleteOffsets(String groupId,
                                                                                   List<TopicPartition> partitions) {
        Group group = groups.get(groupId);
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        if (group == null || group.isDead() || group instanceof ShareGroup) {
            // A share group has no committed offsets: its progress is share state (DeleteShareGroupOffsets).
            return CompletableFuture.completedFuture(Map.entry(Errors.GROUP_ID_NOT_FOUND, results));
        }
        Set<String> subscribed = group instanceof ConsumerGroup consumerGroup
                ? consumerGroup.subscriptionMetadata.keySet()
                : group.isEmpty() || ((ClassicGroup) group).is(GroupState.EMPTY) ? Set.of()
                : ((ClassicGroup) group).subscribedTopics();
        List<CoordinatorRecord> tombstones = new ArrayList<>();
        List<TopicPartition> removed = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (subscribed.contains(tp.topic())) {
                results.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
            } else {
                results.put(tp, Errors.NONE);
                if (offsets.get(groupId, tp) != null) {
                    tombstones.add(CoordinatorRecord.tombstone(GroupRecords.offsetKey(groupId, tp)));
                    removed.add(tp);
                }
            }
        }
        CompletableFuture<Map.Entry<Errors, Map<TopicPartition, Errors>>> done = new CompletableFuture<>();
        context.write(tombstones, () -> {
            offsets.removeAll(groupId, removed);
            done.complete(Map.entry(Errors.NONE, results));
        }, error -> done.complete(Map.entry(error, Map.of())));
        return done;
    }

    // ---------------------------------------------------------------------------------------------------- admin

    GroupSummary describeGroup(String groupId) {
        ClassicGroup group = classic(groupId);
        if (group == null) {
            // As Kafka: DescribeGroups describes classic groups; a consumer-protocol group is ConsumerGroupDescribe's.
            Group other = groups.get(groupId);
            String message = other != null && !other.isDead()
                    ? "Group " + groupId + " is not a classic group." : "Group " + groupId + " not found.";
            return new GroupSummary(groupId, Errors.GROUP_ID_NOT_FOUND, GroupState.DEAD, "", "", List.of(), message);
        }
        List<MemberSummary> members = new ArrayList<>();
        boolean stable = group.is(GroupState.STABLE);
        for (GroupMember member : group.members.values()) {
            members.add(new MemberSummary(member.memberId, member.groupInstanceId, member.clientId,
                    member.clientHost, stable ? member.metadata(group.protocolName) : new byte[0],
                    stable ? member.assignment : new byte[0]));
        }
        return new GroupSummary(groupId, Errors.NONE, group.state,
                group.protocolType == null ? "" : group.protocolType,
                stable && group.protocolName != null ? group.protocolName : "", members);
    }

    /** Every group of this partition, of every kind. */
    List<GroupListing> listGroups() {
        List<GroupListing> listed = new ArrayList<>();
        for (Group each : groups.values()) {
            if (each.isDead()) {
                continue;
            }
            String protocolType = each instanceof ClassicGroup group
                    ? (group.protocolType == null ? "" : group.protocolType)
                    : each instanceof ShareGroup ? SHARE_PROTOCOL_TYPE : ClassicGroup.CONSUMER_PROTOCOL_TYPE;
            listed.add(new GroupListing(each.groupId(), protocolType, each.stateName(), each.type().display()));
        }
        return listed;
    }

    /** DeleteGroups: deletes a group without members, with its offsets, once the tombstones are committed. */
    CompletableFuture<Errors> deleteGroup(String groupId) {
        Group group = groups.get(groupId);
        if (group == null || group.isDead()) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND);
        }
        if (!group.isEmpty() || (group instanceof ClassicGroup classic && !classic.is(GroupState.EMPTY))) {
            return CompletableFuture.completedFuture(Errors.NON_EMPTY_GROUP);
        }
        List<CoordinatorRecord> tombstones = new ArrayList<>();
        Set<TopicPartition> deleted = offsets.offsets(groupId).keySet();
        for (TopicPartition tp : deleted) {
            tombstones.add(CoordinatorRecord.tombstone(GroupRecords.offsetKey(groupId, tp)));
        }
        tombstones.add(CoordinatorRecord.tombstone(groupRecordKey(group)));
        CompletableFuture<Errors> done = new CompletableFuture<>();
        context.write(tombstones, () -> {
            offsets.removeAll(groupId, deleted);
            forgetIfEmpty(group);
            LOG.log(Level.INFO, "Deleted group {0}", groupId);
            if (group instanceof ShareGroup shareGroup) {
                notifyShareGroupDeleted(shareGroup);
            }
            done.complete(Errors.NONE);
        }, done::complete);
        return done;
    }

    /** The key of the record that holds a group of this kind. */
    private static byte[] groupRecordKey(Group group) {
        if (group instanceof ShareGroup) {
            return GroupRecords.shareGroupKey(group.groupId());
        }
        return group instanceof ConsumerGroup ? GroupRecords.consumerGroupKey(group.groupId())
                : GroupRecords.groupKey(group.groupId());
    }

    /** The share state of a deleted share group goes too: the listener deletes it partition by partition. */
    private void notifyShareGroupDeleted(ShareGroup group) {
        Map<Uuid, Set<Integer>> partitions = ConsumerGroupMember.copyOf(group.statePartitions);
        try {
            shareGroupDeleted.onDeleted(group.groupId, partitions);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Telling the share-state side that share group {0} was deleted failed: {1}",
                    group.groupId, e.toString());
        }
    }

    /** A group whose record was deleted: gone, unless a member joined while the deletion was written. */
    private void forgetIfEmpty(Group group) {
        if (!group.isEmpty() || offsets.hasOffsets(group.groupId())) {
            return;
        }
        if (group instanceof ClassicGroup classic && classic.is(GroupState.EMPTY)) {
            classic.transitionTo(GroupState.DEAD, context.nowMs());
            groups.remove(group.groupId(), group);
        } else if (group instanceof ConsumerGroup consumerGroup) {
            consumerGroup.dead = true;
            groups.remove(group.groupId(), group);
        } else if (group instanceof ShareGroup shareGroup) {
            shareGroup.dead = true;
            groups.remove(group.groupId(), group);
        }
    }

    /** Removes offsets of groups without members once {@code offsets.retention.minutes} have passed. */
    private void expireOffsets() {
        long nowMs = context.nowMs();
        for (Group group : List.copyOf(groups.values())) {
            if (!group.isEmpty() || group.isDead() || group instanceof ShareGroup) {
                continue; // a share group has no offsets to expire: it stays until deleted
            }
            String groupId = group.groupId();
            long emptySinceMs = group instanceof ClassicGroup classic ? classic.stateChangedMs : 0;
            Map<TopicPartition, OffsetAndMetadata> committed = offsets.offsets(groupId);
            List<CoordinatorRecord> tombstones = new ArrayList<>();
            List<TopicPartition> expired = new ArrayList<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> offset : committed.entrySet()) {
                long since = Math.max(offset.getValue().commitTimestampMs(), emptySinceMs);
                // As Kafka: an offset an open transaction is about to replace does not expire under it.
                if (nowMs - since > config.offsetsRetentionMs
                        && !pendingOffsets.isPending(groupId, offset.getKey())) {
                    expired.add(offset.getKey());
                    tombstones.add(CoordinatorRecord.tombstone(GroupRecords.offsetKey(groupId,
                            offset.getKey())));
                }
            }
            boolean emptied = expired.size() == committed.size() && !pendingOffsets.hasGroup(groupId);
            if (emptied) {
                tombstones.add(CoordinatorRecord.tombstone(groupRecordKey(group)));
            }
            if (expired.isEmpty() && !emptied) {
                continue;
            }
            context.write(tombstones, () -> {
                offsets.removeAll(groupId, expired);
                if (!expired.isEmpty()) {
                    LOG.log(Level.INFO, "Expired {0} offset(s) of group {1}", expired.size(), groupId);
                }
                if (emptied) {
                    forgetIfEmpty(group);
                }
            }, error -> LOG.log(Level.WARNING, "Expiring offsets of group {0} failed: {1}", groupId, error));
        }
    }

    // ---------------------------------------------------------------------------------------------------- storage

    /** Writes the group's membership, so that a restart or failover keeps generations, assignments and static members. */
    private void writeGroup(ClassicGroup group, Runnable onCommitted, Consumer<Errors> onFailed) {
        context.write(List.of(groupRecord(group)), onCommitted, error -> {
            LOG.log(Level.WARNING, "Writing the membership of group {0} failed: {1}", group.groupId, error);
            onFailed.accept(error);
        });
    }

    /** The record of a classic group's membership: generation, protocol, leader, members and assignments. */
    private static CoordinatorRecord groupRecord(ClassicGroup group) {
        List<StoredMember> members = new ArrayList<>();
        for (GroupMember member : group.members.values()) {
            members.add(new StoredMember(member.memberId, member.groupInstanceId, member.clientId, member.clientHost,
                    member.rebalanceTimeoutMs, member.sessionTimeoutMs,
                    group.protocolName == null ? new byte[0] : member.metadata(group.protocolName),
                    member.assignment));
        }
        StoredGroup stored = new StoredGroup(group.protocolType, group.generationId, group.protocolName,
                group.leaderId, group.stateChangedMs, members);
        return new CoordinatorRecord(GroupRecords.groupKey(group.groupId), GroupRecords.groupValue(stored));
    }

    /** The group of that id, of whatever kind, or null: for tests that check a group's state beyond its description. */
    Group group(String groupId) {
        return groups.get(groupId);
    }

    /** The groups of this partition, for metrics. */
    List<String> groupIds() {
        return List.copyOf(groups.keySet());
    }

    /** Why one offset of a commit cannot be stored (its metadata is too large, its partition unknown), or NONE. */
    private Errors checkOffset(OffsetCommit commit) {
        String metadata = commit.metadata() == null ? "" : commit.metadata();
        TopicImage topic = topics.apply(commit.topicPartition().topic());
        if (metadata.length() > config.offsetMetadataMaxBytes) {
            return Errors.OFFSET_METADATA_TOO_LARGE;
        }
        if (topic == null || topic.partition(commit.topicPartition().partition()) == null) {
            return Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        return Errors.NONE;
    }
}

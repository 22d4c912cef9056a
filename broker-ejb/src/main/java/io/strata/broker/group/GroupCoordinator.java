package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.GroupRecords.GroupKey;
import io.strata.broker.group.GroupRecords.OffsetKey;
import io.strata.broker.group.GroupRecords.StoredGroup;
import io.strata.broker.group.GroupRecords.StoredMember;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.partition.AppendResult;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.LogReadResult;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The coordinator of classic consumer groups (Kafka's group protocol with client-side assignors): members join, the
 * group rebalances through PreparingRebalance and CompletingRebalance to Stable, the leader's assignment is handed out
 * at SyncGroup, and members are expired by {@code session.timeout.ms} or dropped when they do not rejoin within the
 * rebalance timeout ({@code max.poll.interval.ms}). Static members ({@code group.instance.id}) keep their place across
 * restarts. Generations fence stale members.
 *
 * <p>A group lives in one partition of the internal compacted topic {@code __consumer_offsets}, chosen by the hash of
 * its id; its committed offsets and its membership are written there, read back at start, and expire after
 * {@code offsets.retention.minutes} once the group is empty.
 *
 * <p>Thread-safety: each group is guarded by its own monitor; the coordinator's maps are concurrent. Responses to
 * requests that wait (JoinGroup, SyncGroup) are sent from whichever thread completes the rebalance.
 */
public final class GroupCoordinator implements AutoCloseable {

    public static final String OFFSETS_TOPIC = Topic.GROUP_METADATA_TOPIC_NAME;
    /** How long a new member may wait in a join before it is dropped, as Kafka's new-member timeout. */
    private static final long NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;
    private static final long SWEEP_INTERVAL_MS = 250;

    private static final System.Logger LOG = System.getLogger(GroupCoordinator.class.getName());

    private final BrokerConfig config;
    private final Controller controller;
    private final ReplicaManager replicas;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor timer;
    private final ConcurrentHashMap<String, ClassicGroup> groups = new ConcurrentHashMap<>();
    private volatile int offsetsPartitions;
    private volatile boolean loaded;
    /** Set by {@link #startup(boolean)}: this broker is a cluster of one. */
    private volatile boolean standalone;
    /** Whether the wait for enough brokers to create {@code __consumer_offsets} was logged: once, not per request. */
    private volatile boolean waitingForBrokersLogged;
    /** The offsets partitions whose groups are loaded here, with the leader epoch they were loaded at. */
    private final ConcurrentHashMap<Integer, Integer> ownedPartitions = new ConcurrentHashMap<>();

    public GroupCoordinator(BrokerConfig config, Controller controller, ReplicaManager replicas,
                            ThreadFactory threads, Clock clock) {
        this.config = config;
        this.controller = controller;
        this.replicas = replicas;
        this.clock = clock;
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-group-coordinator");
            thread.setDaemon(true);
            return thread;
        });
        this.timer.setRemoveOnCancelPolicy(true);
    }

    /** Creates {@code __consumer_offsets} if needed, loads the groups it holds, and starts the timers. */
    public void startup() {
        startup(true);
    }

    /**
     * Loads the groups this broker coordinates and starts the timers. With {@code createOffsetsTopic} true (a
     * standalone broker, a cluster of one) {@code __consumer_offsets} is created now, with one replica unless
     * {@code offsets.topic.replication.factor} is set. With it false (a broker of a cluster, which may be starting
     * before the others have joined) it is created when a group first looks for its coordinator and
     * {@code offsets.topic.replication.factor} brokers are alive; until then FindCoordinator is answered
     * COORDINATOR_NOT_AVAILABLE, as Kafka answers it, rather than creating it under-replicated for good.
     */
    public void startup(boolean createOffsetsTopic) {
        standalone = createOffsetsTopic;
        TopicImage topic = createOffsetsTopic ? ensureOffsetsTopic() : controller.image().topic(OFFSETS_TOPIC);
        offsetsPartitions = topic == null ? config.offsetsTopicNumPartitions : topic.partitionCount();
        if (topic != null) {
            loadAtStart(topic);
        }
        loaded = true;
        startTimers();
        controller.addListener((previous, current) -> {
            try {
                timer.execute(this::followLeadership);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closed: the broker is stopping.
            }
        });
    }

    /**
     * Creates {@code __consumer_offsets} if it does not exist and enough brokers are alive to hold every replica;
     * returns it, or {@code null} while too few brokers are alive.
     */
    private TopicImage ensureOffsetsTopic() {
        TopicImage existing = controller.image().topic(OFFSETS_TOPIC);
        if (existing != null) {
            return existing;
        }
        short factor = offsetsTopicReplicationFactor();
        int live = controller.liveBrokers().size();
        if (live < factor) {
            if (standalone) {
                throw new ConfigException(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, factor, "a standalone"
                        + " broker (" + BrokerConfig.CLUSTER_JOIN + "=none) is a cluster of one and cannot hold "
                        + factor + " replicas of " + OFFSETS_TOPIC + ": set it to 1, or leave it unset");
            }
            if (!waitingForBrokersLogged) {
                waitingForBrokersLogged = true;
                LOG.log(Level.WARNING, "Not creating {0} yet: {1}={2} and {3} broker(s) are alive {4}; groups get"
                        + " COORDINATOR_NOT_AVAILABLE until enough brokers have joined", OFFSETS_TOPIC,
                        BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, factor, live, controller.liveBrokers());
            }
            return null;
        }
        return controller.ensureInternalTopic(OFFSETS_TOPIC, config.offsetsTopicNumPartitions, factor,
                Map.of(LogConfig.CLEANUP_POLICY, LogConfig.CLEANUP_POLICY_COMPACT,
                        LogConfig.SEGMENT_BYTES, String.valueOf(config.offsetsTopicSegmentBytes),
                        LogConfig.COMPRESSION_TYPE, LogConfig.COMPRESSION_PRODUCER));
    }

    /**
     * {@code offsets.topic.replication.factor}; a standalone broker, a cluster of one, uses 1 unless it is set, so
     * that groups work out of the box with Kafka's default of 3.
     */
    private short offsetsTopicReplicationFactor() {
        if (standalone && !config.originals().containsKey(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR)) {
            return 1;
        }
        return config.offsetsTopicReplicationFactor;
    }

    private void loadAtStart(TopicImage topic) {
        offsetsPartitions = topic.partitionCount();
        long startNanos = System.nanoTime();
        int loadedOffsets = 0;
        for (int p = 0; p < offsetsPartitions; p++) {
            Partition partition = replicas.partition(new TopicPartition(OFFSETS_TOPIC, p));
            if (partition != null && partition.isLeader()) {
                loadedOffsets += load(partition);
                ownedPartitions.put(p, partition.leaderEpoch());
            }
        }
        LOG.log(Level.INFO, "Loaded {0} group(s) and {1} committed offset(s) from {2} in {3} ms", groups.size(),
                loadedOffsets, OFFSETS_TOPIC, (System.nanoTime() - startNanos) / 1_000_000);
    }

    private void startTimers() {
        timer.scheduleWithFixedDelay(this::sweepExpiredMembers, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::expireOffsets, config.offsetsRetentionCheckIntervalMs,
                config.offsetsRetentionCheckIntervalMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Loads the groups of every offsets partition this broker has come to lead (its log, as an in-sync replica's,
     * has every committed offset), and lets go of those of partitions it no longer leads: their members are told
     * NOT_COORDINATOR and find the new coordinator. Runs on the coordinator's thread after each metadata change.
     */
    private void followLeadership() {
        TopicImage topic = controller.image().topic(OFFSETS_TOPIC);
        if (topic != null) {
            offsetsPartitions = topic.partitionCount();
        }
        for (int p = 0; p < offsetsPartitions; p++) {
            Partition partition = replicas.partition(new TopicPartition(OFFSETS_TOPIC, p));
            Integer ownedAt = ownedPartitions.get(p);
            boolean leads = partition != null && partition.isLeader();
            if (leads && (ownedAt == null || ownedAt != partition.leaderEpoch())) {
                if (ownedAt != null) {
                    unload(p);
                }
                long startNanos = System.nanoTime();
                int offsets = load(partition);
                ownedPartitions.put(p, partition.leaderEpoch());
                LOG.log(Level.INFO, "Now coordinating the groups of {0}-{1}: {2} committed offset(s) loaded in {3}"
                        + " ms", OFFSETS_TOPIC, p, offsets, (System.nanoTime() - startNanos) / 1_000_000);
            } else if (!leads && ownedAt != null) {
                unload(p);
                LOG.log(Level.INFO, "No longer coordinating the groups of {0}-{1}", OFFSETS_TOPIC, p);
            }
        }
    }

    /** Forgets the groups of offsets partition {@code p}, failing their waiting members with NOT_COORDINATOR. */
    private void unload(int p) {
        ownedPartitions.remove(p);
        for (Iterator<ClassicGroup> it = groups.values().iterator(); it.hasNext(); ) {
            ClassicGroup group = it.next();
            if (partitionFor(group.groupId) != p) {
                continue;
            }
            synchronized (group) {
                cancelTimer(group);
                for (GroupMember member : group.members.values()) {
                    if (member.awaitingJoin != null) {
                        member.awaitingJoin.accept(joinError(member.memberId, Errors.NOT_COORDINATOR));
                        member.awaitingJoin = null;
                    }
                    if (member.awaitingSync != null) {
                        member.awaitingSync.accept(new SyncResult(Errors.NOT_COORDINATOR.code(), new byte[0]));
                        member.awaitingSync = null;
                    }
                }
            }
            it.remove();
        }
    }

    /** Whether committed offsets are loaded: until then the coordinator answers COORDINATOR_LOAD_IN_PROGRESS. */
    public boolean isLoaded() {
        return loaded;
    }

    public int partitionFor(String groupId) {
        return Utils.abs(groupId.hashCode()) % offsetsPartitions;
    }

    /** The broker that coordinates {@code groupId}: the leader of its offsets partition, or -1. */
    public int coordinatorFor(String groupId) {
        TopicImage topic = controller.image().topic(OFFSETS_TOPIC);
        if (topic == null) {
            try {
                topic = ensureOffsetsTopic();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Creating {0} failed: {1}", OFFSETS_TOPIC, e.getMessage());
                return -1;
            }
            if (topic == null) {
                return -1;
            }
        }
        PartitionAssignment assignment = topic.partition(partitionFor(groupId));
        return assignment == null ? -1 : assignment.leader();
    }

    /** NONE if this broker coordinates the group now, else the error a client retries on. */
    public Errors coordinatorError(String groupId) {
        if (!loaded) {
            return Errors.COORDINATOR_LOAD_IN_PROGRESS;
        }
        int p = partitionFor(groupId);
        Partition partition = replicas.partition(new TopicPartition(OFFSETS_TOPIC, p));
        if (partition == null || !partition.isLeader()) {
            return Errors.NOT_COORDINATOR;
        }
        Integer ownedAt = ownedPartitions.get(p);
        return ownedAt != null && ownedAt == partition.leaderEpoch() ? Errors.NONE
                : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    // ---------------------------------------------------------------------------------------------------- join

    /** JoinGroup; {@code respond} is called once, now or when the rebalance completes. */
    public void joinGroup(JoinGroupRequestData request, short version, String clientId, String clientHost,
                          Consumer<JoinGroupResponseData> respond) {
        String groupId = request.groupId();
        Errors error = groupId == null || groupId.isEmpty() ? Errors.INVALID_GROUP_ID : coordinatorError(groupId);
        if (error == Errors.NONE && (request.sessionTimeoutMs() < config.groupMinSessionTimeoutMs
                || request.sessionTimeoutMs() > config.groupMaxSessionTimeoutMs)) {
            error = Errors.INVALID_SESSION_TIMEOUT;
        }
        if (error != Errors.NONE) {
            respond.accept(joinError(request.memberId(), error));
            return;
        }
        Map<String, byte[]> protocols = new LinkedHashMap<>();
        for (JoinGroupRequestData.JoinGroupRequestProtocol protocol : request.protocols()) {
            protocols.put(protocol.name(), protocol.metadata());
        }
        boolean unknownMember = request.memberId().isEmpty();
        ClassicGroup group = unknownMember
                ? groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, clock.millis()))
                : groups.get(groupId);
        if (group == null) {
            respond.accept(joinError(request.memberId(), Errors.UNKNOWN_MEMBER_ID));
            return;
        }
        synchronized (group) {
            if (group.is(GroupState.DEAD)) {
                respond.accept(joinError(request.memberId(), Errors.COORDINATOR_NOT_AVAILABLE));
            } else if (!group.supportsProtocols(request.protocolType(), protocols.keySet())) {
                respond.accept(joinError(request.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
            } else if (unknownMember && request.groupInstanceId() == null
                    && group.members.size() + group.pendingMembers.size() >= config.groupMaxSize) {
                respond.accept(joinError(request.memberId(), Errors.GROUP_MAX_SIZE_REACHED));
            } else if (unknownMember) {
                joinNewMember(group, request, version, clientId, clientHost, protocols, respond);
            } else {
                joinKnownMember(group, request, clientId, clientHost, protocols, respond);
            }
        }
    }

    private void joinNewMember(ClassicGroup group, JoinGroupRequestData request, short version, String clientId,
                               String clientHost, Map<String, byte[]> protocols,
                               Consumer<JoinGroupResponseData> respond) {
        String memberId = clientId + "-" + UUID.randomUUID();
        String instanceId = request.groupInstanceId();
        if (instanceId != null) {
            String previous = group.staticMemberId(instanceId);
            if (previous != null) {
                replaceStaticMember(group, previous, memberId, request, clientId, clientHost, protocols, respond);
                return;
            }
        } else if (version >= 4) {
            // KIP-394: the member learns its id first and joins with it, so a lost response leaves no ghost.
            group.pendingMembers.put(memberId, clock.millis() + request.sessionTimeoutMs());
            respond.accept(joinError(memberId, Errors.MEMBER_ID_REQUIRED));
            return;
        }
        addMemberAndRebalance(group, newMember(memberId, request, clientId, clientHost, protocols), respond,
                "member " + memberId + " joined");
    }

    private void replaceStaticMember(ClassicGroup group, String oldId, String newId, JoinGroupRequestData request,
                                     String clientId, String clientHost, Map<String, byte[]> protocols,
                                     Consumer<JoinGroupResponseData> respond) {
        GroupMember old = group.member(oldId);
        GroupMember replacement = newMember(newId, request, clientId, clientHost, protocols);
        replacement.assignment = old.assignment;
        if (old.awaitingJoin != null) {
            old.awaitingJoin.accept(joinError(oldId, Errors.FENCED_INSTANCE_ID));
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
        if (group.is(GroupState.STABLE) && sameProtocols) {
            // A restarted static member takes its old place: no rebalance.
            replacement.lastHeartbeatMs = clock.millis();
            persistGroup(group);
            respond.accept(joinResponse(group, replacement, false));
            return;
        }
        replacement.awaitingJoin = respond;
        replacement.lastHeartbeatMs = clock.millis();
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
            respond.accept(joinError(memberId, Errors.FENCED_INSTANCE_ID));
            return;
        }
        GroupMember member = group.member(memberId);
        if (member == null) {
            respond.accept(joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
            return;
        }
        member.lastHeartbeatMs = clock.millis();
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
            default -> respond.accept(joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
        }
    }

    private GroupMember newMember(String memberId, JoinGroupRequestData request, String clientId, String clientHost,
                                  Map<String, byte[]> protocols) {
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
        member.lastHeartbeatMs = clock.millis();
        group.add(member);
        if (group.is(GroupState.PREPARING_REBALANCE)) {
            tryCompleteJoin(group);
        } else {
            prepareRebalance(group, reason);
        }
    }

    /** Starts a rebalance: members must rejoin within the rebalance timeout. Called with the group's monitor held. */
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
        long nowMs = clock.millis();
        group.transitionTo(GroupState.PREPARING_REBALANCE, nowMs);
        cancelTimer(group);
        LOG.log(Level.INFO, "Preparing to rebalance group {0} in state PreparingRebalance with old generation {1}"
                + " ({2})", group.groupId, group.generationId, reason);
        if (initial && config.groupInitialRebalanceDelayMs > 0) {
            group.initialRebalanceStartMs = nowMs;
            scheduleInitialDelay(group, config.groupInitialRebalanceDelayMs);
        } else {
            group.initialRebalanceStartMs = -1;
            int generation = group.generationId;
            group.rebalanceTimer = timer.schedule(() -> onJoinTimeout(group, generation),
                    Math.max(1, group.rebalanceTimeoutMs()), TimeUnit.MILLISECONDS);
            tryCompleteJoin(group);
        }
    }

    /**
     * The first rebalance of an empty group waits {@code group.initial.rebalance.delay.ms} for more members, and
     * again while more keep coming, up to the rebalance timeout: consumers starting together share one rebalance.
     */
    private void scheduleInitialDelay(ClassicGroup group, long delayMs) {
        int membersAtStart = group.members.size();
        group.rebalanceTimer = timer.schedule(() -> {
            synchronized (group) {
                if (!group.is(GroupState.PREPARING_REBALANCE) || group.initialRebalanceStartMs < 0) {
                    return;
                }
                long waited = clock.millis() - group.initialRebalanceStartMs;
                long remaining = group.rebalanceTimeoutMs() - waited;
                if (group.members.size() > membersAtStart && remaining > 0) {
                    scheduleInitialDelay(group, Math.min(config.groupInitialRebalanceDelayMs, remaining));
                } else {
                    group.initialRebalanceStartMs = -1;
                    completeJoin(group);
                }
            }
        }, delayMs, TimeUnit.MILLISECONDS);
    }

    private void onJoinTimeout(ClassicGroup group, int generation) {
        synchronized (group) {
            if (group.is(GroupState.PREPARING_REBALANCE) && group.generationId == generation) {
                completeJoin(group);
            }
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
        cancelTimer(group);
        long nowMs = clock.millis();
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
            persistGroup(group);
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
        group.rebalanceTimer = timer.schedule(() -> onSyncTimeout(group, generation),
                Math.max(1, group.rebalanceTimeoutMs()), TimeUnit.MILLISECONDS);
    }

    /** The leader never sent its assignment: start over. */
    private void onSyncTimeout(ClassicGroup group, int generation) {
        synchronized (group) {
            if (group.is(GroupState.COMPLETING_REBALANCE) && group.generationId == generation) {
                for (GroupMember member : List.copyOf(group.members.values())) {
                    if (member.awaitingSync == null) {
                        group.remove(member.memberId);
                    }
                }
                prepareRebalance(group, "members did not send SyncGroup within the rebalance timeout");
            }
        }
    }

    private JoinGroupResponseData joinResponse(ClassicGroup group, GroupMember member, boolean withMembers) {
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

    private static JoinGroupResponseData joinError(String memberId, Errors error) {
        return new JoinGroupResponseData().setErrorCode(error.code()).setGenerationId(-1)
                .setMemberId(memberId == null ? "" : memberId).setLeader("").setProtocolName(null);
    }

    // ---------------------------------------------------------------------------------------------------- sync

    /** SyncGroup; {@code respond} is called once, now or when the leader's assignment arrives. */
    public void syncGroup(SyncGroupRequestData request, Consumer<SyncResult> respond) {
        String groupId = request.groupId();
        Errors error = coordinatorError(groupId);
        ClassicGroup group = groups.get(groupId);
        if (error == Errors.NONE && group == null) {
            error = Errors.UNKNOWN_MEMBER_ID;
        }
        if (error != Errors.NONE) {
            respond.accept(new SyncResult(error.code(), new byte[0]));
            return;
        }
        synchronized (group) {
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
            member.lastHeartbeatMs = clock.millis();
            switch (group.state) {
                case PREPARING_REBALANCE ->
                        respond.accept(new SyncResult(Errors.REBALANCE_IN_PROGRESS.code(), new byte[0]));
                case COMPLETING_REBALANCE -> {
                    member.awaitingSync = respond;
                    if (member.memberId.equals(group.leaderId)) {
                        completeSync(group, request.assignments());
                    }
                }
                case STABLE -> respond.accept(new SyncResult(Errors.NONE.code(), member.assignment));
                default -> respond.accept(new SyncResult(Errors.UNKNOWN_MEMBER_ID.code(), new byte[0]));
            }
        }
    }

    private void completeSync(ClassicGroup group, List<SyncGroupRequestData.SyncGroupRequestAssignment> assignments) {
        Map<String, byte[]> byMember = new HashMap<>();
        for (SyncGroupRequestData.SyncGroupRequestAssignment assignment : assignments) {
            byMember.put(assignment.memberId(), assignment.assignment());
        }
        for (GroupMember member : group.members.values()) {
            byte[] assignment = byMember.get(member.memberId);
            member.assignment = assignment == null ? new byte[0] : assignment;
        }
        Errors error = persistGroup(group);
        if (error != Errors.NONE) {
            for (GroupMember member : group.members.values()) {
                if (member.awaitingSync != null) {
                    member.awaitingSync.accept(new SyncResult(error.code(), new byte[0]));
                    member.awaitingSync = null;
                }
            }
            prepareRebalance(group, "its assignment could not be stored: " + error);
            return;
        }
        cancelTimer(group);
        group.transitionTo(GroupState.STABLE, clock.millis());
        for (GroupMember member : group.members.values()) {
            if (member.awaitingSync != null) {
                member.awaitingSync.accept(new SyncResult(Errors.NONE.code(), member.assignment));
                member.awaitingSync = null;
            }
        }
        LOG.log(Level.INFO, "Group {0} is stable at generation {1}", group.groupId, group.generationId);
    }

    // ---------------------------------------------------------------------------------------------------- liveness

    public Errors heartbeat(String groupId, String memberId, String groupInstanceId, int generationId) {
        Errors error = coordinatorError(groupId);
        if (error != Errors.NONE) {
            return error;
        }
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        synchronized (group) {
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
            member.lastHeartbeatMs = clock.millis();
            return group.is(GroupState.PREPARING_REBALANCE) ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
        }
    }

    /** LeaveGroup: each departing member (by member id, or by instance id for static ones) and its error. */
    public LeaveGroupResponseData leaveGroup(String groupId, List<LeaveGroupRequestData.MemberIdentity> leaving) {
        LeaveGroupResponseData response = new LeaveGroupResponseData();
        Errors error = coordinatorError(groupId);
        ClassicGroup group = groups.get(groupId);
        if (error == Errors.NONE && group == null) {
            error = Errors.UNKNOWN_MEMBER_ID;
        }
        if (error != Errors.NONE) {
            return response.setErrorCode(error.code());
        }
        synchronized (group) {
            boolean removed = false;
            for (LeaveGroupRequestData.MemberIdentity identity : leaving) {
                LeaveGroupResponseData.MemberResponse result = new LeaveGroupResponseData.MemberResponse()
                        .setMemberId(identity.memberId()).setGroupInstanceId(identity.groupInstanceId());
                String memberId = identity.memberId();
                if (identity.groupInstanceId() != null) {
                    String current = group.staticMemberId(identity.groupInstanceId());
                    if (current == null) {
                        result.setErrorCode(Errors.UNKNOWN_MEMBER_ID.code());
                        response.members().add(result);
                        continue;
                    }
                    if (memberId != null && !memberId.isEmpty() && !memberId.equals(current)) {
                        result.setErrorCode(Errors.FENCED_INSTANCE_ID.code());
                        response.members().add(result);
                        continue;
                    }
                    memberId = current;
                }
                if (group.pendingMembers.remove(memberId) != null) {
                    response.members().add(result);
                    continue;
                }
                GroupMember member = group.member(memberId);
                if (member == null) {
                    result.setErrorCode(Errors.UNKNOWN_MEMBER_ID.code());
                    response.members().add(result);
                    continue;
                }
                group.remove(memberId);
                removed = true;
                LOG.log(Level.INFO, "Member {0} left group {1}{2}", memberId, groupId,
                        identity.reason() == null ? "" : " (" + identity.reason() + ")");
                response.members().add(result);
            }
            if (removed) {
                onMembershipShrunk(group, "members left");
            }
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
        long nowMs = clock.millis();
        for (ClassicGroup group : groups.values()) {
            try {
                synchronized (group) {
                    group.pendingMembers.values().removeIf(deadline -> deadline < nowMs);
                    boolean removed = false;
                    for (GroupMember member : List.copyOf(group.members.values())) {
                        if (!keepsAlive(member, nowMs)) {
                            if (member.awaitingJoin != null) {
                                member.awaitingJoin.accept(joinError(member.memberId, Errors.UNKNOWN_MEMBER_ID));
                            }
                            group.remove(member.memberId);
                            removed = true;
                            LOG.log(Level.INFO, "Member {0} in group {1} has failed: no heartbeat within its"
                                    + " session timeout of {2} ms", member.memberId, group.groupId,
                                    member.sessionTimeoutMs);
                        }
                    }
                    if (removed) {
                        onMembershipShrunk(group, "members' sessions expired");
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Expiring members of group " + group.groupId + " failed", e);
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

    // ---------------------------------------------------------------------------------------------------- offsets

    /** The outcome of a commit for one partition. */
    public record CommitResult(TopicPartition topicPartition, Errors error) {
    }

    /** A partition's offset to commit. */
    public record OffsetCommit(TopicPartition topicPartition, long offset, int leaderEpoch, String metadata) {
    }

    /**
     * OffsetCommit: writes the offsets to {@code __consumer_offsets} and remembers them. Members commit within their
     * generation; a client outside any group (generation -1, no member id) may commit for a group without members.
     */
    public List<CommitResult> commitOffsets(String groupId, String memberId, String groupInstanceId,
                                            int generationId, List<OffsetCommit> commits) {
        Errors error = groupId == null || groupId.isEmpty() ? Errors.INVALID_GROUP_ID : coordinatorError(groupId);
        if (error != Errors.NONE) {
            return failAll(commits, error);
        }
        boolean simple = generationId < 0 && (memberId == null || memberId.isEmpty());
        ClassicGroup group = simple ? groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, clock.millis()))
                : groups.get(groupId);
        if (group == null) {
            return failAll(commits, Errors.ILLEGAL_GENERATION);
        }
        synchronized (group) {
            Errors check = Errors.NONE;
            if (group.is(GroupState.DEAD)) {
                check = Errors.COORDINATOR_NOT_AVAILABLE;
            } else if (simple) {
                if (!group.members.isEmpty()) {
                    check = Errors.UNKNOWN_MEMBER_ID;
                }
            } else if (group.isStaticMemberFenced(groupInstanceId, memberId)) {
                check = Errors.FENCED_INSTANCE_ID;
            } else if (!group.hasMember(memberId)) {
                check = Errors.UNKNOWN_MEMBER_ID;
            } else if (generationId != group.generationId) {
                check = Errors.ILLEGAL_GENERATION;
            } else if (group.is(GroupState.COMPLETING_REBALANCE)) {
                check = Errors.REBALANCE_IN_PROGRESS; // the member must sync first; Kafka checks in this order
            }
            if (check != Errors.NONE) {
                return failAll(commits, check);
            }
            if (!simple) {
                group.member(memberId).lastHeartbeatMs = clock.millis();
            }
            long nowMs = clock.millis();
            List<CommitResult> results = new ArrayList<>();
            List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
            Map<TopicPartition, OffsetAndMetadata> accepted = new LinkedHashMap<>();
            for (OffsetCommit commit : commits) {
                String metadata = commit.metadata() == null ? "" : commit.metadata();
                TopicImage topic = controller.image().topic(commit.topicPartition().topic());
                if (metadata.length() > config.offsetMetadataMaxBytes) {
                    results.add(new CommitResult(commit.topicPartition(), Errors.OFFSET_METADATA_TOO_LARGE));
                } else if (topic == null || topic.partition(commit.topicPartition().partition()) == null) {
                    results.add(new CommitResult(commit.topicPartition(), Errors.UNKNOWN_TOPIC_OR_PARTITION));
                } else {
                    OffsetAndMetadata offset = new OffsetAndMetadata(commit.offset(), commit.leaderEpoch(), metadata,
                            nowMs);
                    accepted.put(commit.topicPartition(), offset);
                    records.add(Map.entry(GroupRecords.offsetKey(groupId, commit.topicPartition()),
                            GroupRecords.offsetValue(offset)));
                }
            }
            Errors written = records.isEmpty() ? Errors.NONE : write(groupId, records);
            for (TopicPartition tp : accepted.keySet()) {
                results.add(new CommitResult(tp, written));
            }
            if (written == Errors.NONE) {
                group.offsets.putAll(accepted);
            }
            return results;
        }
    }

    private static List<CommitResult> failAll(List<OffsetCommit> commits, Errors error) {
        List<CommitResult> results = new ArrayList<>(commits.size());
        for (OffsetCommit commit : commits) {
            results.add(new CommitResult(commit.topicPartition(), error));
        }
        return results;
    }

    /** The group's committed offsets for {@code partitions}, or for every partition if {@code null}. */
    public Map<TopicPartition, OffsetAndMetadata> fetchOffsets(String groupId, Collection<TopicPartition> partitions) {
        ClassicGroup group = groups.get(groupId);
        Map<TopicPartition, OffsetAndMetadata> result = new LinkedHashMap<>();
        if (group == null) {
            return result;
        }
        synchronized (group) {
            if (partitions == null) {
                result.putAll(group.offsets);
            } else {
                for (TopicPartition tp : partitions) {
                    OffsetAndMetadata offset = group.offsets.get(tp);
                    if (offset != null) {
                        result.put(tp, offset);
                    }
                }
            }
        }
        return result;
    }

    /**
     * OffsetDelete: removes a group's offsets for partitions of topics its members do not subscribe to. Returns the
     * group-level error and each partition's.
     */
    public Map.Entry<Errors, Map<TopicPartition, Errors>> deleteOffsets(String groupId,
                                                                       List<TopicPartition> partitions) {
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Errors error = coordinatorError(groupId);
        ClassicGroup group = groups.get(groupId);
        if (error == Errors.NONE && (group == null || group.is(GroupState.DEAD))) {
            error = Errors.GROUP_ID_NOT_FOUND;
        }
        if (error != Errors.NONE) {
            return Map.entry(error, results);
        }
        synchronized (group) {
            java.util.Set<String> subscribed = group.is(GroupState.EMPTY) ? java.util.Set.of()
                    : group.subscribedTopics();
            List<Map.Entry<byte[], byte[]>> tombstones = new ArrayList<>();
            List<TopicPartition> removed = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                if (subscribed.contains(tp.topic())) {
                    results.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
                } else {
                    results.put(tp, Errors.NONE);
                    if (group.offsets.containsKey(tp)) {
                        tombstones.add(new java.util.AbstractMap.SimpleEntry<>(GroupRecords.offsetKey(groupId, tp),
                                null));
                        removed.add(tp);
                    }
                }
            }
            Errors written = tombstones.isEmpty() ? Errors.NONE : write(groupId, tombstones);
            if (written != Errors.NONE) {
                return Map.entry(written, Map.of());
            }
            removed.forEach(group.offsets::remove);
        }
        return Map.entry(Errors.NONE, results);
    }

    // ---------------------------------------------------------------------------------------------------- admin

    /** A group as DescribeGroups and ListGroups show it. */
    public record GroupSummary(String groupId, Errors error, GroupState state, String protocolType,
                               String protocolName, List<MemberSummary> members) {
    }

    /** A member as DescribeGroups shows it. */
    public record MemberSummary(String memberId, String groupInstanceId, String clientId, String clientHost,
                                byte[] metadata, byte[] assignment) {
    }

    public GroupSummary describeGroup(String groupId) {
        Errors error = coordinatorError(groupId);
        if (error != Errors.NONE) {
            return new GroupSummary(groupId, error, GroupState.DEAD, "", "", List.of());
        }
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return new GroupSummary(groupId, Errors.GROUP_ID_NOT_FOUND, GroupState.DEAD, "", "", List.of());
        }
        synchronized (group) {
            List<MemberSummary> members = new ArrayList<>();
            for (GroupMember member : group.members.values()) {
                boolean stable = group.is(GroupState.STABLE);
                members.add(new MemberSummary(member.memberId, member.groupInstanceId, member.clientId,
                        member.clientHost, stable ? member.metadata(group.protocolName) : new byte[0],
                        stable ? member.assignment : new byte[0]));
            }
            return new GroupSummary(groupId, Errors.NONE, group.state,
                    group.protocolType == null ? "" : group.protocolType,
                    group.is(GroupState.STABLE) && group.protocolName != null ? group.protocolName : "", members);
        }
    }

    /** Every group this broker coordinates. */
    public List<GroupSummary> listGroups() {
        List<GroupSummary> listed = new ArrayList<>();
        for (ClassicGroup group : groups.values()) {
            synchronized (group) {
                if (!group.is(GroupState.DEAD) && coordinatorError(group.groupId) == Errors.NONE) {
                    listed.add(new GroupSummary(group.groupId, Errors.NONE, group.state,
                            group.protocolType == null ? "" : group.protocolType, group.protocolName, List.of()));
                }
            }
        }
        return listed;
    }

    /** DeleteGroups: deletes groups without members, with their offsets. */
    public Errors deleteGroup(String groupId) {
        Errors error = coordinatorError(groupId);
        if (error != Errors.NONE) {
            return error;
        }
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return Errors.GROUP_ID_NOT_FOUND;
        }
        synchronized (group) {
            if (group.is(GroupState.DEAD)) {
                return Errors.GROUP_ID_NOT_FOUND;
            }
            if (!group.is(GroupState.EMPTY)) {
                return Errors.NON_EMPTY_GROUP;
            }
            List<Map.Entry<byte[], byte[]>> tombstones = new ArrayList<>();
            for (TopicPartition tp : group.offsets.keySet()) {
                tombstones.add(new java.util.AbstractMap.SimpleEntry<>(GroupRecords.offsetKey(groupId, tp), null));
            }
            tombstones.add(new java.util.AbstractMap.SimpleEntry<>(GroupRecords.groupKey(groupId), null));
            Errors written = write(groupId, tombstones);
            if (written != Errors.NONE) {
                return written;
            }
            group.offsets.clear();
            group.transitionTo(GroupState.DEAD, clock.millis());
            groups.remove(groupId, group);
            LOG.log(Level.INFO, "Deleted group {0}", groupId);
            return Errors.NONE;
        }
    }

    /** Removes offsets of groups without members once {@code offsets.retention.minutes} have passed. */
    private void expireOffsets() {
        long nowMs = clock.millis();
        for (ClassicGroup group : groups.values()) {
            try {
                synchronized (group) {
                    if (!group.members.isEmpty() || group.is(GroupState.DEAD)
                            || coordinatorError(group.groupId) != Errors.NONE) {
                        continue;
                    }
                    List<Map.Entry<byte[], byte[]>> tombstones = new ArrayList<>();
                    List<TopicPartition> expired = new ArrayList<>();
                    for (Map.Entry<TopicPartition, OffsetAndMetadata> offset : group.offsets.entrySet()) {
                        long since = Math.max(offset.getValue().commitTimestampMs(), group.stateChangedMs);
                        if (nowMs - since > config.offsetsRetentionMs) {
                            expired.add(offset.getKey());
                            tombstones.add(new java.util.AbstractMap.SimpleEntry<>(
                                    GroupRecords.offsetKey(group.groupId, offset.getKey()), null));
                        }
                    }
                    boolean emptied = expired.size() == group.offsets.size();
                    if (emptied) {
                        tombstones.add(new java.util.AbstractMap.SimpleEntry<>(GroupRecords.groupKey(group.groupId),
                                null));
                    }
                    if (tombstones.isEmpty() || write(group.groupId, tombstones) != Errors.NONE) {
                        continue;
                    }
                    expired.forEach(group.offsets::remove);
                    if (!expired.isEmpty()) {
                        LOG.log(Level.INFO, "Expired {0} offset(s) of group {1}", expired.size(), group.groupId);
                    }
                    if (emptied) {
                        group.transitionTo(GroupState.DEAD, nowMs);
                        groups.remove(group.groupId, group);
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Expiring offsets of group " + group.groupId + " failed", e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- storage

    /** Writes the group's membership, so that a restart keeps generations and static members. */
    private Errors persistGroup(ClassicGroup group) {
        List<StoredMember> members = new ArrayList<>();
        for (GroupMember member : group.members.values()) {
            members.add(new StoredMember(member.memberId, member.groupInstanceId, member.clientId, member.clientHost,
                    member.rebalanceTimeoutMs, member.sessionTimeoutMs,
                    group.protocolName == null ? new byte[0] : member.metadata(group.protocolName),
                    member.assignment));
        }
        StoredGroup stored = new StoredGroup(group.protocolType, group.generationId, group.protocolName,
                group.leaderId, group.stateChangedMs, members);
        return write(group.groupId, List.of(Map.entry(GroupRecords.groupKey(group.groupId),
                GroupRecords.groupValue(stored))));
    }

    /** Appends records to the group's offsets partition; a {@code null} value is a tombstone. */
    private Errors write(String groupId, List<Map.Entry<byte[], byte[]>> records) {
        TopicPartition tp = new TopicPartition(OFFSETS_TOPIC, partitionFor(groupId));
        Partition partition = replicas.partition(tp);
        if (partition == null || !partition.isLeader()) {
            return Errors.NOT_COORDINATOR;
        }
        int size = 64;
        for (Map.Entry<byte[], byte[]> record : records) {
            size += record.getKey().length + (record.getValue() == null ? 0 : record.getValue().length) + 32;
        }
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(size), Compression.NONE,
                TimestampType.CREATE_TIME, 0L);
        long nowMs = clock.millis();
        for (Map.Entry<byte[], byte[]> record : records) {
            builder.append(nowMs, record.getKey(), record.getValue());
        }
        try {
            MemoryRecords built = builder.build();
            AppendResult appended = partition.appendAsLeader(built, (short) -1, AppendOrigin.COORDINATOR);
            replicas.notifyAppended(tp, built.sizeInBytes());
            // As Kafka's coordinator, a write counts once every in-sync replica has it: it survives a failover.
            partition.awaitReplication(appended.lastOffset()).get(config.offsetCommitTimeoutMs, TimeUnit.MILLISECONDS);
            return Errors.NONE;
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.log(Level.WARNING, "Writing to {0} for group {1} timed out waiting for the replicas", tp, groupId);
            return Errors.COORDINATOR_NOT_AVAILABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Errors.COORDINATOR_NOT_AVAILABLE;
        } catch (java.util.concurrent.ExecutionException | ApiException e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            Errors error = Errors.forException(cause);
            LOG.log(Level.WARNING, "Writing to {0} for group {1} failed: {2}", tp, groupId, cause.getMessage());
            return switch (error) {
                case NOT_LEADER_OR_FOLLOWER -> Errors.NOT_COORDINATOR;
                case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                     REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR -> Errors.COORDINATOR_NOT_AVAILABLE;
                case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE -> Errors.INVALID_COMMIT_OFFSET_SIZE;
                default -> Errors.UNKNOWN_SERVER_ERROR;
            };
        }
    }

    /** Replays one offsets partition into the groups map; returns the offsets loaded. */
    private int load(Partition partition) {
        long next = partition.log().logStartOffset();
        long end = partition.log().logEndOffset();
        while (next < end) {
            try (LogReadResult read = partition.log().read(next, 1 << 20, end, true)) {
                ByteBuffer bytes = read.records().readAll();
                if (bytes.limit() == 0) {
                    break;
                }
                for (MutableRecordBatch batch : MemoryRecords.readableRecords(bytes).batches()) {
                    for (Record record : batch) {
                        replay(record);
                    }
                    next = batch.lastOffset() + 1;
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.ERROR, "Loading " + partition.topicPartition() + " stopped at offset " + next, e);
                break;
            }
        }
        int offsets = 0;
        for (ClassicGroup group : groups.values()) {
            if (partitionFor(group.groupId) == partition.topicPartition().partition()) {
                offsets += group.offsets.size();
            }
        }
        return offsets;
    }

    private void replay(Record record) {
        if (!record.hasKey()) {
            return;
        }
        GroupRecords.Key key;
        try {
            key = GroupRecords.decodeKey(record.key());
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "Skipping an unreadable record at offset {0} of {1}", record.offset(),
                    OFFSETS_TOPIC);
            return;
        }
        long nowMs = clock.millis();
        ClassicGroup group = groups.computeIfAbsent(key.group(), id -> new ClassicGroup(id, nowMs));
        if (key instanceof OffsetKey offsetKey) {
            if (record.hasValue()) {
                group.offsets.put(offsetKey.topicPartition(), GroupRecords.decodeOffsetValue(record.value()));
            } else {
                group.offsets.remove(offsetKey.topicPartition());
            }
        } else if (key instanceof GroupKey) {
            group.members.clear();
            group.staticMembers.clear();
            if (!record.hasValue()) {
                group.transitionTo(GroupState.EMPTY, nowMs);
                group.protocolName = null;
                group.leaderId = null;
                if (group.offsets.isEmpty()) {
                    groups.remove(key.group(), group);
                }
                return;
            }
            StoredGroup stored = GroupRecords.decodeGroupValue(record.value());
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
    }

    private static void cancelTimer(ClassicGroup group) {
        if (group.rebalanceTimer != null) {
            group.rebalanceTimer.cancel(false);
            group.rebalanceTimer = null;
        }
    }

    /** Groups known to this coordinator, for metrics. */
    public Collection<String> groupIds() {
        return List.copyOf(groups.keySet());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        for (ClassicGroup group : groups.values()) {
            synchronized (group) {
                for (GroupMember member : group.members.values()) {
                    if (member.awaitingJoin != null) {
                        member.awaitingJoin.accept(joinError(member.memberId, Errors.NOT_COORDINATOR));
                        member.awaitingJoin = null;
                    }
                    if (member.awaitingSync != null) {
                        member.awaitingSync.accept(new SyncResult(Errors.NOT_COORDINATOR.code(), new byte[0]));
                        member.awaitingSync = null;
                    }
                }
            }
        }
        Iterator<ClassicGroup> it = groups.values().iterator();
        while (it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}

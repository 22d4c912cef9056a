package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorRuntime;
import io.strata.broker.coordinator.InternalTopic;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.config.LogConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.internals.Topic;
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
import org.apache.kafka.common.utils.Utils;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * The group coordinator: the entry point of every group and offset request, which it hands to the shard of the
 * group's {@code __consumer_offsets} partition (chosen by the hash of the group id) on the coordinator runtime. A
 * group's membership and committed offsets are written to that partition, replayed when this broker becomes its
 * leader, and expire after {@code offsets.retention.minutes} once the group is empty.
 *
 * <p>Every operation returns at once: its answer is a future, or a callback for requests that wait for a rebalance
 * (JoinGroup, SyncGroup), completed on the runtime's thread once the records it wrote are committed. No caller
 * thread waits for replication.
 *
 * <p>Thread-safe.
 */
public final class GroupCoordinator implements AutoCloseable {

    public static final String OFFSETS_TOPIC = Topic.GROUP_METADATA_TOPIC_NAME;
    /** How many group operations may wait for the coordinator's thread before new ones are refused. */
    private static final int OPERATIONS_WAITING_MAX = 65_536;

    private static final System.Logger LOG = System.getLogger(GroupCoordinator.class.getName());

    private final BrokerConfig config;
    private final Controller controller;
    /** Where this coordinator keeps its state, created when first needed. */
    private final InternalTopic stateTopic;
    private final CoordinatorRuntime<GroupCoordinatorShard> runtime;
    private volatile int offsetsPartitions;
    private volatile boolean loaded;
    /** Every group's group configs, read from the cluster metadata. */
    private final GroupConfigs groupConfigs;
    /** Told of each deleted share group; nobody until wired. */
    private volatile ShareGroupDeletionListener shareGroupDeleted = (groupId, partitions) -> { };

    public GroupCoordinator(BrokerConfig config, Controller controller, ReplicaManager replicas,
                            ThreadFactory threads, Clock clock) {
        this.config = config;
        this.controller = controller;
        this.stateTopic = new InternalTopic(OFFSETS_TOPIC, config, controller,
                BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, () -> config.offsetsTopicReplicationFactor, "groups");
        this.offsetsPartitions = config.offsetsTopicNumPartitions;
        this.groupConfigs = new GroupConfigs(config, groupId -> controller.image().groupConfigs(groupId));
        this.runtime = new CoordinatorRuntime<>(OFFSETS_TOPIC, replicas,
                context -> new GroupCoordinatorShard(context, config, name -> controller.image().topic(name),
                        () -> controller.image().topics(), groupConfigs,
                        (groupId, partitions) -> shareGroupDeleted.onDeleted(groupId, partitions)),
                threads, clock, config.offsetCommitTimeoutMs, OPERATIONS_WAITING_MAX);
        // A partition whose log directory failed is not served: its groups find their coordinator again.
        replicas.addLogDirectoryFailureListener((directory, allOffline) -> runtime.onLeadershipChanged());
    }

    /** Creates {@code __consumer_offsets} if needed, and loads the groups of the partitions this broker leads. */
    public void startup() {
        startup(true);
    }

    /**
     * Loads the groups this broker coordinates, and follows leadership from then on. With {@code createOffsetsTopic}
     * true (a standalone broker, a cluster of one) {@code __consumer_offsets} is created now, with one replica unless
     * {@code offsets.topic.replication.factor} is set. With it false (a broker of a cluster, which may be starting
     * before the others have joined) it is created when a group first looks for its coordinator and
     * {@code offsets.topic.replication.factor} brokers are alive; until then FindCoordinator is answered
     * COORDINATOR_NOT_AVAILABLE, as Kafka answers it, rather than creating it under-replicated for good.
     */
    public void startup(boolean createOffsetsTopic) {
        stateTopic.standalone(createOffsetsTopic);
        TopicImage topic = createOffsetsTopic ? ensureOffsetsTopic() : controller.image().topic(OFFSETS_TOPIC);
        offsetsPartitions = topic == null ? config.offsetsTopicNumPartitions : topic.partitionCount();
        controller.addListener((previous, current) -> {
            TopicImage offsets = current.topic(OFFSETS_TOPIC);
            if (offsets != null) {
                offsetsPartitions = offsets.partitionCount();
            }
            runtime.onLeadershipChanged();
        });
        runtime.onLeadershipChanged();
        loaded = true;
    }

    /**
     * Creates {@code __consumer_offsets} if it does not exist and enough brokers are alive to hold every replica;
     * returns it, or {@code null} while too few brokers are alive.
     */
    private TopicImage ensureOffsetsTopic() {
        return stateTopic.ensure(config.offsetsTopicNumPartitions,
                Map.of(LogConfig.CLEANUP_POLICY, LogConfig.CLEANUP_POLICY_COMPACT,
                        LogConfig.SEGMENT_BYTES, String.valueOf(config.offsetsTopicSegmentBytes),
                        LogConfig.COMPRESSION_TYPE, LogConfig.COMPRESSION_PRODUCER));
    }

    /** Whether the coordinator has started: until then it answers COORDINATOR_LOAD_IN_PROGRESS. */
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
        return loaded ? runtime.status(partitionFor(groupId)) : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /** The error to answer for a failed operation. */
    public static Errors errorOf(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof ApiException ? Errors.forException(cause) : Errors.UNKNOWN_SERVER_ERROR;
    }

    private Errors precheck(String groupId) {
        return groupId == null || groupId.isEmpty() ? Errors.INVALID_GROUP_ID : coordinatorError(groupId);
    }

    // ---------------------------------------------------------------------------------------------------- membership

    /** JoinGroup; {@code respond} is called once, now or when the rebalance completes, on any thread. */
    public void joinGroup(JoinGroupRequestData request, short version, String clientId, String clientHost,
                          Consumer<JoinGroupResponseData> respond) {
        Errors error = precheck(request.groupId());
        if (error == Errors.NONE && (request.sessionTimeoutMs() < config.groupMinSessionTimeoutMs
                || request.sessionTimeoutMs() > config.groupMaxSessionTimeoutMs)) {
            error = Errors.INVALID_SESSION_TIMEOUT;
        }
        if (error != Errors.NONE) {
            respond.accept(joinError(request.memberId(), error));
            return;
        }
        runtime.call("join-group", partitionFor(request.groupId()), shard -> {
            shard.joinGroup(request, version, clientId, clientHost, respond);
            return null;
        }).exceptionally(failure -> {
            respond.accept(joinError(request.memberId(), errorOf(failure)));
            return null;
        });
    }

    /** SyncGroup; {@code respond} is called once, now or when the leader's assignment is durable, on any thread. */
    public void syncGroup(SyncGroupRequestData request, Consumer<SyncResult> respond) {
        Errors error = precheck(request.groupId());
        if (error != Errors.NONE) {
            respond.accept(new SyncResult(error.code(), new byte[0]));
            return;
        }
        runtime.call("sync-group", partitionFor(request.groupId()), shard -> {
            shard.syncGroup(request, respond);
            return null;
        }).exceptionally(failure -> {
            respond.accept(new SyncResult(errorOf(failure).code(), new byte[0]));
            return null;
        });
    }

    public CompletableFuture<Errors> heartbeat(String groupId, String memberId, String groupInstanceId,
                                               int generationId) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(error);
        }
        return runtime.call("heartbeat", partitionFor(groupId),
                        shard -> shard.heartbeat(groupId, memberId, groupInstanceId, generationId))
                .exceptionally(GroupCoordinator::errorOf);
    }

    /** LeaveGroup: each departing member (by member id, or by instance id for static ones) and its error. */
    public CompletableFuture<LeaveGroupResponseData> leaveGroup(String groupId,
                                                                List<LeaveGroupRequestData.MemberIdentity> leaving) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new LeaveGroupResponseData().setErrorCode(error.code()));
        }
        return runtime.submit("leave-group", partitionFor(groupId), shard -> shard.leaveGroup(groupId, leaving))
                .exceptionally(failure -> new LeaveGroupResponseData().setErrorCode(errorOf(failure).code()));
    }

    /**
     * ConsumerGroupHeartbeat (KIP-848): joins, heartbeats or leaves a consumer-protocol group; completes, on any
     * thread, once what it changed is committed.
     */
    public CompletableFuture<ConsumerGroupHeartbeatResponseData> consumerGroupHeartbeat(
            ConsumerGroupHeartbeatRequestData request, String clientId, String clientHost) {
        Errors error = precheck(request.groupId());
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new ConsumerGroupHeartbeatResponseData()
                    .setErrorCode(error.code()));
        }
        return runtime.submit("consumer-group-heartbeat", partitionFor(request.groupId()),
                        shard -> shard.consumerGroupHeartbeat(request, clientId, clientHost))
                .exceptionally(failure -> new ConsumerGroupHeartbeatResponseData()
                        .setErrorCode(errorOf(failure).code()));
    }

    /** ConsumerGroupDescribe of one group: GROUP_ID_NOT_FOUND for a group of another kind or none. */
    public CompletableFuture<ConsumerGroupDescribeResponseData.DescribedGroup> describeConsumerGroup(String groupId) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new ConsumerGroupDescribeResponseData.DescribedGroup()
                    .setGroupId(groupId).setErrorCode(error.code()));
        }
        return runtime.call("consumer-group-describe", partitionFor(groupId),
                        shard -> shard.describeConsumerGroup(groupId))
                .exceptionally(failure -> new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId)
                        .setErrorCode(errorOf(failure).code()));
    }

    /**
     * ShareGroupHeartbeat (KIP-932): joins, heartbeats or leaves a share group; completes, on any thread, once what it
     * changed is committed.
     */
    public CompletableFuture<ShareGroupHeartbeatResponseData> shareGroupHeartbeat(
            ShareGroupHeartbeatRequestData request, String clientId, String clientHost) {
        Errors error = precheck(request.groupId());
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new ShareGroupHeartbeatResponseData()
                    .setErrorCode(error.code()));
        }
        return runtime.submit("share-group-heartbeat", partitionFor(request.groupId()),
                        shard -> shard.shareGroupHeartbeat(request, clientId, clientHost))
                .exceptionally(failure -> new ShareGroupHeartbeatResponseData()
                        .setErrorCode(errorOf(failure).code()));
    }

    /** ShareGroupDescribe of one group: GROUP_ID_NOT_FOUND for a group of another kind or none. */
    public CompletableFuture<ShareGroupDescribeResponseData.DescribedGroup> describeShareGroup(String groupId) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new ShareGroupDescribeResponseData.DescribedGroup()
                    .setGroupId(groupId).setErrorCode(error.code()));
        }
        return runtime.call("share-group-describe", partitionFor(groupId), shard -> shard.describeShareGroup(groupId))
                .exceptionally(failure -> new ShareGroupDescribeResponseData.DescribedGroup().setGroupId(groupId)
                        .setErrorCode(errorOf(failure).code()));
    }

    /**
     * A share group as the share-group offsets APIs need it: what it subscribes to, whether it has members (its
     * offsets may then not change), and every topic partition it was ever assigned, by topic id, which are those it
     * may have share state for (what DescribeShareGroupOffsets without topics describes, as Kafka's initialized
     * partitions).
     */
    public record ShareGroupListing(String groupId, Set<String> subscribedTopics, boolean hasMembers,
                                    Map<Uuid, Set<Integer>> statePartitions) {

        public ShareGroupListing {
            subscribedTopics = Set.copyOf(subscribedTopics);
            Map<Uuid, Set<Integer>> copy = new HashMap<>();
            statePartitions.forEach((topicId, partitions) -> copy.put(topicId, Set.copyOf(partitions)));
            statePartitions = Map.copyOf(copy);
        }
    }

    /**
     * The share group of that id if this broker coordinates it: its subscribed topics and whether it has members;
     * empty if there is no share group of that id. Fails with the coordinator's error (NOT_COORDINATOR, ...) when
     * this broker does not coordinate the group.
     */
    public CompletableFuture<java.util.Optional<ShareGroupListing>> shareGroup(String groupId) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.failedFuture(error.exception());
        }
        return runtime.call("share-group", partitionFor(groupId), shard -> shard.shareGroupListings().stream()
                .filter(listing -> listing.groupId().equals(groupId)).findFirst());
    }

    /** Every share group this broker coordinates. */
    public CompletableFuture<List<ShareGroupListing>> shareGroups() {
        return runtime.callAll("share-groups", GroupCoordinatorShard::shareGroupListings).thenApply(perPartition -> {
            List<ShareGroupListing> all = new ArrayList<>();
            perPartition.forEach(all::addAll);
            return all;
        });
    }

    /**
     * The settings of a share group: its group configs over the broker's defaults. Answers on any broker, from the
     * cluster metadata (no coordinator involved), so the leader of a topic partition serving ShareFetch can call it
     * per request; a group whose stored configs no longer fit this broker's bounds gets the defaults (and a
     * warning), rather than failing its fetches.
     */
    public ShareGroupConfig shareGroupConfig(String groupId) {
        return groupConfigs.share(groupId);
    }

    /**
     * Who is told of each deleted share group, with the partitions it may have share state on: wire it to the
     * share persister's delete. Replaces any earlier listener.
     */
    public void onShareGroupDeleted(ShareGroupDeletionListener listener) {
        this.shareGroupDeleted = java.util.Objects.requireNonNull(listener, "listener");
    }

    static JoinGroupResponseData joinError(String memberId, Errors error) {
        return new JoinGroupResponseData().setErrorCode(error.code()).setGenerationId(-1)
                .setMemberId(memberId == null ? "" : memberId).setLeader("").setProtocolName(null);
    }

    // ---------------------------------------------------------------------------------------------------- offsets

    /** The outcome of a commit for one partition. */
    public record CommitResult(TopicPartition topicPartition, Errors error) {
    }

    /** A partition's offset to commit. */
    public record OffsetCommit(TopicPartition topicPartition, long offset, int leaderEpoch, String metadata) {
    }

    /**
     * OffsetCommit: writes the offsets to {@code __consumer_offsets}; the future completes once the in-sync replicas
     * have them (or with the error for each partition). Members commit within their generation; a client outside any
     * group (generation -1, no member id) may commit for a group without members.
     */
    public CompletableFuture<List<CommitResult>> commitOffsets(String groupId, String memberId,
                                                               String groupInstanceId, int generationId,
                                                               List<OffsetCommit> commits) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(failAll(commits, error));
        }
        return runtime.submit("commit-offsets", partitionFor(groupId),
                        shard -> shard.commitOffsets(groupId, memberId, groupInstanceId, generationId, commits))
                .exceptionally(failure -> failAll(commits, errorOf(failure)));
    }

    /**
     * TxnOffsetCommit: writes the offsets as pending offsets of the producer's open transaction; they become committed
     * offsets when the transaction's commit marker reaches the group's offsets partition
     * ({@link #completeTransaction}), and are dropped by an abort marker.
     */
    public CompletableFuture<List<CommitResult>> commitTransactionalOffsets(String groupId, long producerId,
                                                                            String memberId, String groupInstanceId,
                                                                            int generationId,
                                                                            List<OffsetCommit> commits) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(failAll(commits, error));
        }
        return runtime.submit("txn-offset-commit", partitionFor(groupId),
                        shard -> shard.commitTransactionalOffsets(groupId, producerId, memberId, groupInstanceId,
                                generationId, commits))
                .exceptionally(failure -> failAll(commits, errorOf(failure)));
    }

    /**
     * A transaction's marker was written to {@code __consumer_offsets} partition {@code offsetsPartition} (which this
     * broker leads): the producer's pending offsets there are made committed offsets ({@code committed}) or dropped.
     * For the WriteTxnMarkers handler, which calls it after appending the marker, as Kafka's calls
     * {@code onTransactionCompleted}. Completes with NONE once the change is durable, or with the error to answer for
     * that partition's marker: NOT_LEADER_OR_FOLLOWER while this broker does not (yet) coordinate the partition, as
     * Kafka translates the coordinator's errors, so that the transaction coordinator sends the marker again.
     */
    public CompletableFuture<Errors> completeTransaction(int offsetsPartition, long producerId, boolean committed) {
        if (!loaded) {
            return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        return runtime.submit("complete-transaction", offsetsPartition,
                        shard -> shard.completeTransaction(producerId, committed))
                .exceptionally(GroupCoordinator::errorOf)
                .thenApply(error -> switch (error) {
                    case COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR ->
                            Errors.NOT_LEADER_OR_FOLLOWER;
                    default -> error;
                });
    }

    /** Committed offsets, and the partitions among them whose offsets an open transaction holds. */
    public record FetchedOffsets(Map<TopicPartition, OffsetAndMetadata> offsets, java.util.Set<TopicPartition> unstable) {
    }

    /**
     * OffsetFetch with RequireStable: the group's committed offsets for {@code partitions} (all if null) and which of
     * them an open transaction holds (answered UNSTABLE_OFFSET_COMMIT, for the consumer to retry).
     */
    public CompletableFuture<FetchedOffsets> fetchStableOffsets(String groupId, Collection<TopicPartition> partitions) {
        return fetchStableOffsets(groupId, partitions, null, -1);
    }

    /**
     * As {@link #fetchStableOffsets(String, Collection)}, for a member of the group (OffsetFetch v9+): in a
     * consumer-protocol group it must be known (else UNKNOWN_MEMBER_ID) and at its epoch (else STALE_MEMBER_EPOCH).
     */
    public CompletableFuture<FetchedOffsets> fetchStableOffsets(String groupId, Collection<TopicPartition> partitions,
                                                               String memberId, int memberEpoch) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.failedFuture(error.exception());
        }
        List<TopicPartition> wanted = partitions == null ? null : List.copyOf(partitions);
        return runtime.submit("fetch-stable-offsets", partitionFor(groupId), shard -> {
            Errors refused = shard.checkOffsetFetch(groupId, memberId, memberEpoch);
            return refused != Errors.NONE ? CompletableFuture.failedFuture(fetchRefused(refused, groupId, memberId,
                    memberEpoch)) : CompletableFuture.completedFuture(new FetchedOffsets(
                    shard.fetchOffsets(groupId, wanted), shard.unstableOffsets(groupId, wanted)));
        });
    }

    private static List<CommitResult> failAll(List<OffsetCommit> commits, Errors error) {
        List<CommitResult> results = new ArrayList<>(commits.size());
        for (OffsetCommit commit : commits) {
            results.add(new CommitResult(commit.topicPartition(), error));
        }
        return results;
    }

    /**
     * The group's committed offsets for {@code partitions}, or for every partition if {@code null}; fails with the
     * coordinator's error when this broker does not coordinate the group.
     */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> fetchOffsets(String groupId,
                                                                                Collection<TopicPartition> partitions) {
        return fetchOffsets(groupId, partitions, null, -1);
    }

    /** As {@link #fetchOffsets(String, Collection)}, for a member of the group, checked as a stable fetch's. */
    public CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> fetchOffsets(
            String groupId, Collection<TopicPartition> partitions, String memberId, int memberEpoch) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.failedFuture(error.exception());
        }
        List<TopicPartition> wanted = partitions == null ? null : List.copyOf(partitions);
        return runtime.submit("fetch-offsets", partitionFor(groupId), shard -> {
            Errors refused = shard.checkOffsetFetch(groupId, memberId, memberEpoch);
            return refused != Errors.NONE ? CompletableFuture.failedFuture(fetchRefused(refused, groupId, memberId,
                    memberEpoch)) : CompletableFuture.completedFuture(shard.fetchOffsets(groupId, wanted));
        });
    }

    private static ApiException fetchRefused(Errors error, String groupId, String memberId, int memberEpoch) {
        return error.exception("Member " + memberId + " of group " + groupId + " may not fetch offsets at epoch "
                + memberEpoch);
    }

    /**
     * OffsetDelete: removes a group's offsets for partitions of topics its members do not subscribe to. Completes with
     * the group-level error and each partition's.
     */
    public CompletableFuture<Map.Entry<Errors, Map<TopicPartition, Errors>>> deleteOffsets(
            String groupId, List<TopicPartition> partitions) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(Map.entry(error, Map.of()));
        }
        return runtime.submit("delete-offsets", partitionFor(groupId), shard -> shard.deleteOffsets(groupId, partitions))
                .exceptionally(failure -> Map.entry(errorOf(failure), Map.of()));
    }

    // ---------------------------------------------------------------------------------------------------- admin

    /** A group as DescribeGroups and ListGroups show it. */
    public record GroupSummary(String groupId, Errors error, GroupState state, String protocolType,
                               String protocolName, List<MemberSummary> members, String errorMessage) {

        public GroupSummary(String groupId, Errors error, GroupState state, String protocolType, String protocolName,
                            List<MemberSummary> members) {
            this(groupId, error, state, protocolType, protocolName, members, null);
        }
    }

    /** A group as ListGroups shows it: its kind ({@code classic}, {@code consumer}) and state by name. */
    public record GroupListing(String groupId, String protocolType, String state, String type) {
    }

    /** A member as DescribeGroups shows it. */
    public record MemberSummary(String memberId, String groupInstanceId, String clientId, String clientHost,
                                byte[] metadata, byte[] assignment) {
    }

    public CompletableFuture<GroupSummary> describeGroup(String groupId) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(dead(groupId, error));
        }
        return runtime.call("describe-group", partitionFor(groupId), shard -> shard.describeGroup(groupId))
                .exceptionally(failure -> dead(groupId, errorOf(failure)));
    }

    private static GroupSummary dead(String groupId, Errors error) {
        return new GroupSummary(groupId, error, GroupState.DEAD, "", "", List.of());
    }

    /** Every group this broker coordinates. */
    public CompletableFuture<List<GroupListing>> listGroups() {
        return runtime.callAll("list-groups", GroupCoordinatorShard::listGroups).thenApply(perPartition -> {
            List<GroupListing> all = new ArrayList<>();
            perPartition.forEach(all::addAll);
            return all;
        });
    }

    /** DeleteGroups: deletes a group without members, with its offsets. */
    public CompletableFuture<Errors> deleteGroup(String groupId) {
        Errors error = precheck(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(error);
        }
        return runtime.submit("delete-group", partitionFor(groupId), shard -> shard.deleteGroup(groupId))
                .exceptionally(GroupCoordinator::errorOf);
    }

    /** Groups known to this coordinator, for metrics. */
    public CompletableFuture<List<String>> groupIds() {
        return runtime.callAll("group-ids", GroupCoordinatorShard::groupIds).thenApply(perPartition -> {
            List<String> all = new ArrayList<>();
            perPartition.forEach(all::addAll);
            return all;
        });
    }

    /** The committed offsets of every group this broker coordinates, for metrics and the native API. */
    public CompletableFuture<Map<String, Map<TopicPartition, OffsetAndMetadata>>> allOffsets() {
        return runtime.callAll("all-offsets", shard -> {
            Map<String, Map<TopicPartition, OffsetAndMetadata>> byGroup = new LinkedHashMap<>();
            for (String groupId : shard.groupIds()) {
                byGroup.put(groupId, shard.fetchOffsets(groupId, null));
            }
            return byGroup;
        }).thenApply(perPartition -> {
            Map<String, Map<TopicPartition, OffsetAndMetadata>> all = new LinkedHashMap<>();
            perPartition.forEach(all::putAll);
            return all;
        });
    }

    /**
     * Waits for an operation's result, for callers that may block (the native API's own threads, metrics): never a
     * request thread. Bounded by {@code timeoutMs}; a failure is rethrown as the broker's own exception.
     */
    public static <T> T await(CompletableFuture<T> result, long timeoutMs) {
        try {
            return result.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Errors.COORDINATOR_NOT_AVAILABLE.exception("Interrupted while waiting for the group coordinator");
        } catch (TimeoutException e) {
            throw Errors.COORDINATOR_NOT_AVAILABLE.exception("The group coordinator did not answer within "
                    + timeoutMs + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw Errors.UNKNOWN_SERVER_ERROR.exception(String.valueOf(e.getCause()));
        }
    }

    @Override
    public void close() {
        runtime.close();
    }
}

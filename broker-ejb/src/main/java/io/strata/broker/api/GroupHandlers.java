package io.strata.broker.api;

import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.ClusterMembership;
import io.strata.broker.config.Endpoint;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.GroupCoordinator.CommitResult;
import io.strata.broker.group.GroupCoordinator.GroupListing;
import io.strata.broker.group.GroupCoordinator.GroupSummary;
import io.strata.broker.group.GroupCoordinator.MemberSummary;
import io.strata.broker.group.GroupCoordinator.OffsetCommit;
import io.strata.broker.group.SyncResult;
import io.strata.broker.group.GroupState;
import io.strata.broker.group.OffsetAndMetadata;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.share.coordinator.ShareCoordinator;
import io.strata.broker.share.coordinator.ShareStateKey;
import io.strata.broker.transaction.TransactionCoordinator;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupDescribeResponse;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ShareGroupDescribeRequest;
import org.apache.kafka.common.requests.ShareGroupDescribeResponse;
import org.apache.kafka.common.requests.ShareGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ShareGroupHeartbeatResponse;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * The consumer group APIs, answered by the {@link GroupCoordinator}: FindCoordinator, JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, ConsumerGroupHeartbeat and ConsumerGroupDescribe (KIP-848), ShareGroupHeartbeat and
 * ShareGroupDescribe (KIP-932), OffsetCommit, OffsetFetch,
 * OffsetDelete, DescribeGroups, ListGroups, DeleteGroups. Each
 * handler turns the request into the coordinator's terms and its answer into the response of the request's version.
 */
final class GroupHandlers {

    private static final byte GROUP_KEY_TYPE = FindCoordinatorRequest.CoordinatorType.GROUP.id();
    private static final byte TRANSACTION_KEY_TYPE = FindCoordinatorRequest.CoordinatorType.TRANSACTION.id();
    private static final byte SHARE_KEY_TYPE = FindCoordinatorRequest.CoordinatorType.SHARE.id();

    private final RequestChannel requestChannel;
    private final GroupCoordinator coordinator;
    private final ClusterMembership membership;
    private final Controller controller;
    private final TransactionCoordinator transactions;
    private final ShareCoordinator shares;

    GroupHandlers(RequestChannel requestChannel, GroupCoordinator coordinator, ClusterMembership membership,
                  Controller controller, TransactionCoordinator transactions, ShareCoordinator shares) {
        this.requestChannel = requestChannel;
        this.coordinator = coordinator;
        this.membership = membership;
        this.controller = controller;
        this.transactions = transactions;
        this.shares = shares;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.FIND_COORDINATOR, this::findCoordinator)
                .register(ApiKeys.JOIN_GROUP, this::joinGroup)
                .register(ApiKeys.SYNC_GROUP, this::syncGroup)
                .register(ApiKeys.HEARTBEAT, this::heartbeat)
                .register(ApiKeys.LEAVE_GROUP, this::leaveGroup)
                .register(ApiKeys.OFFSET_COMMIT, this::offsetCommit)
                .register(ApiKeys.OFFSET_FETCH, this::offsetFetch)
                .register(ApiKeys.OFFSET_DELETE, this::offsetDelete)
                .register(ApiKeys.DESCRIBE_GROUPS, this::describeGroups)
                .register(ApiKeys.LIST_GROUPS, this::listGroups)
                .register(ApiKeys.DELETE_GROUPS, this::deleteGroups)
                .register(ApiKeys.CONSUMER_GROUP_HEARTBEAT, this::consumerGroupHeartbeat)
                .register(ApiKeys.CONSUMER_GROUP_DESCRIBE, this::consumerGroupDescribe)
                .register(ApiKeys.SHARE_GROUP_HEARTBEAT, this::shareGroupHeartbeat)
                .register(ApiKeys.SHARE_GROUP_DESCRIBE, this::shareGroupDescribe);
    }

    // ---------------------------------------------------------------------------------------------------- coordinator

    private void findCoordinator(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        FindCoordinatorRequestData data = ((FindCoordinatorRequest) body).data();
        short version = request.context().apiVersion();
        List<String> keys = version >= FindCoordinatorRequest.MIN_BATCHED_VERSION ? data.coordinatorKeys()
                : List.of(data.key());
        FindCoordinatorResponseData response = new FindCoordinatorResponseData();
        for (String key : keys) {
            FindCoordinatorResponseData.Coordinator coordinatorInfo = locate(key, data.keyType(),
                    request.context().listenerName());
            if (version >= FindCoordinatorRequest.MIN_BATCHED_VERSION) {
                response.coordinators().add(coordinatorInfo);
            } else {
                response.setErrorCode(coordinatorInfo.errorCode()).setErrorMessage(coordinatorInfo.errorMessage())
                        .setNodeId(coordinatorInfo.nodeId()).setHost(coordinatorInfo.host())
                        .setPort(coordinatorInfo.port());
            }
        }
        requestChannel.sendResponse(request, new FindCoordinatorResponse(response));
    }

    private FindCoordinatorResponseData.Coordinator locate(String key, byte keyType, String listener) {
        FindCoordinatorResponseData.Coordinator result = new FindCoordinatorResponseData.Coordinator().setKey(key)
                .setNodeId(-1).setHost("").setPort(-1);
        if (keyType != GROUP_KEY_TYPE && keyType != TRANSACTION_KEY_TYPE && keyType != SHARE_KEY_TYPE) {
            return result.setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("Strata has no coordinator of key type " + keyType + "; it knows 0 (group),"
                            + " 1 (transaction) and 2 (share)");
        }
        boolean transaction = keyType == TRANSACTION_KEY_TYPE;
        if (key == null || key.isEmpty()) {
            return result.setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage(transaction ? "A transactional id is required" : "A group id is required");
        }
        int node;
        if (keyType == SHARE_KEY_TYPE) {
            ShareStateKey shareKey;
            try {
                shareKey = ShareStateKey.parse(key);
            } catch (IllegalArgumentException e) {
                return result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(e.getMessage());
            }
            node = shares.coordinatorFor(shareKey);
        } else {
            node = transaction ? transactions.coordinatorFor(key) : coordinator.coordinatorFor(key);
        }
        for (BrokerInfo broker : membership.liveBrokers()) {
            Endpoint endpoint = broker.endpoint(listener);
            if (broker.id() == node && endpoint != null) {
                return result.setErrorCode(Errors.NONE.code()).setNodeId(node).setHost(endpoint.host())
                        .setPort(endpoint.port());
            }
        }
        return result.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())
                .setErrorMessage("The coordinator of " + (transaction ? "transactional id "
                        : keyType == SHARE_KEY_TYPE ? "share partition " : "group ") + key
                        + " is not available");
    }

    // ---------------------------------------------------------------------------------------------------- membership

    private void joinGroup(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        JoinGroupRequestData data = ((JoinGroupRequest) body).data();
        short version = request.context().apiVersion();
        String clientHost = "/" + request.context().clientAddress.getHostAddress();
        coordinator.joinGroup(data, version, request.context().clientId(), clientHost,
                response -> requestChannel.sendResponse(request, new JoinGroupResponse(response, version)));
    }

    private void syncGroup(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        SyncGroupRequestData data = ((SyncGroupRequest) body).data();
        coordinator.syncGroup(data, (SyncResult result) -> requestChannel.sendResponse(request,
                new SyncGroupResponse(new SyncGroupResponseData().setErrorCode(result.errorCode())
                        .setAssignment(result.assignment()).setProtocolType(data.protocolType())
                        .setProtocolName(data.protocolName()))));
    }

    private void heartbeat(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        HeartbeatRequestData data = ((HeartbeatRequest) body).data();
        coordinator.heartbeat(data.groupId(), data.memberId(), data.groupInstanceId(), data.generationId())
                .thenAccept(error -> requestChannel.sendResponse(request, new HeartbeatResponse(
                        new HeartbeatResponseData().setErrorCode(error.code()))));
    }

    private void leaveGroup(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        LeaveGroupRequest leave = (LeaveGroupRequest) body;
        short version = request.context().apiVersion();
        // Before version 3 one member leaves and its error is the response's: LeaveGroupResponse converts.
        coordinator.leaveGroup(leave.data().groupId(), leave.members()).thenAccept(response ->
                requestChannel.sendResponse(request, new LeaveGroupResponse(response, version)));
    }

    private void consumerGroupHeartbeat(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        ConsumerGroupHeartbeatRequestData data = ((ConsumerGroupHeartbeatRequest) body).data();
        String clientHost = "/" + request.context().clientAddress.getHostAddress();
        coordinator.consumerGroupHeartbeat(data, request.context().clientId(), clientHost).thenAccept(response ->
                requestChannel.sendResponse(request, new ConsumerGroupHeartbeatResponse(response)));
    }

    private void consumerGroupDescribe(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        List<String> groupIds = ((ConsumerGroupDescribeRequest) body).data().groupIds();
        List<CompletableFuture<ConsumerGroupDescribeResponseData.DescribedGroup>> described = new ArrayList<>();
        for (String groupId : groupIds) {
            described.add(coordinator.describeConsumerGroup(groupId));
        }
        CompletableFuture.allOf(described.toArray(new CompletableFuture<?>[0])).thenRun(() -> {
            ConsumerGroupDescribeResponseData response = new ConsumerGroupDescribeResponseData();
            described.forEach(group -> response.groups().add(group.join()));
            requestChannel.sendResponse(request, new ConsumerGroupDescribeResponse(response));
        });
    }

    private void shareGroupHeartbeat(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        ShareGroupHeartbeatRequestData data = ((ShareGroupHeartbeatRequest) body).data();
        String clientHost = "/" + request.context().clientAddress.getHostAddress();
        coordinator.shareGroupHeartbeat(data, request.context().clientId(), clientHost).thenAccept(response ->
                requestChannel.sendResponse(request, new ShareGroupHeartbeatResponse(response)));
    }

    private void shareGroupDescribe(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        List<String> groupIds = ((ShareGroupDescribeRequest) body).data().groupIds();
        List<CompletableFuture<ShareGroupDescribeResponseData.DescribedGroup>> described = new ArrayList<>();
        for (String groupId : groupIds) {
            described.add(coordinator.describeShareGroup(groupId));
        }
        CompletableFuture.allOf(described.toArray(new CompletableFuture<?>[0])).thenRun(() -> {
            ShareGroupDescribeResponseData response = new ShareGroupDescribeResponseData();
            described.forEach(group -> response.groups().add(group.join()));
            requestChannel.sendResponse(request, new ShareGroupDescribeResponse(response));
        });
    }

    // ---------------------------------------------------------------------------------------------------- offsets

    private void offsetCommit(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        OffsetCommitRequestData data = ((OffsetCommitRequest) body).data();
        boolean byId = request.context().apiVersion() >= 10;
        List<OffsetCommit> commits = new ArrayList<>();
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        Map<String, OffsetCommitResponseData.OffsetCommitResponseTopic> topics = new LinkedHashMap<>();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic topic : data.topics()) {
            String name = byId ? nameOf(topic.topicId()) : topic.name();
            OffsetCommitResponseData.OffsetCommitResponseTopic topicResponse =
                    new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(byId ? "" : topic.name())
                            .setTopicId(topic.topicId());
            response.topics().add(topicResponse);
            for (OffsetCommitRequestData.OffsetCommitRequestPartition partition : topic.partitions()) {
                if (name == null) {
                    topicResponse.partitions().add(new OffsetCommitResponseData.OffsetCommitResponsePartition()
                            .setPartitionIndex(partition.partitionIndex())
                            .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                    continue;
                }
                topics.put(name, topicResponse);
                commits.add(new OffsetCommit(new TopicPartition(name, partition.partitionIndex()),
                        partition.committedOffset(), partition.committedLeaderEpoch(), partition.committedMetadata()));
            }
        }
        coordinator.commitOffsets(data.groupId(), data.memberId(), data.groupInstanceId(),
                data.generationIdOrMemberEpoch(), commits).thenAccept(results -> {
                    for (CommitResult result : results) {
                        topics.get(result.topicPartition().topic()).partitions().add(
                                new OffsetCommitResponseData.OffsetCommitResponsePartition()
                                        .setPartitionIndex(result.topicPartition().partition())
                                        .setErrorCode(result.error().code()));
                    }
                    requestChannel.sendResponse(request, new OffsetCommitResponse(response));
                });
    }

    private void offsetFetch(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        OffsetFetchRequest fetch = (OffsetFetchRequest) body;
        short version = request.context().apiVersion();
        boolean byId = OffsetFetchRequest.useTopicIds(version);
        List<CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup>> groups = new ArrayList<>();
        boolean requireStable = fetch.requireStable();
        for (OffsetFetchRequestData.OffsetFetchRequestGroup group : fetch.groups()) {
            groups.add(fetchGroup(group, byId, requireStable));
        }
        CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0])).thenRun(() ->
                requestChannel.sendResponse(request, new OffsetFetchResponse.Builder(
                        groups.stream().map(CompletableFuture::join).toList()).build(version)));
    }

    /** One group's offsets, or the group's error; never fails. */
    private CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup> fetchGroup(
            OffsetFetchRequestData.OffsetFetchRequestGroup group, boolean byId, boolean requireStable) {
        List<TopicPartition> wanted = null;
        if (group.topics() != null) {
            wanted = new ArrayList<>();
            for (OffsetFetchRequestData.OffsetFetchRequestTopics topic : group.topics()) {
                String name = byId ? nameOf(topic.topicId()) : topic.name();
                if (name != null) {
                    for (int index : topic.partitionIndexes()) {
                        wanted.add(new TopicPartition(name, index));
                    }
                }
            }
        }
        if (requireStable) {
            return coordinator.fetchStableOffsets(group.groupId(), wanted, group.memberId(), group.memberEpoch())
                    .handle((found, failure) -> failure != null
                    ? new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(group.groupId())
                            .setErrorCode(GroupCoordinator.errorOf(failure).code())
                    : markUnstable(fetchResponse(group, byId, found.offsets()), found.unstable(), byId));
        }
        return coordinator.fetchOffsets(group.groupId(), wanted, group.memberId(), group.memberEpoch())
                .handle((found, failure) -> failure != null
                ? new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(group.groupId())
                        .setErrorCode(GroupCoordinator.errorOf(failure).code())
                : fetchResponse(group, byId, found));
    }

    /**
     * Answers UNSTABLE_OFFSET_COMMIT, without an offset, for partitions whose offsets an open transaction holds, as
     * Kafka does for a consumer that requires stable offsets (read_committed): it retries until the transaction ends.
     */
    private OffsetFetchResponseData.OffsetFetchResponseGroup markUnstable(
            OffsetFetchResponseData.OffsetFetchResponseGroup response, Set<TopicPartition> unstable, boolean byId) {
        if (unstable.isEmpty()) {
            return response;
        }
        Set<TopicPartition> remaining = new java.util.HashSet<>(unstable);
        for (OffsetFetchResponseData.OffsetFetchResponseTopics topic : response.topics()) {
            String name = topic.name() == null || topic.name().isEmpty() ? nameOf(topic.topicId()) : topic.name();
            for (OffsetFetchResponseData.OffsetFetchResponsePartitions partition : topic.partitions()) {
                if (remaining.remove(new TopicPartition(name == null ? "" : name, partition.partitionIndex()))) {
                    partition.setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code()).setCommittedOffset(-1)
                            .setCommittedLeaderEpoch(-1).setMetadata("");
                }
            }
        }
        // Partitions with only a pending offset (none committed yet) when all of the group's were asked for.
        for (TopicPartition tp : remaining) {
            TopicImage image = controller.image().topic(tp.topic());
            OffsetFetchResponseData.OffsetFetchResponseTopics topic = new OffsetFetchResponseData
                    .OffsetFetchResponseTopics().setName(byId ? "" : tp.topic())
                    .setTopicId(image == null ? Uuid.ZERO_UUID : image.id());
            topic.partitions().add(partitionOffset(tp.partition(), null)
                    .setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code()));
            response.topics().add(topic);
        }
        return response;
    }

    private OffsetFetchResponseData.OffsetFetchResponseGroup fetchResponse(
            OffsetFetchRequestData.OffsetFetchRequestGroup group, boolean byId,
            Map<TopicPartition, OffsetAndMetadata> found) {
        OffsetFetchResponseData.OffsetFetchResponseGroup response =
                new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(group.groupId());
        if (group.topics() == null) {
            Map<String, OffsetFetchResponseData.OffsetFetchResponseTopics> topics = new LinkedHashMap<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> offset : found.entrySet()) {
                String name = offset.getKey().topic();
                OffsetFetchResponseData.OffsetFetchResponseTopics topic = topics.computeIfAbsent(name, n -> {
                    TopicImage image = controller.image().topic(n);
                    return new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(byId ? "" : n)
                            .setTopicId(image == null ? Uuid.ZERO_UUID : image.id());
                });
                topic.partitions().add(partitionOffset(offset.getKey().partition(), offset.getValue()));
            }
            response.setTopics(new ArrayList<>(topics.values()));
            return response;
        }
        for (OffsetFetchRequestData.OffsetFetchRequestTopics wanted : group.topics()) {
            String name = byId ? nameOf(wanted.topicId()) : wanted.name();
            OffsetFetchResponseData.OffsetFetchResponseTopics topic =
                    new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(wanted.name())
                            .setTopicId(wanted.topicId());
            response.topics().add(topic);
            List<TopicPartition> partitions = new ArrayList<>();
            for (int index : wanted.partitionIndexes()) {
                partitions.add(new TopicPartition(name == null ? "" : name, index));
            }
            for (TopicPartition tp : partitions) {
                OffsetFetchResponseData.OffsetFetchResponsePartitions partition = partitionOffset(tp.partition(),
                        name == null ? null : found.get(tp));
                if (name == null) {
                    partition.setErrorCode(Errors.UNKNOWN_TOPIC_ID.code());
                }
                topic.partitions().add(partition);
            }
        }
        return response;
    }

    private static OffsetFetchResponseData.OffsetFetchResponsePartitions partitionOffset(int partition,
                                                                                        OffsetAndMetadata offset) {
        OffsetFetchResponseData.OffsetFetchResponsePartitions result =
                new OffsetFetchResponseData.OffsetFetchResponsePartitions().setPartitionIndex(partition);
        if (offset == null) {
            return result.setCommittedOffset(-1).setCommittedLeaderEpoch(-1).setMetadata("");
        }
        return result.setCommittedOffset(offset.offset()).setCommittedLeaderEpoch(offset.leaderEpoch())
                .setMetadata(offset.metadata());
    }

    private void offsetDelete(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        OffsetDeleteRequestData data = ((OffsetDeleteRequest) body).data();
        List<TopicPartition> partitions = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic topic : data.topics()) {
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition partition : topic.partitions()) {
                partitions.add(new TopicPartition(topic.name(), partition.partitionIndex()));
            }
        }
        coordinator.deleteOffsets(data.groupId(), partitions).thenAccept(result ->
                requestChannel.sendResponse(request, new OffsetDeleteResponse(offsetDeleteResponse(result))));
    }

    private static OffsetDeleteResponseData offsetDeleteResponse(Map.Entry<Errors, Map<TopicPartition, Errors>> result) {
        OffsetDeleteResponseData response = new OffsetDeleteResponseData().setErrorCode(result.getKey().code());
        Map<String, OffsetDeleteResponseData.OffsetDeleteResponseTopic> topics = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, Errors> partition : result.getValue().entrySet()) {
            topics.computeIfAbsent(partition.getKey().topic(),
                    name -> new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(name))
                    .partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                            .setPartitionIndex(partition.getKey().partition())
                            .setErrorCode(partition.getValue().code()));
        }
        response.topics().addAll(topics.values());
        return response;
    }

    // ---------------------------------------------------------------------------------------------------- admin

    private void describeGroups(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        List<String> groupIds = ((DescribeGroupsRequest) body).data().groups();
        short version = request.context().apiVersion();
        List<CompletableFuture<GroupSummary>> summaries = new ArrayList<>();
        for (String groupId : groupIds) {
            summaries.add(coordinator.describeGroup(groupId));
        }
        CompletableFuture.allOf(summaries.toArray(new CompletableFuture<?>[0])).thenRun(() ->
                requestChannel.sendResponse(request, new DescribeGroupsResponse(describedGroups(
                        summaries.stream().map(CompletableFuture::join).toList(), version))));
    }

    private static DescribeGroupsResponseData describedGroups(List<GroupSummary> summaries, short version) {
        DescribeGroupsResponseData response = new DescribeGroupsResponseData();
        for (GroupSummary summary : summaries) {
            String groupId = summary.groupId();
            Errors error = summary.error();
            if (error == Errors.GROUP_ID_NOT_FOUND && version < 6) {
                error = Errors.NONE;
            }
            DescribeGroupsResponseData.DescribedGroup described = new DescribeGroupsResponseData.DescribedGroup()
                    .setGroupId(groupId)
                    .setErrorCode(error.code())
                    .setGroupState(summary.state().display())
                    .setProtocolType(summary.protocolType())
                    .setProtocolData(summary.protocolName());
            if (summary.error() == Errors.GROUP_ID_NOT_FOUND && version >= 6) {
                described.setErrorMessage(summary.errorMessage() != null ? summary.errorMessage()
                        : "Group " + groupId + " not found.");
            }
            for (MemberSummary member : summary.members()) {
                described.members().add(new DescribeGroupsResponseData.DescribedGroupMember()
                        .setMemberId(member.memberId())
                        .setGroupInstanceId(member.groupInstanceId())
                        .setClientId(member.clientId())
                        .setClientHost(member.clientHost())
                        .setMemberMetadata(member.metadata())
                        .setMemberAssignment(member.assignment()));
            }
            response.groups().add(described);
        }
        return response;
    }

    private void listGroups(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        ListGroupsRequestData data = ((ListGroupsRequest) body).data();
        Set<String> states = data.statesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
        Set<String> types = data.typesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
        coordinator.listGroups().whenComplete((groups, failure) -> requestChannel.sendResponse(request,
                new ListGroupsResponse(failure != null
                        ? new ListGroupsResponseData().setErrorCode(GroupCoordinator.errorOf(failure).code())
                        : listedGroups(groups, states, types))));
    }

    private static ListGroupsResponseData listedGroups(List<GroupListing> groups, Set<String> states,
                                                       Set<String> types) {
        ListGroupsResponseData response = new ListGroupsResponseData();
        for (GroupListing group : groups) {
            String state = group.state();
            if (!states.isEmpty() && !states.contains(state.toLowerCase(Locale.ROOT))) {
                continue;
            }
            if (!types.isEmpty() && !types.contains(group.type())) {
                continue;
            }
            response.groups().add(new ListGroupsResponseData.ListedGroup()
                    .setGroupId(group.groupId())
                    .setProtocolType(group.protocolType())
                    .setGroupState(state)
                    .setGroupType(group.type()));
        }
        return response;
    }

    private void deleteGroups(Request request, org.apache.kafka.common.requests.AbstractRequest body) {
        DeleteGroupsRequestData data = ((DeleteGroupsRequest) body).data();
        List<String> groupIds = List.copyOf(data.groupsNames());
        List<CompletableFuture<Errors>> results = new ArrayList<>();
        for (String groupId : groupIds) {
            results.add(coordinator.deleteGroup(groupId));
        }
        CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenRun(() -> {
            DeleteGroupsResponseData response = new DeleteGroupsResponseData();
            for (int i = 0; i < groupIds.size(); i++) {
                response.results().add(new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(groupIds.get(i))
                        .setErrorCode(results.get(i).join().code()));
            }
            requestChannel.sendResponse(request, new DeleteGroupsResponse(response));
        });
    }

    private String nameOf(Uuid topicId) {
        TopicImage topic = topicId == null ? null : controller.image().topic(topicId);
        return topic == null ? null : topic.name();
    }

}

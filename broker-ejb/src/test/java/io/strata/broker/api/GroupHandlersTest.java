package io.strata.broker.api;

import io.strata.broker.network.InProcessConnection;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
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
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The classic consumer group APIs through the real handlers and group coordinator, without sockets. The coordinator
 * answers from its own thread, so every answer is waited for.
 */
@Timeout(60)
class GroupHandlersTest {

    private static final String GROUP = "billing";

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
        // The offsets partition loads on the coordinator's loader thread; until then groups get LOAD_IN_PROGRESS.
        await().atMost(HandlerFixture.ANSWER_TIMEOUT).untilAsserted(() ->
                assertThat(fetchOffsetsOf(GROUP).errorCode()).isEqualTo(Errors.NONE.code()));
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void findCoordinatorNamesThisBrokerAsAdvertised() throws Exception {
        FindCoordinatorResponse response = broker.send(new FindCoordinatorRequest.Builder(
                new FindCoordinatorRequestData().setKeyType(FindCoordinatorRequest.CoordinatorType.GROUP.id())
                        .setCoordinatorKeys(List.of(GROUP))), FindCoordinatorResponse.class);

        assertThat(response.data().coordinators()).singleElement().satisfies(coordinator -> {
            assertThat(Errors.forCode(coordinator.errorCode())).isEqualTo(Errors.NONE);
            assertThat(coordinator.nodeId()).isEqualTo(1);
            assertThat(coordinator.host()).isEqualTo("127.0.0.1");
            assertThat(coordinator.port()).isEqualTo(9092);
        });
    }

    @Test
    void findCoordinatorRefusesAnUnknownKeyTypeAndAnEmptyGroupId() throws Exception {
        FindCoordinatorResponse response = broker.send(new FindCoordinatorRequest.Builder(
                new FindCoordinatorRequestData().setKeyType((byte) 7)
                        .setCoordinatorKeys(List.of("payments"))), FindCoordinatorResponse.class);
        FindCoordinatorResponse empty = broker.send(new FindCoordinatorRequest.Builder(
                new FindCoordinatorRequestData().setKeyType(FindCoordinatorRequest.CoordinatorType.GROUP.id())
                        .setCoordinatorKeys(List.of(""))), FindCoordinatorResponse.class);

        assertThat(Errors.forCode(response.data().coordinators().get(0).errorCode()))
                .isEqualTo(Errors.INVALID_REQUEST);
        assertThat(Errors.forCode(empty.data().coordinators().get(0).errorCode())).isEqualTo(Errors.INVALID_REQUEST);
    }

    @Test
    void findCoordinatorOfATransactionalIdIsTheLeaderOfItsTransactionStatePartition() throws Exception {
        FindCoordinatorResponse response = broker.send(new FindCoordinatorRequest.Builder(
                new FindCoordinatorRequestData().setKeyType(FindCoordinatorRequest.CoordinatorType.TRANSACTION.id())
                        .setCoordinatorKeys(List.of("payments-tx", ""))), FindCoordinatorResponse.class);
        FindCoordinatorResponse old = broker.send(new FindCoordinatorRequest.Builder(
                new FindCoordinatorRequestData().setKeyType(FindCoordinatorRequest.CoordinatorType.TRANSACTION.id())
                        .setKey("payments-tx")), (short) 3, FindCoordinatorResponse.class);

        FindCoordinatorResponseData.Coordinator found = response.data().coordinators().get(0);
        assertThat(Errors.forCode(found.errorCode())).isEqualTo(Errors.NONE);
        assertThat(found.nodeId()).isEqualTo(1);
        assertThat(found.port()).isEqualTo(9092);
        assertThat(Errors.forCode(response.data().coordinators().get(1).errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(Errors.forCode(old.data().errorCode())).isEqualTo(Errors.NONE);
        assertThat(old.data().nodeId()).isEqualTo(1);
    }

    @Test
    void offsetDeleteRemovesAnEmptyGroupsCommittedOffset() throws Exception {
        String memberId = stableMember();
        assertThat(commit(memberId, 1, 42)).isEqualTo(Errors.NONE);
        broker.send(new LeaveGroupRequest.Builder(GROUP, List.of(new MemberIdentity().setMemberId(memberId))),
                LeaveGroupResponse.class);
        OffsetDeleteRequestTopicCollection topics = new OffsetDeleteRequestTopicCollection();
        topics.add(new OffsetDeleteRequestTopic().setName("orders").setPartitions(List.of(
                new OffsetDeleteRequestPartition().setPartitionIndex(0))));

        OffsetDeleteResponse response = broker.send(new OffsetDeleteRequest.Builder(new OffsetDeleteRequestData()
                .setGroupId(GROUP).setTopics(topics)), OffsetDeleteResponse.class);

        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(response.data().topics().find("orders").partitions().find(0).errorCode()))
                .isEqualTo(Errors.NONE);
        assertThat(fetchOffsetsOf(GROUP).topics().get(0).partitions().get(0).committedOffset()).isEqualTo(-1);
    }

    @Test
    void aNewMemberIsToldMemberIdRequiredWithTheIdToRejoinWith() throws Exception {
        JoinGroupResponseData response = join("", 10_000);

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        assertThat(response.memberId()).isNotEmpty();
    }

    @Test
    void aLoneMemberRejoiningWithItsIdLeadsTheGroupAndGetsItsAssignmentInSync() throws Exception {
        String memberId = join("", 10_000).memberId();

        JoinGroupResponseData joined = join(memberId, 10_000);

        assertThat(Errors.forCode(joined.errorCode())).isEqualTo(Errors.NONE);
        assertThat(joined.generationId()).isEqualTo(1);
        assertThat(joined.leader()).isEqualTo(memberId);
        assertThat(joined.protocolName()).isEqualTo("range");
        assertThat(joined.members()).singleElement().satisfies(member -> {
            assertThat(member.memberId()).isEqualTo(memberId);
            assertThat(new String(member.metadata(), StandardCharsets.UTF_8)).isEqualTo("subscribes to orders");
        });

        SyncGroupResponse synced = sync(memberId, joined.generationId(), "orders-0 to " + memberId);
        assertThat(synced.error()).isEqualTo(Errors.NONE);
        assertThat(new String(synced.data().assignment(), StandardCharsets.UTF_8)).isEqualTo("orders-0 to " + memberId);
    }

    @Test
    void aSessionTimeoutOutsideTheBrokersBoundsIsRefusedWithInvalidSessionTimeout() throws Exception {
        JoinGroupResponseData response = join("", 1);

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.INVALID_SESSION_TIMEOUT);
    }

    @Test
    void heartbeatsAreAcceptedFromTheCurrentGenerationAndRefusedFromStrangers() throws Exception {
        String memberId = stableMember();

        assertThat(heartbeat(memberId, 1)).isEqualTo(Errors.NONE);
        assertThat(heartbeat(memberId, 7)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(heartbeat("stranger", 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void anOffsetCommittedByAMemberIsReturnedByOffsetFetch() throws Exception {
        String memberId = stableMember();

        assertThat(commit(memberId, 1, 42)).isEqualTo(Errors.NONE);

        OffsetFetchResponsePartitions fetched = fetchOffsetsOf(GROUP).topics().get(0).partitions().get(0);
        assertThat(Errors.forCode(fetched.errorCode())).isEqualTo(Errors.NONE);
        assertThat(fetched.committedOffset()).isEqualTo(42);
        assertThat(fetched.metadata()).isEqualTo("checkpoint");
    }

    @Test
    void aPartitionWithNoCommittedOffsetIsFetchedAsMinusOne() throws Exception {
        OffsetFetchResponsePartitions fetched = fetchOffsetsOf(GROUP).topics().get(0).partitions().get(0);

        assertThat(Errors.forCode(fetched.errorCode())).isEqualTo(Errors.NONE);
        assertThat(fetched.committedOffset()).isEqualTo(-1);
    }

    @Test
    void aCommitFromAStaleGenerationIsRefusedWithIllegalGenerationAndNotStored() throws Exception {
        String memberId = stableMember();

        assertThat(commit(memberId, 5, 42)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(fetchOffsetsOf(GROUP).topics().get(0).partitions().get(0).committedOffset()).isEqualTo(-1);
    }

    @Test
    void aCommitFromAnUnknownMemberIsRefusedWithUnknownMemberId() throws Exception {
        stableMember();

        assertThat(commit("stranger", 1, 42)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aSecondMemberJoiningRebalancesTheGroupAndBothAreAnsweredWithTheNextGeneration() throws Exception {
        String first = stableMember();
        InProcessConnection secondConnection = broker.newConnection();
        String second = join("", 10_000).memberId();

        // The second member's join waits for the rebalance it started; the first learns of it by heartbeat.
        broker.dispatchOn(secondConnection, new JoinGroupRequest.Builder(joinData(second, 10_000)));
        await().atMost(HandlerFixture.ANSWER_TIMEOUT).untilAsserted(() ->
                assertThat(heartbeat(first, 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS));
        assertThat(secondConnection.hasPendingOutcome()).as("answered before the first member rejoined").isFalse();
        JoinGroupResponseData firstRejoined = join(first, 10_000);
        JoinGroupResponseData secondJoined = HandlerFixture.awaitResponse(secondConnection, JoinGroupResponse.class)
                .data();

        assertThat(Errors.forCode(firstRejoined.errorCode())).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(secondJoined.errorCode())).isEqualTo(Errors.NONE);
        assertThat(firstRejoined.generationId()).isEqualTo(2);
        assertThat(secondJoined.generationId()).isEqualTo(2);
        assertThat(secondJoined.leader()).isEqualTo(firstRejoined.leader()).isIn(first, second);
        JoinGroupResponseData leader = firstRejoined.leader().equals(first) ? firstRejoined : secondJoined;
        JoinGroupResponseData follower = leader == firstRejoined ? secondJoined : firstRejoined;
        assertThat(leader.members()).extracting(JoinGroupResponseData.JoinGroupResponseMember::memberId)
                .containsExactlyInAnyOrder(first, second);
        assertThat(follower.members()).as("only the leader is told the members").isEmpty();
    }

    @Test
    void aMemberThatLeavesEmptiesTheGroupWhichCanThenBeDeletedWithItsOffsets() throws Exception {
        String memberId = stableMember();
        assertThat(commit(memberId, 1, 42)).isEqualTo(Errors.NONE);
        assertThat(deleteGroup()).as("deleting a group with members").isEqualTo(Errors.NON_EMPTY_GROUP);

        LeaveGroupResponse left = broker.send(new LeaveGroupRequest.Builder(GROUP, List.of(
                new MemberIdentity().setMemberId(memberId))), LeaveGroupResponse.class);
        assertThat(left.topLevelError()).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(left.data().members().get(0).errorCode())).isEqualTo(Errors.NONE);

        DescribedGroup described = describeGroup(GROUP);
        assertThat(described.groupState()).isEqualTo("Empty");
        assertThat(described.members()).isEmpty();
        assertThat(deleteGroup()).isEqualTo(Errors.NONE);
        assertThat(fetchOffsetsOf(GROUP).topics().get(0).partitions().get(0).committedOffset()).isEqualTo(-1);
    }

    @Test
    void aStableGroupIsListedAndDescribedWithItsMembersAndAssignments() throws Exception {
        String memberId = stableMember();

        ListGroupsResponse listed = broker.send(new ListGroupsRequest.Builder(new ListGroupsRequestData()),
                ListGroupsResponse.class);
        assertThat(listed.data().groups()).anySatisfy(group -> {
            assertThat(group.groupId()).isEqualTo(GROUP);
            assertThat(group.protocolType()).isEqualTo("consumer");
        });
        DescribedGroup described = describeGroup(GROUP);
        assertThat(Errors.forCode(described.errorCode())).isEqualTo(Errors.NONE);
        assertThat(described.groupState()).isEqualTo("Stable");
        assertThat(described.protocolData()).isEqualTo("range");
        assertThat(described.members()).singleElement().satisfies(member -> {
            assertThat(member.memberId()).isEqualTo(memberId);
            assertThat(new String(member.memberAssignment(), StandardCharsets.UTF_8)).isEqualTo("all of it");
        });
    }

    @Test
    void anUnknownGroupIsDescribedAsDeadAndFromVersionSixAsGroupIdNotFound() throws Exception {
        DescribedGroup before6 = describeGroup("nobody-here", (short) 5);
        DescribedGroup from6 = describeGroup("nobody-here", (short) 6);

        assertThat(Errors.forCode(before6.errorCode())).isEqualTo(Errors.NONE);
        assertThat(before6.groupState()).isEqualTo("Dead");
        assertThat(Errors.forCode(from6.errorCode())).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    private DescribedGroup describeGroup(String group) throws Exception {
        return describeGroup(group, ApiKeys.DESCRIBE_GROUPS.latestVersion());
    }

    private DescribedGroup describeGroup(String group, short version) throws Exception {
        DescribeGroupsResponse response = broker.send(new DescribeGroupsRequest.Builder(new DescribeGroupsRequestData()
                .setGroups(List.of(group))), version, DescribeGroupsResponse.class);
        assertThat(response.data().groups()).hasSize(1);
        return response.data().groups().get(0);
    }

    private Errors deleteGroup() throws Exception {
        DeleteGroupsResponse response = broker.send(new DeleteGroupsRequest.Builder(new DeleteGroupsRequestData()
                .setGroupsNames(List.of(GROUP))), DeleteGroupsResponse.class);
        return Errors.forCode(response.data().results().find(GROUP).errorCode());
    }

    @Test
    void offsetsCommittedAndFetchedByTopicIdAreTheSameAsByName() throws Exception {
        String memberId = stableMember();
        Uuid id = broker.controller().image().topic("orders").id();
        OffsetCommitRequestData data = new OffsetCommitRequestData().setGroupId(GROUP).setMemberId(memberId)
                .setGenerationIdOrMemberEpoch(1).setTopics(List.of(new OffsetCommitRequestTopic().setTopicId(id)
                        .setPartitions(List.of(new OffsetCommitRequestPartition().setPartitionIndex(0)
                                .setCommittedOffset(7)))));

        OffsetCommitResponse committed = broker.send(OffsetCommitRequest.Builder.forTopicIdsOrNames(data),
                ApiKeys.OFFSET_COMMIT.latestVersion(), OffsetCommitResponse.class);

        assertThat(committed.data().topics().get(0).topicId()).isEqualTo(id);
        assertThat(committed.data().topics().get(0).partitions().get(0).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(fetchOffsetsOf(GROUP).topics().get(0).partitions().get(0).committedOffset()).isEqualTo(7);
        OffsetFetchResponse byId = broker.send(OffsetFetchRequest.Builder.forTopicIdsOrNames(
                new OffsetFetchRequestData().setGroups(List.of(new OffsetFetchRequestGroup().setGroupId(GROUP)
                        .setTopics(List.of(new OffsetFetchRequestTopics().setTopicId(id)
                                .setPartitionIndexes(List.of(0)))))), false),
                ApiKeys.OFFSET_FETCH.latestVersion(), OffsetFetchResponse.class);
        assertThat(byId.data().groups().get(0).topics()).singleElement().satisfies(topic -> {
            assertThat(topic.topicId()).isEqualTo(id);
            assertThat(topic.partitions().get(0).committedOffset()).isEqualTo(7);
        });
    }

    @Test
    void anOffsetCommitOrFetchByAnUnknownTopicIdIsAnsweredWithUnknownTopicId() throws Exception {
        String memberId = stableMember();
        Uuid unknown = Uuid.randomUuid();
        OffsetCommitRequestData data = new OffsetCommitRequestData().setGroupId(GROUP).setMemberId(memberId)
                .setGenerationIdOrMemberEpoch(1).setTopics(List.of(new OffsetCommitRequestTopic()
                        .setTopicId(unknown).setPartitions(List.of(new OffsetCommitRequestPartition()
                                .setPartitionIndex(0).setCommittedOffset(7)))));

        OffsetCommitResponse committed = broker.send(OffsetCommitRequest.Builder.forTopicIdsOrNames(data),
                ApiKeys.OFFSET_COMMIT.latestVersion(), OffsetCommitResponse.class);
        OffsetFetchResponse fetched = broker.send(OffsetFetchRequest.Builder.forTopicIdsOrNames(
                new OffsetFetchRequestData().setGroups(List.of(new OffsetFetchRequestGroup().setGroupId(GROUP)
                        .setTopics(List.of(new OffsetFetchRequestTopics().setTopicId(unknown)
                                .setPartitionIndexes(List.of(0)))))), false),
                ApiKeys.OFFSET_FETCH.latestVersion(), OffsetFetchResponse.class);

        assertThat(Errors.forCode(committed.data().topics().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_ID);
        assertThat(fetched.data().groups().get(0).topics()).singleElement().satisfies(topic ->
                assertThat(Errors.forCode(topic.partitions().get(0).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_ID));
    }

    /** A member that joined and synced: generation 1 of {@link #GROUP}. */
    private String stableMember() throws Exception {
        String memberId = join("", 10_000).memberId();
        JoinGroupResponseData joined = join(memberId, 10_000);
        assertThat(Errors.forCode(joined.errorCode())).isEqualTo(Errors.NONE);
        assertThat(sync(memberId, joined.generationId(), "all of it").error()).isEqualTo(Errors.NONE);
        return memberId;
    }

    private JoinGroupResponseData join(String memberId, int sessionTimeoutMs) throws Exception {
        return broker.send(new JoinGroupRequest.Builder(joinData(memberId, sessionTimeoutMs)), JoinGroupResponse.class)
                .data();
    }

    private static JoinGroupRequestData joinData(String memberId, int sessionTimeoutMs) {
        JoinGroupRequestProtocolCollection protocols = new JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestProtocol().setName("range")
                .setMetadata("subscribes to orders".getBytes(StandardCharsets.UTF_8)));
        return new JoinGroupRequestData().setGroupId(GROUP).setMemberId(memberId)
                .setSessionTimeoutMs(sessionTimeoutMs).setRebalanceTimeoutMs(10_000).setProtocolType("consumer")
                .setProtocols(protocols);
    }

    private SyncGroupResponse sync(String memberId, int generation, String assignment) throws Exception {
        SyncGroupRequestData data = new SyncGroupRequestData().setGroupId(GROUP).setMemberId(memberId)
                .setGenerationId(generation).setProtocolType("consumer").setProtocolName("range")
                .setAssignments(List.of(new SyncGroupRequestAssignment().setMemberId(memberId)
                        .setAssignment(assignment.getBytes(StandardCharsets.UTF_8))));
        return broker.send(new SyncGroupRequest.Builder(data), SyncGroupResponse.class);
    }

    private Errors heartbeat(String memberId, int generation) throws Exception {
        HeartbeatResponse response = broker.send(new HeartbeatRequest.Builder(new HeartbeatRequestData()
                .setGroupId(GROUP).setMemberId(memberId).setGenerationId(generation)), HeartbeatResponse.class);
        return response.error();
    }

    private Errors commit(String memberId, int generation, long offset) throws Exception {
        OffsetCommitRequestData data = new OffsetCommitRequestData().setGroupId(GROUP).setMemberId(memberId)
                .setGenerationIdOrMemberEpoch(generation).setTopics(List.of(new OffsetCommitRequestTopic()
                        .setName("orders").setPartitions(List.of(new OffsetCommitRequestPartition()
                                .setPartitionIndex(0).setCommittedOffset(offset)
                                .setCommittedMetadata("checkpoint")))));
        OffsetCommitResponse response = broker.send(OffsetCommitRequest.Builder.forTopicNames(data),
                OffsetCommitResponse.class);
        assertThat(response.data().topics()).singleElement()
                .satisfies(topic -> assertThat(topic.partitions()).hasSize(1));
        return Errors.forCode(response.data().topics().get(0).partitions().get(0).errorCode());
    }

    private org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup fetchOffsetsOf(
            String group) throws Exception {
        OffsetFetchRequestData data = new OffsetFetchRequestData().setGroups(List.of(new OffsetFetchRequestGroup()
                .setGroupId(group).setTopics(List.of(new OffsetFetchRequestTopics().setName("orders")
                        .setPartitionIndexes(List.of(0))))));
        OffsetFetchResponse response = broker.send(OffsetFetchRequest.Builder.forTopicNames(data, false),
                OffsetFetchResponse.class);
        assertThat(response.data().groups()).hasSize(1);
        return response.data().groups().get(0);
    }
}

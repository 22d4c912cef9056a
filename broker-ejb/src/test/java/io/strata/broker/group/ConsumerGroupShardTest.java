package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.HandCoordinatorContext;
import io.strata.broker.group.GroupCoordinator.CommitResult;
import io.strata.broker.group.GroupCoordinator.OffsetCommit;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer protocol (KIP-848) of one {@code __consumer_offsets} partition on its own, with a hand-driven context:
 * the test decides when writes are committed and when time passes. Partitions move only once their previous owner has
 * revoked them; stale epochs are fenced; silent members are fenced after the session timeout.
 */
@Timeout(30)
class ConsumerGroupShardTest {

    private static final Uuid ORDERS_ID = Uuid.randomUuid();

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.GROUP_INITIAL_REBALANCE_DELAY_MS, 0));
    private final Map<String, TopicImage> topics = new HashMap<>();
    private final GroupCoordinatorShard shard = newShard();

    ConsumerGroupShardTest() {
        setOrders(4);
    }

    private GroupCoordinatorShard newShard() {
        return new GroupCoordinatorShard(context, config, topics::get, () -> List.copyOf(topics.values()));
    }

    private void setOrders(int partitions) {
        List<PartitionAssignment> assignments = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            assignments.add(PartitionAssignment.initial(List.of(1)));
        }
        topics.put("orders", new TopicImage("orders", ORDERS_ID, assignments, Map.of(), false));
    }

    private static ConsumerGroupHeartbeatRequestData join(String memberId) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId(memberId).setMemberEpoch(0)
                .setRebalanceTimeoutMs(30_000).setSubscribedTopicNames(List.of("orders"))
                .setTopicPartitions(List.of());
    }

    private static ConsumerGroupHeartbeatRequestData beat(String memberId, int epoch, Integer... owned) {
        ConsumerGroupHeartbeatRequestData request = new ConsumerGroupHeartbeatRequestData().setGroupId("g")
                .setMemberId(memberId).setMemberEpoch(epoch);
        if (owned != null) {
            request.setTopicPartitions(List.of(new ConsumerGroupHeartbeatRequestData.TopicPartitions()
                    .setTopicId(ORDERS_ID).setPartitions(List.of(owned))));
        }
        return request;
    }

    /** Sends a heartbeat, commits what it wrote, and returns its answer. */
    private ConsumerGroupHeartbeatResponseData heartbeat(ConsumerGroupHeartbeatRequestData request) {
        CompletableFuture<ConsumerGroupHeartbeatResponseData> response = shard.consumerGroupHeartbeat(request,
                "client", "/127.0.0.1");
        context.commitAll();
        return response.join();
    }

    private static Set<Integer> assigned(ConsumerGroupHeartbeatResponseData response) {
        Set<Integer> partitions = new TreeSet<>();
        if (response.assignment() != null) {
            response.assignment().topicPartitions().forEach(tp -> partitions.addAll(tp.partitions()));
        }
        return partitions;
    }

    @Test
    void aMemberJoinsAndIsAnsweredOnlyOnceTheGroupRecordIsCommitted() {
        CompletableFuture<ConsumerGroupHeartbeatResponseData> joined = shard.consumerGroupHeartbeat(join("a"),
                "client", "/127.0.0.1");
        assertThat(joined).as("waits for the group's record").isNotDone();

        context.commitAll();

        assertThat(joined.join().errorCode()).isZero();
        assertThat(joined.join().memberEpoch()).isEqualTo(1);
        assertThat(joined.join().heartbeatIntervalMs()).isEqualTo(5000);
        assertThat(assigned(joined.join())).containsExactly(0, 1, 2, 3);
        assertThat(context.log).as("the group's record and its member's").hasSize(2);
    }

    @Test
    void aPartitionIsHandedToANewMemberOnlyAfterItsOwnerRevokedIt() {
        heartbeat(join("a"));
        ConsumerGroupHeartbeatResponseData b = heartbeat(join("b"));
        assertThat(b.memberEpoch()).isEqualTo(2);
        assertThat(assigned(b)).as("a still owns every partition").isEmpty();

        ConsumerGroupHeartbeatResponseData a = heartbeat(beat("a", 1, 0, 1, 2, 3));
        assertThat(a.memberEpoch()).as("a stays at its epoch until it revoked").isEqualTo(1);
        Set<Integer> kept = assigned(a);
        assertThat(kept).hasSize(2);
        assertThat(assigned(heartbeat(beat("b", 2, new Integer[0])))).as("not yet released").isEmpty();

        ConsumerGroupHeartbeatResponseData revoked = heartbeat(beat("a", 1, kept.toArray(new Integer[0])));
        assertThat(revoked.memberEpoch()).isEqualTo(2);

        Set<Integer> released = assigned(heartbeat(beat("b", 2, new Integer[0])));
        assertThat(released).hasSize(2).doesNotContainAnyElementsOf(kept);
        assertThat(shard.describeConsumerGroup("g").groupState()).isEqualTo("Stable");
    }

    @Test
    void epochsTheCoordinatorDoesNotKnowAreFenced() {
        heartbeat(join("a"));

        assertThat(heartbeat(beat("a", 2, (Integer[]) null)).errorCode())
                .isEqualTo(Errors.FENCED_MEMBER_EPOCH.code());
        assertThat(heartbeat(beat("nobody", 1, (Integer[]) null)).errorCode())
                .isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
        assertThat(heartbeat(beat("a", 1, (Integer[]) null)).errorCode()).isZero();
    }

    @Test
    void aMemberWithoutHeartbeatsIsFencedAfterTheSessionTimeoutAndItsPartitionsMove() {
        heartbeat(join("a"));
        heartbeat(join("b"));
        shard.onLoaded();
        heartbeat(beat("a", 1, 0, 1, 2, 3));

        ConsumerGroupHeartbeatResponseData b = null;
        Set<Integer> owned = new TreeSet<>();
        int epoch = 2;
        for (int i = 0; i < 10; i++) {
            context.advance(5_000);
            b = heartbeat(beat("b", epoch, owned.toArray(new Integer[0])));
            context.commitAll();
            epoch = b.memberEpoch();
            if (b.assignment() != null) {
                owned = assigned(b);
            }
        }

        ConsumerGroupDescribeResponseData.DescribedGroup described = shard.describeConsumerGroup("g");
        assertThat(described.members()).extracting(ConsumerGroupDescribeResponseData.Member::memberId)
                .containsExactly("b");
        assertThat(owned).containsExactly(0, 1, 2, 3);
        assertThat(epoch).isGreaterThan(2);
    }

    @Test
    void aMemberThatDoesNotRevokeWithinItsRebalanceTimeoutIsFenced() {
        heartbeat(join("a"));
        shard.onLoaded();
        heartbeat(join("b"));
        heartbeat(beat("a", 1, 0, 1, 2, 3));

        context.advance(29_000);
        assertThat(heartbeat(beat("a", 1, 0, 1, 2, 3)).errorCode()).as("still revoking").isZero();
        heartbeat(beat("b", 2, new Integer[0]));
        context.advance(1_500);
        context.commitAll();

        assertThat(heartbeat(beat("a", 1, 0, 1, 2, 3)).errorCode()).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
        assertThat(assigned(heartbeat(beat("b", 2, new Integer[0])))).containsExactly(0, 1, 2, 3);
    }

    @Test
    void offsetCommitsAndFetchesAreCheckedAgainstTheMemberEpoch() {
        heartbeat(join("a"));
        List<OffsetCommit> commit = List.of(new OffsetCommit(new TopicPartition("orders", 0), 5, -1, ""));

        CompletableFuture<List<CommitResult>> stale = shard.commitOffsets("g", "a", null, 7, commit);
        CompletableFuture<List<CommitResult>> unknown = shard.commitOffsets("g", "z", null, 1, commit);
        CompletableFuture<List<CommitResult>> outsider = shard.commitOffsets("g", "", null, -1, commit);
        CompletableFuture<List<CommitResult>> good = shard.commitOffsets("g", "a", null, 1, commit);
        context.commitAll();

        assertThat(stale.join()).extracting(CommitResult::error).containsExactly(Errors.STALE_MEMBER_EPOCH);
        assertThat(unknown.join()).extracting(CommitResult::error).containsExactly(Errors.UNKNOWN_MEMBER_ID);
        assertThat(outsider.join()).as("the group has members").extracting(CommitResult::error)
                .containsExactly(Errors.UNKNOWN_MEMBER_ID);
        assertThat(good.join()).extracting(CommitResult::error).containsExactly(Errors.NONE);
        assertThat(shard.fetchOffsets("g", null)).hasSize(1);
        assertThat(shard.checkOffsetFetch("g", "a", 1)).isEqualTo(Errors.NONE);
        assertThat(shard.checkOffsetFetch("g", "a", 3)).isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(shard.checkOffsetFetch("g", "z", 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(shard.checkOffsetFetch("g", null, -1)).as("an admin client").isEqualTo(Errors.NONE);
    }

    @Test
    void aCommitWithThePreviousEpochCountsOnlyForPartitionsTheMemberStillOwns() {
        heartbeat(join("a"));
        heartbeat(join("b"));
        Set<Integer> kept = assigned(heartbeat(beat("a", 1, 0, 1, 2, 3)));
        assertThat(heartbeat(beat("a", 1, kept.toArray(new Integer[0]))).memberEpoch()).isEqualTo(2);
        int own = kept.iterator().next();
        int other = java.util.stream.IntStream.range(0, 4).filter(p -> !kept.contains(p)).findFirst().orElseThrow();

        CompletableFuture<List<CommitResult>> ownPartition = shard.commitOffsets("g", "a", null, 1,
                List.of(new OffsetCommit(new TopicPartition("orders", own), 1, -1, "")));
        CompletableFuture<List<CommitResult>> otherPartition = shard.commitOffsets("g", "a", null, 1,
                List.of(new OffsetCommit(new TopicPartition("orders", other), 1, -1, "")));
        CompletableFuture<List<CommitResult>> ahead = shard.commitOffsets("g", "a", null, 3,
                List.of(new OffsetCommit(new TopicPartition("orders", own), 1, -1, "")));
        context.commitAll();

        assertThat(ownPartition.join()).extracting(CommitResult::error).containsExactly(Errors.NONE);
        assertThat(otherPartition.join()).extracting(CommitResult::error).containsExactly(Errors.STALE_MEMBER_EPOCH);
        assertThat(ahead.join()).extracting(CommitResult::error).containsExactly(Errors.STALE_MEMBER_EPOCH);
    }

    @Test
    void aStaticMemberThatLeavesForAWhileGetsItsPartitionsBackWithoutANewEpoch() {
        ConsumerGroupHeartbeatResponseData first = heartbeat(join("a").setInstanceId("i-1"));
        heartbeat(beat("a", first.memberEpoch(), 0, 1, 2, 3).setInstanceId("i-1"));
        ConsumerGroupHeartbeatResponseData left = heartbeat(beat("a", -2, (Integer[]) null).setInstanceId("i-1"));
        assertThat(left.memberEpoch()).isEqualTo(-2);

        ConsumerGroupHeartbeatResponseData again = heartbeat(join("a2").setInstanceId("i-1"));

        assertThat(again.errorCode()).isZero();
        assertThat(again.memberEpoch()).as("no rebalance").isEqualTo(first.memberEpoch());
        assertThat(assigned(again)).containsExactly(0, 1, 2, 3);
        assertThat(heartbeat(join("a3").setInstanceId("i-1")).errorCode())
                .as("the instance is in use").isEqualTo(Errors.UNRELEASED_INSTANCE_ID.code());
    }

    @Test
    void morePartitionsStartANewEpochAndAreAssigned() {
        heartbeat(join("a"));
        setOrders(6);

        ConsumerGroupHeartbeatResponseData after = heartbeat(beat("a", 1, 0, 1, 2, 3));

        assertThat(after.memberEpoch()).isEqualTo(2);
        assertThat(assigned(after)).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void theGroupIsRebuiltFromItsRecordsOnAnotherCoordinator() {
        heartbeat(join("a").setInstanceId("i-1"));
        heartbeat(join("b"));
        heartbeat(beat("a", 1, 0, 1, 2, 3));
        shard.commitOffsets("g", "b", null, 2, List.of(new OffsetCommit(new TopicPartition("orders", 1), 9, -1,
                "")));
        context.commitAll();

        HandCoordinatorContext other = new HandCoordinatorContext();
        GroupCoordinatorShard replayed = new GroupCoordinatorShard(other, config, topics::get,
                () -> List.copyOf(topics.values()));
        for (int i = 0; i < context.log.size(); i++) {
            replayed.replay(i, context.log.get(i));
        }
        replayed.onLoaded();

        ConsumerGroupDescribeResponseData.DescribedGroup before = shard.describeConsumerGroup("g");
        ConsumerGroupDescribeResponseData.DescribedGroup after = replayed.describeConsumerGroup("g");
        before.members().sort(java.util.Comparator.comparing(ConsumerGroupDescribeResponseData.Member::memberId));
        after.members().sort(java.util.Comparator.comparing(ConsumerGroupDescribeResponseData.Member::memberId));
        assertThat(after).isEqualTo(before);
        assertThat(replayed.fetchOffsets("g", null).get(new TopicPartition("orders", 1)).offset()).isEqualTo(9);
        CompletableFuture<ConsumerGroupHeartbeatResponseData> beat = replayed.consumerGroupHeartbeat(
                beat("b", 2, new Integer[0]), "client", "/127.0.0.1");
        other.commitAll();
        assertThat(beat.join().errorCode()).isZero();
    }

    @Test
    void anEmptyClassicGroupBecomesAConsumerGroupButOneWhoseMembersAreNotConsumersDoesNot() {
        shard.commitOffsets("g", "", null, -1, List.of(new OffsetCommit(new TopicPartition("orders", 0), 3, -1,
                "")));
        context.commitAll();
        assertThat(heartbeat(join("a")).errorCode()).as("upgraded").isZero();
        assertThat(shard.fetchOffsets("g", null)).as("its offsets stay").hasSize(1);

        AtomicReference<JoinGroupResponseData> refused = new AtomicReference<>();
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
                new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[0]));
        shard.joinGroup(new JoinGroupRequestData().setGroupId("g").setMemberId("").setProtocolType("consumer")
                .setProtocols(protocols).setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000), (short) 9,
                "client", "/127.0.0.1", refused::set);
        assertThat(refused.get().errorCode()).as("a classic member whose subscription is not the consumer protocol's")
                .isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL.code());

        shard.joinGroup(new JoinGroupRequestData().setGroupId("classic").setMemberId("").setProtocolType("consumer")
                .setProtocols(protocols).setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000), (short) 9,
                "client", "/127.0.0.1", response -> { });
        shard.joinGroup(new JoinGroupRequestData().setGroupId("classic").setMemberId("m").setProtocolType("consumer")
                .setProtocols(protocols).setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000), (short) 0,
                "client", "/127.0.0.1", response -> { });
        ConsumerGroupHeartbeatResponseData notConsumer = heartbeat(join("x").setGroupId("classic"));
        assertThat(notConsumer.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(shard.describeGroup("g").errorMessage()).as("DescribeGroups is for classic groups")
                .isEqualTo("Group g is not a classic group.");
        assertThat(shard.describeConsumerGroup("classic").errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(shard.listGroups()).extracting(GroupCoordinator.GroupListing::type)
                .containsExactlyInAnyOrder("consumer", "classic");
        assertThat(Collections.frequency(shard.listGroups().stream().map(GroupCoordinator.GroupListing::groupId)
                .toList(), "g")).isEqualTo(1);
    }

    @Test
    void aRegularExpressionIsResolvedOnTheBrokerAndFollowsNewTopics() {
        ConsumerGroupHeartbeatRequestData byRegex = new ConsumerGroupHeartbeatRequestData().setGroupId("g")
                .setMemberId("a").setMemberEpoch(0).setRebalanceTimeoutMs(30_000).setSubscribedTopicRegex("ord.*")
                .setTopicPartitions(List.of());
        ConsumerGroupHeartbeatResponseData joined = heartbeat(byRegex);
        assertThat(assigned(joined)).containsExactly(0, 1, 2, 3);

        Uuid archiveId = Uuid.randomUuid();
        topics.put("orders-archive", new TopicImage("orders-archive", archiveId,
                List.of(PartitionAssignment.initial(List.of(1))), Map.of(), false));
        topics.put("__internal-orders", new TopicImage("__internal-orders", Uuid.randomUuid(),
                List.of(PartitionAssignment.initial(List.of(1))), Map.of(), false));
        ConsumerGroupHeartbeatResponseData after = heartbeat(beat("a", 1, 0, 1, 2, 3));

        assertThat(after.memberEpoch()).isEqualTo(2);
        assertThat(after.assignment().topicPartitions()).extracting(
                ConsumerGroupHeartbeatResponseData.TopicPartitions::topicId)
                .containsExactlyInAnyOrder(ORDERS_ID, archiveId);
        assertThat(heartbeat(byRegex.setMemberId("b").setSubscribedTopicRegex("(")).errorCode())
                .isEqualTo(Errors.INVALID_REGULAR_EXPRESSION.code());
    }

    @Test
    void joinsBeyondTheGroupSizeOrWithAnUnknownAssignorAreRefused() {
        GroupCoordinatorShard small = new GroupCoordinatorShard(context, BrokerConfig.of(Map.of(
                BrokerConfig.GROUP_CONSUMER_MAX_SIZE, 1)), topics::get, () -> List.copyOf(topics.values()));
        CompletableFuture<ConsumerGroupHeartbeatResponseData> first = small.consumerGroupHeartbeat(join("a"), "c",
                "/h");
        context.commitAll();
        CompletableFuture<ConsumerGroupHeartbeatResponseData> second = small.consumerGroupHeartbeat(join("b"), "c",
                "/h");
        CompletableFuture<ConsumerGroupHeartbeatResponseData> sticky = small.consumerGroupHeartbeat(
                join("c").setGroupId("other").setServerAssignor("sticky"), "c", "/h");
        CompletableFuture<ConsumerGroupHeartbeatResponseData> range = small.consumerGroupHeartbeat(
                join("d").setGroupId("ranged").setServerAssignor("range"), "c", "/h");
        context.commitAll();

        assertThat(first.join().errorCode()).isZero();
        assertThat(second.join().errorCode()).isEqualTo(Errors.GROUP_MAX_SIZE_REACHED.code());
        assertThat(sticky.join().errorCode()).isEqualTo(Errors.UNSUPPORTED_ASSIGNOR.code());
        assertThat(range.join().errorCode()).isZero();
        assertThat(small.describeConsumerGroup("ranged").assignorName()).isEqualTo("range");
    }

    @Test
    void aMemberThatLeavesFreesItsPartitionsForTheOthers() {
        heartbeat(join("a"));
        heartbeat(join("b"));
        Set<Integer> kept = assigned(heartbeat(beat("a", 1, 0, 1, 2, 3)));
        heartbeat(beat("a", 1, kept.toArray(new Integer[0])));
        assertThat(assigned(heartbeat(beat("b", 2, new Integer[0])))).hasSize(2);

        ConsumerGroupHeartbeatResponseData left = heartbeat(beat("a", -1, (Integer[]) null));

        assertThat(left.memberEpoch()).isEqualTo(-1);
        ConsumerGroupHeartbeatResponseData b = heartbeat(beat("b", 2, (Integer[]) null));
        assertThat(b.memberEpoch()).isEqualTo(3);
        assertThat(assigned(b)).containsExactly(0, 1, 2, 3);
        assertThat(shard.describeConsumerGroup("g").members()).hasSize(1);
    }

    @Test
    void aHeartbeatWritesOnlyWhatItChanged() {
        heartbeat(join("a"));
        heartbeat(join("b"));
        Set<Integer> kept = assigned(heartbeat(beat("a", 1, 0, 1, 2, 3)));
        int before = context.log.size();

        heartbeat(beat("a", 1, kept.toArray(new Integer[0])));
        heartbeat(beat("b", 2, (Integer[]) null));

        assertThat(context.log.subList(before, context.log.size()))
                .as("a's revocation and b's new partitions: one member record each, the group's unchanged")
                .extracting(record -> GroupRecords.decodeKey(java.nio.ByteBuffer.wrap(record.key())))
                .containsExactly(new GroupRecords.ConsumerMemberKey("g", "a"),
                        new GroupRecords.ConsumerMemberKey("g", "b"));
        int stable = context.log.size();
        heartbeat(beat("a", 2, (Integer[]) null));
        assertThat(context.log).as("a plain heartbeat writes nothing").hasSize(stable);
    }

    @Test
    void aMemberRecordLeftBeforeItsGroupRecordByCompactionIsReplayed() {
        heartbeat(join("a"));
        List<io.strata.broker.coordinator.CoordinatorRecord> reordered = new ArrayList<>(context.log);
        Collections.reverse(reordered);
        GroupCoordinatorShard replayed = new GroupCoordinatorShard(new HandCoordinatorContext(), config,
                topics::get, () -> List.copyOf(topics.values()));
        for (int i = 0; i < reordered.size(); i++) {
            replayed.replay(i, reordered.get(i));
        }

        assertThat(replayed.describeConsumerGroup("g")).isEqualTo(shard.describeConsumerGroup("g"));
    }
}

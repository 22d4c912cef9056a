package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.HandCoordinatorContext;
import io.strata.broker.group.GroupCoordinator.OffsetCommit;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Share groups (KIP-932) of one {@code __consumer_offsets} partition on their own, with a hand-driven context: the
 * test decides when writes are committed and when time passes. Answers wait for their records; a replay rebuilds the
 * group; silent members go after the session timeout; an empty share group stays until deleted, and its deletion names
 * the partitions it had share state on; offsets APIs refuse a share group's id.
 */
@Timeout(30)
class ShareGroupShardTest {

    private static final Uuid ORDERS_ID = Uuid.randomUuid();

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final BrokerConfig config = BrokerConfig.of(Map.of());
    private final Map<String, TopicImage> topics = new HashMap<>();
    private final Map<String, Map<Uuid, Set<Integer>>> deleted = new HashMap<>();
    private final GroupCoordinatorShard shard = newShard(context);

    ShareGroupShardTest() {
        setOrders(3);
    }

    private void setOrders(int partitions) {
        List<PartitionAssignment> assignments = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            assignments.add(PartitionAssignment.initial(List.of(1)));
        }
        topics.put("orders", new TopicImage("orders", ORDERS_ID, assignments, Map.of(), false));
    }

    private GroupCoordinatorShard newShard(HandCoordinatorContext on) {
        return new GroupCoordinatorShard(on, config, topics::get, () -> List.copyOf(topics.values()),
                GroupConfigs.defaultsOf(config), deleted::put);
    }

    private static ShareGroupHeartbeatRequestData join(String memberId) {
        return new ShareGroupHeartbeatRequestData().setGroupId("g").setMemberId(memberId).setMemberEpoch(0)
                .setSubscribedTopicNames(List.of("orders"));
    }

    private static ShareGroupHeartbeatRequestData beat(String memberId, int epoch) {
        return new ShareGroupHeartbeatRequestData().setGroupId("g").setMemberId(memberId).setMemberEpoch(epoch);
    }

    private ShareGroupHeartbeatResponseData heartbeat(ShareGroupHeartbeatRequestData request) {
        CompletableFuture<ShareGroupHeartbeatResponseData> response = shard.shareGroupHeartbeat(request, "client",
                "/127.0.0.1");
        context.commitAll();
        return response.join();
    }

    @Test
    void aMemberJoinsAndIsAnsweredOnlyOnceItsRecordsAreCommitted() {
        CompletableFuture<ShareGroupHeartbeatResponseData> joined = shard.shareGroupHeartbeat(join("a"), "client",
                "/127.0.0.1");
        assertThat(joined).as("waits for the group's records").isNotDone();

        context.commitAll();

        assertThat(joined.join().errorCode()).isZero();
        assertThat(joined.join().memberEpoch()).isEqualTo(1);
        assertThat(joined.join().heartbeatIntervalMs()).isEqualTo(5000);
        assertThat(joined.join().assignment().topicPartitions().get(0).partitions()).containsExactly(0, 1, 2);
        assertThat(context.log).as("the group's record and its member's").hasSize(2);
        assertThat(heartbeat(beat("a", 1)).assignment()).as("nothing changed: no assignment sent").isNull();
    }

    @Test
    void aReplayRebuildsTheGroupItsMembersAndWhereItHasShareState() {
        heartbeat(join("a"));
        heartbeat(join("b"));
        heartbeat(beat("a", 1));
        heartbeat(beat("b", 2).setMemberId("b"));

        HandCoordinatorContext other = new HandCoordinatorContext();
        GroupCoordinatorShard replayed = newShard(other);
        for (int i = 0; i < context.log.size(); i++) {
            replayed.replay(i, context.log.get(i));
        }
        replayed.onLoaded();

        ShareGroupDescribeResponseData.DescribedGroup before = shard.describeShareGroup("g");
        ShareGroupDescribeResponseData.DescribedGroup after = replayed.describeShareGroup("g");
        assertThat(after.members()).hasSize(2).containsExactlyInAnyOrderElementsOf(before.members());
        assertThat(after.duplicate().setMembers(List.of())).isEqualTo(before.duplicate().setMembers(List.of()));
        assertThat(before.groupEpoch()).isEqualTo(2);

        CompletableFuture<ShareGroupHeartbeatResponseData> leftA = replayed.shareGroupHeartbeat(beat("a", -1),
                "client", "/127.0.0.1");
        CompletableFuture<ShareGroupHeartbeatResponseData> leftB = replayed.shareGroupHeartbeat(beat("b", -1),
                "client", "/127.0.0.1");
        other.commitAll();
        assertThat(leftA.join().errorCode()).isZero();
        assertThat(leftB.join().errorCode()).isZero();
        CompletableFuture<Errors> deletion = replayed.deleteGroup("g");
        other.commitAll();

        assertThat(deletion.join()).isEqualTo(Errors.NONE);
        assertThat(deleted).isEqualTo(Map.of("g", Map.of(ORDERS_ID, Set.of(0, 1, 2))));
        assertThat(replayed.describeShareGroup("g").errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
    }

    @Test
    void aSilentMemberIsRemovedAfterTheSessionTimeoutAndTheOthersTakeItsPartitions() {
        heartbeat(join("a"));
        heartbeat(join("b"));
        heartbeat(beat("a", 1));
        shard.onLoaded();

        context.advance(30_000);
        heartbeat(beat("a", 2));
        context.advance(20_000);
        context.commitAll();

        assertThat(heartbeat(beat("b", 2)).errorCode()).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
        ShareGroupHeartbeatResponseData a = heartbeat(beat("a", 2));
        assertThat(a.errorCode()).isZero();
        assertThat(a.memberEpoch()).isEqualTo(3);
        assertThat(a.assignment().topicPartitions().get(0).partitions()).containsExactly(0, 1, 2);
    }

    @Test
    void aShareGroupWithMembersIsNotDeletedAndAnEmptyOneStaysUntilDeleted() {
        heartbeat(join("a"));
        CompletableFuture<Errors> refused = shard.deleteGroup("g");
        assertThat(refused.join()).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(deleted).isEmpty();

        heartbeat(beat("a", -1));
        shard.onLoaded();
        context.advance(config.offsetsRetentionCheckIntervalMs + 1);
        context.commitAll();

        assertThat(shard.describeShareGroup("g").groupState()).as("no offsets to expire it by").isEqualTo("Empty");
    }

    @Test
    void offsetApisRefuseAShareGroupsId() {
        heartbeat(join("a"));
        TopicPartition orders0 = new TopicPartition("orders", 0);

        CompletableFuture<List<GroupCoordinator.CommitResult>> commit = shard.commitOffsets("g", "", null, -1,
                List.of(new OffsetCommit(orders0, 5, -1, "")));
        CompletableFuture<List<GroupCoordinator.CommitResult>> transactional = shard.commitTransactionalOffsets("g",
                4000L, "", null, -1, List.of(new OffsetCommit(orders0, 5, -1, "")));
        CompletableFuture<Map.Entry<Errors, Map<TopicPartition, Errors>>> deletion = shard.deleteOffsets("g",
                List.of(orders0));
        context.commitAll();

        assertThat(commit.join()).extracting(GroupCoordinator.CommitResult::error)
                .containsExactly(Errors.GROUP_ID_NOT_FOUND);
        assertThat(transactional.join()).extracting(GroupCoordinator.CommitResult::error)
                .containsExactly(Errors.GROUP_ID_NOT_FOUND);
        assertThat(shard.fetchOffsets("g", null)).isEmpty();
        assertThat(deletion.join().getKey()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(shard.listGroups()).extracting(GroupCoordinator.GroupListing::type).containsExactly("share");
    }

    @Test
    void aNewPartitionStartsANewEpochThatAssignsIt() {
        heartbeat(join("a"));
        setOrders(4);

        ShareGroupHeartbeatResponseData a = heartbeat(beat("a", 1));

        assertThat(a.memberEpoch()).isEqualTo(2);
        assertThat(a.assignment().topicPartitions().get(0).partitions()).containsExactly(0, 1, 2, 3);
    }

    @Test
    void aGroupAtItsMaximumSizeRefusesANewMemberButNotAKnownOne() {
        GroupCoordinatorShard small = new GroupCoordinatorShard(context, BrokerConfig.of(Map.of(
                BrokerConfig.GROUP_SHARE_MAX_SIZE, 1)), topics::get, () -> List.copyOf(topics.values()));
        CompletableFuture<ShareGroupHeartbeatResponseData> first = small.shareGroupHeartbeat(join("a"), "c", "h");
        context.commitAll();
        assertThat(first.join().errorCode()).isZero();

        ShareGroupHeartbeatResponseData second = small.shareGroupHeartbeat(join("b"), "c", "h").join();
        ShareGroupHeartbeatResponseData again = small.shareGroupHeartbeat(beat("a", 1), "c", "h").join();

        assertThat(second.errorCode()).isEqualTo(Errors.GROUP_MAX_SIZE_REACHED.code());
        assertThat(second.errorMessage()).contains("maximum size of 1");
        assertThat(again.errorCode()).isZero();
    }
}

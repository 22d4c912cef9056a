package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.HandCoordinatorContext;
import io.strata.broker.group.GroupCoordinator.CommitResult;
import io.strata.broker.group.GroupCoordinator.GroupSummary;
import io.strata.broker.group.GroupCoordinator.OffsetCommit;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The classic group state machine of one {@code __consumer_offsets} partition on its own, single-threaded, with a
 * hand-driven context in place of the runtime: the test decides when a write is committed or fails, and when time
 * passes.
 */
@Timeout(30)
class GroupCoordinatorShardTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicImage ORDERS = new TopicImage("orders", Uuid.randomUuid(),
            List.of(PartitionAssignment.initial(List.of(1))), Map.of(), false);

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.GROUP_INITIAL_REBALANCE_DELAY_MS, 0));
    private final GroupCoordinatorShard shard = newShard(context);

    private GroupCoordinatorShard newShard(CoordinatorContext on) {
        return new GroupCoordinatorShard(on, config, name -> name.equals("orders") ? ORDERS : null);
    }

    private static JoinGroupRequestData join(String memberId, String instanceId) {
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
                new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[]{1}));
        return new JoinGroupRequestData().setGroupId("g").setMemberId(memberId).setGroupInstanceId(instanceId)
                .setProtocolType("consumer").setProtocols(protocols).setSessionTimeoutMs(10_000)
                .setRebalanceTimeoutMs(30_000);
    }

    /** Joins a new member as kafka-clients does (MEMBER_ID_REQUIRED first), and returns its JoinGroup answer. */
    private AtomicReference<JoinGroupResponseData> joinNew(String instanceId) {
        AtomicReference<JoinGroupResponseData> first = new AtomicReference<>();
        shard.joinGroup(join("", instanceId), (short) 9, "client", "/127.0.0.1", first::set);
        AtomicReference<JoinGroupResponseData> answer = new AtomicReference<>();
        if (first.get() == null) {
            return first; // answered once something is durable
        }
        if (first.get().errorCode() == Errors.MEMBER_ID_REQUIRED.code()) {
            shard.joinGroup(join(first.get().memberId(), instanceId), (short) 9, "client", "/127.0.0.1",
                    answer::set);
        } else {
            answer.set(first.get());
        }
        return answer;
    }

    private AtomicReference<SyncResult> sync(JoinGroupResponseData joined, byte[] assignment) {
        AtomicReference<SyncResult> answer = new AtomicReference<>();
        SyncGroupRequestData request = new SyncGroupRequestData().setGroupId("g").setMemberId(joined.memberId())
                .setGenerationId(joined.generationId()).setProtocolType("consumer").setProtocolName("range");
        if (assignment != null) {
            request.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment()
                    .setMemberId(joined.memberId()).setAssignment(assignment));
        }
        shard.syncGroup(request, answer::set);
        return answer;
    }

    private static List<OffsetCommit> commit(long offset) {
        return List.of(new OffsetCommit(ORDERS_0, offset, -1, ""));
    }

    @Test
    void aCommittedOffsetIsAnsweredAndVisibleOnlyOnceItsRecordIsCommitted() {
        CompletableFuture<List<CommitResult>> committed = shard.commitOffsets("g", "", null, -1, commit(42));

        assertThat(committed).as("waits for the in-sync replicas, without blocking anyone").isNotDone();
        assertThat(shard.fetchOffsets("g", null)).isEmpty();

        context.commitAll();

        assertThat(committed.join()).containsExactly(new CommitResult(ORDERS_0, Errors.NONE));
        assertThat(shard.fetchOffsets("g", null).get(ORDERS_0).offset()).isEqualTo(42);
    }

    @Test
    void aCommitWhoseWriteFailsIsAnsweredWithTheErrorAndChangesNothing() {
        shard.commitOffsets("g", "", null, -1, commit(1));
        context.commitAll();

        CompletableFuture<List<CommitResult>> failed = shard.commitOffsets("g", "", null, -1, commit(2));
        context.failAll(Errors.NOT_COORDINATOR);

        assertThat(failed.join()).containsExactly(new CommitResult(ORDERS_0, Errors.NOT_COORDINATOR));
        assertThat(shard.fetchOffsets("g", null).get(ORDERS_0).offset()).isEqualTo(1);
    }

    @Test
    void commitsForUnknownPartitionsAndTooLongMetadataAreRefusedWithoutAWrite() {
        List<OffsetCommit> commits = List.of(new OffsetCommit(new TopicPartition("nope", 0), 1, -1, ""),
                new OffsetCommit(ORDERS_0, 1, -1, "x".repeat(config.offsetMetadataMaxBytes + 1)));

        CompletableFuture<List<CommitResult>> results = shard.commitOffsets("g", "", null, -1, commits);

        assertThat(context.pending).singleElement().satisfies(write -> assertThat(write.records()).isEmpty());
        context.commitAll();
        assertThat(results.join()).extracting(CommitResult::error)
                .containsExactly(Errors.UNKNOWN_TOPIC_OR_PARTITION, Errors.OFFSET_METADATA_TOO_LARGE);
    }

    @Test
    void aMemberJoinsAndGetsItsAssignmentOnlyOnceTheGroupRecordIsCommitted() {
        JoinGroupResponseData joined = joinNew(null).get();
        assertThat(joined.errorCode()).isZero();
        assertThat(joined.generationId()).isEqualTo(1);
        assertThat(joined.leader()).isEqualTo(joined.memberId());

        AtomicReference<SyncResult> synced = sync(joined, new byte[]{7});
        assertThat(synced.get()).as("the assignment is not durable yet").isNull();
        assertThat(shard.describeGroup("g").state()).isEqualTo(GroupState.COMPLETING_REBALANCE);

        context.commitAll();

        assertThat(synced.get().errorCode()).isZero();
        assertThat(synced.get().assignment()).containsExactly(7);
        assertThat(shard.describeGroup("g").state()).isEqualTo(GroupState.STABLE);
        assertThat(shard.heartbeat("g", joined.memberId(), null, 1)).isEqualTo(Errors.NONE);
    }

    @Test
    void anAssignmentThatCannotBeStoredFailsTheSyncAndStartsARebalance() {
        JoinGroupResponseData joined = joinNew(null).get();
        AtomicReference<SyncResult> synced = sync(joined, new byte[]{7});

        context.failAll(Errors.COORDINATOR_NOT_AVAILABLE);

        assertThat(synced.get().errorCode()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE.code());
        assertThat(shard.describeGroup("g").state()).isEqualTo(GroupState.PREPARING_REBALANCE);
        assertThat(shard.heartbeat("g", joined.memberId(), null, 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
    }

    @Test
    void aMemberWithoutHeartbeatsIsRemovedAfterItsSessionTimeout() {
        JoinGroupResponseData joined = joinNew(null).get();
        sync(joined, new byte[]{7});
        context.commitAll();
        shard.onLoaded();

        context.advance(5_000);
        assertThat(shard.heartbeat("g", joined.memberId(), null, 1)).isEqualTo(Errors.NONE);
        context.advance(10_500);

        assertThat(shard.describeGroup("g").members()).isEmpty();
        assertThat(shard.describeGroup("g").state()).isEqualTo(GroupState.EMPTY);
    }

    @Test
    void aStaticMemberRestartingInAStableGroupTakesItsPlaceWithoutARebalance() {
        JoinGroupResponseData first = joinNew("instance-1").get();
        sync(first, new byte[]{3});
        context.commitAll();

        AtomicReference<JoinGroupResponseData> again = joinNew("instance-1");
        assertThat(again.get()).as("answered once the new member id is durable").isNull();
        context.commitAll();

        assertThat(again.get().errorCode()).isZero();
        assertThat(again.get().memberId()).isNotEqualTo(first.memberId());
        assertThat(again.get().generationId()).isEqualTo(first.generationId());
        assertThat(again.get().skipAssignment()).as("the leader keeps the assignment it made").isTrue();
        assertThat(again.get().members()).hasSize(1);
        assertThat(shard.describeGroup("g").state()).isEqualTo(GroupState.STABLE);
        assertThat(shard.heartbeat("g", first.memberId(), "instance-1", first.generationId()))
                .isEqualTo(Errors.FENCED_INSTANCE_ID);
    }

    @Test
    void unloadingAnswersWaitingMembersNotCoordinator() {
        JoinGroupResponseData joined = joinNew(null).get();
        AtomicReference<SyncResult> synced = new AtomicReference<>();
        shard.syncGroup(new SyncGroupRequestData().setGroupId("g").setMemberId(joined.memberId())
                .setGenerationId(joined.generationId()), synced::set);
        // The follower-less leader's sync is written; a second member would wait the same way.
        shard.onUnloaded();

        assertThat(shard.describeGroup("g").error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    @Test
    void aTransactionalOffsetIsPendingUntilTheCommitMarkerThenCommitted() {
        shard.commitOffsets("g", "", null, -1, commit(10));
        context.commitAll();
        CompletableFuture<List<CommitResult>> pending = shard.commitTransactionalOffsets("g", 77, "", null, -1,
                commit(42));
        context.commitAll();

        assertThat(pending.join()).containsExactly(new CommitResult(ORDERS_0, Errors.NONE));
        assertThat(shard.fetchOffsets("g", null).get(ORDERS_0).offset()).as("not before the marker").isEqualTo(10);
        assertThat(shard.unstableOffsets("g", List.of(ORDERS_0))).containsExactly(ORDERS_0);
        assertThat(shard.unstableOffsets("other", null)).isEmpty();

        CompletableFuture<Errors> completed = shard.completeTransaction(77, true);
        assertThat(completed).as("once the change is durable").isNotDone();
        context.commitAll();

        assertThat(completed.join()).isEqualTo(Errors.NONE);
        assertThat(shard.fetchOffsets("g", null).get(ORDERS_0).offset()).isEqualTo(42);
        assertThat(shard.unstableOffsets("g", null)).isEmpty();
    }

    @Test
    void anAbortMarkerDropsTheTransactionsOffsets() {
        shard.commitOffsets("g", "", null, -1, commit(10));
        shard.commitTransactionalOffsets("g", 77, "", null, -1, commit(42));
        context.commitAll();

        shard.completeTransaction(77, false);
        context.commitAll();

        assertThat(shard.fetchOffsets("g", null).get(ORDERS_0).offset()).isEqualTo(10);
        assertThat(shard.unstableOffsets("g", null)).isEmpty();
        assertThat(shard.completeTransaction(77, true).join()).as("a repeated marker finds nothing to do")
                .isEqualTo(Errors.NONE);
        assertThat(context.pending).isEmpty();
    }

    @Test
    void anOffsetAnOpenTransactionHoldsDoesNotExpireUnderIt() {
        shard.onLoaded();
        shard.commitOffsets("g", "", null, -1, commit(10));
        shard.commitOffsets("h", "", null, -1, commit(11));
        shard.commitTransactionalOffsets("g", 77, "", null, -1, commit(42));
        context.commitAll();

        context.advance(config.offsetsRetentionMs + config.offsetsRetentionCheckIntervalMs);
        context.commitAll();

        assertThat(shard.fetchOffsets("h", null)).as("expired").isEmpty();
        assertThat(shard.fetchOffsets("g", null)).as("held by the open transaction").containsOnlyKeys(ORDERS_0);
        shard.completeTransaction(77, true);
        context.commitAll();
        assertThat(shard.fetchOffsets("g", null).get(ORDERS_0).offset()).isEqualTo(42);
    }

    @Test
    void aTransactionalCommitOfAMemberIsFencedByGenerationAndMemberId() {
        JoinGroupResponseData joined = joinNew(null).get();
        sync(joined, new byte[]{1});
        context.commitAll();

        assertThat(shard.commitTransactionalOffsets("g", 77, joined.memberId(), null, joined.generationId() - 1,
                commit(1)).join()).containsExactly(new CommitResult(ORDERS_0, Errors.ILLEGAL_GENERATION));
        assertThat(shard.commitTransactionalOffsets("g", 77, "stranger", null, joined.generationId(), commit(1))
                .join()).containsExactly(new CommitResult(ORDERS_0, Errors.UNKNOWN_MEMBER_ID));
        CompletableFuture<List<CommitResult>> fromMember = shard.commitTransactionalOffsets("g", 77,
                joined.memberId(), null, joined.generationId(), commit(5));
        CompletableFuture<List<CommitResult>> outsideTheGroup = shard.commitTransactionalOffsets("g", 78, "", null,
                -1, commit(6));
        context.commitAll();
        assertThat(fromMember.join()).containsExactly(new CommitResult(ORDERS_0, Errors.NONE));
        assertThat(outsideTheGroup.join()).as("a producer outside the group commits whatever its state")
                .containsExactly(new CommitResult(ORDERS_0, Errors.NONE));
    }

    @Test
    void pendingTransactionalOffsetsSurviveAReload() {
        shard.commitTransactionalOffsets("g", 77, "", null, -1, commit(42));
        shard.commitTransactionalOffsets("g", 78, "", null, -1, commit(43));
        context.commitAll();
        shard.completeTransaction(78, false);
        context.commitAll();

        HandCoordinatorContext after = new HandCoordinatorContext();
        GroupCoordinatorShard reloaded = newShard(after);
        long offset = 0;
        for (CoordinatorRecord record : context.log) {
            reloaded.replay(offset++, record);
        }

        assertThat(reloaded.unstableOffsets("g", null)).containsExactly(ORDERS_0);
        reloaded.completeTransaction(77, true);
        after.commitAll();
        assertThat(reloaded.fetchOffsets("g", null).get(ORDERS_0).offset()).isEqualTo(42);
    }

    @Test
    void replayingTheWrittenRecordsRebuildsGroupsAndOffsets() {
        JoinGroupResponseData joined = joinNew("instance-1").get();
        sync(joined, new byte[]{9});
        context.commitAll();
        shard.commitOffsets("g", joined.memberId(), "instance-1", joined.generationId(), commit(17));
        shard.commitOffsets("simple", "", null, -1, commit(5));
        context.commitAll();
        shard.deleteGroup("simple");
        context.commitAll();

        GroupCoordinatorShard reloaded = newShard(new HandCoordinatorContext());
        long offset = 0;
        for (CoordinatorRecord record : context.log) {
            reloaded.replay(offset++, record);
        }

        GroupSummary group = reloaded.describeGroup("g");
        assertThat(group.state()).isEqualTo(GroupState.STABLE);
        assertThat(group.members()).singleElement().satisfies(member -> {
            assertThat(member.memberId()).isEqualTo(joined.memberId());
            assertThat(member.groupInstanceId()).isEqualTo("instance-1");
            assertThat(member.assignment()).containsExactly(9);
        });
        assertThat(reloaded.fetchOffsets("g", null).get(ORDERS_0).offset()).isEqualTo(17);
        assertThat(reloaded.describeGroup("simple").error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(reloaded.fetchOffsets("simple", null)).isEmpty();
    }

    @Test
    void aGroupWithMembersCannotBeDeletedAndAnEmptyOneGoesWithItsOffsets() {
        JoinGroupResponseData joined = joinNew(null).get();
        sync(joined, new byte[]{1});
        context.commitAll();
        assertThat(shard.deleteGroup("g").join()).isEqualTo(Errors.NON_EMPTY_GROUP);

        shard.commitOffsets("empty", "", null, -1, commit(3));
        context.commitAll();
        CompletableFuture<Errors> deleted = shard.deleteGroup("empty");
        assertThat(shard.fetchOffsets("empty", null)).as("still there until the tombstones are committed")
                .isNotEmpty();
        context.commitAll();

        assertThat(deleted.join()).isEqualTo(Errors.NONE);
        assertThat(shard.fetchOffsets("empty", null)).isEmpty();
        assertThat(shard.listGroups()).extracting(GroupCoordinator.GroupListing::groupId).containsExactly("g");
    }

    @Test
    void aStaticMemberWhoseReplacementCannotBeStoredKeepsItsPreviousPlace() {
        JoinGroupResponseData first = joinNew("instance-1").get();
        sync(first, new byte[]{3});
        context.commitAll();

        AtomicReference<JoinGroupResponseData> again = joinNew("instance-1");
        context.failAll(Errors.COORDINATOR_NOT_AVAILABLE);

        assertThat(again.get().errorCode()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE.code());
        assertThat(shard.heartbeat("g", first.memberId(), "instance-1", first.generationId()))
                .as("the previous instance was not fenced").isEqualTo(Errors.NONE);
        assertThat(shard.describeGroup("g").members()).extracting(GroupCoordinator.MemberSummary::memberId)
                .containsExactly(first.memberId());
    }

    @Test
    void aSimpleCommitWrittenWhileItsGroupExpiredBringsTheGroupBack() {
        shard.commitOffsets("late", "", null, -1, commit(1));
        context.commitAll();
        CompletableFuture<Errors> deleted = shard.deleteGroup("late");
        CompletableFuture<List<CommitResult>> committed = shard.commitOffsets("late", "", null, -1, commit(2));

        context.commitAll();

        assertThat(deleted.join()).isEqualTo(Errors.NONE);
        assertThat(committed.join()).extracting(CommitResult::error).containsExactly(Errors.NONE);
        assertThat(shard.listGroups()).extracting(GroupCoordinator.GroupListing::groupId).contains("late");
        assertThat(shard.fetchOffsets("late", null).get(ORDERS_0).offset()).isEqualTo(2);
    }
}

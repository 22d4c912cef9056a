package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.HandCoordinatorContext;
import io.strata.broker.group.GroupCoordinator.CommitResult;
import io.strata.broker.group.GroupCoordinator.OffsetCommit;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka's mixed groups on one {@code __consumer_offsets} partition, with a hand-driven context: a classic group with
 * members becomes a consumer group when a consumer-protocol member joins (online upgrade), classic members inside a
 * consumer group join, sync, heartbeat, commit and leave with the classic protocol and reconcile through rejoins, the
 * group becomes classic again when its last consumer-protocol member leaves (online downgrade), each as
 * {@code group.consumer.migration.policy} allows, and a mixed group is replayed exactly. The simulated clients behave as
 * kafka-clients' do (a classic member revokes what its SyncGroup no longer gives it and rejoins when told to); after
 * every step, no partition is owned by two members, neither on the broker nor by the clients.
 */
@Timeout(30)
class MixedConsumerGroupShardTest {

    private static final Uuid ORDERS_ID = Uuid.randomUuid();

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final Map<String, TopicImage> topics = new HashMap<>();
    private BrokerConfig config = configWith("bidirectional");
    private GroupCoordinatorShard shard = newShard();

    /** What each simulated client believes it owns now. */
    private final Map<String, Set<Integer>> clientOwned = new LinkedHashMap<>();

    MixedConsumerGroupShardTest() {
        List<PartitionAssignment> assignments = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            assignments.add(PartitionAssignment.initial(List.of(1)));
        }
        topics.put("orders", new TopicImage("orders", ORDERS_ID, assignments, Map.of(), false));
    }

    private static BrokerConfig configWith(String policy, Object... more) {
        Map<String, Object> settings = new HashMap<>(Map.of(BrokerConfig.GROUP_INITIAL_REBALANCE_DELAY_MS, 0,
                BrokerConfig.GROUP_CONSUMER_MIGRATION_POLICY, policy));
        for (int i = 0; i < more.length; i += 2) {
            settings.put((String) more[i], more[i + 1]);
        }
        return BrokerConfig.of(settings);
    }

    private GroupCoordinatorShard newShard() {
        return new GroupCoordinatorShard(context, config, topics::get, () -> List.copyOf(topics.values()));
    }

    // ------------------------------------------------------------------------------------------ classic clients

    private static byte[] subscription(Set<Integer> owned) {
        List<TopicPartition> ownedPartitions = new ArrayList<>();
        owned.forEach(p -> ownedPartitions.add(new TopicPartition("orders", p)));
        ByteBuffer buffer = ConsumerProtocol.serializeSubscription(new ConsumerPartitionAssignor.Subscription(
                List.of("orders"), null, ownedPartitions));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static byte[] assignment(Integer... partitions) {
        List<TopicPartition> list = new ArrayList<>();
        for (int p : partitions) {
            list.add(new TopicPartition("orders", p));
        }
        ByteBuffer buffer = ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(list));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static Set<Integer> partitionsOf(byte[] assignment) {
        Set<Integer> partitions = new TreeSet<>();
        ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(assignment)).partitions()
                .forEach(tp -> partitions.add(tp.partition()));
        return partitions;
    }

    private static JoinGroupRequestData classicJoin(String memberId, String instanceId, Set<Integer> owned) {
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
                new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        byte[] metadata = subscription(owned);
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(metadata));
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("cooperative-sticky")
                .setMetadata(metadata));
        return new JoinGroupRequestData().setGroupId("g").setMemberId(memberId).setGroupInstanceId(instanceId)
                .setProtocolType("consumer").setProtocols(protocols).setSessionTimeoutMs(10_000)
                .setRebalanceTimeoutMs(20_000);
    }

    /** Sends a JoinGroup, commits what it wrote, and returns its answer (null if it waits for a rebalance). */
    private JoinGroupResponseData join(JoinGroupRequestData request) {
        AtomicReference<JoinGroupResponseData> answer = new AtomicReference<>();
        shard.joinGroup(request, (short) 9, "classic-client", "/127.0.0.1", answer::set);
        context.commitAll();
        return answer.get();
    }

    /** A new classic member as kafka-clients joins: MEMBER_ID_REQUIRED first, then with its id. */
    private JoinGroupResponseData joinNewClassic() {
        JoinGroupResponseData first = join(classicJoin("", null, Set.of()));
        assertThat(first.errorCode()).isEqualTo(Errors.MEMBER_ID_REQUIRED.code());
        return join(classicJoin(first.memberId(), null, Set.of()));
    }

    private SyncResult sync(String memberId, int generation, String protocolName,
                            Map<String, byte[]> assignments) {
        AtomicReference<SyncResult> answer = new AtomicReference<>();
        SyncGroupRequestData request = new SyncGroupRequestData().setGroupId("g").setMemberId(memberId)
                .setGenerationId(generation).setProtocolType("consumer").setProtocolName(protocolName);
        assignments.forEach((member, bytes) -> request.assignments().add(
                new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(member).setAssignment(bytes)));
        shard.syncGroup(request, answer::set);
        context.commitAll();
        return answer.get();
    }

    /**
     * A classic member's rejoin in a consumer group, as a cooperative kafka-clients consumer does it: JoinGroup with
     * what it owns, SyncGroup, and it owns what the assignment says (revoking the rest). Returns its generation.
     */
    private int rejoinClassic(String memberId) {
        for (int attempt = 0; attempt < 3; attempt++) {
            JoinGroupResponseData joined = join(classicJoin(memberId, null, clientOwned.get(memberId)));
            assertThat(joined.errorCode()).as("join of " + memberId).isZero();
            assertThat(joined.protocolName()).as("the first protocol it supports").isEqualTo("range");
            assertNoPartitionOwnedTwice();
            SyncResult synced = sync(memberId, joined.generationId(), "range", Map.of());
            if (synced.errorCode() == Errors.REBALANCE_IN_PROGRESS.code()) {
                continue; // a newer epoch began meanwhile: kafka-clients rejoins at once
            }
            assertThat(synced.errorCode()).as("sync of " + memberId).isZero();
            clientOwned.put(memberId, partitionsOf(synced.assignment()));
            assertNoPartitionOwnedTwice();
            return joined.generationId();
        }
        throw new AssertionError("member " + memberId + " was told to rejoin three times in a row");
    }

    /**
     * A classic group of two members, c1 with partitions 0 and 1, c2 with 2 and 3, stable at generation 2. Returns
     * their member ids.
     */
    private List<String> stableClassicGroupOfTwo() {
        JoinGroupResponseData first = joinNewClassic();
        assertThat(first.generationId()).isEqualTo(1);
        AtomicReference<JoinGroupResponseData> second = new AtomicReference<>();
        JoinGroupResponseData required = join(classicJoin("", null, Set.of()));
        shard.joinGroup(classicJoin(required.memberId(), null, Set.of()), (short) 9, "classic-client",
                "/127.0.0.1", second::set);
        JoinGroupResponseData firstAgain = join(classicJoin(first.memberId(), null, Set.of()));
        assertThat(firstAgain.generationId()).isEqualTo(2);
        String c1 = firstAgain.memberId();
        String c2 = second.get().memberId();
        assertThat(sync(c1, 2, "range", Map.of(c1, assignment(0, 1), c2, assignment(2, 3))).errorCode()).isZero();
        assertThat(sync(c2, 2, "range", Map.of()).errorCode()).isZero();
        assertThat(shard.describeGroup("g").state()).isEqualTo(GroupState.STABLE);
        clientOwned.put(c1, new TreeSet<>(Set.of(0, 1)));
        clientOwned.put(c2, new TreeSet<>(Set.of(2, 3)));
        return List.of(c1, c2);
    }

    // ------------------------------------------------------------------------------------------ consumer clients

    private ConsumerGroupHeartbeatResponseData heartbeat(ConsumerGroupHeartbeatRequestData request) {
        CompletableFuture<ConsumerGroupHeartbeatResponseData> response = shard.consumerGroupHeartbeat(request,
                "consumer-client", "/127.0.0.1");
        context.commitAll();
        return response.join();
    }

    private static ConsumerGroupHeartbeatRequestData consumerJoin(String memberId) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId(memberId).setMemberEpoch(0)
                .setRebalanceTimeoutMs(30_000).setSubscribedTopicNames(List.of("orders"))
                .setTopicPartitions(List.of());
    }

    /** A consumer-protocol member's heartbeat, saying what it owns; it then owns what the answer gives it. */
    private int beat(String memberId, int epoch) {
        ConsumerGroupHeartbeatResponseData response = heartbeat(new ConsumerGroupHeartbeatRequestData()
                .setGroupId("g").setMemberId(memberId).setMemberEpoch(epoch)
                .setTopicPartitions(List.of(new ConsumerGroupHeartbeatRequestData.TopicPartitions()
                        .setTopicId(ORDERS_ID).setPartitions(new ArrayList<>(clientOwned.get(memberId))))));
        assertThat(response.errorCode()).as("heartbeat of " + memberId + ": " + response.errorMessage()).isZero();
        if (response.assignment() != null) {
            Set<Integer> owned = new TreeSet<>();
            response.assignment().topicPartitions().forEach(tp -> owned.addAll(tp.partitions()));
            clientOwned.put(memberId, owned);
        }
        assertNoPartitionOwnedTwice();
        return response.memberEpoch();
    }

    private int joinConsumer(String memberId) {
        ConsumerGroupHeartbeatResponseData joined = heartbeat(consumerJoin(memberId));
        assertThat(joined.errorCode()).as(joined.errorMessage()).isZero();
        Set<Integer> owned = new TreeSet<>();
        joined.assignment().topicPartitions().forEach(tp -> owned.addAll(tp.partitions()));
        clientOwned.put(memberId, owned);
        assertNoPartitionOwnedTwice();
        return joined.memberEpoch();
    }

    // ------------------------------------------------------------------------------------------ checks

    private ConsumerGroup consumerGroup() {
        Group group = shard.group("g");
        assertThat(group).isInstanceOf(ConsumerGroup.class);
        return (ConsumerGroup) group;
    }

    /** No partition owned by two members: on the broker (assigned or pending revocation) and by the clients. */
    private void assertNoPartitionOwnedTwice() {
        Map<Integer, String> byClient = new HashMap<>();
        clientOwned.forEach((member, owned) -> owned.forEach(p -> assertThat(byClient.put(p, member))
                .as("partition %d owned by clients %s and %s", p, byClient.get(p), member).isNull()));
        if (shard.group("g") instanceof ConsumerGroup group) {
            Map<Integer, String> byBroker = new HashMap<>();
            for (ConsumerGroupMember member : group.members.values()) {
                Set<Integer> owned = new TreeSet<>(member.assigned.getOrDefault(ORDERS_ID, Set.of()));
                owned.addAll(member.pendingRevocation.getOrDefault(ORDERS_ID, Set.of()));
                owned.forEach(p -> assertThat(byBroker.put(p, member.memberId))
                        .as("partition %d owned on the broker by %s and %s", p, byBroker.get(p), member.memberId)
                        .isNull());
                // What a client still owns, its broker-side member owns too: nobody else was given it.
                assertThat(owned).containsAll(clientOwned.getOrDefault(member.memberId, Set.of()));
            }
        }
    }

    /**
     * Runs the clients as kafka-clients would, classic members heartbeating (and rejoining when told) and
     * consumer-protocol members heartbeating, until the group is stable with every partition owned.
     */
    private void driveUntilStable(Map<String, Integer> epochs, Set<String> classicMembers) {
        for (int round = 0; round < 20; round++) {
            for (String member : List.copyOf(epochs.keySet())) {
                if (classicMembers.contains(member)) {
                    Errors error = shard.heartbeat("g", member, null, epochs.get(member));
                    if (error == Errors.REBALANCE_IN_PROGRESS) {
                        epochs.put(member, rejoinClassic(member));
                    } else {
                        assertThat(error).as("heartbeat of classic member " + member).isEqualTo(Errors.NONE);
                    }
                } else {
                    epochs.put(member, beat(member, epochs.get(member)));
                }
            }
            Set<Integer> owned = new TreeSet<>();
            clientOwned.values().forEach(owned::addAll);
            if (shard.describeConsumerGroup("g").groupState().equals("Stable") && owned.size() == 4) {
                return;
            }
        }
        throw new AssertionError("the group did not become stable: clients own " + clientOwned + ", epochs "
                + epochs + "; " + shard.describeConsumerGroup("g"));
    }

    // ------------------------------------------------------------------------------------------ upgrade

    @Test
    void aClassicGroupWithMembersBecomesAConsumerGroupWhenAConsumerProtocolMemberJoins() {
        List<String> classic = stableClassicGroupOfTwo();
        String c1 = classic.get(0);
        String c2 = classic.get(1);

        int epoch = joinConsumer("a");

        ConsumerGroup group = consumerGroup();
        assertThat(epoch).as("the classic generation, then a new epoch for the joining member").isEqualTo(3);
        assertThat(clientOwned.get("a")).as("every partition is still owned by the classic members").isEmpty();
        assertThat(group.member(c1).usesClassicProtocol()).isTrue();
        assertThat(group.member(c1).memberEpoch).as("the generation as member epoch").isEqualTo(2);
        assertThat(group.member(c1).assigned).isEqualTo(Map.of(ORDERS_ID, Set.of(0, 1)));
        assertThat(group.member(c2).assigned).isEqualTo(Map.of(ORDERS_ID, Set.of(2, 3)));
        assertThat(group.member(c1).classic.sessionTimeoutMs()).isEqualTo(10_000);
        assertThat(group.member(c1).classic.protocols()).containsOnlyKeys("range", "cooperative-sticky");
        ConsumerGroupDescribeResponseData.DescribedGroup described = shard.describeConsumerGroup("g");
        assertThat(described.members()).extracting(ConsumerGroupDescribeResponseData.Member::memberType)
                .containsExactlyInAnyOrder((byte) 0, (byte) 0, (byte) 1);
        assertThat(shard.describeGroup("g").errorMessage()).isEqualTo("Group g is not a classic group.");
        assertThat(shard.listGroups()).singleElement().satisfies(listing ->
                assertThat(listing.type()).isEqualTo("consumer"));

        Map<String, Integer> epochs = new LinkedHashMap<>(Map.of(c1, 2, c2, 2, "a", epoch));
        driveUntilStable(epochs, Set.of(c1, c2));

        assertThat(clientOwned.values()).allSatisfy(owned -> assertThat(owned).isNotEmpty());
        assertThat(epochs.values()).as("everyone at the new epoch").containsOnly(3);
    }

    @Test
    void membersWaitingInAClassicRebalanceAreToldToRejoinTheConsumerGroup() {
        stableClassicGroupOfTwo();
        AtomicReference<JoinGroupResponseData> waiting = new AtomicReference<>();
        JoinGroupResponseData required = join(classicJoin("", null, Set.of()));
        shard.joinGroup(classicJoin(required.memberId(), null, Set.of()), (short) 9, "classic-client", "/127.0.0.1",
                waiting::set);
        assertThat(waiting.get()).as("a rebalance waits for the others").isNull();

        joinConsumer("a");

        assertThat(waiting.get().errorCode()).isEqualTo(Errors.REBALANCE_IN_PROGRESS.code());
        assertThat(consumerGroup().members).hasSize(4);
    }

    @Test
    void anUpgradeIsRefusedForAGroupOfAnotherProtocolTypeMalformedMetadataOrTooManyMembers() {
        JoinGroupRequestData connect = classicJoin("", null, Set.of()).setProtocolType("connect");
        join(classicJoin("", null, Set.of()).setGroupId("other"));
        String required = join(connect).memberId();
        join(connect.setMemberId(required));
        ConsumerGroupHeartbeatResponseData refused = heartbeat(consumerJoin("a"));
        assertThat(refused.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(refused.errorMessage()).contains("protocol type is connect");

        JoinGroupRequestData garbage = classicJoin("", null, Set.of()).setGroupId("garbled");
        garbage.protocols().forEach(protocol -> protocol.setMetadata(new byte[]{7, 7}));
        join(garbage.setMemberId(join(garbage).memberId()));
        ConsumerGroupHeartbeatResponseData malformed = heartbeat(consumerJoin("a").setGroupId("garbled"));
        assertThat(malformed.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(malformed.errorMessage()).contains("embedded consumer protocol is malformed");
        assertThat(shard.group("garbled")).as("still the classic group it was").isInstanceOf(ClassicGroup.class);

        config = configWith("bidirectional", BrokerConfig.GROUP_CONSUMER_MAX_SIZE, 1);
        shard = newShard();
        stableClassicGroupOfTwo();
        ConsumerGroupHeartbeatResponseData tooMany = heartbeat(consumerJoin("a"));
        assertThat(tooMany.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(tooMany.errorMessage()).contains("group.consumer.max.size");
    }

    // ------------------------------------------------------------------------------------------ classic members

    @Test
    void aClassicMemberJoinsSyncsHeartbeatsCommitsAndLeavesAConsumerGroup() {
        joinConsumer("a");
        JoinGroupResponseData joined = joinNewClassic();
        String c = joined.memberId();
        clientOwned.put(c, new TreeSet<>());
        assertThat(joined.errorCode()).isZero();
        assertThat(joined.generationId()).isEqualTo(2);
        assertThat(joined.protocolType()).isEqualTo("consumer");
        assertThat(joined.protocolName()).isEqualTo("range");
        assertThat(joined.members()).as("the broker assigns: nobody leads").isEmpty();
        SyncResult synced = sync(c, 2, "range", Map.of());
        assertThat(synced.errorCode()).isZero();
        assertThat(partitionsOf(synced.assignment())).as("a owns them all until it revokes").isEmpty();
        assertThat(sync(c, 2, "roundrobin", Map.of()).errorCode())
                .isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL.code());
        assertThat(sync(c, 1, "range", Map.of()).errorCode()).isEqualTo(Errors.ILLEGAL_GENERATION.code());
        assertThat(shard.heartbeat("g", "nobody", null, 2)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(shard.heartbeat("g", "a", null, 2)).as("a is no classic member")
                .isEqualTo(Errors.UNKNOWN_MEMBER_ID);

        Map<String, Integer> epochs = new LinkedHashMap<>(Map.of("a", 1, c, 2));
        driveUntilStable(epochs, Set.of(c));
        int generation = epochs.get(c);
        assertThat(shard.heartbeat("g", c, null, generation)).isEqualTo(Errors.NONE);
        assertThat(shard.heartbeat("g", c, null, generation - 1)).isEqualTo(Errors.ILLEGAL_GENERATION);

        int owned = clientOwned.get(c).iterator().next();
        TopicPartition partition = new TopicPartition("orders", owned);
        CompletableFuture<List<CommitResult>> committed = shard.commitOffsets("g", c, null, generation,
                List.of(new OffsetCommit(partition, 7, -1, "")));
        context.commitAll();
        assertThat(committed.join()).containsExactly(new CommitResult(partition, Errors.NONE));
        CompletableFuture<List<CommitResult>> stale = shard.commitOffsets("g", c, null, generation - 1,
                List.of(new OffsetCommit(partition, 8, -1, "")));
        assertThat(stale.join()).containsExactly(new CommitResult(partition, Errors.ILLEGAL_GENERATION));
        assertThat(shard.fetchOffsets("g", null).get(partition).offset()).isEqualTo(7);
        assertThat(shard.checkOffsetFetch("g", c, generation - 1)).isEqualTo(Errors.ILLEGAL_GENERATION);

        JoinGroupRequestData connect = classicJoin("", null, Set.of()).setProtocolType("connect");
        assertThat(join(connect).errorCode()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL.code());

        int groupEpoch = consumerGroup().groupEpoch;
        CompletableFuture<LeaveGroupResponseData> left = shard.leaveGroup("g", List.of(
                new LeaveGroupRequestData.MemberIdentity().setMemberId(c),
                new LeaveGroupRequestData.MemberIdentity().setMemberId("a")));
        context.commitAll();
        assertThat(left.join().members()).extracting(LeaveGroupResponseData.MemberResponse::errorCode)
                .containsExactly(Errors.NONE.code(), Errors.UNKNOWN_MEMBER_ID.code());
        assertThat(consumerGroup().members).containsOnlyKeys("a");
        assertThat(consumerGroup().groupEpoch).isGreaterThan(groupEpoch);
    }

    @Test
    void aClassicMemberReconcilesThroughRejoinsRevokingFirst() {
        joinConsumer("a");
        joinConsumer("b");
        Map<String, Integer> epochs = new LinkedHashMap<>(Map.of("a", 1, "b", 2));
        driveUntilStable(epochs, Set.of());
        JoinGroupResponseData joined = joinNewClassic();
        String c = joined.memberId();
        clientOwned.put(c, new TreeSet<>());
        assertThat(sync(c, joined.generationId(), "range", Map.of()).errorCode()).isZero();
        epochs.put(c, joined.generationId());

        // Only the classic member is driven at first: it waits, told nothing, while a and b still own everything.
        assertThat(shard.heartbeat("g", c, null, epochs.get(c))).isEqualTo(Errors.NONE);
        for (int round = 0; round < 2; round++) {
            epochs.put("a", beat("a", epochs.get("a")));
            epochs.put("b", beat("b", epochs.get("b")));
        }
        assertThat(shard.heartbeat("g", c, null, epochs.get(c))).as("its partitions were released")
                .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        driveUntilStable(epochs, Set.of(c));
        assertThat(clientOwned.get(c)).isNotEmpty();

        // A consumer-protocol member leaves: the classic member is told to rejoin, and takes its share.
        heartbeat(new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId("a").setMemberEpoch(-1));
        clientOwned.remove("a");
        epochs.remove("a");
        driveUntilStable(epochs, Set.of(c));
        assertThat(clientOwned.get(c)).hasSize(2);
    }

    @Test
    void aClassicMemberIsFencedAfterTheSessionTimeoutOfItsJoinGroupOrWhenItDoesNotRejoinInTime() {
        joinConsumer("a");
        String c = joinNewClassic().memberId();
        assertThat(sync(c, 2, "range", Map.of()).errorCode()).isZero();
        heartbeat(new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId("a").setMemberEpoch(2));

        context.advance(10_001);
        assertThat(consumerGroup().members).as("its 10 s session lapsed; a's is 45 s").containsOnlyKeys("a");

        clientOwned.put("a", new TreeSet<>(consumerGroup().member("a").assigned.get(ORDERS_ID)));
        int aEpoch = beat("a", consumerGroup().member("a").memberEpoch);
        JoinGroupResponseData joined = joinNewClassic();
        String d = joined.memberId();
        int generation = joined.generationId();
        assertThat(sync(d, generation, "range", Map.of()).errorCode()).isZero();
        clientOwned.put(d, new TreeSet<>());
        for (int round = 0; round < 2; round++) {
            aEpoch = beat("a", aEpoch);
        }
        assertThat(shard.heartbeat("g", d, null, generation)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        for (int i = 0; i < 4; i++) {
            context.advance(5_000);
            shard.heartbeat("g", d, null, generation);
            aEpoch = beat("a", aEpoch);
        }
        context.advance(1);
        assertThat(consumerGroup().members).as("told to rejoin 20 s ago, its rebalance timeout")
                .containsOnlyKeys("a");
    }

    @Test
    void aStaticClassicMemberRestartsIntoItsPlaceWithoutARebalance() {
        joinConsumer("a");
        JoinGroupResponseData joined = join(classicJoin("", "instance-1", Set.of()));
        assertThat(joined.errorCode()).as("a static member needs no member id first").isZero();
        String first = joined.memberId();
        clientOwned.put(first, new TreeSet<>());
        assertThat(sync(first, joined.generationId(), "range", Map.of()).errorCode()).isZero();
        Map<String, Integer> epochs = new LinkedHashMap<>(Map.of("a", 1, first, joined.generationId()));
        driveUntilStable(epochs, Set.of(first));
        int groupEpoch = consumerGroup().groupEpoch;
        Set<Integer> owned = clientOwned.get(first);

        JoinGroupResponseData restarted = join(classicJoin("", "instance-1", Set.of()));
        String second = restarted.memberId();
        assertThat(second).isNotEqualTo(first);
        assertThat(restarted.generationId()).isEqualTo(epochs.get(first));
        assertThat(consumerGroup().groupEpoch).as("no rebalance").isEqualTo(groupEpoch);
        SyncResult synced = sync(second, restarted.generationId(), "range", Map.of());
        assertThat(partitionsOf(synced.assignment())).as("its predecessor's partitions").isEqualTo(owned);
        assertThat(shard.heartbeat("g", first, "instance-1", epochs.get(first)))
                .isEqualTo(Errors.FENCED_INSTANCE_ID);
        assertThat(shard.heartbeat("g", second, "instance-1", restarted.generationId())).isEqualTo(Errors.NONE);

        CompletableFuture<LeaveGroupResponseData> left = shard.leaveGroup("g", List.of(
                new LeaveGroupRequestData.MemberIdentity().setMemberId("").setGroupInstanceId("instance-1")));
        context.commitAll();
        assertThat(left.join().members()).singleElement().satisfies(member -> {
            assertThat(member.errorCode()).isZero();
            assertThat(member.memberId()).isEqualTo(second);
        });
        assertThat(consumerGroup().members).containsOnlyKeys("a");
    }

    @Test
    void aClassicStaticMemberTakingTheLastConsumerProtocolMembersPlaceDowngradesTheGroup() {
        ConsumerGroupHeartbeatResponseData a = heartbeat(consumerJoin("a").setInstanceId("instance-1"));
        assertThat(a.errorCode()).isZero();
        JoinGroupResponseData c = joinNewClassic();
        assertThat(c.errorCode()).isZero();

        JoinGroupResponseData replacing = join(classicJoin("", "instance-1", Set.of()));

        assertThat(replacing.errorCode()).isZero();
        assertThat(shard.group("g")).isInstanceOf(ClassicGroup.class);
        ClassicGroup downgraded = (ClassicGroup) shard.group("g");
        assertThat(downgraded.state).as("no rebalance: the joiner took a's place").isEqualTo(GroupState.STABLE);
        assertThat(downgraded.members).containsOnlyKeys(c.memberId(), replacing.memberId());
        assertThat(replacing.generationId()).isEqualTo(downgraded.generationId);
        assertThat(sync(replacing.memberId(), replacing.generationId(), "range", Map.of()).errorCode()).isZero();
        assertThat(replayedShard().group("g")).isInstanceOf(ClassicGroup.class);
    }

    /**
     * Random interleavings of both kinds of member (seeded, so a failure replays): consumer-protocol members heartbeat,
     * one leaves and comes back; classic members heartbeat and rejoin when told, an eager one revoking everything
     * first, a cooperative one only what its assignment no longer has, and one restarts under a new member id. After
     * every step no partition has two owners, and in the end the group settles with every partition owned.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void noPartitionHasTwoOwnersWhateverTheInterleaving(long seed) {
        java.util.Random random = new java.util.Random(seed);
        List<String> classic = new ArrayList<>(stableClassicGroupOfTwo());
        Map<String, Integer> epochs = new LinkedHashMap<>(Map.of(classic.get(0), 2, classic.get(1), 2));
        epochs.put("a", joinConsumer("a"));
        epochs.put("b", joinConsumer("b"));
        String eager = classic.get(0);
        for (int step = 0; step < 150; step++) {
            List<String> members = List.copyOf(epochs.keySet());
            String member = members.get(random.nextInt(members.size()));
            int action = random.nextInt(10);
            if (classic.contains(member)) {
                Errors error = shard.heartbeat("g", member, null, epochs.get(member));
                if (error == Errors.REBALANCE_IN_PROGRESS || action == 0) {
                    if (member.equals(eager)) {
                        clientOwned.put(member, new TreeSet<>()); // an eager consumer revokes all before it rejoins
                    }
                    epochs.put(member, rejoinClassic(member));
                } else if (action == 1) {
                    // The process restarts: what it owned is gone, and it joins under a new member id.
                    leaveClassic(member);
                    clientOwned.remove(member);
                    epochs.remove(member);
                    classic.remove(member);
                    JoinGroupResponseData joined = joinNewClassic();
                    String restarted = joined.memberId();
                    classic.add(restarted);
                    clientOwned.put(restarted, new TreeSet<>());
                    epochs.put(restarted, joined.generationId());
                    SyncResult synced = sync(restarted, joined.generationId(), "range", Map.of());
                    if (synced.errorCode() == Errors.NONE.code()) {
                        clientOwned.put(restarted, partitionsOf(synced.assignment()));
                    } else {
                        epochs.put(restarted, rejoinClassic(restarted));
                    }
                    if (member.equals(eager)) {
                        eager = restarted;
                    }
                } else {
                    assertThat(error).isEqualTo(Errors.NONE);
                }
            } else if (member.equals("a") && action == 0) {
                heartbeat(new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId("a")
                        .setMemberEpoch(-1));
                clientOwned.remove("a");
                epochs.remove("a");
            } else {
                epochs.put(member, beat(member, epochs.get(member)));
            }
            if (!epochs.containsKey("a") && random.nextInt(5) == 0) {
                epochs.put("a", joinConsumer("a"));
            }
            assertNoPartitionOwnedTwice();
        }
        driveUntilStable(epochs, Set.copyOf(classic));
    }

    // ------------------------------------------------------------------------------------------ downgrade

    @Test
    void theGroupBecomesClassicAgainWhenItsLastConsumerProtocolMemberLeaves() {
        List<String> classic = stableClassicGroupOfTwo();
        int epoch = joinConsumer("a");
        Map<String, Integer> epochs = new LinkedHashMap<>(Map.of(classic.get(0), 2, classic.get(1), 2, "a", epoch));
        driveUntilStable(epochs, Set.copyOf(classic));
        Map<String, Map<Uuid, Set<Integer>>> targets = new HashMap<>(consumerGroup().targetAssignment);
        int groupEpoch = consumerGroup().groupEpoch;

        CompletableFuture<ConsumerGroupHeartbeatResponseData> left = shard.consumerGroupHeartbeat(
                new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId("a").setMemberEpoch(-1),
                "consumer-client", "/127.0.0.1");
        context.commitAll();
        assertThat(left.join().errorCode()).isZero();

        assertThat(shard.group("g")).isInstanceOf(ClassicGroup.class);
        ClassicGroup downgraded = (ClassicGroup) shard.group("g");
        assertThat(downgraded.state).as("a rebalance follows").isEqualTo(GroupState.PREPARING_REBALANCE);
        assertThat(downgraded.generationId).isEqualTo(groupEpoch);
        assertThat(downgraded.protocolName).isEqualTo("range");
        for (String member : classic) {
            assertThat(partitionsOf(downgraded.member(member).assignment)).as("its target assignment")
                    .isEqualTo(targets.get(member).get(ORDERS_ID));
            assertThat(shard.heartbeat("g", member, null, epochs.get(member)))
                    .isIn(Errors.REBALANCE_IN_PROGRESS, Errors.ILLEGAL_GENERATION);
        }
        AtomicReference<JoinGroupResponseData> first = new AtomicReference<>();
        shard.joinGroup(classicJoin(classic.get(0), null, clientOwned.get(classic.get(0))), (short) 9, "c", "/h",
                first::set);
        JoinGroupResponseData second = join(classicJoin(classic.get(1), null, clientOwned.get(classic.get(1))));
        assertThat(second.generationId()).isEqualTo(groupEpoch + 1);
        assertThat(first.get().leader()).isEqualTo(classic.get(0));
        assertThat(sync(classic.get(0), groupEpoch + 1, "range", Map.of(classic.get(0), assignment(0, 1),
                classic.get(1), assignment(2, 3))).errorCode()).isZero();
        assertThat(shard.describeGroup("g").state()).isEqualTo(GroupState.STABLE);
        assertThat(shard.listGroups()).singleElement().satisfies(listing ->
                assertThat(listing.type()).isEqualTo("classic"));
    }

    // ------------------------------------------------------------------------------------------ policies

    @ParameterizedTest
    @ValueSource(strings = {"disabled", "upgrade", "downgrade", "bidirectional"})
    void eachMigrationPolicyGatesWhatItSays(String policy) {
        config = configWith(policy);
        shard = newShard();
        boolean upgrades = policy.equals("upgrade") || policy.equals("bidirectional");
        boolean downgrades = policy.equals("downgrade") || policy.equals("bidirectional");

        List<String> classic = stableClassicGroupOfTwo();
        ConsumerGroupHeartbeatResponseData joined = heartbeat(consumerJoin("a"));
        if (upgrades) {
            assertThat(joined.errorCode()).isZero();
            assertThat(shard.group("g")).isInstanceOf(ConsumerGroup.class);
        } else {
            assertThat(joined.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
            assertThat(joined.errorMessage()).isEqualTo("Group g is not a consumer group: it is a classic group with"
                    + " members, and group.consumer.migration.policy is " + policy + ", which does not allow an"
                    + " online upgrade.");
            assertThat(shard.heartbeat("g", classic.get(0), null, 2)).as("the classic group goes on")
                    .isEqualTo(Errors.NONE);
            classic.forEach(this::leaveClassic);
            assertThat(shard.group("g").isEmpty()).isTrue();
            assertThat(heartbeat(consumerJoin("a")).errorCode()).as("an empty group changes kind")
                    .isEqualTo(upgrades ? Errors.NONE.code() : Errors.GROUP_ID_NOT_FOUND.code());
            if (!upgrades) {
                return;
            }
        }
        if (!(shard.group("g") instanceof ConsumerGroup)) {
            return;
        }
        // A mixed group all the same: classic members join a consumer group with members whatever the policy.
        for (ConsumerGroupMember member : List.copyOf(consumerGroup().members.values())) {
            if (member.usesClassicProtocol()) {
                leaveClassic(member.memberId);
            }
        }
        String c = joinNewClassic().memberId();
        heartbeat(new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId("a").setMemberEpoch(-1));
        if (downgrades) {
            assertThat(shard.group("g")).isInstanceOf(ClassicGroup.class);
        } else {
            assertThat(shard.group("g")).as("a consumer group of classic members").isInstanceOf(ConsumerGroup.class);
            assertThat(consumerGroup().members).containsOnlyKeys(c);
        }
    }

    private void leaveClassic(String memberId) {
        CompletableFuture<LeaveGroupResponseData> left = shard.leaveGroup("g", List.of(
                new LeaveGroupRequestData.MemberIdentity().setMemberId(memberId)));
        context.commitAll();
        assertThat(left.join().members().get(0).errorCode()).isZero();
    }

    // ------------------------------------------------------------------------------------------ replay

    @Test
    void aMixedGroupIsReplayedExactlyAfterAFailover() {
        List<String> classic = stableClassicGroupOfTwo();
        int epoch = joinConsumer("a");
        // Stop half way: c1 (the classic member that must give up a partition) told to revoke, and rejoined still
        // owning it; c2 not yet rejoined.
        ConsumerGroup upgraded = consumerGroup();
        String c1 = classic.stream().filter(id -> ConsumerGroupMember.count(upgraded.targetOf(id))
                < ConsumerGroupMember.count(upgraded.member(id).assigned)).findFirst().orElseThrow();
        String c2 = classic.get(0).equals(c1) ? classic.get(1) : classic.get(0);
        assertThat(shard.heartbeat("g", c1, null, 2)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        JoinGroupResponseData rejoined = join(classicJoin(c1, null, clientOwned.get(c1)));
        assertThat(rejoined.generationId()).as("still revoking").isEqualTo(2);
        assertThat(consumerGroup().member(c1).state).isEqualTo(ConsumerGroupMember.State.UNREVOKED_PARTITIONS);
        CompletableFuture<List<CommitResult>> committed = shard.commitOffsets("g", c1, null, 2,
                List.of(new OffsetCommit(new TopicPartition("orders", 0), 11, -1, "")));
        context.commitAll();
        assertThat(committed.join()).extracting(CommitResult::error).containsOnly(Errors.NONE);

        HandCoordinatorContext other = new HandCoordinatorContext();
        GroupCoordinatorShard replayed = new GroupCoordinatorShard(other, config, topics::get,
                () -> List.copyOf(topics.values()));
        List<CoordinatorRecord> log = context.log;
        for (int i = 0; i < log.size(); i++) {
            replayed.replay(i, log.get(i));
        }
        replayed.onLoaded();

        assertSameDescription(replayed, shard);
        ConsumerGroup before = consumerGroup();
        ConsumerGroup after = (ConsumerGroup) replayed.group("g");
        for (ConsumerGroupMember member : before.members.values()) {
            ConsumerGroupMember restored = after.member(member.memberId);
            assertThat(restored.classic).isEqualTo(member.classic);
            assertThat(restored.state).isEqualTo(member.state);
            assertThat(restored.pendingRevocation).isEqualTo(member.pendingRevocation);
        }
        assertThat(replayed.fetchOffsets("g", null).get(new TopicPartition("orders", 0)).offset()).isEqualTo(11);
        assertThat(replayed.heartbeat("g", c2, null, 2)).as("c2 goes on, told to rejoin")
                .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        shard = replayed;
        Map<String, Integer> epochs = new LinkedHashMap<>(Map.of(c1, 2, c2, 2, "a", epoch));
        driveOn(other, epochs, Set.copyOf(classic));
    }

    /** Drives the clients on a replayed shard whose context is {@code on}. */
    private void driveOn(HandCoordinatorContext on, Map<String, Integer> epochs, Set<String> classicMembers) {
        for (int round = 0; round < 20; round++) {
            for (String member : List.copyOf(epochs.keySet())) {
                if (classicMembers.contains(member)) {
                    if (shard.heartbeat("g", member, null, epochs.get(member)) == Errors.REBALANCE_IN_PROGRESS) {
                        AtomicReference<JoinGroupResponseData> joined = new AtomicReference<>();
                        shard.joinGroup(classicJoin(member, null, clientOwned.get(member)), (short) 9, "c", "/h",
                                joined::set);
                        on.commitAll();
                        AtomicReference<SyncResult> synced = new AtomicReference<>();
                        shard.syncGroup(new SyncGroupRequestData().setGroupId("g").setMemberId(member)
                                .setGenerationId(joined.get().generationId()).setProtocolType("consumer")
                                .setProtocolName("range"), synced::set);
                        epochs.put(member, joined.get().generationId());
                        if (synced.get().errorCode() == 0) {
                            clientOwned.put(member, partitionsOf(synced.get().assignment()));
                        }
                    }
                } else {
                    CompletableFuture<ConsumerGroupHeartbeatResponseData> response = shard.consumerGroupHeartbeat(
                            new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId(member)
                                    .setMemberEpoch(epochs.get(member)).setTopicPartitions(List.of(
                                            new ConsumerGroupHeartbeatRequestData.TopicPartitions()
                                                    .setTopicId(ORDERS_ID)
                                                    .setPartitions(new ArrayList<>(clientOwned.get(member))))),
                            "c", "/h");
                    on.commitAll();
                    assertThat(response.join().errorCode()).isZero();
                    epochs.put(member, response.join().memberEpoch());
                    if (response.join().assignment() != null) {
                        Set<Integer> owned = new TreeSet<>();
                        response.join().assignment().topicPartitions().forEach(tp -> owned.addAll(tp.partitions()));
                        clientOwned.put(member, owned);
                    }
                }
                assertNoPartitionOwnedTwice();
            }
            Set<Integer> owned = new TreeSet<>();
            clientOwned.values().forEach(owned::addAll);
            if (shard.describeConsumerGroup("g").groupState().equals("Stable") && owned.size() == 4) {
                return;
            }
        }
        throw new AssertionError("the replayed group did not become stable: " + shard.describeConsumerGroup("g"));
    }

    @Test
    void upgradeAndDowngradeAreReplayedAsTheyHappened() {
        List<String> classic = stableClassicGroupOfTwo();
        joinConsumer("a");
        GroupCoordinatorShard upgraded = replayedShard();
        assertThat(upgraded.group("g")).isInstanceOf(ConsumerGroup.class);
        assertSameDescription(upgraded, shard);

        heartbeat(new ConsumerGroupHeartbeatRequestData().setGroupId("g").setMemberId("a").setMemberEpoch(-1));
        GroupCoordinatorShard downgraded = replayedShard();
        assertThat(downgraded.group("g")).isInstanceOf(ClassicGroup.class);
        assertThat(((ClassicGroup) downgraded.group("g")).members).containsOnlyKeys(classic);
        assertThat(downgraded.describeConsumerGroup("g").errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
    }

    private static void assertSameDescription(GroupCoordinatorShard replayed, GroupCoordinatorShard original) {
        ConsumerGroupDescribeResponseData.DescribedGroup expected = original.describeConsumerGroup("g");
        ConsumerGroupDescribeResponseData.DescribedGroup actual = replayed.describeConsumerGroup("g");
        assertThat(actual.members()).containsExactlyInAnyOrderElementsOf(expected.members());
        assertThat(actual.duplicate().setMembers(List.of())).isEqualTo(expected.duplicate().setMembers(List.of()));
    }

    @Test
    void aMemberRecordOfTheFormatBeforeMixedGroupsIsStillRead() {
        ConsumerGroupMember member = new ConsumerGroupMember("m");
        member.subscribedTopicNames = List.of("orders");
        member.memberEpoch = 3;
        member.assigned = new HashMap<>(Map.of(ORDERS_ID, new TreeSet<>(Set.of(1, 2))));
        byte[] current = GroupRecords.consumerMemberValue(member, member.assigned);
        // Version 1 was version 2 without the classic metadata's flag at the end.
        ByteBuffer version1 = ByteBuffer.allocate(current.length - 1).put(current, 0, current.length - 1);
        version1.putShort(0, (short) 1).flip();

        GroupRecords.StoredConsumerMember stored = GroupRecords.decodeConsumerMemberValue("m", version1);

        assertThat(stored.member().classic).isNull();
        assertThat(stored.member().memberEpoch).isEqualTo(3);
        assertThat(stored.member().assigned).isEqualTo(member.assigned);
        assertThat(stored.target()).isEqualTo(member.assigned);
        member.classic = new ConsumerGroupMember.ClassicMetadata(7_000, Map.of("range", new byte[]{1, 2}));
        assertThat(GroupRecords.decodeConsumerMemberValue("m", ByteBuffer.wrap(GroupRecords.consumerMemberValue(
                member, Map.of()))).member().classic).isEqualTo(member.classic);
    }

    private GroupCoordinatorShard replayedShard() {
        GroupCoordinatorShard replayed = new GroupCoordinatorShard(new HandCoordinatorContext(), config,
                topics::get, () -> List.copyOf(topics.values()));
        for (int i = 0; i < context.log.size(); i++) {
            replayed.replay(i, context.log.get(i));
        }
        return replayed;
    }
}

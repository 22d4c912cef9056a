package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.ShareGroupConfig;
import io.strata.broker.share.AutoOffsetReset;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.ShareMemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.ShareGroupDescribeRequestData;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.ShareGroupDescribeResponse;
import org.apache.kafka.common.requests.ShareGroupHeartbeatResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Share groups (KIP-932) on the group coordinator, driven by ShareGroupHeartbeat requests as a
 * {@code KafkaShareConsumer} sends them (kafka-clients 4.3 message classes) and by kafka-clients' Admin: members join
 * with ids they chose and epoch 0, leave with -1, and are removed when they stop heartbeating; every partition is
 * assigned, shared when there are more members than partitions and split when there are fewer; groups are described,
 * listed by type and deleted (only when empty, telling the share-state side); a group id is one kind; group configs
 * ({@code share.*}, {@code consumer.*}) are described, altered and validated through the Admin client on GROUP resources; and a restarted
 * coordinator knows the group again from {@code __consumer_offsets}, and its group configs from the cluster metadata.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareGroupTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    RawRequests raw;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of(
                BrokerConfig.GROUP_SHARE_SESSION_TIMEOUT_MS, 6000,
                BrokerConfig.GROUP_SHARE_MIN_SESSION_TIMEOUT_MS, 1000,
                BrokerConfig.GROUP_SHARE_HEARTBEAT_INTERVAL_MS, 1000,
                BrokerConfig.GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS, 100));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @BeforeEach
    void connect() {
        raw = new RawRequests(broker.bootstrapServers());
    }

    @AfterEach
    void disconnect() throws Exception {
        raw.close();
    }

    /** A share consumer as the coordinator sees it: its id, epoch and last assignment. */
    final class Member {
        final String groupId;
        final String memberId = Uuid.randomUuid().toString();
        int epoch;
        Map<Uuid, Set<Integer>> assignment = Map.of();

        Member(String groupId) {
            this.groupId = groupId;
        }

        ShareGroupHeartbeatResponseData join(String... topics) {
            epoch = 0;
            return heartbeat(List.of(topics));
        }

        ShareGroupHeartbeatResponseData heartbeat() {
            return heartbeat(null);
        }

        private ShareGroupHeartbeatResponseData heartbeat(List<String> topics) {
            ShareGroupHeartbeatResponseData response = send(new ShareGroupHeartbeatRequestData().setGroupId(groupId)
                    .setMemberId(memberId).setMemberEpoch(epoch).setSubscribedTopicNames(topics));
            if (response.errorCode() == Errors.NONE.code()) {
                epoch = response.memberEpoch();
                if (response.assignment() != null) {
                    Map<Uuid, Set<Integer>> assigned = new HashMap<>();
                    response.assignment().topicPartitions().forEach(topic ->
                            assigned.put(topic.topicId(), new TreeSet<>(topic.partitions())));
                    assignment = assigned;
                }
            }
            return response;
        }

        ShareGroupHeartbeatResponseData leave() {
            return send(new ShareGroupHeartbeatRequestData().setGroupId(groupId).setMemberId(memberId)
                    .setMemberEpoch(-1));
        }

        Set<Integer> partitionsOf(Uuid topicId) {
            return assignment.getOrDefault(topicId, Set.of());
        }
    }

    private ShareGroupHeartbeatResponseData send(ShareGroupHeartbeatRequestData request) {
        ShareGroupHeartbeatResponse response = raw.send(ApiKeys.SHARE_GROUP_HEARTBEAT, request);
        return response.data();
    }

    private ShareGroupDescribeResponseData.DescribedGroup describe(String groupId) {
        ShareGroupDescribeResponse response = raw.send(ApiKeys.SHARE_GROUP_DESCRIBE,
                new ShareGroupDescribeRequestData().setGroupIds(List.of(groupId)));
        return response.data().groups().get(0);
    }

    private static Uuid createTopic(String name, int partitions) throws Exception {
        broker.createTopic(name, partitions, Map.of());
        try (Admin admin = broker.admin()) {
            return admin.describeTopics(List.of(name)).allTopicNames().get().get(name).topicId();
        }
    }

    /** Every member heartbeats until none has a newer assignment to learn: the group has settled. */
    private static void settle(List<Member> members) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (Member member : members) {
                assertThat(member.heartbeat().errorCode()).isEqualTo(Errors.NONE.code());
            }
            Set<Integer> epochs = members.stream().map(m -> m.epoch).collect(Collectors.toSet());
            assertThat(epochs).hasSize(1);
            for (Member member : members) {
                assertThat(member.heartbeat().assignment()).as("nothing new to learn").isNull();
            }
        });
    }

    @Test
    void threeMembersOnOnePartitionAllReadIt() throws Exception {
        Uuid topicId = createTopic("share-one", 1);
        List<Member> members = List.of(new Member("share-three"), new Member("share-three"),
                new Member("share-three"));
        for (Member member : members) {
            ShareGroupHeartbeatResponseData joined = member.join("share-one");
            assertThat(joined.errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(joined.memberId()).isEqualTo(member.memberId);
            assertThat(joined.heartbeatIntervalMs()).isEqualTo(1000);
        }
        settle(members);

        for (Member member : members) {
            assertThat(member.partitionsOf(topicId)).containsExactly(0);
        }
        assertThat(members.get(0).epoch).as("one epoch per join").isEqualTo(3);
    }

    @Test
    void twoMembersOnSixPartitionsSplitThemAndALeaverHandsItsShareToTheOther() throws Exception {
        Uuid topicId = createTopic("share-six", 6);
        Member a = new Member("share-split");
        Member b = new Member("share-split");
        a.join("share-six");
        assertThat(a.partitionsOf(topicId)).as("alone, it reads all").hasSize(6);
        b.join("share-six");
        settle(List.of(a, b));

        assertThat(a.partitionsOf(topicId)).hasSize(3);
        assertThat(b.partitionsOf(topicId)).hasSize(3).doesNotContainAnyElementsOf(a.partitionsOf(topicId));

        ShareGroupHeartbeatResponseData left = b.leave();
        assertThat(left.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(left.memberEpoch()).isEqualTo(-1);
        a.heartbeat();
        assertThat(a.partitionsOf(topicId)).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(describe("share-split").members()).extracting(ShareGroupDescribeResponseData.Member::memberId)
                .containsExactly(a.memberId);

        GroupCoordinator coordinator = broker.server().groupCoordinator();
        assertThat(coordinator.shareGroup("share-split").get(10, TimeUnit.SECONDS)).as("for the offsets admin APIs")
                .hasValueSatisfying(listing -> {
                    assertThat(listing.groupId()).isEqualTo("share-split");
                    assertThat(listing.subscribedTopics()).containsExactly("share-six");
                    assertThat(listing.hasMembers()).isTrue();
                    assertThat(listing.statePartitions().values()).containsExactly(Set.of(0, 1, 2, 3, 4, 5));
                });
        a.leave();
        assertThat(coordinator.shareGroup("share-split").get(10, TimeUnit.SECONDS).orElseThrow().hasMembers())
                .isFalse();
        assertThat(coordinator.shareGroups().get(10, TimeUnit.SECONDS))
                .extracting(GroupCoordinator.ShareGroupListing::groupId).contains("share-split");
        assertThat(coordinator.shareGroup("no-such-share-group").get(10, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void aMemberThatStopsHeartbeatingIsRemovedAfterItsSessionTimeout() throws Exception {
        createTopic("share-expiry", 2);
        Member staying = new Member("share-expiry");
        Member silent = new Member("share-expiry");
        staying.join("share-expiry");
        silent.join("share-expiry");
        assertThat(describe("share-expiry").members()).hasSize(2);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(staying.heartbeat().errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(describe("share-expiry").members())
                    .extracting(ShareGroupDescribeResponseData.Member::memberId).containsExactly(staying.memberId);
        });
        assertThat(silent.heartbeat().errorCode()).as("gone").isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
        assertThat(silent.join("share-expiry").errorCode()).as("it may join again").isEqualTo(Errors.NONE.code());
    }

    @Test
    void badHeartbeatsAreAnsweredWithKafkasErrors() throws Exception {
        createTopic("share-bad", 1);
        ShareGroupHeartbeatResponseData noMemberId = send(new ShareGroupHeartbeatRequestData()
                .setGroupId("share-bad").setMemberId("").setMemberEpoch(0).setSubscribedTopicNames(List.of("x")));
        assertThat(noMemberId.errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(noMemberId.errorMessage()).contains("MemberId");

        ShareGroupHeartbeatResponseData noTopics = send(new ShareGroupHeartbeatRequestData()
                .setGroupId("share-bad").setMemberId("m").setMemberEpoch(0));
        assertThat(noTopics.errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(noTopics.errorMessage()).contains("SubscribedTopicNames");

        ShareGroupHeartbeatResponseData noGroup = send(new ShareGroupHeartbeatRequestData()
                .setGroupId("share-none").setMemberId("m").setMemberEpoch(3));
        assertThat(noGroup.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());

        Member member = new Member("share-bad");
        member.join("share-bad");
        ShareGroupHeartbeatResponseData stranger = send(new ShareGroupHeartbeatRequestData()
                .setGroupId("share-bad").setMemberId("stranger").setMemberEpoch(1));
        assertThat(stranger.errorCode()).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
        ShareGroupHeartbeatResponseData ahead = send(new ShareGroupHeartbeatRequestData()
                .setGroupId("share-bad").setMemberId(member.memberId).setMemberEpoch(member.epoch + 5));
        assertThat(ahead.errorCode()).isEqualTo(Errors.FENCED_MEMBER_EPOCH.code());
    }

    @Test
    void adminDescribesShareGroupsAndListsThemByType() throws Exception {
        Uuid topicId = createTopic("share-admin", 2);
        Member a = new Member("share-described");
        Member b = new Member("share-described");
        a.join("share-admin");
        b.join("share-admin");
        settle(List.of(a, b));
        try (Admin admin = broker.admin()) {
            admin.alterConsumerGroupOffsets("classic-beside-share", Map.of(new TopicPartition("share-admin", 0),
                    new OffsetAndMetadata(0))).all().get();

            ShareGroupDescription described = admin.describeShareGroups(List.of("share-described")).all().get()
                    .get("share-described");
            assertThat(described.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(described.groupEpoch()).isEqualTo(2);
            assertThat(described.targetAssignmentEpoch()).isEqualTo(2);
            Map<String, Set<TopicPartition>> assignments = described.members().stream().collect(Collectors.toMap(
                    ShareMemberDescription::consumerId, m -> m.assignment().topicPartitions()));
            assertThat(assignments).containsOnlyKeys(a.memberId, b.memberId);
            Set<TopicPartition> all = new HashSet<>(assignments.get(a.memberId));
            all.addAll(assignments.get(b.memberId));
            assertThat(all).containsExactlyInAnyOrder(new TopicPartition("share-admin", 0),
                    new TopicPartition("share-admin", 1));
            assertThat(assignments.get(a.memberId)).hasSize(1)
                    .allSatisfy(tp -> assertThat(a.partitionsOf(topicId)).containsExactly(tp.partition()));

            Map<String, GroupListing> shareGroups = admin.listGroups(ListGroupsOptions.forShareGroups()).all().get()
                    .stream().collect(Collectors.toMap(GroupListing::groupId, g -> g));
            assertThat(shareGroups).containsKey("share-described").doesNotContainKey("classic-beside-share");
            assertThat(shareGroups.get("share-described").type()).contains(GroupType.SHARE);
            assertThat(shareGroups.get("share-described").groupState()).contains(GroupState.STABLE);
            Set<String> consumerGroups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get()
                    .stream().map(GroupListing::groupId).collect(Collectors.toSet());
            assertThat(consumerGroups).contains("classic-beside-share").doesNotContain("share-described");
        }
    }

    @Test
    void onlyAnEmptyShareGroupIsDeletedAndItsShareStateIsToldToGo() throws Exception {
        Uuid topicId = createTopic("share-delete", 2);
        Map<String, Map<Uuid, Set<Integer>>> deleted = new ConcurrentHashMap<>();
        broker.server().groupCoordinator().onShareGroupDeleted(deleted::put);
        Member member = new Member("share-deleted");
        member.join("share-delete");
        try (Admin admin = broker.admin()) {
            assertThatThrownBy(() -> admin.deleteShareGroups(List.of("share-deleted")).all().get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(GroupNotEmptyException.class);
            assertThat(deleted).isEmpty();

            assertThat(member.leave().errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(describe("share-deleted").groupState()).isEqualTo("Empty");
            admin.deleteShareGroups(List.of("share-deleted")).all().get();
        }
        assertThat(deleted).containsOnlyKeys("share-deleted");
        assertThat(deleted.get("share-deleted")).isEqualTo(Map.of(topicId, Set.of(0, 1)));
        ShareGroupDescribeResponseData.DescribedGroup gone = describe("share-deleted");
        assertThat(gone.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
    }

    @Test
    void aGroupIdIsOfOneKind() throws Exception {
        createTopic("share-kinds", 1);
        try (Admin admin = broker.admin()) {
            admin.alterConsumerGroupOffsets("kind-classic", Map.of(new TopicPartition("share-kinds", 0),
                    new OffsetAndMetadata(0))).all().get();
        }
        ShareGroupHeartbeatResponseData onClassic = new Member("kind-classic").join("share-kinds");
        assertThat(onClassic.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(onClassic.errorMessage()).contains("not a share group");

        new Member("kind-share").join("share-kinds");
        JoinGroupResponse join = raw.send(ApiKeys.JOIN_GROUP, new JoinGroupRequestData().setGroupId("kind-share")
                .setMemberId("").setProtocolType("consumer").setSessionTimeoutMs(10_000)
                .setRebalanceTimeoutMs(10_000).setProtocols(new JoinGroupRequestData.JoinGroupRequestProtocolCollection(
                        List.of(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range")
                                .setMetadata(new byte[0])).iterator())));
        assertThat(join.data().errorCode()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL.code());
        ConsumerGroupHeartbeatResponse consumer = raw.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT,
                new ConsumerGroupHeartbeatRequestData().setGroupId("kind-share").setMemberId(Uuid.randomUuid()
                        .toString()).setMemberEpoch(0).setRebalanceTimeoutMs(10_000)
                        .setSubscribedTopicNames(List.of("share-kinds")).setTopicPartitions(List.of()));
        assertThat(consumer.data().errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        DescribeGroupsResponse classicDescribe = raw.send(ApiKeys.DESCRIBE_GROUPS,
                new DescribeGroupsRequestData().setGroups(List.of("kind-share")));
        assertThat(classicDescribe.data().groups().get(0).errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(describe("kind-classic").errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
    }

    private static Map<String, ConfigEntry> groupConfigs(Admin admin, String groupId) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, groupId);
        Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        return config.entries().stream().collect(Collectors.toMap(ConfigEntry::name, e -> e));
    }

    private static void alterGroup(Admin admin, String groupId, AlterConfigOp... ops) throws Exception {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, groupId), List.of(ops)))
                .all().get();
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    @Test
    void groupConfigsAreDescribedAlteredAndReadByTheShareSide() throws Exception {
        try (Admin admin = broker.admin()) {
            Map<String, ConfigEntry> defaults = groupConfigs(admin, "share-configured");
            assertThat(defaults).containsKeys(ShareGroupConfig.NAMES.toArray(String[]::new));
            assertThat(defaults.get("share.record.lock.duration.ms").value()).isEqualTo("30000");
            assertThat(defaults.get("share.record.lock.duration.ms").source())
                    .isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(defaults.get("share.auto.offset.reset").value()).isEqualTo("latest");
            assertThat(defaults.get("share.heartbeat.interval.ms").value()).as("the broker's own setting")
                    .isEqualTo("1000");

            alterGroup(admin, "share-configured", set("share.record.lock.duration.ms", "20000"),
                    set("share.delivery.count.limit", "3"), set("share.auto.offset.reset", "by_duration:PT1H"),
                    set("share.isolation.level", "read_committed"), set("share.heartbeat.interval.ms", "2000"));

            Map<String, ConfigEntry> altered = groupConfigs(admin, "share-configured");
            assertThat(altered.get("share.record.lock.duration.ms").value()).isEqualTo("20000");
            assertThat(altered.get("share.record.lock.duration.ms").source())
                    .isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
            assertThat(altered.get("share.delivery.count.limit").value()).isEqualTo("3");
            ShareGroupConfig settings = broker.server().groupCoordinator().shareGroupConfig("share-configured");
            assertThat(settings.recordLockDurationMs()).isEqualTo(20_000);
            assertThat(settings.deliveryCountLimit()).isEqualTo(3);
            assertThat(settings.autoOffsetReset().toString()).isEqualTo("by_duration:PT1H");
            assertThat(settings.isolationLevel()).isEqualTo(IsolationLevel.READ_COMMITTED);

            createTopic("share-configured", 1);
            Member member = new Member("share-configured");
            assertThat(member.join("share-configured").heartbeatIntervalMs()).as("the group's own interval")
                    .isEqualTo(2000);

            alterGroup(admin, "share-configured", new AlterConfigOp(new ConfigEntry("share.delivery.count.limit",
                    null), AlterConfigOp.OpType.DELETE));
            assertThat(groupConfigs(admin, "share-configured").get("share.delivery.count.limit").source())
                    .isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(broker.server().groupCoordinator().shareGroupConfig("share-configured")
                    .deliveryCountLimit()).isEqualTo(5);
            assertThat(broker.server().groupCoordinator().shareGroupConfig("share-unconfigured").autoOffsetReset())
                    .isSameAs(AutoOffsetReset.LATEST);
        }
    }

    @Test
    void aConsumerGroupsOwnHeartbeatIntervalIsWhatItsMembersAreTold() throws Exception {
        createTopic("consumer-configured", 1);
        try (Admin admin = broker.admin()) {
            alterGroup(admin, "consumer-configured", set("consumer.heartbeat.interval.ms", "6000"));
            assertThat(groupConfigs(admin, "consumer-configured").get("consumer.heartbeat.interval.ms").source())
                    .isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
        }
        ConsumerGroupHeartbeatResponse joined = raw.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT,
                new ConsumerGroupHeartbeatRequestData().setGroupId("consumer-configured")
                        .setMemberId(Uuid.randomUuid().toString()).setMemberEpoch(0).setRebalanceTimeoutMs(10_000)
                        .setSubscribedTopicNames(List.of("consumer-configured")).setTopicPartitions(List.of()));

        assertThat(joined.data().errorCode()).isZero();
        assertThat(joined.data().heartbeatIntervalMs()).isEqualTo(6000);
    }

    @Test
    void groupConfigsOutsideTheBrokersBoundsAreRefusedNamingTheSetting() throws Exception {
        try (Admin admin = broker.admin()) {
            Map<AlterConfigOp, String> refused = Map.of(
                    set("share.record.lock.duration.ms", "1000"), "group.share.min.record.lock.duration.ms",
                    set("share.delivery.count.limit", "11"), "group.share.max.delivery.count.limit",
                    set("share.auto.offset.reset", "by_duration:soon"), "ISO-8601",
                    set("share.isolation.level", "read_everything"), "read_committed",
                    set("share.heartbeat.interval.ms", "notanumber"), "integer",
                    set("share.no.such.setting", "1"), "Unknown group config name",
                    set("consumer.session.timeout.ms", "1000"), "group.consumer.min.session.timeout.ms");
            for (Map.Entry<AlterConfigOp, String> bad : refused.entrySet()) {
                assertThatThrownBy(() -> alterGroup(admin, "share-refused", bad.getKey()))
                        .as(bad.getKey().toString()).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(InvalidConfigurationException.class)
                        .hasMessageContaining(bad.getValue());
            }
            assertThat(groupConfigs(admin, "share-refused").values()).allSatisfy(entry ->
                    assertThat(entry.source()).isNotEqualTo(ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG));
        }
    }

    @Test
    void aRestartedCoordinatorKnowsTheGroupItsMembersAndTheirAssignment() throws Exception {
        Uuid topicId = createTopic("share-restart", 4);
        Member a = new Member("share-restarted");
        Member b = new Member("share-restarted");
        a.join("share-restart");
        b.join("share-restart");
        settle(List.of(a, b));
        ShareGroupDescribeResponseData.DescribedGroup before = describe("share-restarted");
        Set<Integer> aBefore = a.partitionsOf(topicId);
        try (Admin admin = broker.admin()) {
            alterGroup(admin, "share-restarted", set("share.delivery.count.limit", "7"));
        }

        raw.close();
        broker.restart();
        raw = new RawRequests(broker.bootstrapServers());

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(describe("share-restarted").errorCode()).isEqualTo(Errors.NONE.code()));
        ShareGroupDescribeResponseData.DescribedGroup after = describe("share-restarted");
        assertThat(after.groupEpoch()).isEqualTo(before.groupEpoch());
        assertThat(after.assignmentEpoch()).isEqualTo(before.assignmentEpoch());
        assertThat(after.members()).containsExactlyInAnyOrderElementsOf(before.members());
        ShareGroupHeartbeatResponseData resumed = a.heartbeat();
        assertThat(resumed.errorCode()).as("the member carries on at its epoch").isEqualTo(Errors.NONE.code());
        assertThat(resumed.memberEpoch()).isEqualTo(before.groupEpoch());
        assertThat(a.partitionsOf(topicId)).isEqualTo(aBefore);
        assertThat(broker.server().groupCoordinator().shareGroupConfig("share-restarted").deliveryCountLimit())
                .as("group configs are cluster metadata").isEqualTo(7);
    }
}

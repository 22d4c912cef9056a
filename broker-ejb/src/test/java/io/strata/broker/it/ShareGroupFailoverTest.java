package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.ShareMemberDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ShareGroupHeartbeatResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A share group (KIP-932) outlives its coordinator's broker in a 3-broker cluster: the broker that takes over
 * {@code __consumer_offsets} rebuilds the group (members, epochs, assignment) from the partition, and the members carry
 * on at their epochs. The group's configs, set through one broker, are read on every broker from the cluster metadata,
 * as the leaders of the group's topic partitions need them.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ShareGroupFailoverTest {

    private static final String GROUP = "failover-share";

    @TempDir
    Path dir;

    private static ShareGroupHeartbeatResponseData heartbeat(TestBroker coordinator, String memberId, int epoch,
                                                             List<String> topics) throws Exception {
        try (RawRequests raw = new RawRequests(coordinator.bootstrapServers())) {
            ShareGroupHeartbeatResponse response = raw.send(ApiKeys.SHARE_GROUP_HEARTBEAT,
                    new ShareGroupHeartbeatRequestData().setGroupId(GROUP).setMemberId(memberId).setMemberEpoch(epoch)
                            .setSubscribedTopicNames(topics));
            return response.data();
        }
    }

    private static ShareGroupDescription describe(Admin admin) throws Exception {
        return admin.describeShareGroups(List.of(GROUP)).all().get(30, TimeUnit.SECONDS).get(GROUP);
    }

    @Test
    void theBrokerTakingOverTheOffsetsPartitionKeepsTheShareGroup() throws Exception {
        Map<String, Object> settings = new HashMap<>();
        settings.put(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1);
        settings.put(BrokerConfig.GROUP_SHARE_HEARTBEAT_INTERVAL_MS, 1000);
        settings.put(BrokerConfig.GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS, 100);
        try (TestCluster cluster = TestCluster.start(dir, 3, settings); Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("jobs", 4, (short) 3))).all().get(30, TimeUnit.SECONDS);
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, GROUP), List.of(
                    new AlterConfigOp(new ConfigEntry("share.delivery.count.limit", "7"),
                            AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (TestBroker broker : cluster.brokers()) {
                    assertThat(broker.server().groupCoordinator().shareGroupConfig(GROUP).deliveryCountLimit())
                            .isEqualTo(7);
                }
            });

            String a = Uuid.randomUuid().toString();
            String b = Uuid.randomUuid().toString();
            int[] joinedAt = new int[1];
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                int id = cluster.brokers().get(0).server().groupCoordinator().coordinatorFor(GROUP);
                assertThat(heartbeat(cluster.broker(id), a, 0, List.of("jobs")).errorCode())
                        .isEqualTo(Errors.NONE.code());
                joinedAt[0] = id;
            });
            int coordinator = joinedAt[0];
            TestBroker coordinatorBroker = cluster.broker(coordinator);
            assertThat(heartbeat(coordinatorBroker, b, 0, List.of("jobs")).errorCode()).isZero();
            assertThat(heartbeat(coordinatorBroker, a, 1, null).memberEpoch()).isEqualTo(2);
            ShareGroupDescription before = describe(admin);
            assertThat(before.coordinator().id()).isEqualTo(coordinator);
            assertThat(before.members()).hasSize(2);
            Map<String, Set<?>> assignmentsBefore = before.members().stream().collect(Collectors.toMap(
                    ShareMemberDescription::consumerId, m -> m.assignment().topicPartitions()));
            assertThat(assignmentsBefore.get(a)).hasSize(2);

            coordinatorBroker.stop();

            ShareGroupDescription after = await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .until(() -> describe(admin), described -> described.coordinator().id() != coordinator);
            assertThat(after.groupEpoch()).isEqualTo(before.groupEpoch());
            assertThat(after.targetAssignmentEpoch()).isEqualTo(before.targetAssignmentEpoch());
            assertThat(after.members().stream().collect(Collectors.toMap(ShareMemberDescription::consumerId,
                    m -> m.assignment().topicPartitions()))).isEqualTo(assignmentsBefore);
            ShareGroupHeartbeatResponseData resumed = heartbeat(cluster.broker(after.coordinator().id()), a, 2, null);
            assertThat(resumed.errorCode()).as("the member carries on at its epoch").isZero();
            assertThat(resumed.memberEpoch()).isEqualTo(2);
        }
    }
}

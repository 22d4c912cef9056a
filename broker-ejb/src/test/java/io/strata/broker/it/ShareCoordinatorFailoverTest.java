package io.strata.broker.it;

import io.strata.broker.config.Endpoint;
import io.strata.broker.replication.BrokerChannel;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.SharePersister;
import io.strata.broker.share.coordinator.ShareCoordinator;
import io.strata.broker.share.coordinator.ShareCoordinatorPersister;
import io.strata.broker.share.coordinator.ShareStateKey;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Share-partition state outlives the broker that coordinates it: in a cluster of three broker processes, with
 * {@code __share_group_state} replicated three times, the leader of its partition is killed with SIGKILL, and the
 * state acknowledged before is read back whole from the new leader, which goes on taking writes. The persister here
 * runs in the test's JVM and reaches the brokers only over the network, finding the coordinator with FindCoordinator
 * of key type SHARE and retrying while the leadership moves.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ShareCoordinatorFailoverTest {

    private static final String GROUP = "payments";

    @TempDir
    Path dir;
    private BrokerProcesses brokers;
    private ShareCoordinatorPersister persister;

    @AfterEach
    void stop() {
        if (persister != null) {
            persister.close();
        }
        if (brokers != null) {
            brokers.close();
        }
    }

    @Test
    void stateAcknowledgedBeforeTheCoordinatorIsKilledIsReadBackFromTheNewLeader() throws Exception {
        brokers = new BrokerProcesses(dir, "share-coordinator-failover-logs", 3,
                Map.of("share.coordinator.state.topic.num.partitions", 1));
        brokers.startAll(Duration.ofSeconds(90));
        brokers.createTopics(1, Map.of(), "payments-in");
        Map<Integer, Endpoint> endpoints = new HashMap<>();
        Uuid topicId;
        try (Admin admin = brokers.admin()) {
            for (Node node : admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)) {
                endpoints.put(node.id(), new Endpoint("PLAINTEXT", SecurityProtocol.PLAINTEXT, node.host(),
                        node.port()));
            }
            topicId = admin.describeTopics(List.of("payments-in")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("payments-in").topicId();
        }
        CoordinatorFinder finder = new CoordinatorFinder(new ArrayList<>(endpoints.values()));
        persister = new ShareCoordinatorPersister(null, finder::find, -100, endpoints::get,
                Executors.defaultThreadFactory(), 90_000, 200, 10_000, 100);

        assertThat(persister.initialize(GROUP, topicId, 0, new SharePartitionState(1, 0, List.of()))
                .get(120, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
        SharePartitionState acknowledged = null;
        for (int round = 0; round < 12; round++) {
            SharePartitionState state = stateOfRound(round);
            assertThat(persister.write(GROUP, topicId, 0, 1, state).get(60, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
            acknowledged = state;
        }

        int coordinator;
        try (Admin admin = brokers.admin()) {
            coordinator = leaderOf(admin);
        }
        brokers.kill(coordinator);

        SharePersister.ReadResult read = persister.read(GROUP, topicId, 0, 1).get(120, TimeUnit.SECONDS);
        assertThat(read.error()).isEqualTo(Errors.NONE);
        assertThat(read.state()).as("everything acknowledged before the kill").isEqualTo(acknowledged);
        try (Admin admin = brokers.admin()) {
            int survivor = await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> leaderOf(admin),
                    leader -> leader > 0);
            assertThat(survivor).isNotEqualTo(coordinator);
        }

        SharePartitionState after = stateOfRound(12);
        assertThat(persister.write(GROUP, topicId, 0, 2, after).get(60, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
        assertThat(persister.write(GROUP, topicId, 0, 1, after).get(60, TimeUnit.SECONDS))
                .as("the leader epoch read after the failover is remembered").isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(persister.read(GROUP, topicId, 0, 2).get(60, TimeUnit.SECONDS).state()).isEqualTo(after);
    }

    /**
     * What a share partition's leader would write after {@code round} deliveries of ten records each: all before the
     * round acknowledged (so the start offset moved past them), the round's ten acquired once, three redelivered.
     */
    private static SharePartitionState stateOfRound(int round) {
        long start = round * 10L;
        return new SharePartitionState(1, start, List.of(
                new StateBatch(start, start + 6, RecordState.ACQUIRED, 1),
                new StateBatch(start + 7, start + 9, RecordState.AVAILABLE, 2)));
    }

    private static int leaderOf(Admin admin) throws Exception {
        Node leader = admin.describeTopics(List.of(ShareCoordinator.STATE_TOPIC)).allTopicNames()
                .get(10, TimeUnit.SECONDS).get(ShareCoordinator.STATE_TOPIC).partitions().get(0).leader();
        return leader == null ? -1 : leader.id();
    }

    /**
     * Asks the brokers in turn for the coordinator of a share partition's state (FindCoordinator, key type SHARE);
     * -1 when none answers with one. Used only on the persister's scheduler thread, so one channel serves.
     */
    private static final class CoordinatorFinder {
        private final List<Endpoint> brokers;
        private final BrokerChannel channel = new BrokerChannel("share-failover-test", 5_000);

        CoordinatorFinder(List<Endpoint> brokers) {
            this.brokers = brokers;
        }

        int find(ShareStateKey key) {
            for (Endpoint broker : brokers) {
                try {
                    channel.target(broker.host(), broker.port());
                    FindCoordinatorResponse response = (FindCoordinatorResponse) channel.send(
                            new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                                    .setKeyType(FindCoordinatorRequest.CoordinatorType.SHARE.id())
                                    .setCoordinatorKeys(List.of(key.coordinatorKey()))).build());
                    FindCoordinatorResponseData.Coordinator found = response.data().coordinators().get(0);
                    if (found.errorCode() == Errors.NONE.code()) {
                        return found.nodeId();
                    }
                } catch (IOException e) {
                    // That broker is down: ask the next.
                }
            }
            return -1;
        }
    }
}

package io.strata.broker.cluster;

import com.hazelcast.cluster.ClusterState;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.strata.broker.config.BrokerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A broker whose Hazelcast member the cluster refuses for a while (its state frozen, as during a split-brain merge)
 * joins once the cluster takes members again, instead of exiting; one refused every time still fails, after its
 * attempts. Real Hazelcast members on loopback.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MemberStartRetryTest {

    private final String clusterName = "retry-" + UUID.randomUUID();
    private HazelcastInstance existing;
    private HazelcastInstance joined;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void shutDown() {
        scheduler.shutdownNow();
        if (joined != null) {
            joined.shutdown();
        }
        if (existing != null) {
            existing.shutdown();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A member of the cluster alone, standing for the brokers already there, with its state frozen. */
    private int startFrozenMember() throws IOException {
        int port = freePort();
        BrokerConfig settings = broker(2, port, port);
        Config config = HazelcastCluster.memberConfig(settings);
        existing = Hazelcast.newHazelcastInstance(config);
        existing.getCluster().changeClusterState(ClusterState.FROZEN);
        return port;
    }

    private BrokerConfig broker(int nodeId, int port, int joinPort) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(BrokerConfig.NODE_ID, nodeId);
        settings.put(BrokerConfig.CLUSTER_NAME, clusterName);
        settings.put(BrokerConfig.CLUSTER_HOST, "127.0.0.1");
        settings.put(BrokerConfig.CLUSTER_PORT, port);
        settings.put(BrokerConfig.CLUSTER_JOIN, "tcpip:127.0.0.1:" + joinPort);
        return BrokerConfig.of(settings);
    }

    @Test
    void aMemberRefusedWhileTheClusterIsFrozenJoinsOnceItThawsInsteadOfGivingUp() throws Exception {
        int existingPort = startFrozenMember();
        scheduler.schedule(() -> existing.getCluster().changeClusterState(ClusterState.ACTIVE), 4, TimeUnit.SECONDS);

        joined = HazelcastCluster.newMember(broker(1, freePort(), existingPort), 10, 1_000);

        assertThat(joined.getCluster().getMembers()).hasSize(2);
        assertThat(existing.getCluster().getMembers()).hasSize(2);
    }

    @Test
    void aMemberRefusedOnEveryAttemptFailsAfterItsLastAttempt() throws Exception {
        int existingPort = startFrozenMember();
        long startNanos = System.nanoTime();

        assertThatThrownBy(() -> HazelcastCluster.newMember(broker(1, freePort(), existingPort), 2, 500))
                .isInstanceOf(IllegalStateException.class);

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos)).isGreaterThanOrEqualTo(500);
        assertThat(existing.getCluster().getMembers()).hasSize(1);
    }
}

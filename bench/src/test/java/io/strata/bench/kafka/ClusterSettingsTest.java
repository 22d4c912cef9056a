package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterSettingsTest {

    private static final List<Integer> NODES = List.of(1, 2, 3);

    @Test
    void theClusterOptionAnywhereSelectsTheClusterRun() {
        assertThat(ClusterSettings.requested(new String[] {"--records", "10", "--cluster", "3"})).isTrue();
        assertThat(ClusterSettings.requested(new String[] {"--brokers", "kafka"})).isFalse();
    }

    @Test
    void defaultsMeasureBothClustersOfThreeWithThreeKillsAndEqualSessionTimeouts() {
        ClusterSettings settings = ClusterSettings.parse(new String[] {"--cluster", "3"}, Map.of());

        assertThat(settings.nodes()).isEqualTo(3);
        assertThat(settings.brokers()).containsExactly("kafka", "strata");
        assertThat(settings.records()).isEqualTo(200_000);
        assertThat(settings.cases()).containsExactly(new ClusterCase(1024, 6), new ClusterCase(100, 6));
        assertThat(settings.failoverRuns()).isEqualTo(3);
        assertThat(settings.brokerSessionTimeoutMs()).isEqualTo(3_000);
        assertThat(settings.kafkaHeartbeatIntervalMs()).isEqualTo(1_000);
        assertThat(settings.strataCommand()).isEqualTo(ClusterSettings.DEFAULT_STRATA_COMMAND)
                .contains("broker.session.timeout.ms={sessionTimeoutMs}");
    }

    @Test
    void aClusterTooSmallForReplicationFactorThreeIsRefused() {
        assertThatThrownBy(() -> ClusterSettings.parse(new String[] {"--cluster", "2"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--cluster must be between 3");
    }

    @Test
    void aStrataCommandWithoutPerBrokerPlaceholdersIsRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> ClusterSettings.parse(new String[] {"--cluster", "3", "--strata-cluster-cmd",
                "bin/strata-server --override listeners=PLAINTEXT://127.0.0.1:{port}"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{nodeId}");
        // Kafka alone needs no Strata command.
        assertThat(ClusterSettings.parse(new String[] {"--cluster", "3", "--brokers", "kafka",
                "--strata-cluster-cmd", "nonsense"}, Map.of()).brokers()).containsExactly("kafka");
    }

    @Test
    void theStrataCommandGetsEachBrokersIdPortsAndTheSharedMemberList() {
        String command = StrataClusterLauncher.command(ClusterSettings.DEFAULT_STRATA_COMMAND, 2, 9093,
                java.nio.file.Path.of("/tmp/data-2"), 5702, "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703",
                "strata-bench-x", 3000);

        assertThat(command).contains("node.id=2", "listeners=PLAINTEXT://127.0.0.1:9093", "log.dirs=/tmp/data-2",
                "cluster.join=tcpip:127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703", "cluster.port=5702",
                "cluster.name=strata-bench-x", "broker.session.timeout.ms=3000").doesNotContain("{");
    }

    @Test
    void failoverLeadersTakeTurnsOverTheBrokersThatAreNotTheController() {
        ClusterSettings settings = ClusterSettings.parse(new String[] {"--cluster", "3"}, Map.of());

        assertThat(settings.failoverReplicas(1, NODES, Optional.of(2))).contains(List.of(1, 2, 3));
        assertThat(settings.failoverReplicas(2, NODES, Optional.of(2))).contains(List.of(3, 1, 2));
        assertThat(settings.failoverReplicas(3, NODES, Optional.of(2))).contains(List.of(1, 2, 3));
        assertThatThrownBy(() -> settings.failoverReplicas(1, NODES, Optional.empty()))
                .hasMessageContaining("active controller");
    }

    @Test
    void theControllerOrAnyPlacementCanBeAskedFor() {
        ClusterSettings controller = ClusterSettings.parse(new String[] {"--cluster", "3", "--failover-leader",
                "controller"}, Map.of());
        ClusterSettings any = ClusterSettings.parse(new String[] {"--cluster", "3", "--failover-leader", "any"},
                Map.of());

        assertThat(controller.failoverReplicas(2, NODES, Optional.of(3))).contains(List.of(3, 1, 2));
        assertThat(any.failoverReplicas(1, NODES, Optional.empty())).isEmpty();
        assertThatThrownBy(() -> ClusterSettings.parse(new String[] {"--cluster", "3", "--failover-leader", "x"},
                Map.of())).hasMessageContaining("--failover-leader");
    }

    @Test
    void kafkasHeartbeatStaysAThirdOfTheSessionTimeoutWithinItsBounds() {
        assertThat(ClusterSettings.parse(new String[] {"--cluster", "3", "--session-timeout-ms", "9000"}, Map.of())
                .kafkaHeartbeatIntervalMs()).isEqualTo(2_000);
        assertThat(ClusterSettings.parse(new String[] {"--cluster", "3", "--session-timeout-ms", "2000"}, Map.of())
                .kafkaHeartbeatIntervalMs()).isEqualTo(666);
    }
}

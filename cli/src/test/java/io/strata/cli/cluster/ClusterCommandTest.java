package io.strata.cli.cluster;

import io.strata.broker.it.TestBroker;
import io.strata.broker.it.TestCluster;
import io.strata.broker.metadata.ClusterController;
import io.strata.cli.Cli;
import io.strata.cli.Cli.Result;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code strata cluster cp-reset} against a real cluster of three brokers in this JVM, whose CP Subsystem elects the
 * controller: without --yes nothing changes, with it the CP Subsystem is reset and a controller of a higher epoch
 * commits again.
 */
@Timeout(600)
class ClusterCommandTest {

    @TempDir
    static Path dir;
    static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(dir, 3, Map.of());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Result strata(String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", cluster.bootstrapServers()));
        all.addAll(List.of(args));
        return Cli.run(Map.of(), "", all.toArray(String[]::new));
    }

    @Test
    void cpResetWithoutYesOnlySaysWhatItWouldDo() {
        ClusterController before = awaitController();
        int epoch = before.controllerEpoch();

        Result result = strata("cluster", "cp-reset");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("Controller: broker").contains("Would reset the CP Subsystem")
                .contains("--yes");
        assertThat(before.isController()).as("the controller kept its term").isTrue();
        assertThat(before.controllerEpoch()).isEqualTo(epoch);
    }

    @Test
    void cpResetWithYesElectsAControllerOfAHigherEpochThatCommits() throws Exception {
        int epoch = awaitController().controllerEpoch();

        Result result = strata("cluster", "cp-reset", "--yes");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("The CP Subsystem was reset");
        await("a controller of a higher epoch").atMost(Duration.ofSeconds(60))
                .until(() -> awaitController().controllerEpoch() > epoch);
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
                    admin.createTopics(List.of(new NewTopic("after-cp-reset", 1, (short) 3))).all()
                            .get(10, TimeUnit.SECONDS));
        }
    }

    private static ClusterController awaitController() {
        return await().atMost(Duration.ofSeconds(60)).until(() -> cluster.brokers().stream()
                .map(TestBroker::server).map(server -> server.clusterController())
                .filter(ClusterController::isController).findFirst().orElse(null), controller -> controller != null);
    }
}

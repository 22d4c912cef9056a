package io.strata.cli.partitions;

import io.strata.broker.it.TestBroker;
import io.strata.broker.it.TestCluster;
import io.strata.cli.Cli;
import io.strata.cli.Cli.Result;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartitionInfo;
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
 * The partitions commands against a real cluster of three brokers in this JVM: moving a partition, following and
 * cancelling a move, electing preferred leaders, and the one-line errors for mistakes. Tests keep apart by topic name;
 * a test that stops a broker starts it again before it ends.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PartitionsCommandTest {

    private static final String HEADER = "TOPIC  PARTITION  REPLICAS  ADDING  REMOVING";

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

    private static void createTopic(String name, List<Integer> replicas) throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(name, Map.of(0, replicas)))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static String partitionLine(String topic) {
        Result described = strata("topics", "describe", "--topic", topic);
        assertThat(described.exitCode()).as(described.toString()).isZero();
        return described.outLines().get(1);
    }

    @Test
    void reassignMovesThePartitionAndDescribeShowsItsNewReplicas() throws Exception {
        createTopic("moved", List.of(1, 2));

        Result moving = strata("partitions", "reassign", "--topic", "moved", "--partition", "0", "--replicas", "3,2");

        assertThat(moving.exitCode()).as(moving.toString()).isZero();
        assertThat(moving.out()).isEqualTo("Moving partition moved-0 to brokers 3,2; 'strata partitions "
                + "reassignments' shows the move until it completes.\n");
        await().atMost(Duration.ofSeconds(60)).until(() ->
                strata("partitions", "reassignments").outLines().equals(List.of(HEADER)));
        await().atMost(Duration.ofSeconds(10)).until(() -> partitionLine("moved")
                .matches("\tTopic: moved\tPartition: 0\tLeader: 3\tReplicas: 3,2\tIsr: (3,2|2,3)"));
    }

    @Test
    void moveToAStoppedBrokersPartitionWaitsUntilCancelledAndItsPreferredLeaderCannotBeElected() throws Exception {
        createTopic("waiting", List.of(3));
        createTopic("led-by-three", List.of(3, 1));
        TestBroker three = cluster.broker(3);
        three.stop();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    partitionLine("waiting").contains("Leader: none")
                            && partitionLine("led-by-three").contains("Leader: 1"));

            Result moving = strata("partitions", "reassign", "--topic", "waiting", "--partition", "0",
                    "--replicas", "2");
            assertThat(moving.exitCode()).as(moving.toString()).isZero();
            // The only replica is down, so broker 2 cannot copy the partition: the move stays listed.
            List<String> listed = List.of("TOPIC    PARTITION  REPLICAS  ADDING  REMOVING",
                    "waiting  0          2,3       2       3");
            assertThat(strata("partitions", "reassignments").outLines()).isEqualTo(listed);
            assertThat(strata("partitions", "reassignments", "--topic", "waiting").outLines()).isEqualTo(listed);

            Result election = strata("partitions", "elect-leaders", "--topic", "led-by-three");
            assertThat(election.exitCode()).as(election.toString()).isEqualTo(1);
            assertThat(election.outLines()).hasSize(2);
            assertThat(election.outLines().get(1)).startsWith("led-by-three  0          failed: Broker 3, the "
                    + "preferred leader of led-by-three-0, is not alive");
            assertThat(election.err()).isEqualTo("strata: the preferred leader election failed for 1 of 1 "
                    + "partition\n");

            Result cancelled = strata("partitions", "reassign", "--topic", "waiting", "--partition", "0", "--cancel");
            assertThat(cancelled.exitCode()).as(cancelled.toString()).isZero();
            assertThat(cancelled.out()).isEqualTo("Cancelled the move of partition waiting-0.\n");
            assertThat(strata("partitions", "reassignments").outLines()).containsExactly(HEADER);
            assertThat(partitionLine("waiting")).endsWith("\tReplicas: 3\tIsr: 3");

            Result again = strata("partitions", "reassign", "--topic", "waiting", "--partition", "0", "--cancel");
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.err()).isEqualTo("strata: partition waiting-0 is not being moved; there is nothing to "
                    + "cancel\n");
        } finally {
            three.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.brokers().stream()
                    .allMatch(broker -> broker.server().membership().liveBrokers().size() == 3));
        }
    }

    @Test
    void electLeadersGivesLeadershipToThePreferredReplica() throws Exception {
        createTopic("lead", List.of(1, 2));
        // The same brokers in another order: only the preferred leader changes, the leader stays.
        Result reordered = strata("partitions", "reassign", "--topic", "lead", "--partition", "0", "--replicas", "2,1");
        assertThat(reordered.exitCode()).as(reordered.toString()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                partitionLine("lead").contains("\tLeader: 1\tReplicas: 2,1\t"));

        Result elected = strata("partitions", "elect-leaders", "--topic", "lead", "--partition", "0");

        assertThat(elected.exitCode()).as(elected.toString()).isZero();
        assertThat(elected.outLines()).containsExactly("TOPIC  PARTITION  RESULT", "lead   0          elected");
        await().atMost(Duration.ofSeconds(10)).until(() -> partitionLine("lead").contains("\tLeader: 2\t"));

        Result again = strata("partitions", "elect-leaders", "--type", "preferred", "--topic", "lead");
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.outLines()).containsExactly("TOPIC  PARTITION  RESULT",
                "lead   0          not needed: Broker 2, the preferred leader of lead-0, leads it already");

        Result unclean = strata("partitions", "elect-leaders", "--type", "unclean", "--topic", "lead");
        assertThat(unclean.exitCode()).as(unclean.toString()).isZero();
        assertThat(unclean.outLines().get(1)).startsWith("lead   0          not needed: lead-0 has a leader");
    }

    @Test
    void mistakesAreOneLineErrors() throws Exception {
        createTopic("placed", List.of(1, 2));

        assertError(strata("partitions", "reassign", "--topic", "nope", "--partition", "0", "--replicas", "1"),
                1, "strata: topic 'nope' does not exist");
        assertError(strata("partitions", "reassign", "--topic", "placed", "--partition", "4", "--replicas", "1"),
                1, "strata: topic 'placed' has no partition 4 (it has only partition 0)");
        assertError(strata("partitions", "reassign", "--topic", "placed", "--partition", "0", "--replicas", "2,9"),
                1, "strata: the broker answered: The reassignment of placed-0 names broker 9, which is not "
                        + "registered; live brokers are [1, 2, 3]");
        assertError(strata("partitions", "elect-leaders", "--topic", "nope"), 1, "strata: topic 'nope' does not exist");
        assertError(strata("partitions", "reassignments", "--topic", "nope"), 1,
                "strata: topic 'nope' does not exist");

        assertThat(strata("partitions", "reassign", "--topic", "placed", "--partition", "0", "--replicas", "2,2")
                .exitCode()).isEqualTo(2);
        assertThat(strata("partitions", "reassign", "--topic", "placed", "--partition", "0", "--replicas", "2",
                "--cancel").exitCode()).isEqualTo(2);
        assertThat(strata("partitions", "reassign", "--topic", "placed", "--partition", "0").exitCode())
                .isEqualTo(2);
        assertThat(strata("partitions", "elect-leaders", "--partition", "0").exitCode()).isEqualTo(2);
        assertThat(strata("partitions", "elect-leaders", "--type", "bogus").exitCode()).isEqualTo(2);

        try (Admin admin = cluster.admin()) {
            TopicPartitionInfo unchanged = admin.describeTopics(List.of("placed")).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get("placed").partitions().get(0);
            assertThat(unchanged.replicas()).extracting(node -> node.id()).containsExactly(1, 2);
        }
    }

    private static void assertError(Result result, int exitCode, String line) {
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(exitCode);
        assertThat(result.err()).isEqualTo(line + "\n");
    }
}

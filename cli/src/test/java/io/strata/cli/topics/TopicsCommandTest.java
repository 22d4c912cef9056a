package io.strata.cli.topics;

import io.strata.broker.it.TestBroker;
import io.strata.cli.Cli.Result;
import io.strata.cli.SharedBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.cli.Cli.strata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(SharedBroker.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TopicsCommandTest {

    private final TestBroker broker;

    TopicsCommandTest(TestBroker broker) {
        this.broker = broker;
    }

    @Test
    void topicIsCreatedListedDescribedAlteredAndDeleted() {
        Result created = strata(broker, "topics", "create", "--topic", "orders", "--partitions", "2",
                "--replication-factor", "1", "--config", "retention.ms=3600000", "--config", "segment.bytes=1048576");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        assertThat(created.out()).isEqualTo("Created topic 'orders' with 2 partitions.\n");

        assertThat(strata(broker, "topics", "list").outLines()).contains("orders");

        Result described = strata(broker, "topics", "describe", "--topic", "orders");
        assertThat(described.exitCode()).as(described.toString()).isZero();
        assertThat(described.outLines()).hasSize(3);
        assertThat(described.outLines().get(0))
                .startsWith("Topic: orders\tTopicId: ")
                .endsWith("\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=3600000,segment.bytes=1048576");
        assertThat(described.outLines().get(1)).matches("\tTopic: orders\tPartition: 0\tLeader: (\\d+)\tReplicas: \\1\tIsr: \\1");
        assertThat(described.outLines().get(2)).matches("\tTopic: orders\tPartition: 1\tLeader: (\\d+)\tReplicas: \\1\tIsr: \\1");

        Result altered = strata(broker, "topics", "alter", "--topic", "orders", "--partitions", "4",
                "--config", "cleanup.policy=compact", "--delete-config", "retention.ms");
        assertThat(altered.exitCode()).as(altered.toString()).isZero();
        assertThat(altered.outLines()).containsExactly(
                "Topic 'orders' now has 4 partitions (was 2).",
                "Set cleanup.policy=compact on topic 'orders'.",
                "Removed retention.ms from topic 'orders' (the default applies).");
        Result afterAlter = strata(broker, "topics", "describe", "--topic", "orders");
        assertThat(afterAlter.outLines()).hasSize(5);
        assertThat(afterAlter.outLines().get(0))
                .endsWith("\tPartitionCount: 4\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,segment.bytes=1048576");

        Result deleted = strata(broker, "topics", "delete", "--topic", "orders");
        assertThat(deleted.exitCode()).as(deleted.toString()).isZero();
        assertThat(deleted.out()).isEqualTo("Deleted topic 'orders'.\n");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !strata(broker, "topics", "list").outLines().contains("orders"));
        Result gone = strata(broker, "topics", "describe", "--topic", "orders");
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.err()).isEqualTo("strata: topic 'orders' does not exist\n");
    }

    @Test
    void createUsesTheBrokerDefaultsWhenPartitionsAreNotGiven() {
        Result created = strata(broker, "topics", "create", "--topic", "defaulted");

        assertThat(created.exitCode()).as(created.toString()).isZero();
        assertThat(created.out()).isEqualTo("Created topic 'defaulted' with 1 partition.\n");
    }

    @Test
    void configWithoutEqualsSignIsABadUsageOnOneLine() {
        Result result = strata(broker, "topics", "create", "--topic", "badconfig", "--config", "retention.ms");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.err()).startsWith("strata: ").contains("KEY=VALUE").contains("retention.ms");
        assertThat(strata(broker, "topics", "list").outLines()).doesNotContain("badconfig");
    }

    @Test
    void unknownTopicSettingIsRefusedByTheBroker() {
        Result result = strata(broker, "topics", "create", "--topic", "badsetting", "--config", "no.such.setting=1");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.err()).startsWith("strata: ").contains("no.such.setting");
    }

    @Test
    void creatingAnExistingTopicFailsUnlessIfNotExists() {
        broker.createTopic("twice", 1, Map.of());

        Result again = strata(broker, "topics", "create", "--topic", "twice");
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("strata: topic 'twice' already exists\n");

        Result tolerated = strata(broker, "topics", "create", "--topic", "twice", "--if-not-exists");
        assertThat(tolerated.exitCode()).isZero();
        assertThat(tolerated.out()).isEqualTo("Topic 'twice' already exists.\n");
    }

    @Test
    void partitionsCanOnlyGrow() {
        broker.createTopic("shrink", 3, Map.of());

        Result result = strata(broker, "topics", "alter", "--topic", "shrink", "--partitions", "2");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("strata: topic 'shrink' has 3 partitions; partitions can only be added, "
                + "not removed (asked for 2)\n");
    }

    @Test
    void alterWithoutChangesIsABadUsage() {
        Result result = strata(broker, "topics", "alter", "--topic", "whatever");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("strata: nothing to change");
    }

    @Test
    void deletingAnUnknownTopicFailsUnlessIfExists() {
        Result result = strata(broker, "topics", "delete", "--topic", "never-was");
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("strata: topic 'never-was' does not exist\n");

        assertThat(strata(broker, "topics", "delete", "--topic", "never-was", "--if-exists").exitCode()).isZero();
    }
}

package io.strata.cli.produce;

import io.strata.broker.it.TestBroker;
import io.strata.cli.Cli.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static io.strata.cli.Cli.strata;
import static io.strata.cli.Cli.strataWithInput;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Producing to a topic that does not exist, on a broker that does not create topics on first use
 * ({@code auto.create.topics.enable=false}): the commands say so at once, as they would otherwise wait for the
 * producer's max.block.ms, and nothing is created.
 */
@Timeout(120)
class ProduceWithoutAutoCreationTest {

    @TempDir
    static Path dataDir;
    private static TestBroker broker;

    @BeforeAll
    static void start() {
        broker = TestBroker.start(dataDir, Map.of("auto.create.topics.enable", false));
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void produceToAnUnknownTopicFailsWithoutCreatingIt() {
        Result result = strataWithInput(broker, "x\n", "produce", "--topic", "missing-topic");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("strata: topic 'missing-topic' does not exist, and the broker does not"
                + " create topics on first use (auto.create.topics.enable=false): create it with"
                + " 'strata topics create --topic missing-topic'\n");
        assertThat(strata(broker, "topics", "list").outLines()).doesNotContain("missing-topic");
    }

    @Test
    void perfProduceToAnUnknownTopicFailsWithoutCreatingIt() {
        Result result = strata(broker, "perf", "produce", "--topic", "missing-perf", "--num-records", "10");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("strata: topic 'missing-perf' does not exist, and the broker does not");
        assertThat(strata(broker, "topics", "list").outLines()).doesNotContain("missing-perf");
    }

    @Test
    void produceToAnExistingTopicStillWorks() {
        broker.createTopic("present", 1, Map.of());

        Result produced = strataWithInput(broker, "one\n", "produce", "--topic", "present");

        assertThat(produced.exitCode()).as(produced.toString()).isZero();
        Result consumed = strata(broker, "consume", "--topic", "present", "--from-beginning", "--max-messages", "1",
                "--timeout-ms", "10000");
        assertThat(consumed.outLines()).containsExactly("one");
    }
}

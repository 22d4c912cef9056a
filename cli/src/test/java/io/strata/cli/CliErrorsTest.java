package io.strata.cli;

import io.strata.broker.it.TestBroker;
import io.strata.cli.Cli.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.cli.Cli.strata;
import static org.assertj.core.api.Assertions.assertThat;

/** What the command prints when things go wrong, and how the global options find the broker. */
@ExtendWith(SharedBroker.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CliErrorsTest {

    private final TestBroker broker;

    CliErrorsTest(TestBroker broker) {
        this.broker = broker;
    }

    @Test
    void unreachableBrokerFailsWithinTheTimeoutOnOneLine() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        long start = System.nanoTime();

        Result result = Cli.run(Map.of(), "", "--bootstrap-server", "127.0.0.1:" + closedPort,
                "--request-timeout-ms", "1500", "topics", "list");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("strata: timed out after 1500 ms waiting for the broker at 127.0.0.1:"
                + closedPort + "; is it running, and is --bootstrap-server right?\n");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
    }

    @Test
    void unresolvableBootstrapServerIsReported() {
        Result result = Cli.run(Map.of(), "", "--bootstrap-server", "no-such-host.invalid:9092",
                "--request-timeout-ms", "1500", "topics", "list");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).hasSize(1);
        assertThat(result.err()).startsWith("strata: ").contains("no-such-host.invalid:9092");
    }

    @Test
    void usageErrorsAreOneLineWithExitCodeTwo() {
        Result missingOption = strata(broker, "topics", "create");
        Result unknownCommand = strata(broker, "topics", "frobnicate");
        Result missingSubcommand = strata(broker, "groups");

        assertThat(missingOption.exitCode()).isEqualTo(2);
        assertThat(missingOption.err()).isEqualTo(
                "strata: Missing required option: '--topic=TOPIC' (see 'strata topics create --help')\n");
        assertThat(unknownCommand.exitCode()).isEqualTo(2);
        assertThat(unknownCommand.errLines()).hasSize(1);
        assertThat(unknownCommand.err()).startsWith("strata: ").contains("frobnicate");
        assertThat(missingSubcommand.exitCode()).isEqualTo(2);
        assertThat(missingSubcommand.err()).isEqualTo(
                "strata: Missing required subcommand (see 'strata groups --help')\n");
    }

    @Test
    void verboseAddsTheStackTrace() {
        Result quiet = strata(broker, "topics", "describe", "--topic", "absent");
        Result verbose = strata(broker, "--verbose", "topics", "describe", "--topic", "absent");

        assertThat(quiet.errLines()).containsExactly("strata: topic 'absent' does not exist");
        assertThat(verbose.errLines().get(0)).isEqualTo("strata: topic 'absent' does not exist");
        assertThat(verbose.err()).contains("\tat io.strata.cli.topics.DescribeTopicCommand")
                .contains("Caused by: org.apache.kafka.common.errors.UnknownTopicOrPartitionException");
    }

    @Test
    void bootstrapServersComeFromTheEnvironmentWhenNotGiven() {
        broker.createTopic("from-env", 1, Map.of());

        Result result = Cli.run(Map.of(ClientSettings.BOOTSTRAP_ENV, broker.bootstrapServers()), "",
                "topics", "list");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.outLines()).contains("from-env");
    }

    @Test
    void commandConfigFileSuppliesClientSettings(@TempDir Path dir) throws IOException {
        broker.createTopic("from-file", 1, Map.of());
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "bootstrap.servers=" + broker.bootstrapServers() + "\nclient.id=from-file-test\n");

        Result result = Cli.run(Map.of(), "", "topics", "list", "--command-config", file.toString());
        Result missing = Cli.run(Map.of(), "", "topics", "list", "--command-config", dir.resolve("nope").toString());

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.outLines()).contains("from-file");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).startsWith("strata: cannot read --command-config file '").endsWith("nope\n");
        assertThat(missing.errLines()).hasSize(1);
    }

    @Test
    void helpAndVersionNeedNoBroker() {
        Result help = Cli.run(Map.of(), "", "--help");
        Result version = Cli.run(Map.of(), "", "--version");
        Result produceHelp = Cli.run(Map.of(), "", "produce", "--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("topics", "produce", "consume", "groups", "perf", "--bootstrap-server");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).startsWith("strata ").contains("kafka-clients ");
        assertThat(produceHelp.out()).contains("--headers-separator", "--key-separator", "comma-separated");
    }
}

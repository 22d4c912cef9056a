package io.strata.broker.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka's own command-line tools from {@code org.apache.kafka:kafka-tools} (what kafka-topics.sh,
 * kafka-console-producer.sh, kafka-console-consumer.sh, kafka-consumer-groups.sh and kafka-verifiable-producer.sh
 * run), each in its own JVM, against Strata.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class KafkaToolsTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of());
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result tool(String mainClass, String input, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<String> out = read(process.getInputStream());
        CompletableFuture<String> err = read(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", mainClass).isTrue();
        return new Result(process.exitValue(), out.get(), err.get());
    }

    private static CompletableFuture<String> read(java.io.InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    @Test
    void theTopicCommandCreatesDescribesAltersAndDeletesTopics() throws Exception {
        String bootstrap = broker.bootstrapServers();
        String topics = "org.apache.kafka.tools.TopicCommand";
        Result created = tool(topics, null, "--bootstrap-server", bootstrap, "--create", "--topic", "tooling",
                "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=3600000");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).contains("Created topic tooling.");

        Result listed = tool(topics, null, "--bootstrap-server", bootstrap, "--list");
        assertThat(listed.out().lines()).contains("tooling");

        Result altered = tool(topics, null, "--bootstrap-server", bootstrap, "--alter", "--topic", "tooling",
                "--partitions", "5");
        assertThat(altered.exit()).as(altered.err()).isZero();
        Result described = tool(topics, null, "--bootstrap-server", bootstrap, "--describe", "--topic", "tooling");
        assertThat(described.exit()).as(described.err()).isZero();
        assertThat(described.out()).contains("PartitionCount: 5").contains("retention.ms=3600000")
                .contains("Partition: 4").contains("Leader: 1");

        Result deleted = tool(topics, null, "--bootstrap-server", bootstrap, "--delete", "--topic", "tooling");
        assertThat(deleted.exit()).as(deleted.err()).isZero();
        assertThat(tool(topics, null, "--bootstrap-server", bootstrap, "--list").out().lines())
                .doesNotContain("tooling");
    }

    @Test
    void theConsoleProducerAndConsumerRoundTripAndTheGroupCommandShowsLag() throws Exception {
        String bootstrap = broker.bootstrapServers();
        broker.createTopic("console", 2, Map.of());
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            lines.append("key").append(i).append('\t').append("line ").append(i).append('\n');
        }
        Result produced = tool("org.apache.kafka.tools.ConsoleProducer", lines.toString(), "--bootstrap-server",
                bootstrap, "--topic", "console", "--property", "parse.key=true");
        assertThat(produced.exit()).as(produced.err()).isZero();

        Result consumed = tool("org.apache.kafka.tools.consumer.ConsoleConsumer", null, "--bootstrap-server",
                bootstrap, "--topic", "console", "--from-beginning", "--max-messages", "30", "--group", "console-group",
                "--property", "print.key=true", "--property", "key.separator=|");
        assertThat(consumed.exit()).as(consumed.err()).isZero();
        List<String> records = consumed.out().lines().filter(l -> l.startsWith("key")).toList();
        assertThat(records).hasSize(30);
        assertThat(records).allMatch(l -> l.matches("key(\\d+)\\|line \\1"));

        Result groups = tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", null, "--bootstrap-server",
                bootstrap, "--describe", "--group", "console-group");
        assertThat(groups.exit()).as(groups.err()).isZero();
        assertThat(groups.out()).contains("console-group").contains("LAG");
        long totalLag = groups.out().lines().filter(l -> l.startsWith("console-group"))
                .mapToLong(l -> Long.parseLong(l.trim().split("\\s+")[5])).sum();
        assertThat(totalLag).isEqualTo(10);
    }

    @Test
    void theVerifiableProducerGetsEveryRecordAcknowledged() throws Exception {
        broker.createTopic("verified", 1, Map.of());
        Result produced = tool("org.apache.kafka.tools.VerifiableProducer", null, "--bootstrap-server",
                broker.bootstrapServers(), "--topic", "verified", "--max-messages", "200", "--acks", "-1");
        assertThat(produced.exit()).as(produced.err()).isZero();
        assertThat(produced.out()).contains("\"sent\":200").contains("\"acked\":200");
    }
}

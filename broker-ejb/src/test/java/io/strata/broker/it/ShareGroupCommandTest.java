package io.strata.broker.it;

import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kafka-share-groups.sh} against Strata: kafka-tools 4.3.1's {@code ShareGroupCommand}, in its own JVM as the
 * script runs it, lists a share group a {@code KafkaShareConsumer} is in, describes its offsets, members and state,
 * resets the offsets of the group once it is empty, and deletes it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareGroupCommandTest {

    private static final String COMMAND = "org.apache.kafka.tools.consumer.group.ShareGroupCommand";
    private static final Duration AT_MOST = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, ShareGroups.FAST_SHARE_GROUPS);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private record Result(int exit, String out, String err) {
        /** The output's lines split at runs of spaces, header first, blank lines left out. */
        List<List<String>> rows() {
            List<List<String>> rows = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    rows.add(Arrays.asList(line.trim().split("\\s+")));
                }
            }
            return rows;
        }
    }

    private static Result shareGroups(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"), COMMAND,
                "--bootstrap-server", broker.bootstrapServers()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<String> out = read(process.getInputStream());
        CompletableFuture<String> err = read(process.getErrorStream());
        process.getOutputStream().close();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("kafka-share-groups.sh %s finished",
                String.join(" ", args)).isTrue();
        System.out.println("kafka-share-groups.sh " + String.join(" ", args) + "\n" + out.get() + err.get());
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
    void listsDescribesResetsAndDeletesAShareGroup() throws Exception {
        broker.createTopic("tooled", 2, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("tooled", i % 2, "k" + i, "v" + i)).get();
            }
        }
        try (org.apache.kafka.clients.admin.Admin admin = broker.admin()) {
            ShareGroups.configure(admin, "tools", Map.of("share.auto.offset.reset", "earliest"));
        }

        try (KafkaShareConsumer<String, String> consumer = ShareGroups.consumer(broker.bootstrapServers(), "tools",
                "implicit", Map.of("client.id", "tool-member"))) {
            consumer.subscribe(List.of("tooled"));
            ShareGroups.pollUntil(List.of(consumer), null, records -> records.size() == 10, AT_MOST);
            consumer.commitSync();

            Result list = shareGroups("--list");
            assertThat(list.exit()).as(list.err()).isZero();
            assertThat(list.out().lines()).contains("tools");

            Result offsets = await().atMost(AT_MOST).until(() -> shareGroups("--describe", "--group", "tools"),
                    result -> result.rows().stream().filter(row -> row.contains("tooled"))
                            .allMatch(row -> row.get(row.indexOf("tooled") + 2).equals("5")));
            assertThat(offsets.exit()).as(offsets.err()).isZero();
            assertThat(offsets.rows().get(0)).containsExactly("GROUP", "TOPIC", "PARTITION", "START-OFFSET", "LAG");
            assertThat(offsets.rows()).filteredOn(row -> row.contains("tooled")).hasSize(2)
                    .allSatisfy(row -> assertThat(row).as("every record delivered and accepted: no lag")
                            .containsExactly("tools", "tooled", row.get(2), "5", "0"));

            Result members = shareGroups("--describe", "--group", "tools", "--members");
            assertThat(members.exit()).as(members.err()).isZero();
            assertThat(members.rows().get(0)).contains("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID");
            assertThat(members.rows()).filteredOn(row -> row.contains("tool-member")).singleElement()
                    .satisfies(row -> assertThat(String.join(" ", row)).contains("tooled:0,1"));

            Result state = shareGroups("--describe", "--group", "tools", "--state");
            assertThat(state.exit()).as(state.err()).isZero();
            assertThat(state.rows()).filteredOn(row -> row.get(0).equals("tools")).singleElement()
                    .satisfies(row -> assertThat(row).contains("Stable", "1"));

            Result refused = shareGroups("--reset-offsets", "--to-earliest", "--execute", "--group", "tools",
                    "--topic", "tooled");
            assertThat(refused.out() + refused.err()).as("a group with members is not reset")
                    .containsIgnoringCase("not empty");
        }

        await().atMost(AT_MOST).until(() -> shareGroups("--describe", "--group", "tools", "--state").out(),
                out -> out.contains("Empty"));
        Result reset = shareGroups("--reset-offsets", "--to-earliest", "--execute", "--group", "tools", "--topic",
                "tooled");
        assertThat(reset.exit()).as(reset.err()).isZero();
        assertThat(reset.rows()).filteredOn(row -> row.contains("tooled")).hasSize(2)
                .allSatisfy(row -> assertThat(row.get(row.size() - 1)).isEqualTo("0"));
        Result afterReset = shareGroups("--describe", "--group", "tools");
        assertThat(afterReset.rows()).filteredOn(row -> row.contains("tooled")).hasSize(2)
                .allSatisfy(row -> assertThat(row).as("five records of each partition to deliver again")
                        .containsExactly("tools", "tooled", row.get(2), "0", "5"));

        Result deleted = shareGroups("--delete", "--group", "tools");
        assertThat(deleted.exit()).as(deleted.err()).isZero();
        assertThat(deleted.out()).contains("tools");
        assertThat(shareGroups("--list").out().lines()).doesNotContain("tools");
    }
}

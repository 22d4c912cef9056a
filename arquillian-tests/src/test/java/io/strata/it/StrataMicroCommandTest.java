package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's command, {@code bin/strata-micro}, as a user runs it: it starts Strata on Payara Micro; Ctrl-C
 * (SIGINT) stops it cleanly, with the logs closed and the clean-shutdown marker written; starting again recovers the
 * topics, records and committed offsets. A start that cannot bind its port fails the deployment with a message
 * saying what to do. Ports and the data directory are moved out of the way through the documented settings.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class StrataMicroCommandTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A running bin/strata-micro and where it listens. */
    private record Server(Process process, int kafkaPort, int httpPort, Path log) {
        String bootstrap() {
            return "127.0.0.1:" + kafkaPort;
        }
    }

    private Server start(Path dataDir, int kafkaPort, String logName) throws IOException {
        int httpPort = freePort();
        Path log = dir.resolve(logName);
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("bin/strata-micro").toString(),
                "--port", String.valueOf(httpPort)).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("STRATA_LISTENERS", "PLAINTEXT://127.0.0.1:" + kafkaPort);
        builder.environment().put("STRATA_LOG_DIRS", dataDir.toString());
        builder.environment().put("STRATA_JVM_OPTS", "-Xmx768m");
        return new Server(builder.start(), kafkaPort, httpPort, log);
    }

    /** Waits for readiness and returns how long it took from the start of the command. */
    private static Duration awaitReady(Server server, long startedNanos) {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).until(() -> {
            assertThat(server.process().isAlive()).as("bin/strata-micro is running; its log: %s", server.log())
                    .isTrue();
            try {
                HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort() + "/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                return ready.statusCode() == 200 && ready.body().contains("\"strata-broker\"")
                        && ready.body().contains("\"UP\"");
            } catch (IOException e) {
                return false;
            }
        });
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** Ctrl-C: SIGINT to the server, which must stop by itself. */
    private static void interrupt(Server server) throws Exception {
        Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(server.process().pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
        assertThat(server.process().waitFor(90, TimeUnit.SECONDS)).as("stopped after Ctrl-C; log: %s", server.log())
                .isTrue();
    }

    private static Properties client(Server server) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.bootstrap());
        return properties;
    }

    @Test
    void ctrlCStopsCleanlyAndTheNextStartRecoversEverything() throws Exception {
        Path data = dir.resolve("data");
        int kafkaPort = freePort();
        long startedNanos = System.nanoTime();
        Server first = start(data, kafkaPort, "first.log");
        try {
            Duration toReady = awaitReady(first, startedNanos);
            System.out.println("bin/strata-micro: ready " + toReady.toMillis() + " ms after the command");
            try (Admin admin = Admin.create(client(first))) {
                admin.createTopics(List.of(new NewTopic("kept", 2, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(client(first), new StringSerializer(),
                    new StringSerializer())) {
                for (int i = 0; i < 50; i++) {
                    producer.send(new ProducerRecord<>("kept", i % 2, "k", "record-" + i)).get();
                }
            }
            Properties consumerSettings = client(first);
            consumerSettings.put(ConsumerConfig.GROUP_ID_CONFIG, "keepers");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerSettings,
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.commitSync(Map.of(new TopicPartition("kept", 0), new OffsetAndMetadata(20),
                        new TopicPartition("kept", 1), new OffsetAndMetadata(25)));
            }
        } finally {
            interrupt(first);
        }
        // The server's log handler is closed before applications stop, so the marker is the proof of a clean stop.
        assertThat(data.resolve(".strata-clean-shutdown")).as("the clean-shutdown marker").exists();

        Server second = start(data, kafkaPort, "second.log");
        try {
            awaitReady(second, System.nanoTime());
            assertThat(Files.readString(second.log()).lines().filter(line -> line.contains("Loaded kept-0:")))
                    .as("the partition loads without recovery after the clean stop").singleElement()
                    .asString().contains(", clean in ");
            Properties consumerSettings = client(second);
            consumerSettings.put(ConsumerConfig.GROUP_ID_CONFIG, "keepers");
            consumerSettings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerSettings,
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("kept"));
                List<ConsumerRecord<String, String>> rest = new ArrayList<>();
                long deadline = System.currentTimeMillis() + 60_000;
                while (rest.size() < 5 && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(rest::add);
                }
                // 25 records per partition; the group committed 20 and 25, so only partition 0's last 5 remain. A
                // little longer, in case more than those came.
                long until = System.currentTimeMillis() + 2000;
                while (System.currentTimeMillis() < until) {
                    consumer.poll(Duration.ofMillis(200)).forEach(rest::add);
                }
                assertThat(rest).extracting(ConsumerRecord::offset).containsExactlyInAnyOrder(20L, 21L, 22L, 23L, 24L);
                assertThat(rest).allSatisfy(r -> assertThat(r.partition()).isZero());
            }
        } finally {
            interrupt(second);
        }
    }

    @Test
    void aStartThatCannotBindItsPortFailsTheDeploymentSayingWhatToDo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            Server server = start(dir.resolve("data"), taken.getLocalPort(), "taken.log");
            try {
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                        .until(() -> Files.readString(server.log()).contains(") ready in ")
                                || !server.process().isAlive());
                String log = Files.readString(server.log(), StandardCharsets.UTF_8);
                assertThat(log).contains("Exception while loading the app")
                        .contains("Strata could not start: Cannot listen on PLAINTEXT://127.0.0.1:"
                                + taken.getLocalPort())
                        .contains("strata.listeners (STRATA_LISTENERS)");
                HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.httpPort() + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(ready.body()).as("no broker reports ready").doesNotContain("strata-broker");
            } finally {
                interrupt(server);
            }
        }
    }
}

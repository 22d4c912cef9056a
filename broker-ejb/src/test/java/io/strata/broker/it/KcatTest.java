package io.strata.broker.it;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kcat, a librdkafka client (Debian package {@code kcat}, installed by {@code bin/test}), produces to and consumes from
 * Strata: librdkafka speaks the protocol its own way (its own version negotiation, batching and compression), so this
 * checks Strata beyond the Java client.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KcatTest {

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

    private static Result kcat(String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("kcat");
        command.add("-b");
        command.add(broker.bootstrapServers());
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new AssertionError("kcat is not installed: bin/test installs it, or apt-get install -y kcat", e);
        }
        try (OutputStream in = process.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("kcat finished").isTrue();
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void kcatProducesKeyedRecordsThatJavaConsumersRead() throws Exception {
        broker.createTopic("from-kcat", 1, Map.of());
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            lines.append("key").append(i).append(':').append("value").append(i).append('\n');
        }
        Result produced = kcat(lines.toString(), "-P", "-t", "from-kcat", "-K", ":", "-z", "lz4", "-X", "acks=all");
        assertThat(produced.exit()).as(produced.err()).isZero();

        TopicPartition tp = new TopicPartition("from-kcat", 0);
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = ProduceConsumeTest.readAll(consumer, 100);
            assertThat(records).hasSize(100);
            assertThat(records.get(42).key()).isEqualTo("key42");
            assertThat(records.get(42).value()).isEqualTo("value42");
        }
    }

    @Test
    void kcatConsumesWhatJavaProducersWrote() throws Exception {
        broker.createTopic("to-kcat", 2, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("compression.type", "zstd"))) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>("to-kcat", i % 2, "k" + i, "v" + i));
            }
            producer.flush();
        }
        Result consumed = kcat(null, "-C", "-t", "to-kcat", "-o", "beginning", "-e", "-q", "-f", "%k=%s@%p/%o\n");

        assertThat(consumed.exit()).as(consumed.err()).isZero();
        List<String> lines = consumed.out().lines().toList();
        assertThat(lines).hasSize(50).contains("k0=v0@0/0", "k1=v1@1/0", "k49=v49@1/24");
    }

    @Test
    void kcatListsMetadataAndConsumesAsAGroupMember() throws Exception {
        broker.createTopic("kcat-group", 2, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("kcat-group", i % 2, null, "g" + i));
            }
            producer.flush();
        }
        Result metadata = kcat(null, "-L", "-t", "kcat-group");
        assertThat(metadata.exit()).as(metadata.err()).isZero();
        assertThat(metadata.out()).contains("topic \"kcat-group\" with 2 partitions").contains("leader 1");

        Result group = kcat(null, "-G", "kcat-consumers", "-o", "beginning", "-e", "-q", "-f", "%s\n",
                "-X", "auto.offset.reset=earliest", "kcat-group");
        assertThat(group.exit()).as(group.err()).isZero();
        assertThat(group.out().lines().toList()).hasSize(20);
    }
}

package io.strata.broker.it;

import io.strata.broker.partition.AppendResult;
import io.strata.storage.batch.AppendOrigin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The idempotent producer through a network that loses answers: batches the broker wrote but whose answers were
 * lost are sent again, and the broker recognises them by producer id, epoch and sequence, so every
 * record is stored exactly once and in order. The producer state also survives a broker restart.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class IdempotentProducerTest {

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void retriesThroughDroppedConnectionsWriteNoDuplicates() throws Exception {
        int brokerPort = freePort();
        try (ChaosProxy proxy = new ChaosProxy(brokerPort)) {
            Map<String, Object> viaProxy = new HashMap<>();
            viaProxy.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            viaProxy.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + proxy.port());
            try (TestBroker proxied = TestBroker.start(dir, viaProxy)) {
                proxied.createTopic("exactly-once", 2, Map.of());
                int count = 4000;
                Map<String, Object> settings = Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + proxy.port(),
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5,
                        ProducerConfig.LINGER_MS_CONFIG, 2,
                        ProducerConfig.BATCH_SIZE_CONFIG, 2048,
                        ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 20,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
                double retries;
                try (KafkaProducer<String, String> producer = proxied.producer(settings)) {
                    List<Future<?>> sent = new ArrayList<>();
                    for (int round = 0; round < 40; round++) {
                        if (round % 4 == 0) {
                            // The broker writes the next batch, but its answer never reaches the producer.
                            proxy.loseProduceResponses(1);
                        }
                        for (int i = round * 100; i < (round + 1) * 100; i++) {
                            sent.add(producer.send(new ProducerRecord<>("exactly-once", i % 2, "k", "n" + i)));
                        }
                    }
                    for (Future<?> future : sent) {
                        future.get();
                    }
                    retries = metric(producer.metrics(), "record-retry-total");
                }
                assertThat(proxy.lostProduceResponses()).as("answers lost after the broker wrote").isPositive();
                assertThat(retries).as("the lost answers made the producer retry").isPositive();

                try (KafkaConsumer<String, String> consumer = proxied.consumer(null,
                        Map.of("bootstrap.servers", "127.0.0.1:" + proxy.port()))) {
                    List<TopicPartition> partitions = List.of(new TopicPartition("exactly-once", 0),
                            new TopicPartition("exactly-once", 1));
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                    List<ConsumerRecord<String, String>> records = ProduceConsumeTest.readAll(consumer, count);
                    assertThat(records).extracting(ConsumerRecord::value).doesNotHaveDuplicates().hasSize(count);
                    for (int p = 0; p < 2; p++) {
                        int partition = p;
                        List<Integer> numbers = records.stream().filter(r -> r.partition() == partition)
                                .map(r -> Integer.parseInt(r.value().substring(1))).toList();
                        assertThat(numbers).isSorted();
                    }
                }
            }
        }
    }

    @Test
    void producerSequencesAreStillCheckedAfterABrokerRestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of())) {
            broker.createTopic("sequenced", 1, Map.of());
            try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true))) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("sequenced", "k", "v" + i)).get();
                }
                broker.restart();
                for (int i = 10; i < 20; i++) {
                    producer.send(new ProducerRecord<>("sequenced", "k", "v" + i)).get();
                }
            }
            assertThat(broker.server().replicaManager().partition(new TopicPartition("sequenced", 0)).producerCount())
                    .isEqualTo(1);
            List<ConsumerRecord<String, String>> records;
            try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
                TopicPartition tp = new TopicPartition("sequenced", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                records = ProduceConsumeTest.readAll(consumer, 20);
            }
            assertThat(records).extracting(ConsumerRecord::value).doesNotHaveDuplicates().hasSize(20);
        }
    }

    @Test
    void afterACrashTheProducerStateComesFromTheSnapshotTakenAtTheLastRollAndRetriesAreStillRecognised()
            throws Exception {
        TopicPartition tp = new TopicPartition("rolling", 0);
        Path partitionDir = dir.resolve("rolling-0");
        try (TestBroker broker = TestBroker.start(dir, Map.of())) {
            broker.createTopic("rolling", 1, Map.of("segment.bytes", "2048"));
            try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true))) {
                for (int i = 0; i < 60; i++) {
                    producer.send(new ProducerRecord<>("rolling", 0, "k", "record-" + i + "-" + "x".repeat(100))).get();
                }
            }
            List<Long> whileRunning = snapshotOffsets(partitionDir);
            assertThat(whileRunning).as("snapshots taken as the log rolled, at most two kept").hasSizeBetween(1, 2);
            assertThat(whileRunning).allMatch(offset -> offset > 0 && offset < 60);
            broker.stop();

            // As after a crash: no snapshot at the log end and no clean-shutdown marker.
            Files.delete(partitionDir.resolve(String.format("%020d", 60L) + ".snapshot"));
            Files.delete(dir.resolve(".strata-clean-shutdown"));
            broker.start();

            var partition = broker.server().replicaManager().partition(tp);
            assertThat(partition.producerCount()).isEqualTo(1);
            ByteBuffer lastBatch;
            try (var read = partition.log().read(59, 1 << 16, Long.MAX_VALUE, true)) {
                lastBatch = read.records().readAll();
            }
            MemoryRecords retry = MemoryRecords.readableRecords(lastBatch);
            AppendResult again = partition.appendAsLeader(retry, (short) -1, AppendOrigin.CLIENT);
            assertThat(again.duplicate()).as("the retried last batch is recognised").isTrue();
            assertThat(again.firstOffset()).isEqualTo(59);
            assertThat(partition.log().logEndOffset()).isEqualTo(60);
        }
    }

    private static List<Long> snapshotOffsets(Path partitionDir) throws Exception {
        try (var files = Files.list(partitionDir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".snapshot"))
                    .map(n -> Long.parseLong(n.substring(0, n.length() - ".snapshot".length()))).sorted().toList();
        }
    }

    private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
        for (Map.Entry<MetricName, ? extends Metric> metric : metrics.entrySet()) {
            if (metric.getKey().name().equals(name) && metric.getKey().group().equals("producer-metrics")) {
                return ((Number) metric.getValue().metricValue()).doubleValue();
            }
        }
        throw new AssertionError("no metric " + name);
    }
}

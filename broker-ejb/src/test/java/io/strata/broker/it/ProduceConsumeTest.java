package io.strata.broker.it;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What producers and consumers rely on, with the real kafka-clients against a running Strata broker: ordering,
 * keyed partitioning, every field of a record, compression, sizes, seeking and searching by time.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ProduceConsumeTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of("message.max.bytes", 200_000));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    static List<ConsumerRecord<String, String>> readAll(KafkaConsumer<String, String> consumer, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 30_000;
        while (records.size() < expected && System.currentTimeMillis() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }

    static List<ConsumerRecord<String, String>> readPartition(String topic, int partition, int expected) {
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            return readAll(consumer, expected);
        }
    }

    @Test
    void recordsKeepTheirOrderWithinAPartition() throws Exception {
        broker.createTopic("ordered", 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 5))) {
            for (int i = 0; i < 1000; i++) {
                producer.send(new ProducerRecord<>("ordered", 0, null, "v" + i));
            }
            producer.flush();
        }
        List<ConsumerRecord<String, String>> records = readPartition("ordered", 0, 1000);

        assertThat(records).hasSize(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(records.get(i).value()).isEqualTo("v" + i);
            assertThat(records.get(i).offset()).isEqualTo(i);
        }
    }

    @Test
    void aKeyAlwaysLandsInTheSamePartitionTheDefaultPartitionerChooses() throws Exception {
        broker.createTopic("keyed", 6, Map.of());
        Map<String, Integer> partitionOfKey = new HashMap<>();
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int round = 0; round < 3; round++) {
                for (int k = 0; k < 50; k++) {
                    String key = "customer-" + k;
                    RecordMetadata metadata = producer.send(new ProducerRecord<>("keyed", key, "r" + round)).get();
                    int expected = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % 6;
                    assertThat(metadata.partition()).isEqualTo(expected);
                    Integer earlier = partitionOfKey.putIfAbsent(key, metadata.partition());
                    assertThat(earlier == null || earlier == metadata.partition()).isTrue();
                }
            }
        }
    }

    @Test
    void keyValueTimestampAndHeadersRoundTrip() throws Exception {
        broker.createTopic("fields", 1, Map.of());
        long timestamp = System.currentTimeMillis() - 60_000;
        List<Header> headers = List.of(new RecordHeader("trace", "abc".getBytes(StandardCharsets.UTF_8)),
                new RecordHeader("empty", new byte[0]), new RecordHeader("nothing", null));
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            producer.send(new ProducerRecord<>("fields", 0, timestamp, "the-key", "the-value", headers)).get();
            producer.send(new ProducerRecord<String, String>("fields", 0, timestamp + 1, (String) null, (String) null)).get();
        }
        List<ConsumerRecord<String, String>> records = readPartition("fields", 0, 2);

        ConsumerRecord<String, String> record = records.get(0);
        assertThat(record.key()).isEqualTo("the-key");
        assertThat(record.value()).isEqualTo("the-value");
        assertThat(record.timestamp()).isEqualTo(timestamp);
        assertThat(record.headers().toArray()).containsExactlyElementsOf(headers);
        assertThat(records.get(1).key()).isNull();
        assertThat(records.get(1).value()).isNull();
        assertThat(records.get(1).timestamp()).isEqualTo(timestamp + 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
    void everyCompressionCodecRoundTrips(String codec) throws Exception {
        String topic = "compressed-" + codec;
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.LINGER_MS_CONFIG, 20))) {
            for (int i = 0; i < 500; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "value-" + i + "-" + "x".repeat(100)));
            }
            producer.flush();
        }
        List<ConsumerRecord<String, String>> records = readPartition(topic, 0, 500);

        assertThat(records).hasSize(500);
        assertThat(records.get(499).value()).startsWith("value-499-");
        assertThat(records.get(250).key()).isEqualTo("k250");
    }

    @Test
    void aRecordLargerThanMaxMessageBytesIsRefused() {
        broker.createTopic("limited", 1, Map.of("max.message.bytes", "10000"));
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("limited", "big", "x".repeat(20_000))).get())
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(RecordTooLargeException.class);
            assertThat(producer.send(new ProducerRecord<>("limited", "small", "ok")).get().offset()).isZero();
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void seekAndOffsetsForTimesFindRecords() throws Exception {
        broker.createTopic("timed", 1, Map.of());
        long base = System.currentTimeMillis() - 100_000;
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("timed", 0, base + i * 1000L, null, "at-" + i)).get();
            }
        }
        TopicPartition tp = new TopicPartition("timed", 0);
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            consumer.assign(List.of(tp));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(Map.of(tp, base + 42_500L));
            assertThat(found.get(tp).offset()).isEqualTo(43);
            assertThat(found.get(tp).timestamp()).isEqualTo(base + 43_000L);
            assertThat(consumer.offsetsForTimes(Map.of(tp, base + 1_000_000L)).get(tp)).isNull();
            assertThat(consumer.beginningOffsets(List.of(tp))).containsEntry(tp, 0L);
            assertThat(consumer.endOffsets(List.of(tp))).containsEntry(tp, 100L);

            consumer.seek(tp, 90);
            List<ConsumerRecord<String, String>> tail = readAll(consumer, 10);
            assertThat(tail).extracting(ConsumerRecord::value).startsWith("at-90").hasSize(10);
        }
    }
}

package io.strata.broker.it;

import io.strata.broker.api.StrataExtensions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

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
import static org.awaitility.Awaitility.await;

/**
 * Dead-letter topics for share groups (KIP-1191, docs/protocol-extensions.md) with kafka-clients 4.3.1 against one
 * broker: a record a {@code KafkaShareConsumer} releases until the delivery limit, or rejects, lands once in the
 * group's dead-letter topic with its context headers (and its key, value and headers when the group copies records),
 * read back with a plain {@code KafkaConsumer}; a group without a dead-letter topic, or with one that does not allow
 * it, only archives; a missing one is created when the broker allows it; the group configs are set through Admin's incrementalAlterConfigs on the GROUP resource, as
 * {@code kafka-configs.sh --entity-type groups} does, and bad ones are refused with INVALID_CONFIG.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareDeadLetterTest {

    private static final Duration AT_MOST = Duration.ofSeconds(60);
    private static final Map<String, String> DEAD_LETTER_TOPIC = Map.of("errors.deadletterqueue.group.enable", "true");

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        Map<String, Object> settings = new HashMap<>(ShareGroups.FAST_SHARE_GROUPS);
        settings.put("errors.deadletterqueue.auto.create.topics.enable", true);
        broker = TestBroker.start(dir, settings);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void aRecordReleasedUntilTheDeliveryLimitLandsOnceInTheDeadLetterTopicWithItsHeadersAndContent()
            throws Exception {
        broker.createTopic("dlq.poison", 1, DEAD_LETTER_TOPIC);
        prepare("poison", "poisoned", Map.of("share.delivery.count.limit", "2",
                "errors.deadletterqueue.topic.name", "dlq.poison",
                "errors.deadletterqueue.copy.record.enable", "true"));
        long producedAt;
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            producer.send(new ProducerRecord<>("poison", 0, "k0", "good-0")).get();
            producer.send(new ProducerRecord<>("poison", 0, null, "k1", "poison-1",
                    List.of(new RecordHeader("jms.type", bytes("order"))))).get();
            producedAt = producer.send(new ProducerRecord<>("poison", 0, "k2", "good-2")).get().timestamp();
        }

        try (KafkaShareConsumer<String, String> consumer = consumer("poisoned", "poison")) {
            List<Short> poisonDeliveries = new ArrayList<>();
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (poisonDeliveries.size() < 2) {
                assertThat(System.nanoTime()).as("the poison record delivered twice in time").isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    boolean poison = record.offset() == 1;
                    if (poison) {
                        poisonDeliveries.add(record.deliveryCount().orElseThrow());
                    }
                    consumer.acknowledge(record, poison ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT);
                }
                consumer.commitSync();
            }
            assertThat(poisonDeliveries).containsExactly((short) 1, (short) 2);
            assertThat(consumer.poll(Duration.ofSeconds(2))).as("never delivered again").isEmpty();
        }

        List<ConsumerRecord<String, String>> deadLetters = readOnceSettled("dlq.poison", 1);
        ConsumerRecord<String, String> deadLetter = deadLetters.get(0);
        assertThat(deadLetter.key()).isEqualTo("k1");
        assertThat(deadLetter.value()).isEqualTo("poison-1");
        assertThat(header(deadLetter, "jms.type")).isEqualTo("order");
        assertThat(header(deadLetter, "__dlq.errors.topic")).isEqualTo("poison");
        assertThat(header(deadLetter, "__dlq.errors.partition")).isEqualTo("0");
        assertThat(header(deadLetter, "__dlq.errors.offset")).isEqualTo("1");
        assertThat(header(deadLetter, "__dlq.errors.group")).isEqualTo("poisoned");
        assertThat(header(deadLetter, "__dlq.errors.delivery.count")).isEqualTo("2");
        assertThat(header(deadLetter, "__strata.dlq.reason")).isEqualTo("DELIVERY_COUNT_EXCEEDED");
        assertThat(Long.parseLong(header(deadLetter, "__strata.dlq.timestamp"))).isLessThanOrEqualTo(producedAt);
        assertThat(deadLetter.timestamp()).as("the time of the dead-letter write").isGreaterThanOrEqualTo(producedAt);
        await().atMost(AT_MOST).until(() -> startOffset("poisoned", "poison") == 3);
    }

    @Test
    void aRejectedRecordIsDeadLetteredWithoutItsContentUnlessTheGroupCopiesRecords() throws Exception {
        broker.createTopic("dlq.rejects", 1, DEAD_LETTER_TOPIC);
        prepare("rejected", "rejecters", Map.of("errors.deadletterqueue.topic.name", "dlq.rejects"));
        produce("rejected", 2);

        try (KafkaShareConsumer<String, String> consumer = consumer("rejecters", "rejected")) {
            List<ConsumerRecord<String, String>> got = ShareGroups.pollUntil(List.of(consumer), null,
                    records -> records.size() == 2, AT_MOST);
            consumer.acknowledge(got.get(0), AcknowledgeType.REJECT);
            consumer.acknowledge(got.get(1), AcknowledgeType.ACCEPT);
            assertThat(consumer.commitSync()).allSatisfy((partition, error) -> assertThat(error).isEmpty());
        }

        ConsumerRecord<String, String> deadLetter = readOnceSettled("dlq.rejects", 1).get(0);
        assertThat(deadLetter.key()).isNull();
        assertThat(deadLetter.value()).isNull();
        assertThat(header(deadLetter, "__dlq.errors.offset")).isEqualTo("0");
        assertThat(header(deadLetter, "__dlq.errors.delivery.count")).isEqualTo("1");
        assertThat(header(deadLetter, "__dlq.errors.message")).isEqualTo("Offset rejected by client.");
        assertThat(header(deadLetter, "__strata.dlq.reason")).isEqualTo("CLIENT_REJECT");
        await().atMost(AT_MOST).until(() -> startOffset("rejecters", "rejected") == 2);
    }

    @Test
    void aGroupWithoutADeadLetterTopicOrWithOneThatDoesNotAllowItOnlyArchives() throws Exception {
        broker.createTopic("dlq.unused", 1, DEAD_LETTER_TOPIC);
        broker.createTopic("dlq.closed", 1, Map.of());
        prepare("plain", "plainly", Map.of());
        prepare("closed", "closers", Map.of("errors.deadletterqueue.topic.name", "dlq.closed"));
        produce("plain", 1);
        produce("closed", 1);

        for (String[] groupAndTopic : new String[][] {{"plainly", "plain"}, {"closers", "closed"}}) {
            try (KafkaShareConsumer<String, String> consumer = consumer(groupAndTopic[0], groupAndTopic[1])) {
                List<ConsumerRecord<String, String>> got = ShareGroups.pollUntil(List.of(consumer), null,
                        records -> !records.isEmpty(), AT_MOST);
                consumer.acknowledge(got.get(0), AcknowledgeType.REJECT);
                consumer.commitSync();
                assertThat(consumer.poll(Duration.ofSeconds(1))).isEmpty();
            }
            await().atMost(AT_MOST).until(() -> startOffset(groupAndTopic[0], groupAndTopic[1]) == 1);
        }

        assertThat(readAll("dlq.unused", Duration.ofSeconds(2))).isEmpty();
        assertThat(readAll("dlq.closed", Duration.ofSeconds(2))).isEmpty();
    }

    @Test
    void aMissingDeadLetterTopicIsCreatedAllowingItWhenTheBrokerAllows() throws Exception {
        prepare("creating", "creators", Map.of("errors.deadletterqueue.topic.name", "dlq.created"));
        produce("creating", 1);

        try (KafkaShareConsumer<String, String> consumer = consumer("creators", "creating")) {
            List<ConsumerRecord<String, String>> got = ShareGroups.pollUntil(List.of(consumer), null,
                    records -> !records.isEmpty(), AT_MOST);
            consumer.acknowledge(got.get(0), AcknowledgeType.REJECT);
            consumer.commitSync();
        }

        assertThat(header(readOnceSettled("dlq.created", 1).get(0), "__dlq.errors.group")).isEqualTo("creators");
        ConfigResource created = new ConfigResource(ConfigResource.Type.TOPIC, "dlq.created");
        try (Admin admin = broker.admin()) {
            Config configs = admin.describeConfigs(List.of(created)).all().get(30, TimeUnit.SECONDS).get(created);
            assertThat(configs.get("errors.deadletterqueue.group.enable").value()).isEqualTo("true");
        }
    }

    @Test
    void deadLetterGroupConfigsAreDescribedAndBadOnesRefusedWithInvalidConfig() throws Exception {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, "configured");
        try (Admin admin = broker.admin()) {
            ShareGroups.configure(admin, "configured", Map.of("errors.deadletterqueue.topic.name", "dlq.configured"));
            Config described = admin.describeConfigs(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
            assertThat(described.get("errors.deadletterqueue.topic.name").value()).isEqualTo("dlq.configured");
            assertThat(described.get("errors.deadletterqueue.copy.record.enable").value()).isEqualTo("false");

            for (String bad : List.of("orders", "__orders", "dlq.bad name")) {
                assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(
                        new ConfigEntry("errors.deadletterqueue.topic.name", bad), AlterConfigOp.OpType.SET))))
                        .all().get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(InvalidConfigurationException.class)
                        .hasMessageContaining("errors.deadletterqueue.topic.name");
            }
            FeatureMetadata features = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS);
            assertThat(features.supportedFeatures()).containsKey(StrataExtensions.SHARE_DEAD_LETTER_FEATURE);
            assertThat(features.supportedFeatures().get(StrataExtensions.SHARE_DEAD_LETTER_FEATURE).maxVersion())
                    .isEqualTo((short) 1);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void prepare(String topic, String group, Map<String, String> groupConfigs) throws Exception {
        broker.createTopic(topic, 1, Map.of());
        Map<String, String> configs = new HashMap<>(groupConfigs);
        configs.put("share.auto.offset.reset", "earliest");
        try (Admin admin = broker.admin()) {
            ShareGroups.configure(admin, group, configs);
        }
    }

    private static void produce(String topic, int count) throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, topic + "-" + i)).get();
            }
        }
    }

    private static KafkaShareConsumer<String, String> consumer(String group, String topic) {
        KafkaShareConsumer<String, String> consumer = ShareGroups.consumer(broker.bootstrapServers(), group,
                "explicit", Map.of("max.poll.records", 10));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * The records of partition 0 of {@code topic} once {@code expected} arrived and no more came for two seconds:
     * written once, not twice.
     */
    private static List<ConsumerRecord<String, String>> readOnceSettled(String topic, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            await().atMost(AT_MOST).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() == expected;
            });
        }
        return records;
    }

    private static List<ConsumerRecord<String, String>> readAll(String topic, Duration during) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            await().during(during).atMost(during.plusSeconds(10)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return true;
            });
        }
        return records;
    }

    private static long startOffset(String group, String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin.listShareGroupOffsets(
                    Map.of(group, new ListShareGroupOffsetsSpec())).partitionsToOffsetInfo(group)
                    .get(30, TimeUnit.SECONDS);
            SharePartitionOffsetInfo info = offsets.get(new TopicPartition(topic, 0));
            return info == null ? -1 : info.startOffset();
        }
    }

    private static String header(ConsumerRecord<String, String> record, String key) {
        Header header = record.headers().lastHeader(key);
        assertThat(header).as("header " + key).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}

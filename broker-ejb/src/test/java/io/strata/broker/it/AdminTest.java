package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Topics and their settings through kafka-clients' Admin: creation with validation errors a Kafka client
 * recognises, partitions added, settings described and altered, records deleted, topics deleted with their data,
 * internal topics protected, and retention and compaction seen from a consumer.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AdminTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of("log.retention.check.interval.ms", 200L,
                "log.cleaner.backoff.ms", 100L, "log.segment.delete.delay.ms", 0L));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static void produce(String topic, int count) throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get();
            }
        }
    }

    @Test
    void topicsAreCreatedDescribedGrownAndDeleted() throws Exception {
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic("orders", 3, (short) 1)
                    .configs(Map.of("retention.ms", "3600000")))).all().get();
            assertThat(admin.listTopics().names().get()).contains("orders").doesNotContain("__consumer_offsets");
            TopicDescription description = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
            assertThat(description.partitions()).hasSize(3);
            assertThat(description.topicId()).isNotNull();
            assertThat(description.partitions().get(0).leader().id()).isEqualTo(1);
            assertThat(description.partitions().get(0).isr()).hasSize(1);

            admin.createPartitions(Map.of("orders", NewPartitions.increaseTo(5))).all().get();
            assertThat(admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders").partitions())
                    .hasSize(5);
            try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
                assertThat(producer.send(new ProducerRecord<>("orders", 4, "k", "v")).get().partition()).isEqualTo(4);
            }

            admin.deleteTopics(List.of("orders")).all().get();
            assertThat(admin.listTopics().names().get()).doesNotContain("orders");
            assertThat(dir.resolve("orders-0")).doesNotExist();
            admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all().get();
            try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
                TopicPartition tp = new TopicPartition("orders", 0);
                assertThat(consumer.endOffsets(List.of(tp))).containsEntry(tp, 0L);
            }
        }
    }

    @Test
    void invalidTopicRequestsGetKafkasErrors() throws Exception {
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic("taken", 1, (short) 1))).all().get();
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("taken", 1, (short) 1))).all().get())
                    .cause().isInstanceOf(TopicExistsException.class);
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad name!", 1, (short) 1))).all().get())
                    .cause().isInstanceOf(InvalidTopicException.class);
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("replicated", 1, (short) 3))).all().get())
                    .cause().isInstanceOf(InvalidReplicationFactorException.class)
                    .hasMessageContaining("only 1 broker");
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("misconfigured", 1, (short) 1)
                    .configs(Map.of("retention.ms", "soon")))).all().get())
                    .cause().isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("retention.ms");
            assertThatThrownBy(() -> admin.createPartitions(Map.of("taken", NewPartitions.increaseTo(1))).all().get())
                    .cause().isInstanceOf(InvalidPartitionsException.class);
            assertThatThrownBy(() -> admin.deleteTopics(List.of("never-was")).all().get())
                    .cause().isInstanceOf(UnknownTopicOrPartitionException.class);
            admin.createTopics(List.of(new NewTopic("checked-only", 1, (short) 1)),
                    new CreateTopicsOptions().validateOnly(true)).all().get();
            assertThat(admin.listTopics().names().get()).doesNotContain("checked-only");
        }
    }

    @Test
    void topicSettingsAreDescribedWithTheirSourcesAndAltered() throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "tuned");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic("tuned", 1, (short) 1)
                    .configs(Map.of("cleanup.policy", "compact")))).all().get();
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(config.get("cleanup.policy").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            assertThat(config.get("retention.ms").value()).isEqualTo("604800000");
            assertThat(config.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);

            admin.incrementalAlterConfigs(Map.of(resource, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND))))
                    .all().get();
            config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("retention.ms").value()).isEqualTo("1000");
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact,delete");

            admin.incrementalAlterConfigs(Map.of(resource, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get();
            assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource).get("retention.ms").value())
                    .isEqualTo("604800000");
            assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry("retention.ms", "-7"), AlterConfigOp.OpType.SET)))).all().get())
                    .cause().isInstanceOf(InvalidConfigurationException.class);

            ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, "1");
            Config brokerConfig = admin.describeConfigs(List.of(brokerResource)).all().get().get(brokerResource);
            assertThat(brokerConfig.get("log.dirs").value()).isEqualTo(dir.toString());
            assertThat(brokerConfig.get("num.partitions").value()).isEqualTo("1");
        }
    }

    @Test
    void deleteRecordsMovesTheLogStartOffset() throws Exception {
        broker.createTopic("trimmed", 1, Map.of());
        produce("trimmed", 20);
        TopicPartition tp = new TopicPartition("trimmed", 0);
        try (Admin admin = broker.admin()) {
            admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(12))).all().get();
            assertThat(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(12))).lowWatermarks().get(tp)
                    .get().lowWatermark()).isEqualTo(12);
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            consumer.assign(List.of(tp));
            assertThat(consumer.beginningOffsets(List.of(tp))).containsEntry(tp, 12L);
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = ProduceConsumeTest.readAll(consumer, 8);
            assertThat(records.get(0).offset()).isEqualTo(12);
        }
    }

    @Test
    void describeClusterShowsThisBroker() throws Exception {
        try (Admin admin = broker.admin()) {
            DescribeClusterResult cluster = admin.describeCluster();
            assertThat(cluster.clusterId().get()).isNotBlank();
            assertThat(cluster.nodes().get()).hasSize(1);
            assertThat(cluster.controller().get().id()).isEqualTo(1);
        }
    }

    @Test
    void internalTopicsCannotBeWrittenOrDeletedByClients() throws Exception {
        try (Admin admin = broker.admin()) {
            assertThatThrownBy(() -> admin.deleteTopics(List.of("__consumer_offsets")).all().get())
                    .isInstanceOf(ExecutionException.class);
            assertThat(admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true))
                    .names().get()).contains("__consumer_offsets");
        }
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4000))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("__consumer_offsets", 0, "k", "v")).get())
                    .cause().isInstanceOf(InvalidTopicException.class);
        }
    }

    @Test
    void acksAllFailsWhenTooFewReplicasAreInSync() throws Exception {
        broker.createTopic("strict", 1, Map.of("min.insync.replicas", "2"));
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 100))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("strict", "k", "v")).get())
                    .cause().isInstanceOfAny(NotEnoughReplicasException.class,
                            org.apache.kafka.common.errors.TimeoutException.class);
        }
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(ProducerConfig.ACKS_CONFIG, "1"))) {
            assertThat(producer.send(new ProducerRecord<>("strict", "k", "v")).get().offset()).isZero();
        }
    }

    @Test
    void retentionByTimeRemovesOldRecordsAsAConsumerSees() throws Exception {
        broker.createTopic("expiring", 1, Map.of("retention.ms", "1000", "segment.ms", "100",
                "file.delete.delay.ms", "0"));
        produce("expiring", 5);
        TopicPartition tp = new TopicPartition("expiring", 0);
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            consumer.assign(List.of(tp));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                // New appends roll the old segment so that it can expire.
                produce("expiring", 1);
                return consumer.beginningOffsets(List.of(tp)).get(tp) >= 5;
            });
        }
    }

    @Test
    void compactionKeepsTheLatestValueOfEachKeyAsAConsumerSees() throws Exception {
        broker.createTopic("latest", 1, Map.of("cleanup.policy", "compact", "segment.ms", "100",
                "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "0"));
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int round = 0; round < 10; round++) {
                for (int k = 0; k < 5; k++) {
                    producer.send(new ProducerRecord<>("latest", 0, "key-" + k, "round-" + round)).get();
                }
            }
        }
        TopicPartition tp = new TopicPartition("latest", 0);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
            produce("latest", 1);
            try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long end = consumer.endOffsets(List.of(tp)).get(tp);
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                long deadline = System.currentTimeMillis() + 5000;
                while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                }
                List<String> roundNine = records.stream().filter(r -> r.key().startsWith("key-"))
                        .map(ConsumerRecord::value).toList();
                return records.stream().filter(r -> r.key().startsWith("key-")).count() == 5
                        && Set.copyOf(roundNine).equals(Set.of("round-9"));
            }
        });
    }
}

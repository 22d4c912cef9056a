package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A consumer-protocol (KIP-848) group outlives its coordinator's broker in a 3-broker cluster: the broker that takes
 * over {@code __consumer_offsets} rebuilds the group (members, epochs, assignment) and its offsets from the
 * partition, and the members carry on at their epochs without rejoining or reading committed records again.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ConsumerGroupFailoverTest {

    @TempDir
    Path dir;

    private static KafkaConsumer<String, String> consumer(TestCluster cluster, String group) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        properties.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        return new KafkaConsumer<>(properties);
    }

    private static void pollUntil(List<KafkaConsumer<String, String>> consumers, BooleanSupplier done,
                                  List<ConsumerRecord<String, String>> sink) {
        long deadline = System.currentTimeMillis() + 90_000;
        while (!done.getAsBoolean()) {
            assertThat(System.currentTimeMillis()).as("condition met in time").isLessThan(deadline);
            for (KafkaConsumer<String, String> consumer : consumers) {
                consumer.poll(Duration.ofMillis(50)).forEach(sink::add);
            }
        }
    }

    private static boolean readToTheEnd(KafkaConsumer<String, String> consumer) {
        return consumer.assignment().stream().allMatch(tp -> consumer.position(tp, Duration.ofSeconds(5)) == 25);
    }

    private static void produce(TestCluster cluster, String prefix, int count) {
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>("orders", i % 4, prefix + i, prefix + i));
            }
            producer.flush();
        }
    }

    private static ConsumerGroupDescription describe(Admin admin) throws Exception {
        return admin.describeConsumerGroups(List.of("failover-group")).all().get(30, TimeUnit.SECONDS)
                .get("failover-group");
    }

    @Test
    void theBrokerTakingOverTheOffsetsPartitionKeepsTheGroupAndItsOffsets() throws Exception {
        Map<String, Object> settings = new HashMap<>(GroupProtocols.FAST_CONSUMER_GROUPS);
        settings.put(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1);
        try (TestCluster cluster = TestCluster.start(dir, 3, settings)) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic("orders", 4, (short) 3))).all().get(30, TimeUnit.SECONDS);
            }
            produce(cluster, "before-", 100);
            KafkaConsumer<String, String> first = consumer(cluster, "failover-group");
            KafkaConsumer<String, String> second = consumer(cluster, "failover-group");
            KafkaConsumer<String, String> third = consumer(cluster, "failover-group");
            List<ConsumerRecord<String, String>> read = new ArrayList<>();
            try (Admin admin = cluster.admin()) {
                first.subscribe(List.of("orders"));
                second.subscribe(List.of("orders"));
                third.subscribe(List.of("orders"));
                List<KafkaConsumer<String, String>> all = List.of(first, second, third);
                pollUntil(all, () -> first.assignment().size() + second.assignment().size()
                        + third.assignment().size() == 4 && read.size() >= 100, read);
                third.close(); // the group moves to a later epoch than a fresh one would have
                List<KafkaConsumer<String, String>> members = List.of(first, second);
                // Each remaining member owns two partitions and has read them to the end, so both commit 25s.
                pollUntil(members, () -> first.assignment().size() == 2 && second.assignment().size() == 2
                        && readToTheEnd(first) && readToTheEnd(second), read);
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                        describe(admin).groupState() == org.apache.kafka.common.GroupState.STABLE);
                first.commitSync();
                second.commitSync();
                ConsumerGroupDescription before = describe(admin);
                int epochBefore = first.groupMetadata().generationId();
                assertThat(epochBefore).isGreaterThan(1);
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("failover-group")
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                assertThat(committed.values()).extracting(OffsetAndMetadata::offset).containsOnly(25L);

                int coordinator = before.coordinator().id();
                cluster.broker(coordinator).stop();

                produce(cluster, "after-", 40);
                List<ConsumerRecord<String, String>> afterwards = new ArrayList<>();
                pollUntil(members, () -> afterwards.size() >= 40, afterwards);
                assertThat(afterwards).allSatisfy(r -> assertThat(r.value()).startsWith("after-"));
                first.commitSync();
                second.commitSync();

                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                    ConsumerGroupDescription after = describe(admin);
                    assertThat(after.coordinator().id()).isNotEqualTo(coordinator);
                    assertThat(after.type()).isEqualTo(GroupType.CONSUMER);
                    assertThat(after.members()).extracting(MemberDescription::consumerId)
                            .containsExactlyInAnyOrderElementsOf(before.members().stream()
                                    .map(MemberDescription::consumerId).toList());
                });
                assertThat(first.groupMetadata().generationId()).as("no rejoin").isEqualTo(epochBefore);
                assertThat(admin.listConsumerGroupOffsets("failover-group").partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS).values()).extracting(OffsetAndMetadata::offset).containsOnly(35L);
            } finally {
                first.close(Duration.ofSeconds(5));
                second.close(Duration.ofSeconds(5));
            }
        }
    }
}

package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Share groups (KIP-932) with kafka-clients 4.3.1's {@code KafkaShareConsumer} against one broker: members of one
 * group split a partition's records, each record delivered to one of them at a time; a released record comes back
 * with a higher delivery count, a rejected one never, an expired lock hands the record to another member, the
 * delivery limit archives; implicit and explicit acknowledgement; the start offset is described and altered through
 * Admin as {@code kafka-share-groups.sh} does.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareConsumerTest {

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

    /** Writes {@code count} records to partition 0, in one batch when they fit: one fetch then returns them all. */
    private static void produce(String topic, int count) {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("linger.ms", 200))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, topic + "-" + i));
            }
            producer.flush();
        }
    }

    /** A topic of one partition with {@code count} records, and a group that starts at its beginning. */
    private static void prepare(String topic, String group, int count, Map<String, String> groupConfigs)
            throws Exception {
        broker.createTopic(topic, 1, Map.of());
        produce(topic, count);
        Map<String, String> configs = new java.util.HashMap<>(groupConfigs);
        configs.put("share.auto.offset.reset", "earliest");
        try (Admin admin = broker.admin()) {
            ShareGroups.configure(admin, group, configs);
        }
    }

    private static KafkaShareConsumer<String, String> consumer(String group, String mode, String topic) {
        KafkaShareConsumer<String, String> consumer = ShareGroups.consumer(broker.bootstrapServers(), group, mode,
                Map.of("max.poll.records", 10));
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private static Set<Long> offsets(List<ConsumerRecord<String, String>> records) {
        Set<Long> offsets = new HashSet<>();
        records.forEach(record -> offsets.add(record.offset()));
        return offsets;
    }

    @Test
    void threeConsumersOnOnePartitionSplitItsRecordsEachDeliveredOnce() throws Exception {
        prepare("split", "splitters", 300, Map.of());
        List<KafkaShareConsumer<String, String>> consumers = List.of(consumer("splitters", "implicit", "split"),
                consumer("splitters", "implicit", "split"), consumer("splitters", "implicit", "split"));
        try {
            List<List<ConsumerRecord<String, String>>> perConsumer = List.of(new ArrayList<>(), new ArrayList<>(),
                    new ArrayList<>());
            List<ConsumerRecord<String, String>> all = ShareGroups.pollUntil(consumers, perConsumer,
                    records -> offsets(records).size() == 300, AT_MOST);

            assertThat(all).hasSize(300); // each once: acknowledged implicitly, none redelivered
            assertThat(perConsumer).allSatisfy(records -> assertThat(records).isNotEmpty());
            assertThat(all).allSatisfy(record -> assertThat(record.deliveryCount()).contains((short) 1));
            try (Admin admin = broker.admin()) {
                ShareGroupDescription group = admin.describeShareGroups(List.of("splitters")).describedGroups()
                        .get("splitters").get(10, TimeUnit.SECONDS);
                assertThat(group.members()).hasSize(3).allSatisfy(member -> assertThat(
                        member.assignment().topicPartitions()).containsExactly(new TopicPartition("split", 0)));
                List<GroupListing> shares = new ArrayList<>(admin.listGroups(new ListGroupsOptions()
                        .withTypes(Set.of(GroupType.SHARE))).all().get(10, TimeUnit.SECONDS));
                assertThat(shares).extracting(GroupListing::groupId).contains("splitters");
            }
        } finally {
            consumers.forEach(KafkaShareConsumer::close);
        }
    }

    @Test
    void aReleasedRecordComesBackWithAHigherDeliveryCountAndARejectedOneNever() throws Exception {
        prepare("released", "releasers", 2, Map.of());
        try (KafkaShareConsumer<String, String> consumer = consumer("releasers", "explicit", "released")) {
            List<ConsumerRecord<String, String>> first = ShareGroups.pollUntil(List.of(consumer), null,
                    records -> records.size() == 2, AT_MOST);
            consumer.acknowledge(first.get(0), AcknowledgeType.RELEASE);
            consumer.acknowledge(first.get(1), AcknowledgeType.REJECT);
            assertThat(consumer.commitSync()).allSatisfy((partition, error) -> assertThat(error).isEmpty());

            List<ConsumerRecord<String, String>> again = ShareGroups.pollUntil(List.of(consumer), null,
                    records -> !records.isEmpty(), AT_MOST);
            assertThat(again).singleElement().satisfies(record -> {
                assertThat(record.offset()).isEqualTo(first.get(0).offset());
                assertThat(record.deliveryCount()).contains((short) 2);
            });
            consumer.acknowledge(again.get(0), AcknowledgeType.ACCEPT);
            consumer.commitSync();
            assertThat(consumer.poll(Duration.ofSeconds(2))).isEmpty();
        }
        assertThat(startOffset("releasers", "released")).isEqualTo(2);
    }

    @Test
    void aLockThatExpiresHandsTheRecordToAnotherMember() throws Exception {
        prepare("expiring", "expirers", 1, Map.of("share.record.lock.duration.ms", "1000"));
        try (KafkaShareConsumer<String, String> holder = consumer("expirers", "explicit", "expiring");
             KafkaShareConsumer<String, String> other = consumer("expirers", "explicit", "expiring")) {
            List<ConsumerRecord<String, String>> held = ShareGroups.pollUntil(List.of(holder), null,
                    records -> !records.isEmpty(), AT_MOST);
            assertThat(held.get(0).deliveryCount()).contains((short) 1);
            // The holder never acknowledges and never polls again; its lock lapses after a second.
            List<ConsumerRecord<String, String>> redelivered = ShareGroups.pollUntil(List.of(other), null,
                    records -> !records.isEmpty(), AT_MOST);
            assertThat(redelivered).singleElement().satisfies(record -> {
                assertThat(record.offset()).isEqualTo(held.get(0).offset());
                assertThat(record.deliveryCount()).contains((short) 2);
            });
            other.acknowledge(redelivered.get(0), AcknowledgeType.ACCEPT);
            other.commitSync();
        }
    }

    @Test
    void theDeliveryLimitArchivesARecordReleasedThatManyTimes() throws Exception {
        prepare("poison", "poisoned", 2, Map.of("share.delivery.count.limit", "2"));
        try (KafkaShareConsumer<String, String> consumer = consumer("poisoned", "explicit", "poison")) {
            List<ConsumerRecord<String, String>> deliveries = new ArrayList<>();
            for (int round = 1; round <= 2; round++) {
                List<ConsumerRecord<String, String>> got = ShareGroups.pollUntil(List.of(consumer), null,
                        records -> records.stream().anyMatch(record -> record.offset() == 0), AT_MOST);
                for (ConsumerRecord<String, String> record : got) {
                    deliveries.add(record);
                    consumer.acknowledge(record, record.offset() == 0 ? AcknowledgeType.RELEASE
                            : AcknowledgeType.ACCEPT);
                }
                consumer.commitSync();
            }
            assertThat(deliveries).filteredOn(record -> record.offset() == 0)
                    .extracting(record -> record.deliveryCount().orElseThrow()).containsExactly((short) 1, (short) 2);
            assertThat(consumer.poll(Duration.ofSeconds(2))).isEmpty();
        }
        assertThat(startOffset("poisoned", "poison")).isEqualTo(2);
    }

    @Test
    void implicitAcknowledgementAcceptsWhatAPollReturnedAtTheNextPollOrCommit() throws Exception {
        prepare("implicit", "implicits", 20, Map.of());
        try (KafkaShareConsumer<String, String> consumer = consumer("implicits", "implicit", "implicit")) {
            ShareGroups.pollUntil(List.of(consumer), null, records -> offsets(records).size() == 20, AT_MOST);
            consumer.commitSync();
        }
        await().atMost(AT_MOST).until(() -> startOffset("implicits", "implicit") == 20);
        try (KafkaShareConsumer<String, String> again = consumer("implicits", "implicit", "implicit")) {
            assertThat(again.poll(Duration.ofSeconds(3))).isEmpty();
        }
    }

    @Test
    void alteringTheStartOffsetOfAnEmptyGroupDeliversFromThere() throws Exception {
        prepare("rewound", "rewinders", 10, Map.of());
        try (KafkaShareConsumer<String, String> consumer = consumer("rewinders", "implicit", "rewound")) {
            ShareGroups.pollUntil(List.of(consumer), null, records -> offsets(records).size() == 10, AT_MOST);
            consumer.commitSync();
        }
        try (Admin admin = broker.admin()) {
            await().atMost(AT_MOST).until(() -> admin.describeShareGroups(List.of("rewinders")).describedGroups()
                    .get("rewinders").get().members().isEmpty());
            admin.alterShareGroupOffsets("rewinders", Map.of(new TopicPartition("rewound", 0), 6L)).all()
                    .get(30, TimeUnit.SECONDS);
        }
        assertThat(startOffset("rewinders", "rewound")).isEqualTo(6);
        try (KafkaShareConsumer<String, String> consumer = consumer("rewinders", "implicit", "rewound")) {
            List<ConsumerRecord<String, String>> again = ShareGroups.pollUntil(List.of(consumer), null,
                    records -> offsets(records).size() == 4, AT_MOST);
            assertThat(offsets(again)).containsExactlyInAnyOrder(6L, 7L, 8L, 9L);
        }
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
}

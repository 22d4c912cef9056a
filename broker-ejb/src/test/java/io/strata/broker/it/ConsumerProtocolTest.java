package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The KIP-848 consumer protocol ({@code group.protocol=consumer}) with real kafka-clients 4.3 consumers: the broker
 * assigns, members reconcile incrementally, regular-expression subscriptions are resolved on the broker and pick up
 * topics created later, commits carry member epochs, and the Admin client lists and describes both kinds of group.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsumerProtocolTest {

    static final Map<String, Object> CONSUMER_PROTOCOL = GroupProtocols.consumerSettings("consumer", Map.of());

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, GroupProtocols.withFastConsumerGroups(Map.of("group.min.session.timeout.ms",
                1000)));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static void produce(String topic, int partitions, int perPartition) {
        GroupProtocols.produce(broker, topic, partitions, perPartition);
    }

    private static void pollUntil(List<KafkaConsumer<String, String>> consumers, BooleanSupplier done,
                                  List<ConsumerRecord<String, String>> sink) {
        GroupProtocols.pollUntil(consumers, done, sink, Duration.ofSeconds(60));
    }

    private static boolean splitDisjointly(List<KafkaConsumer<String, String>> consumers, int partitions) {
        Set<TopicPartition> all = new HashSet<>();
        int total = 0;
        for (KafkaConsumer<String, String> consumer : consumers) {
            all.addAll(consumer.assignment());
            total += consumer.assignment().size();
        }
        return all.size() == partitions && total == partitions;
    }

    @Test
    void membersOfAConsumerProtocolGroupSplitPartitionsAndReadEveryRecord() {
        broker.createTopic("kip848-split", 6, Map.of());
        produce("kip848-split", 6, 10);
        List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                KafkaConsumer<String, String> consumer = broker.consumer("kip848-splitters", CONSUMER_PROTOCOL);
                consumer.subscribe(List.of("kip848-split"));
                consumers.add(consumer);
            }
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(consumers, () -> splitDisjointly(consumers, 6)
                    && consumers.stream().allMatch(c -> c.assignment().size() == 2), records);
            pollUntil(consumers, () -> records.stream().map(ConsumerRecord::value).distinct().count() == 60,
                    records);
            for (KafkaConsumer<String, String> consumer : consumers) {
                consumer.commitSync();
            }
        } finally {
            consumers.forEach(KafkaConsumer::close);
        }
    }

    /** A {@link SubscriptionPattern} is sent to the broker and resolved there, at every heartbeat. */
    @Test
    void aBrokerSideRegularExpressionSubscriptionPicksUpATopicCreatedLater() {
        broker.createTopic("regex-orders-1", 2, Map.of());
        produce("regex-orders-1", 2, 5);
        try (KafkaConsumer<String, String> consumer = broker.consumer("regex-group", CONSUMER_PROTOCOL)) {
            consumer.subscribe(new SubscriptionPattern("regex-orders-.*"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 10, records);
            broker.createTopic("regex-orders-2", 3, Map.of());
            produce("regex-orders-2", 3, 5);
            pollUntil(List.of(consumer), () -> consumer.assignment().size() == 5 && records.size() >= 25, records);
            assertThat(records).extracting(ConsumerRecord::value).doesNotHaveDuplicates();
        }
    }

    @Test
    void theAdminClientListsAndDescribesBothKindsOfGroup() throws Exception {
        broker.createTopic("kinds", 2, Map.of());
        try (Admin admin = broker.admin();
             KafkaConsumer<String, String> modern = broker.consumer("kind-consumer", CONSUMER_PROTOCOL);
             KafkaConsumer<String, String> classic = broker.consumer("kind-classic", Map.of())) {
            modern.subscribe(List.of("kinds"));
            classic.subscribe(List.of("kinds"));
            pollUntil(List.of(modern, classic), () -> modern.assignment().size() == 2
                    && classic.assignment().size() == 2, null);
            modern.commitSync(Map.of(new TopicPartition("kinds", 0), new OffsetAndMetadata(0)));

            Map<String, GroupListing> listed = new java.util.HashMap<>();
            admin.listGroups().all().get().forEach(g -> listed.put(g.groupId(), g));
            assertThat(listed.get("kind-consumer").type()).contains(GroupType.CONSUMER);
            assertThat(listed.get("kind-classic").type()).contains(GroupType.CLASSIC);
            assertThat(admin.listGroups(new ListGroupsOptions().withTypes(Set.of(GroupType.CONSUMER))).all().get())
                    .extracting(GroupListing::groupId).contains("kind-consumer").doesNotContain("kind-classic");

            Map<String, ConsumerGroupDescription> described = admin.describeConsumerGroups(
                    List.of("kind-consumer", "kind-classic")).all().get();
            ConsumerGroupDescription modernGroup = described.get("kind-consumer");
            assertThat(modernGroup.type()).isEqualTo(GroupType.CONSUMER);
            assertThat(modernGroup.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(modernGroup.partitionAssignor()).isEqualTo("uniform");
            assertThat(modernGroup.members()).singleElement().satisfies(member ->
                    assertThat(member.assignment().topicPartitions()).hasSize(2));
            assertThat(described.get("kind-classic").type()).isEqualTo(GroupType.CLASSIC);
            assertThat(admin.listConsumerGroupOffsets("kind-consumer").partitionsToOffsetAndMetadata().get())
                    .containsKey(new TopicPartition("kinds", 0));
        }
    }

    /**
     * Members join and leave while records keep coming, each committing after every poll with its member epoch: the
     * group reconciles through every change and every record is read, with both group protocols.
     */
    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void membersJoinAndLeaveUnderLoadAndEveryRecordIsRead(String protocol) {
        String topic = "load-" + protocol;
        String group = "load-group-" + protocol;
        broker.createTopic(topic, 6, Map.of());
        Map<String, Object> settings = GroupProtocols.consumerSettings(protocol, Map.of());
        List<KafkaConsumer<String, String>> members = new ArrayList<>();
        List<KafkaConsumer<String, String>> everyone = new ArrayList<>();
        Set<String> produced = new HashSet<>();
        Set<String> read = new HashSet<>();
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int step = 0; step < 120; step++) {
                for (int i = 0; i < 25; i++) {
                    String value = topic + "-" + step + "-" + i;
                    producer.send(new ProducerRecord<>(topic, value, value));
                    produced.add(value);
                }
                producer.flush();
                if (step % 20 == 0 && members.size() < 4) {
                    KafkaConsumer<String, String> joining = broker.consumer(group, settings);
                    joining.subscribe(List.of(topic));
                    members.add(joining);
                    everyone.add(joining);
                } else if (step % 30 == 15 && members.size() > 1) {
                    members.remove(0).close();
                }
                pollAndCommit(members, read);
            }
            List<KafkaConsumer<String, String>> remaining = List.copyOf(members);
            long deadline = System.currentTimeMillis() + 60_000;
            while (!read.containsAll(produced)) {
                assertThat(System.currentTimeMillis()).as("every record read in time").isLessThan(deadline);
                pollAndCommit(remaining, read);
            }
        } finally {
            members.forEach(KafkaConsumer::close);
        }
        assertThat(read).containsAll(produced);
        assertThat(everyone).hasSizeGreaterThanOrEqualTo(4);
    }

    /**
     * An empty group changes kind ({@code group.consumer.migration.policy=bidirectional}, the default), keeping its
     * committed offsets both ways. (A group with members changes kind online: {@link MixedGroupTest}.)
     */
    @Test
    void anEmptyGroupChangesKindKeepingItsOffsets() {
        broker.createTopic("migrate", 2, Map.of());
        produce("migrate", 2, 10);
        Map<String, Object> classic = GroupProtocols.consumerSettings("classic", Map.of());
        try (KafkaConsumer<String, String> consumer = broker.consumer("migrating", classic)) {
            consumer.subscribe(List.of("migrate"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 20, records);
            consumer.commitSync();
        }
        produce("migrate", 2, 5);
        try (KafkaConsumer<String, String> upgraded = broker.consumer("migrating", CONSUMER_PROTOCOL)) {
            upgraded.subscribe(List.of("migrate"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(upgraded), () -> records.size() >= 10, records);
            assertThat(records).allSatisfy(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(10));
            upgraded.commitSync();
        }
        produce("migrate", 2, 5);
        try (KafkaConsumer<String, String> downgraded = broker.consumer("migrating", classic)) {
            downgraded.subscribe(List.of("migrate"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(downgraded), () -> records.size() >= 10, records);
            assertThat(records).allSatisfy(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(15));
        }
    }

    private static void pollAndCommit(List<KafkaConsumer<String, String>> consumers, Set<String> read) {
        for (KafkaConsumer<String, String> consumer : consumers) {
            var records = consumer.poll(Duration.ofMillis(20));
            if (!records.isEmpty()) {
                records.forEach(record -> read.add(record.value()));
                consumer.commitSync();
            }
        }
    }
}

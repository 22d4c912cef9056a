package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Consumer groups with real kafka-clients consumers (the classic protocol, client-side assignors): partitions split
 * disjointly among members, every group sees every record, rebalances after members leave, die or stall, committed
 * progress survives rebalances and broker restarts, static members keep their place, and the Admin client sees and
 * manages all of it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsumerGroupTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of("group.min.session.timeout.ms", 1000));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static void produce(String topic, int partitions, int perPartition) throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int p = 0; p < partitions; p++) {
                for (int i = 0; i < perPartition; i++) {
                    producer.send(new ProducerRecord<>(topic, p, "k", topic + "-" + p + "-" + i));
                }
            }
            producer.flush();
        }
    }

    /** Polls every consumer in turn until {@code done}, with a deadline. */
    private static void pollUntil(List<KafkaConsumer<String, String>> consumers, BooleanSupplier done,
                                  List<ConsumerRecord<String, String>> sink) {
        long deadline = System.currentTimeMillis() + 45_000;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("condition not met in time");
            }
            for (KafkaConsumer<String, String> consumer : consumers) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(50))) {
                    if (sink != null) {
                        sink.add(record);
                    }
                }
            }
        }
    }

    private static boolean stableWithMembers(Admin admin, String group, int members) {
        try {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups()
                    .get(group).get();
            return description.groupState() == GroupState.STABLE && description.members().size() == members;
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    private static boolean readToTheEnd(KafkaConsumer<String, String> consumer, long end) {
        return consumer.assignment().stream().allMatch(tp -> consumer.position(tp, Duration.ofSeconds(5)) == end);
    }

    private static boolean assignmentsSettle(List<KafkaConsumer<String, String>> consumers, int partitions) {
        Set<TopicPartition> all = new HashSet<>();
        int total = 0;
        for (KafkaConsumer<String, String> consumer : consumers) {
            all.addAll(consumer.assignment());
            total += consumer.assignment().size();
        }
        return all.size() == partitions && total == partitions;
    }

    @Test
    void membersOfOneGroupSplitPartitionsDisjointly() throws Exception {
        broker.createTopic("split", 6, Map.of());
        produce("split", 6, 10);
        List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                KafkaConsumer<String, String> consumer = broker.consumer("splitters", Map.of());
                consumer.subscribe(List.of("split"));
                consumers.add(consumer);
            }
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(consumers, () -> assignmentsSettle(consumers, 6)
                    && consumers.stream().allMatch(c -> c.assignment().size() == 2), records);
            pollUntil(consumers, () -> records.stream().map(ConsumerRecord::value).distinct().count() == 60,
                    records);
            Set<TopicPartition> seen = new HashSet<>();
            for (KafkaConsumer<String, String> consumer : consumers) {
                assertThat(java.util.Collections.disjoint(consumer.assignment(), seen)).isTrue();
                seen.addAll(consumer.assignment());
            }
            assertThat(seen).hasSize(6);
        } finally {
            consumers.forEach(KafkaConsumer::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"range", "roundrobin", "sticky", "cooperative-sticky"})
    void everyClientSideAssignorSplitsTheGroupAndRebalancesWhenAMemberLeaves(String assignor) throws Exception {
        String topic = "assigned-" + assignor;
        String group = "assignor-" + assignor;
        broker.createTopic(topic, 6, Map.of());
        produce(topic, 6, 10);
        Map<String, Object> settings = Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, switch (assignor) {
            case "range" -> RangeAssignor.class.getName();
            case "roundrobin" -> RoundRobinAssignor.class.getName();
            case "sticky" -> StickyAssignor.class.getName();
            default -> CooperativeStickyAssignor.class.getName();
        });
        List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
        try (Admin admin = broker.admin()) {
            for (int i = 0; i < 3; i++) {
                KafkaConsumer<String, String> consumer = broker.consumer(group, settings);
                consumer.subscribe(List.of(topic));
                consumers.add(consumer);
            }
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(consumers, () -> assignmentsSettle(consumers, 6)
                    && consumers.stream().allMatch(c -> c.assignment().size() == 2)
                    && stableWithMembers(admin, group, 3), records);
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups()
                    .get(group).get();
            assertThat(description.partitionAssignor()).isEqualTo(assignor);

            consumers.remove(2).close();
            List<KafkaConsumer<String, String>> remaining = List.copyOf(consumers);
            pollUntil(remaining, () -> assignmentsSettle(remaining, 6)
                    && remaining.stream().allMatch(c -> c.assignment().size() == 3)
                    && stableWithMembers(admin, group, 2), records);
        } finally {
            consumers.forEach(KafkaConsumer::close);
        }
    }

    @Test
    void twoGroupsEachGetEveryRecord() throws Exception {
        broker.createTopic("shared", 3, Map.of());
        produce("shared", 3, 20);
        for (String group : List.of("billing", "audit")) {
            try (KafkaConsumer<String, String> consumer = broker.consumer(group, Map.of())) {
                consumer.subscribe(List.of("shared"));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                pollUntil(List.of(consumer), () -> records.size() >= 60, records);
                assertThat(records).extracting(ConsumerRecord::value).doesNotHaveDuplicates().hasSize(60);
            }
        }
    }

    @Test
    void consumersBeyondThePartitionCountStayIdle() throws Exception {
        broker.createTopic("narrow", 2, Map.of());
        List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                KafkaConsumer<String, String> consumer = broker.consumer("crowd", Map.of());
                consumer.subscribe(List.of("narrow"));
                consumers.add(consumer);
            }
            try (Admin admin = broker.admin()) {
                pollUntil(consumers, () -> assignmentsSettle(consumers, 2) && stableWithMembers(admin, "crowd", 4)
                        && consumers.stream().filter(c -> c.assignment().size() == 1).count() == 2, null);
            }
            assertThat(consumers.stream().filter(c -> c.assignment().isEmpty()).count()).isEqualTo(2);
        } finally {
            consumers.forEach(KafkaConsumer::close);
        }
    }

    @Test
    void aMemberThatLeavesHandsItsPartitionsOverWithoutLosingCommittedProgress() throws Exception {
        broker.createTopic("handover", 4, Map.of());
        produce("handover", 4, 25);
        KafkaConsumer<String, String> staying = broker.consumer("handover-group", Map.of());
        KafkaConsumer<String, String> leaving = broker.consumer("handover-group", Map.of());
        try {
            staying.subscribe(List.of("handover"));
            leaving.subscribe(List.of("handover"));
            List<KafkaConsumer<String, String>> both = List.of(staying, leaving);
            List<ConsumerRecord<String, String>> firstPass = new ArrayList<>();
            // Both members own partitions and have read each of their partitions to the end, so both commit.
            pollUntil(both, () -> assignmentsSettle(both, 4) && !leaving.assignment().isEmpty()
                    && readToTheEnd(staying, 25) && readToTheEnd(leaving, 25), firstPass);
            staying.commitSync();
            leaving.commitSync();
            leaving.close();
            produce("handover", 4, 5);
            List<ConsumerRecord<String, String>> secondPass = new ArrayList<>();
            pollUntil(List.of(staying), () -> staying.assignment().size() == 4
                    && secondPass.stream().map(ConsumerRecord::value).distinct().count() == 20, secondPass);
            // Everything committed before the handover stays consumed; what was not may come again (at least once).
            assertThat(secondPass).allSatisfy(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(25));
        } finally {
            staying.close();
        }
    }

    @Test
    void aMemberThatStopsPollingIsRemovedAfterMaxPollInterval() throws Exception {
        broker.createTopic("stalled", 2, Map.of());
        AtomicInteger revocations = new AtomicInteger();
        KafkaConsumer<String, String> healthy = broker.consumer("stall-group", Map.of());
        KafkaConsumer<String, String> stalling = broker.consumer("stall-group",
                Map.of(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 3000));
        try {
            healthy.subscribe(List.of("stalled"), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    revocations.incrementAndGet();
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
            stalling.subscribe(List.of("stalled"));
            List<KafkaConsumer<String, String>> both = List.of(healthy, stalling);
            pollUntil(both, () -> healthy.assignment().size() == 1 && stalling.assignment().size() == 1, null);

            pollUntil(List.of(healthy), () -> healthy.assignment().size() == 2, null);
        } finally {
            healthy.close();
            stalling.close();
        }
    }

    @Test
    void aKilledMemberIsReplacedAfterItsSessionTimesOutAndItsCommitsHold() throws Exception {
        broker.createTopic("killed", 2, Map.of());
        produce("killed", 2, 50);
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process member = new ProcessBuilder(javaBinary, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                GroupMemberProcess.class.getName(), broker.bootstrapServers(), "killed-group", "killed", "3000")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        AtomicReference<String> lastLine = new AtomicReference<>("");
        CountDownLatch committed = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(member.getInputStream()))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    lastLine.set(line);
                    if (line.equals("COMMITTED 100")) {
                        committed.countDown();
                    }
                }
            } catch (IOException e) {
                // Killed.
            }
        });
        reader.start();
        try {
            assertThat(committed.await(60, TimeUnit.SECONDS))
                    .as("the member consumed and committed everything; last said: %s", lastLine.get()).isTrue();
            KafkaConsumer<String, String> survivor = broker.consumer("killed-group",
                    Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 3000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300));
            try {
                survivor.subscribe(List.of("killed"));
                pollUntil(List.of(survivor), () -> survivor.assignment().size() == 1, null);
                member.destroyForcibly();
                member.waitFor();
                produce("killed", 2, 5);
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                pollUntil(List.of(survivor), () -> survivor.assignment().size() == 2
                        && records.stream().map(ConsumerRecord::value).distinct().count() >= 10, records);
                assertThat(records).allSatisfy(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(50));
            } finally {
                survivor.close();
            }
        } finally {
            member.destroyForcibly();
            reader.join(5000);
        }
    }

    @Test
    void committedOffsetsSurviveABrokerRestart() throws Exception {
        broker.createTopic("durable", 1, Map.of());
        produce("durable", 1, 100);
        TopicPartition tp = new TopicPartition("durable", 0);
        Uuid topicId = topicId("durable");
        try (KafkaConsumer<String, String> consumer = broker.consumer("durable-group", Map.of())) {
            consumer.subscribe(List.of("durable"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 100, records);
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(60, "sixty")));
        }

        broker.restart();

        try (KafkaConsumer<String, String> consumer = broker.consumer("durable-group", Map.of())) {
            consumer.subscribe(List.of("durable"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 40, records);
            assertThat(records.get(0).offset()).isEqualTo(60);
            assertThat(consumer.committed(Set.of(tp)).get(tp).metadata()).isEqualTo("sixty");
        }
        assertThat(topicId("durable")).as("the topic keeps its id across the restart").isEqualTo(topicId);
    }

    private static Uuid topicId(String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).topicId();
        }
    }

    @Test
    void aStaticMemberThatRestartsKeepsItsPartitionsWithoutARebalance() throws Exception {
        broker.createTopic("static", 2, Map.of());
        AtomicInteger otherRebalances = new AtomicInteger();
        Map<String, Object> staticSettings = Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a",
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000);
        KafkaConsumer<String, String> other = broker.consumer("static-group",
                Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-b"));
        KafkaConsumer<String, String> first = broker.consumer("static-group", staticSettings);
        try {
            other.subscribe(List.of("static"), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    otherRebalances.incrementAndGet();
                }
            });
            first.subscribe(List.of("static"));
            pollUntil(List.of(other, first), () -> other.assignment().size() == 1 && first.assignment().size() == 1,
                    null);
            Set<TopicPartition> firstAssignment = Set.copyOf(first.assignment());
            int rebalancesBefore = otherRebalances.get();
            first.close();

            KafkaConsumer<String, String> restarted = broker.consumer("static-group", staticSettings);
            try {
                restarted.subscribe(List.of("static"));
                pollUntil(List.of(other, restarted), () -> restarted.assignment().size() == 1, null);
                assertThat(restarted.assignment()).isEqualTo(firstAssignment);
                assertThat(otherRebalances.get()).isEqualTo(rebalancesBefore);
            } finally {
                restarted.close();
            }
        } finally {
            other.close();
        }
    }

    @Test
    void theAdminClientListsDescribesAndManagesGroups() throws Exception {
        broker.createTopic("managed", 2, Map.of());
        produce("managed", 2, 10);
        TopicPartition p0 = new TopicPartition("managed", 0);
        try (Admin admin = broker.admin();
             KafkaConsumer<String, String> consumer = broker.consumer("managed-group", Map.of())) {
            consumer.subscribe(List.of("managed"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 20, records);
            consumer.commitSync();

            Collection<GroupListing> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get();
            assertThat(groups).anyMatch(g -> g.groupId().equals("managed-group"));
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of("managed-group"))
                    .describedGroups().get("managed-group").get();
            assertThat(description.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(description.members()).hasSize(1);
            assertThat(description.members().iterator().next().assignment().topicPartitions()).hasSize(2);
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("managed-group")
                    .partitionsToOffsetAndMetadata().get();
            assertThat(offsets.get(p0).offset()).isEqualTo(10);
            assertThatThrownBy(() -> admin.deleteConsumerGroups(List.of("managed-group")).all().get())
                    .cause().isInstanceOf(GroupNotEmptyException.class);
        }
        try (Admin admin = broker.admin()) {
            admin.alterConsumerGroupOffsets("managed-group", Map.of(p0, new OffsetAndMetadata(3))).all().get();
            assertThat(admin.listConsumerGroupOffsets("managed-group").partitionsToOffsetAndMetadata().get().get(p0)
                    .offset()).isEqualTo(3);
            admin.deleteConsumerGroupOffsets("managed-group", Set.of(p0)).all().get();
            assertThat(admin.listConsumerGroupOffsets("managed-group").partitionsToOffsetAndMetadata().get())
                    .doesNotContainKey(p0);
            admin.deleteConsumerGroups(List.of("managed-group")).all().get();
            assertThat(admin.listGroups().all().get()).noneMatch(g -> g.groupId().equals("managed-group"));
        }
    }
}

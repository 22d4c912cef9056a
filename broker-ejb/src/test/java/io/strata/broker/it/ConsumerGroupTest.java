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
 * Consumer groups with real kafka-clients consumers, each test with both group protocols (classic, with client-side
 * assignors, and the KIP-848 consumer protocol, with the broker's): partitions split
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
        broker = TestBroker.start(dir, GroupProtocols.withFastConsumerGroups(Map.of("group.min.session.timeout.ms",
                1000)));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static Map<String, Object> settings(String protocol) {
        return GroupProtocols.consumerSettings(protocol, Map.of());
    }

    private static void produce(String topic, int partitions, int perPartition) {
        GroupProtocols.produce(broker, topic, partitions, perPartition);
    }

    private static void pollUntil(List<KafkaConsumer<String, String>> consumers, BooleanSupplier done,
                                  List<ConsumerRecord<String, String>> sink) {
        GroupProtocols.pollUntil(consumers, done, sink, Duration.ofSeconds(45));
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

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void membersOfOneGroupSplitPartitionsDisjointly(String protocol) throws Exception {
        String topic = "split-" + protocol;
        String group = "splitters-" + protocol;
        broker.createTopic(topic, 6, Map.of());
        produce(topic, 6, 10);
        List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                KafkaConsumer<String, String> consumer = broker.consumer(group, settings(protocol));
                consumer.subscribe(List.of(topic));
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
        Map<String, Object> settings = GroupProtocols.consumerSettings("classic",
                Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, switch (assignor) {
                    case "range" -> RangeAssignor.class.getName();
                    case "roundrobin" -> RoundRobinAssignor.class.getName();
                    case "sticky" -> StickyAssignor.class.getName();
                    default -> CooperativeStickyAssignor.class.getName();
                }));
        threeMembersSplitSixPartitionsThenTwo(topic, group, assignor, settings);
    }

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "range"})
    void everyServerSideAssignorSplitsAConsumerProtocolGroupAndRebalancesWhenAMemberLeaves(String assignor)
            throws Exception {
        String topic = "server-assigned-" + assignor;
        String group = "server-assignor-" + assignor;
        broker.createTopic(topic, 6, Map.of());
        produce(topic, 6, 10);
        Map<String, Object> settings = GroupProtocols.consumerSettings("consumer",
                Map.of(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, assignor));
        threeMembersSplitSixPartitionsThenTwo(topic, group, assignor, settings);
    }

    /**
     * Three members of {@code group} split the six partitions of {@code topic} two each, the group describes
     * {@code assignor} as its assignor, and once one member leaves the other two take three each.
     */
    private void threeMembersSplitSixPartitionsThenTwo(String topic, String group, String assignor,
                                                       Map<String, Object> settings) throws Exception {
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

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void twoGroupsEachGetEveryRecord(String protocol) throws Exception {
        String topic = "shared-" + protocol;
        broker.createTopic(topic, 3, Map.of());
        produce(topic, 3, 20);
        for (String group : List.of("billing-" + protocol, "audit-" + protocol)) {
            try (KafkaConsumer<String, String> consumer = broker.consumer(group, settings(protocol))) {
                consumer.subscribe(List.of(topic));
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                pollUntil(List.of(consumer), () -> records.size() >= 60, records);
                assertThat(records).extracting(ConsumerRecord::value).doesNotHaveDuplicates().hasSize(60);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void consumersBeyondThePartitionCountStayIdle(String protocol) throws Exception {
        String topic = "narrow-" + protocol;
        String group = "crowd-" + protocol;
        broker.createTopic(topic, 2, Map.of());
        List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                KafkaConsumer<String, String> consumer = broker.consumer(group, settings(protocol));
                consumer.subscribe(List.of(topic));
                consumers.add(consumer);
            }
            try (Admin admin = broker.admin()) {
                pollUntil(consumers, () -> assignmentsSettle(consumers, 2) && stableWithMembers(admin, group, 4)
                        && consumers.stream().filter(c -> c.assignment().size() == 1).count() == 2, null);
            }
            assertThat(consumers.stream().filter(c -> c.assignment().isEmpty()).count()).isEqualTo(2);
        } finally {
            consumers.forEach(KafkaConsumer::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void aMemberThatLeavesHandsItsPartitionsOverWithoutLosingCommittedProgress(String protocol) throws Exception {
        String topic = "handover-" + protocol;
        String group = "handover-group-" + protocol;
        broker.createTopic(topic, 4, Map.of());
        produce(topic, 4, 25);
        KafkaConsumer<String, String> staying = broker.consumer(group, settings(protocol));
        KafkaConsumer<String, String> leaving = broker.consumer(group, settings(protocol));
        try {
            staying.subscribe(List.of(topic));
            leaving.subscribe(List.of(topic));
            List<KafkaConsumer<String, String>> both = List.of(staying, leaving);
            List<ConsumerRecord<String, String>> firstPass = new ArrayList<>();
            // Both members own partitions and have read each of their partitions to the end, so both commit.
            pollUntil(both, () -> assignmentsSettle(both, 4) && !leaving.assignment().isEmpty()
                    && readToTheEnd(staying, 25) && readToTheEnd(leaving, 25), firstPass);
            staying.commitSync();
            leaving.commitSync();
            leaving.close();
            produce(topic, 4, 5);
            List<ConsumerRecord<String, String>> secondPass = new ArrayList<>();
            pollUntil(List.of(staying), () -> staying.assignment().size() == 4
                    && secondPass.stream().map(ConsumerRecord::value).distinct().count() == 20, secondPass);
            // Everything committed before the handover stays consumed; what was not may come again (at least once).
            assertThat(secondPass).allSatisfy(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(25));
        } finally {
            staying.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void aMemberThatStopsPollingIsRemovedAfterMaxPollInterval(String protocol) throws Exception {
        String topic = "stalled-" + protocol;
        String group = "stall-group-" + protocol;
        broker.createTopic(topic, 2, Map.of());
        AtomicInteger revocations = new AtomicInteger();
        KafkaConsumer<String, String> healthy = broker.consumer(group, settings(protocol));
        KafkaConsumer<String, String> stalling = broker.consumer(group,
                GroupProtocols.consumerSettings(protocol, Map.of(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 3000)));
        try {
            healthy.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    revocations.incrementAndGet();
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
            stalling.subscribe(List.of(topic));
            List<KafkaConsumer<String, String>> both = List.of(healthy, stalling);
            pollUntil(both, () -> healthy.assignment().size() == 1 && stalling.assignment().size() == 1, null);

            pollUntil(List.of(healthy), () -> healthy.assignment().size() == 2, null);
        } finally {
            healthy.close();
            stalling.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void aKilledMemberIsReplacedAfterItsSessionTimesOutAndItsCommitsHold(String protocol) throws Exception {
        String topic = "killed-" + protocol;
        String group = "killed-group-" + protocol;
        broker.createTopic(topic, 2, Map.of());
        produce(topic, 2, 50);
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process member = new ProcessBuilder(javaBinary, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                GroupMemberProcess.class.getName(), broker.bootstrapServers(), group, topic, "3000", protocol)
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
            KafkaConsumer<String, String> survivor = broker.consumer(group, GroupProtocols.consumerSettings(protocol,
                    Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 3000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                            300)));
            try {
                survivor.subscribe(List.of(topic));
                pollUntil(List.of(survivor), () -> survivor.assignment().size() == 1, null);
                member.destroyForcibly();
                member.waitFor();
                produce(topic, 2, 5);
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

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void committedOffsetsSurviveABrokerRestart(String protocol) throws Exception {
        String topic = "durable-" + protocol;
        String group = "durable-group-" + protocol;
        broker.createTopic(topic, 1, Map.of());
        produce(topic, 1, 100);
        TopicPartition tp = new TopicPartition(topic, 0);
        Uuid topicId = topicId(topic);
        try (KafkaConsumer<String, String> consumer = broker.consumer(group, settings(protocol))) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 100, records);
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(60, "sixty")));
        }

        broker.restart();

        try (KafkaConsumer<String, String> consumer = broker.consumer(group, settings(protocol))) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 40, records);
            assertThat(records.get(0).offset()).isEqualTo(60);
            assertThat(consumer.committed(Set.of(tp)).get(tp).metadata()).isEqualTo("sixty");
        }
        assertThat(topicId(topic)).as("the topic keeps its id across the restart").isEqualTo(topicId);
    }

    private static Uuid topicId(String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).topicId();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void aStaticMemberThatRestartsKeepsItsPartitionsWithoutARebalance(String protocol) throws Exception {
        String topic = "static-" + protocol;
        String group = "static-group-" + protocol;
        broker.createTopic(topic, 2, Map.of());
        AtomicInteger otherRebalances = new AtomicInteger();
        Map<String, Object> staticSettings = GroupProtocols.consumerSettings(protocol,
                Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a", ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                        30_000));
        KafkaConsumer<String, String> other = broker.consumer(group,
                GroupProtocols.consumerSettings(protocol,
                        Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-b")));
        KafkaConsumer<String, String> first = broker.consumer(group, staticSettings);
        try {
            other.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    otherRebalances.incrementAndGet();
                }
            });
            first.subscribe(List.of(topic));
            pollUntil(List.of(other, first), () -> other.assignment().size() == 1 && first.assignment().size() == 1,
                    null);
            Set<TopicPartition> firstAssignment = Set.copyOf(first.assignment());
            int rebalancesBefore = otherRebalances.get();
            first.close();

            KafkaConsumer<String, String> restarted = broker.consumer(group, staticSettings);
            try {
                restarted.subscribe(List.of(topic));
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

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void theAdminClientListsDescribesAndManagesGroups(String protocol) throws Exception {
        String topic = "managed-" + protocol;
        String group = "managed-group-" + protocol;
        broker.createTopic(topic, 2, Map.of());
        produce(topic, 2, 10);
        TopicPartition p0 = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin();
             KafkaConsumer<String, String> consumer = broker.consumer(group, settings(protocol))) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(List.of(consumer), () -> records.size() >= 20, records);
            consumer.commitSync();

            Collection<GroupListing> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get();
            assertThat(groups).anyMatch(g -> g.groupId().equals(group));
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                    .describedGroups().get(group).get();
            assertThat(description.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(description.members()).hasSize(1);
            assertThat(description.members().iterator().next().assignment().topicPartitions()).hasSize(2);
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            assertThat(offsets.get(p0).offset()).isEqualTo(10);
            assertThatThrownBy(() -> admin.deleteConsumerGroups(List.of(group)).all().get())
                    .cause().isInstanceOf(GroupNotEmptyException.class);
        }
        try (Admin admin = broker.admin()) {
            admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(3))).all().get();
            assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(p0)
                    .offset()).isEqualTo(3);
            admin.deleteConsumerGroupOffsets(group, Set.of(p0)).all().get();
            assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get())
                    .doesNotContainKey(p0);
            admin.deleteConsumerGroups(List.of(group)).all().get();
            assertThat(admin.listGroups().all().get()).noneMatch(g -> g.groupId().equals(group));
        }
    }
}

package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka's mixed groups with real kafka-clients 4.3 consumers: classic consumers ({@code group.protocol=classic})
 * consume a topic, consumer-protocol consumers join the same group while it has members, and the group becomes a
 * consumer group served to both kinds (online upgrade); when the consumer-protocol members leave, it becomes a classic
 * group again and the classic consumers go on (online downgrade). Throughout, every partition has at most one owner,
 * every record is read, a record is read twice only if it was read but not committed when its partition moved, and
 * the offsets both kinds commit count.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MixedGroupTest {

    private static final int PARTITIONS = 6;

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

    /**
     * A consumer of the group that commits what it read after every poll and, in its rebalance listener, before a
     * partition is taken away. What it read but could not commit when a partition left it may be read again by the
     * next owner: that is counted in {@link #uncommittedWhenMoved}.
     */
    final class Member implements ConsumerRebalanceListener {
        final String protocol;
        final KafkaConsumer<String, String> consumer;
        final Map<TopicPartition, Long> consumed = new HashMap<>();
        final Map<TopicPartition, Long> committed = new HashMap<>();

        Member(String protocol) {
            this.protocol = protocol;
            Map<String, Object> settings = new HashMap<>(Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20));
            if (protocol.equals("classic")) {
                settings.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000);
                settings.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
                settings.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, classicAssignor);
            }
            consumer = broker.consumer(group, GroupProtocols.consumerSettings(protocol, settings));
            consumer.subscribe(List.of(topic), this);
        }

        void pollAndCommit() {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(30))) {
                reads.merge(record.value(), 1, Integer::sum);
                consumed.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
            }
            commit(consumer.assignment());
        }

        private void commit(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition partition : partitions) {
                Long next = consumed.get(partition);
                if (next != null && !next.equals(committed.get(partition))) {
                    offsets.put(partition, new OffsetAndMetadata(next));
                }
            }
            if (offsets.isEmpty()) {
                return;
            }
            try {
                consumer.commitSync(offsets);
                offsets.forEach((partition, offset) -> committed.put(partition, offset.offset()));
                commitsBy.merge(protocol, 1, Integer::sum);
            } catch (KafkaException e) {
                // A rebalance under way (a classic member's stale generation): what it read stays uncommitted.
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commit(partitions);
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }

        private void forget(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                Long next = consumed.remove(partition);
                Long done = committed.remove(partition);
                if (next != null) {
                    uncommittedWhenMoved += next - (done == null ? 0 : done);
                }
            }
        }
    }

    private String topic;
    private String group;
    /** The classic consumers' assignor: eager (range, kafka-clients' first default) or cooperative. */
    private String classicAssignor;
    private final Map<String, Integer> reads = new HashMap<>();
    private final Map<String, Integer> commitsBy = new HashMap<>();
    private final Set<String> produced = new HashSet<>();
    private long uncommittedWhenMoved;
    private int sequence;

    private void produce(KafkaProducer<String, String> producer, int count) {
        if (count == 0) {
            return;
        }
        for (int i = 0; i < count; i++) {
            String value = "record-" + sequence++;
            producer.send(new ProducerRecord<>(topic, value, value));
            produced.add(value);
        }
        producer.flush();
    }

    /** Polls (and commits) every member, producing a few records each round, until {@code done}. */
    private void runUntil(KafkaProducer<String, String> producer, List<Member> members, BooleanSupplier done) {
        runUntil(producer, 6, members, done);
    }

    private void runUntil(KafkaProducer<String, String> producer, int perRound, List<Member> members,
                          BooleanSupplier done) {
        long deadline = System.currentTimeMillis() + 90_000;
        while (!done.getAsBoolean()) {
            assertThat(System.currentTimeMillis()).as("condition met in time").isLessThan(deadline);
            produce(producer, perRound);
            for (Member member : members) {
                member.pollAndCommit();
                assertAtMostOneOwner(members);
            }
        }
    }

    /** Between polls, no two consumers hold the same partition. */
    private static void assertAtMostOneOwner(List<Member> members) {
        Map<TopicPartition, Integer> owners = new HashMap<>();
        for (Member member : members) {
            member.consumer.assignment().forEach(partition -> owners.merge(partition, 1, Integer::sum));
        }
        assertThat(owners).allSatisfy((partition, count) -> assertThat(count)
                .as("owners of %s", partition).isEqualTo(1));
    }

    private static boolean everyPartitionOwnedOnce(List<Member> members) {
        List<TopicPartition> owned = new ArrayList<>();
        members.forEach(member -> owned.addAll(member.consumer.assignment()));
        return owned.size() == PARTITIONS && new HashSet<>(owned).size() == PARTITIONS
                && members.stream().allMatch(member -> !member.consumer.assignment().isEmpty());
    }

    private ConsumerGroupDescription describe(Admin admin) throws Exception {
        return admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
    }

    private boolean described(Admin admin, GroupType type, int members) {
        try {
            ConsumerGroupDescription description = describe(admin);
            return description.type() == type && description.members().size() == members;
        } catch (Exception e) {
            return false;
        }
    }

    /** With eager classic consumers (range) and with cooperative ones, which revoke only what they must. */
    @ParameterizedTest
    @ValueSource(classes = {RangeAssignor.class, CooperativeStickyAssignor.class})
    void classicConsumersAreJoinedByConsumerProtocolOnesAndTheGroupConvertsBothWays(Class<?> assignor)
            throws Exception {
        classicAssignor = assignor.getName();
        topic = "mixed-" + assignor.getSimpleName();
        group = "mixed-group-" + assignor.getSimpleName();
        broker.createTopic(topic, PARTITIONS, Map.of());
        List<Member> classic = new ArrayList<>();
        List<Member> modern = new ArrayList<>();
        try (Admin admin = broker.admin(); KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            classic.add(new Member("classic"));
            classic.add(new Member("classic"));
            runUntil(producer, classic, () -> everyPartitionOwnedOnce(classic));
            assertThat(describe(admin).type()).isEqualTo(GroupType.CLASSIC);

            modern.add(new Member("consumer"));
            modern.add(new Member("consumer"));
            List<Member> everyone = new ArrayList<>(classic);
            everyone.addAll(modern);
            runUntil(producer, everyone, () -> everyPartitionOwnedOnce(everyone)
                    && described(admin, GroupType.CONSUMER, 4));
            ConsumerGroupDescription mixed = describe(admin);
            assertThat(mixed.members()).extracting(member -> member.upgraded().orElseThrow())
                    .as("two classic members and two consumer-protocol ones, in one consumer group")
                    .containsExactlyInAnyOrder(false, false, true, true);
            assertThat(mixed.members()).allSatisfy(member ->
                    assertThat(member.assignment().topicPartitions()).isNotEmpty());
            for (int round = 0; round < 30; round++) {
                produce(producer, 6);
                everyone.forEach(Member::pollAndCommit);
                assertAtMostOneOwner(everyone);
            }

            for (Member member : modern) {
                member.consumer.close();
            }
            runUntil(producer, classic, () -> everyPartitionOwnedOnce(classic)
                    && described(admin, GroupType.CLASSIC, 2));
            int readBefore = reads.size();
            runUntil(producer, classic, () -> reads.size() >= readBefore + 60);
            // The last records: no more are produced, so the consumers catch up.
            runUntil(producer, 0, classic, () -> reads.keySet().containsAll(produced));
            classic.forEach(Member::pollAndCommit);

            assertThat(commitsBy).as("both kinds committed").containsKeys("classic", "consumer");
            long duplicates = reads.values().stream().mapToLong(count -> count - 1).sum();
            System.getLogger(MixedGroupTest.class.getName()).log(System.Logger.Level.INFO, "{0}: {1} records read,"
                    + " {2} of them twice, {3} read but uncommitted when their partition moved; commits by kind: {4}",
                    assignor.getSimpleName(), reads.size(), duplicates, uncommittedWhenMoved, commitsBy);
            assertThat(duplicates).as("records read twice: at most those read but uncommitted when they moved")
                    .isLessThanOrEqualTo(uncommittedWhenMoved);
            Map<TopicPartition, Long> ends = admin.listOffsets(allPartitions().stream().collect(Collectors.toMap(
                    partition -> partition, partition -> OffsetSpec.latest()))).all().get(30, TimeUnit.SECONDS)
                    .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            Map<TopicPartition, Long> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            assertThat(committed).as("every record's offset committed, by one kind or the other").isEqualTo(ends);
            assertThat(describe(admin).members()).extracting(MemberDescription::upgraded)
                    .allSatisfy(upgraded -> assertThat(upgraded).isEmpty());
        } finally {
            classic.forEach(member -> member.consumer.close());
        }
    }

    private List<TopicPartition> allPartitions() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        return partitions;
    }
}

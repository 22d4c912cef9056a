package io.strata.broker.local;

import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The native API in the broker's JVM: what it writes kafka-clients read and the other way round, the same checks as
 * the wire, and group members that share a group with kafka-clients consumers.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LocalStrataTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    static Strata strata;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of("group.min.session.timeout.ms", 1000));
        strata = broker.server().local();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void sentRecordsAreReadBackLocallyAndByAKafkaConsumer() {
        strata.createTopic("native", 3, Map.of());
        List<RecordPosition> positions = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            positions.add(strata.send(new OutgoingRecord("native", null, utf8("key-" + i), utf8("value-" + i),
                    List.of(new RecordHeader("n", utf8(String.valueOf(i)))), 1_700_000_000_000L + i)));
        }
        for (int i = 0; i < 30; i++) {
            int expected = Utils.toPositive(Utils.murmur2(utf8("key-" + i))) % 3;
            assertThat(positions.get(i).partition()).as("the default partitioner's choice").isEqualTo(expected);
        }
        RecordPosition first = positions.get(0);
        List<StoredRecord> read = strata.read("native", first.partition(), first.offset(), 100);
        assertThat(read.get(0).offset()).isEqualTo(first.offset());
        assertThat(text(read.get(0).key())).isEqualTo("key-0");
        assertThat(text(read.get(0).value())).isEqualTo("value-0");
        assertThat(read.get(0).timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(text(read.get(0).headers().get(0).value())).isEqualTo("0");
        assertThat(strata.offsets("native", first.partition()).end())
                .isEqualTo(positions.stream().filter(p -> p.partition() == first.partition()).count());

        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of())) {
            List<TopicPartition> all = List.of(new TopicPartition("native", 0), new TopicPartition("native", 1),
                    new TopicPartition("native", 2));
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Set<String> values = new HashSet<>();
            long deadline = System.currentTimeMillis() + 20_000;
            while (values.size() < 30 && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> values.add(r.value()));
            }
            assertThat(values).hasSize(30).contains("value-29");
        }
    }

    @Test
    void whatAKafkaProducerWritesIsReadLocallyIncludingCompressedBatches() throws Exception {
        strata.createTopic("from-wire", 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("compression.type", "zstd",
                "linger.ms", 20))) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>("from-wire", 0, "k" + i, "v" + i));
            }
            producer.flush();
        }
        List<StoredRecord> read = strata.read("from-wire", 0, 10, 15);
        assertThat(read).extracting(StoredRecord::offset).containsExactlyElementsOf(
                java.util.stream.LongStream.range(10, 25).boxed().toList());
        assertThat(text(read.get(0).value())).isEqualTo("v10");
        assertThat(strata.read("from-wire", 0, 50, 10)).isEmpty();
    }

    @Test
    void theWireChecksApply() {
        strata.createTopic("small", 1, Map.of("max.message.bytes", "1000"));
        assertThatThrownBy(() -> strata.send(OutgoingRecord.of("small", null, new byte[5000])))
                .isInstanceOf(RecordTooLargeException.class);
        assertThatThrownBy(() -> strata.send(OutgoingRecord.of("__consumer_offsets", null, utf8("x"))))
                .isInstanceOf(InvalidTopicException.class);
        assertThatThrownBy(() -> strata.send(new OutgoingRecord("small", 7, null, utf8("x"), List.of(), null)))
                .isInstanceOf(UnknownTopicOrPartitionException.class).hasMessageContaining("partitions 0 to 0");
        assertThatThrownBy(() -> strata.read("no-such-topic", 0, 0, 10))
                .isInstanceOf(UnknownTopicOrPartitionException.class);
        assertThatThrownBy(() -> strata.deleteTopic("__consumer_offsets")).isInstanceOf(InvalidTopicException.class);
        assertThat(strata.offsets("small", 0).end()).isZero();
    }

    @Test
    void topicsAreCreatedDescribedListedAndDeleted() {
        TopicInfo created = strata.createTopic("managed", 4, Map.of("retention.ms", "60000"));
        assertThat(created.partitions()).isEqualTo(4);
        assertThat(created.configs()).containsEntry("retention.ms", "60000");
        assertThat(strata.listTopics()).contains("managed").doesNotContain("__consumer_offsets");
        assertThat(strata.describeTopic("managed").id()).isEqualTo(created.id());
        strata.deleteTopic("managed");
        assertThat(strata.listTopics()).doesNotContain("managed");
        assertThatThrownBy(() -> strata.describeTopic("managed")).isInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void aLocalMemberSharesAGroupWithAKafkaConsumerAndItsCommitsAreTheGroups() {
        strata.createTopic("shared", 4, Map.of());
        for (int p = 0; p < 4; p++) {
            for (int i = 0; i < 10; i++) {
                strata.send(new OutgoingRecord("shared", p, null, utf8(p + "-" + i), List.of(), null));
            }
        }
        List<StoredRecord> local = new ArrayList<>();
        List<ConsumerRecord<String, String>> remote = new ArrayList<>();
        try (Strata.GroupSubscription member = strata.subscribe("mixed", List.of("shared"));
             KafkaConsumer<String, String> consumer = broker.consumer("mixed", Map.of())) {
            consumer.subscribe(List.of("shared"));
            long deadline = System.currentTimeMillis() + 60_000;
            while ((member.assignment().size() != 2 || consumer.assignment().size() != 2
                    || local.size() + remote.size() < 40) && System.currentTimeMillis() < deadline) {
                local.addAll(member.poll(Duration.ofMillis(100)));
                consumer.poll(Duration.ofMillis(100)).forEach(remote::add);
            }
            assertThat(member.assignment()).hasSize(2).doesNotContainAnyElementsOf(consumer.assignment());
            member.commit();
            consumer.commitSync();

            GroupInfo group = strata.describeGroup("mixed");
            assertThat(group.state()).isEqualTo("Stable");
            assertThat(group.members()).hasSize(2);
            assertThat(group.lags()).hasSize(4).allSatisfy(lag -> assertThat(lag.lag()).isZero());
        }
        Set<String> values = new HashSet<>();
        local.forEach(r -> values.add(text(r.value())));
        remote.forEach(r -> values.add(r.value()));
        assertThat(values).hasSize(40);
        try (KafkaConsumer<String, String> check = broker.consumer("mixed", Map.of())) {
            Map<TopicPartition, OffsetAndMetadata> committed = check.committed(Set.of(
                    new TopicPartition("shared", 0), new TopicPartition("shared", 3)));
            assertThat(committed.values()).allSatisfy(o -> assertThat(o.offset()).isEqualTo(10));
        }
        assertThat(strata.listGroups()).contains("mixed");
        assertThat(strata.describeGroup("mixed").state()).isEqualTo("Empty");
    }

    @Test
    void aLocalMemberWaitsForNewRecordsAndResumesFromItsCommits() {
        strata.createTopic("waiting", 1, Map.of());
        try (Strata.GroupSubscription member = strata.subscribe("waiters", List.of("waiting"))) {
            assertThat(member.poll(Duration.ofMillis(200))).isEmpty();
            Thread writer = new Thread(() -> strata.send(OutgoingRecord.of("waiting", null, utf8("late"))));
            writer.start();
            List<StoredRecord> got = member.poll(Duration.ofSeconds(20));
            assertThat(got).extracting(r -> text(r.value())).containsExactly("late");
            member.commit();
        }
        strata.send(OutgoingRecord.of("waiting", null, utf8("later")));
        try (Strata.GroupSubscription member = strata.subscribe("waiters", List.of("waiting"))) {
            assertThat(member.poll(Duration.ofSeconds(20))).extracting(r -> text(r.value())).containsExactly("later");
        }
    }
}

package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * A mixed group (a classic consumer and a consumer-protocol one in one consumer group) outlives its coordinator's
 * broker, SIGKILLed in a 3-broker cluster of separate processes: the broker that takes over {@code __consumer_offsets}
 * replays the group as it was, mixed, with its members, their kinds and epochs, and its committed offsets, and both
 * members carry on without reading a committed record again.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MixedGroupFailoverTest {

    private static final String GROUP = "failover-mixed";

    @TempDir
    Path dir;

    private static KafkaConsumer<String, String> consumer(BrokerProcesses brokers, String protocol) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.putAll(GroupProtocols.consumerSettings(protocol, protocol.equals("classic")
                ? Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 20_000,
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500) : Map.of()));
        return new KafkaConsumer<>(properties);
    }

    private static void produce(BrokerProcesses brokers, String prefix, int count) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>("orders", i % 4, prefix + i, prefix + i));
            }
            producer.flush();
        }
    }

    private static void pollUntil(List<KafkaConsumer<String, String>> consumers, BooleanSupplier done,
                                  List<ConsumerRecord<String, String>> sink) {
        long deadline = System.currentTimeMillis() + 120_000;
        while (!done.getAsBoolean()) {
            assertThat(System.currentTimeMillis()).as("condition met in time").isLessThan(deadline);
            for (KafkaConsumer<String, String> consumer : consumers) {
                consumer.poll(Duration.ofMillis(50)).forEach(sink::add);
            }
        }
    }

    private static boolean readToTheEnd(KafkaConsumer<String, String> consumer, long end) {
        return consumer.assignment().stream().allMatch(tp -> consumer.position(tp, Duration.ofSeconds(5)) == end);
    }

    private static ConsumerGroupDescription describe(Admin admin) throws Exception {
        return admin.describeConsumerGroups(List.of(GROUP)).all().get(30, TimeUnit.SECONDS).get(GROUP);
    }

    private static Map<String, Boolean> memberKinds(ConsumerGroupDescription description) {
        Map<String, Boolean> kinds = new HashMap<>();
        for (MemberDescription member : description.members()) {
            kinds.put(member.consumerId(), member.upgraded().orElse(null));
        }
        return kinds;
    }

    @Test
    void theNewCoordinatorRestoresTheMixedGroupAndItsOffsets() throws Exception {
        Map<String, Object> settings = new HashMap<>(GroupProtocols.FAST_CONSUMER_GROUPS);
        settings.put("offsets.topic.num.partitions", 1);
        settings.put("group.min.session.timeout.ms", 1000);
        try (BrokerProcesses brokers = new BrokerProcesses(dir, "mixed-group-failover-logs", 3, settings)) {
            brokers.startAll(Duration.ofSeconds(120));
            brokers.createTopics(4, Map.of(), "orders");
            produce(brokers, "before-", 100);
            KafkaConsumer<String, String> classic = consumer(brokers, "classic");
            KafkaConsumer<String, String> modern = consumer(brokers, "consumer");
            List<ConsumerRecord<String, String>> read = new ArrayList<>();
            try (Admin admin = brokers.admin()) {
                classic.subscribe(List.of("orders"));
                pollUntil(List.of(classic), () -> classic.assignment().size() == 4, read);
                modern.subscribe(List.of("orders"));
                List<KafkaConsumer<String, String>> both = List.of(classic, modern);
                pollUntil(both, () -> classic.assignment().size() == 2 && modern.assignment().size() == 2
                        && readToTheEnd(classic, 25) && readToTheEnd(modern, 25), read);
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                        describe(admin).groupState() == org.apache.kafka.common.GroupState.STABLE);
                classic.commitSync();
                modern.commitSync();
                ConsumerGroupDescription before = describe(admin);
                assertThat(before.type()).isEqualTo(GroupType.CONSUMER);
                assertThat(memberKinds(before).values()).as("one classic member, one consumer-protocol member")
                        .containsExactlyInAnyOrder(false, true);
                int classicGeneration = classic.groupMetadata().generationId();
                Map<?, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP)
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                assertThat(committed).hasSize(4);
                assertThat(committed.values()).extracting(OffsetAndMetadata::offset).containsOnly(25L);

                int coordinator = before.coordinator().id();
                brokers.kill(coordinator);

                produce(brokers, "after-", 40);
                List<ConsumerRecord<String, String>> afterwards = new ArrayList<>();
                pollUntil(both, () -> afterwards.size() >= 40, afterwards);
                assertThat(afterwards).as("nothing committed is read again")
                        .allSatisfy(r -> assertThat(r.value()).startsWith("after-"));
                classic.commitSync();
                modern.commitSync();

                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                    ConsumerGroupDescription after = describe(admin);
                    assertThat(after.coordinator().id()).isNotEqualTo(coordinator);
                    assertThat(after.type()).as("still a mixed consumer group").isEqualTo(GroupType.CONSUMER);
                    assertThat(memberKinds(after)).isEqualTo(memberKinds(before));
                });
                assertThat(classic.groupMetadata().generationId()).as("the classic member did not rejoin")
                        .isEqualTo(classicGeneration);
                assertThat(admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS).values()).extracting(OffsetAndMetadata::offset)
                        .containsOnly(35L);
            } finally {
                classic.close(Duration.ofSeconds(5));
                modern.close(Duration.ofSeconds(5));
            }
        }
    }
}

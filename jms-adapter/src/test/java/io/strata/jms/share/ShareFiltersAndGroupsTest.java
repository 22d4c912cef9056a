package io.strata.jms.share;

import io.strata.broker.api.StrataExtensions;
import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
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
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.share.ShareTestCluster.AT_MOST;
import static io.strata.jms.share.ShareTestCluster.pollUntil;
import static io.strata.jms.share.ShareTestCluster.prepare;
import static io.strata.jms.share.ShareTestCluster.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Selectors the broker applies (Strata's share filter), a group shared with kafka-clients' own
 * {@code KafkaShareConsumer}, and the errors a caller can make: a selector that does not parse, a topic that does not
 * exist, the id of a classic group.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareFiltersAndGroupsTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, ShareTestCluster.FAST_SHARE_GROUPS);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void theEnginesTagsAndFeaturesAreTheBrokersRegistry() {
        assertThat(StrataFeatures.SHARE_FILTER_TAG).isEqualTo(StrataExtensions.SHARE_FILTER_TAG);
        assertThat(StrataFeatures.SHARE_ACKNOWLEDGE_TRANSACTION_TAG)
                .isEqualTo(StrataExtensions.SHARE_ACKNOWLEDGE_TRANSACTION_TAG);
        assertThat(StrataFeatures.SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG)
                .isEqualTo(StrataExtensions.SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG);
        assertThat(StrataFeatures.SHARE_FILTER_FEATURE).isEqualTo(StrataExtensions.SHARE_FILTER_FEATURE);
        assertThat(StrataFeatures.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE)
                .isEqualTo(StrataExtensions.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE);
        assertThat(StrataFeatures.FEATURE_VERSION).isEqualTo(StrataExtensions.FEATURE_VERSION);
    }

    @Test
    void membersWithComplementarySelectorsEachGetExactlyTheirRecords() throws Exception {
        prepare(broker, "paint", "painters", 0);
        // JMS properties as headers, as docs/protocol-extensions.md has the JMS adapter write them; an int typed.
        ShareTestCluster.produce(broker, "paint", 40, i -> Map.of("colour", i % 2 == 0 ? "red" : "blue",
                "size", Integer.toString(i), "strata.jms.types", "size=int"));
        ShareConsumerSettings settings = settings(broker, "painters", "paint");
        try (StrataShareConsumer reds = StrataShareConsumer.open(settings.withSelector("colour = 'red'"));
             StrataShareConsumer blues = StrataShareConsumer.open(
                     settings.withSelector("colour = 'blue' AND size >= 0"))) {
            List<List<ShareRecord>> perMember = List.of(new ArrayList<>(), new ArrayList<>());
            List<StrataShareConsumer> members = List.of(reds, blues);
            pollUntil(members, (i, record) -> {
                perMember.get(i).add(record);
                members.get(i).acknowledge(record, AcknowledgeType.ACCEPT);
            }, records -> records.size() >= 40);

            assertThat(perMember.get(0)).hasSize(20).allSatisfy(record -> {
                assertThat(header(record, "colour")).isEqualTo("red");
                assertThat(record.deliveryCount()).isEqualTo(1); // skipped for the other, never counted
            });
            assertThat(perMember.get(1)).hasSize(20).allSatisfy(record -> {
                assertThat(header(record, "colour")).isEqualTo("blue");
                assertThat(record.deliveryCount()).isEqualTo(1);
            });
        }
    }

    @Test
    void aSelectorThatDoesNotParseIsRefusedWithTheBrokersComplaint() throws Exception {
        prepare(broker, "typos", "typists", 1);
        assertThatThrownBy(() -> StrataShareConsumer.open(settings(broker, "typists", "typos")
                .withSelector("colour = = 'red'")))
                .isInstanceOfSatisfying(InvalidShareFilterException.class, e -> {
                    assertThat(e.selector()).isEqualTo("colour = = 'red'");
                    assertThat(e.error()).isEqualTo(Errors.INVALID_REQUEST);
                    assertThat(e.getMessage()).contains("refused the message selector").contains("colour = = 'red'");
                });
    }

    @Test
    void theEngineAndAKafkaShareConsumerShareTheWorkOfOneGroup() throws Exception {
        prepare(broker, "mixed", "mixers", 0);
        ShareConsumerSettings settings = settings(broker, "mixers", "mixed").withFetch(10, 1 << 20, 100)
                .withBuffer(10, 1 << 20);
        Properties properties = new Properties();
        properties.put("bootstrap.servers", broker.bootstrapServers());
        properties.put("group.id", "mixers");
        properties.put("key.deserializer", StringDeserializer.class.getName());
        properties.put("value.deserializer", StringDeserializer.class.getName());
        properties.put("share.acknowledgement.mode", "explicit");
        properties.put("max.poll.records", 10);
        try (StrataShareConsumer engine = StrataShareConsumer.open(settings);
             KafkaShareConsumer<String, String> kafka = new KafkaShareConsumer<>(properties)) {
            kafka.subscribe(List.of("mixed"));
            kafka.poll(Duration.ofMillis(500)); // joins
            ShareTestCluster.produce(broker, "mixed", 200, i -> Map.of());
            Set<Long> byEngine = new HashSet<>();
            Set<Long> byKafka = new HashSet<>();
            List<Long> all = new ArrayList<>();
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (all.size() < 200) {
                assertThat(System.nanoTime()).as("all records in time; got " + all.size()).isLessThan(deadline);
                for (ShareRecord record : engine.poll(10, Duration.ofMillis(100))) {
                    engine.acknowledge(record, AcknowledgeType.ACCEPT);
                    byEngine.add(record.offset());
                    all.add(record.offset());
                }
                for (ConsumerRecord<String, String> record : kafka.poll(Duration.ofMillis(100))) {
                    kafka.acknowledge(record, AcknowledgeType.ACCEPT);
                    byKafka.add(record.offset());
                    all.add(record.offset());
                }
                kafka.commitSync(Duration.ofSeconds(10));
            }
            assertThat(all).hasSize(200).doesNotHaveDuplicates();
            assertThat(byEngine).isNotEmpty();
            assertThat(byKafka).isNotEmpty();
        }
    }

    @Test
    void aTopicThatDoesNotExistFailsTheOpenClearly() {
        assertThatThrownBy(() -> StrataShareConsumer.open(settings(broker, "nobodys", "no-such-topic")))
                .isInstanceOfSatisfying(ShareGroupException.class, e -> {
                    assertThat(e.error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
                    assertThat(e.getMessage()).contains("'no-such-topic' does not exist");
                });
    }

    @Test
    void theIdOfAClassicGroupIsRefusedWithTheCoordinatorsReason() throws Exception {
        prepare(broker, "classic", "classics", 1);
        try (KafkaConsumer<String, String> classic = broker.consumer("classics", Map.of("group.protocol",
                "classic"))) {
            classic.subscribe(List.of("classic"));
            org.awaitility.Awaitility.await().atMost(AT_MOST).until(() -> {
                classic.poll(Duration.ofMillis(100));
                return !classic.assignment().isEmpty();
            });
            assertThatThrownBy(() -> StrataShareConsumer.open(settings(broker, "classics", "classic")))
                    .isInstanceOfSatisfying(ShareGroupException.class, e -> {
                        assertThat(e.error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
                        assertThat(e.getMessage()).contains("refused member").contains("not a share group")
                                .contains("choose another group id");
                    });
        }
    }

    private static String header(ShareRecord record, String key) {
        return new String(record.lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}

package io.strata.cli.consume;

import io.strata.broker.it.TestBroker;
import io.strata.cli.Cli.Result;
import io.strata.cli.SharedBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.cli.Cli.strata;
import static io.strata.cli.Cli.strataWithInput;
import static org.assertj.core.api.Assertions.assertThat;

/** The produce and consume commands against a real broker, each checked through the other. */
@ExtendWith(SharedBroker.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ProduceConsumeTest {

    private final TestBroker broker;

    ProduceConsumeTest(TestBroker broker) {
        this.broker = broker;
    }

    @Test
    void linesWithKeysAndHeadersComeBackWithKeyPartitionOffsetAndTimestamp() {
        broker.createTopic("lines", 1, Map.of());
        long before = System.currentTimeMillis();

        Result produced = strataWithInput(broker, "k1:v1\nk2:v2\r\nk3:hello:world\n",
                "produce", "--topic", "lines", "--key-separator", ":", "--header", "source=test", "--acks", "1");
        assertThat(produced.exitCode()).as(produced.toString()).isZero();
        assertThat(produced.err()).isEmpty();

        Result consumed = strata(broker, "consume", "--topic", "lines", "--from-beginning", "--max-messages", "3",
                "--timeout-ms", "10000", "--print-key", "--print-partition", "--print-offset", "--print-timestamp",
                "--print-headers");
        assertThat(consumed.exitCode()).as(consumed.toString()).isZero();
        assertThat(consumed.outLines()).hasSize(3);
        assertThat(consumed.outLines().get(0)).matches("CreateTime:\\d+\tPartition:0\tOffset:0\tsource:test\tk1\tv1");
        assertThat(consumed.outLines().get(1)).matches("CreateTime:\\d+\tPartition:0\tOffset:1\tsource:test\tk2\tv2");
        assertThat(consumed.outLines().get(2))
                .matches("CreateTime:\\d+\tPartition:0\tOffset:2\tsource:test\tk3\thello:world");
        long timestamp = Long.parseLong(consumed.outLines().get(0).split("\t")[0].substring("CreateTime:".length()));
        assertThat(timestamp).isBetween(before, System.currentTimeMillis());
        assertThat(consumed.err()).isEqualTo("Processed a total of 3 messages\n");
    }

    @Test
    void valuesAloneArePrintedWhenNothingElseIsAsked() {
        broker.createTopic("plain", 1, Map.of());
        assertThat(strataWithInput(broker, "one\ntwo\n", "produce", "--topic", "plain").exitCode()).isZero();

        Result consumed = strata(broker, "consume", "--topic", "plain", "--from-beginning", "--max-messages", "2",
                "--timeout-ms", "10000");

        assertThat(consumed.outLines()).containsExactly("one", "two");
    }

    @Test
    void headersSeparatorGivesEachLineItsOwnHeaders() {
        broker.createTopic("headed", 1, Map.of());
        Result produced = strataWithInput(broker, "a=1,b=2|k:v\n|k2:v2\n", "produce", "--topic", "headed",
                "--headers-separator", "|", "--key-separator", ":", "--acks", "0");
        assertThat(produced.exitCode()).as(produced.toString()).isZero();

        Result consumed = strata(broker, "consume", "--topic", "headed", "--from-beginning", "--max-messages", "2",
                "--timeout-ms", "10000", "--print-headers", "--print-key");

        assertThat(consumed.outLines()).containsExactly("a:1,b:2\tk\tv", "NO_HEADERS\tk2\tv2");
    }

    @Test
    void consumingWithAGroupCommitsSoTheNextRunContinues() throws Exception {
        broker.createTopic("continued", 2, Map.of());
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < 6; i++) {
                sent.add("m" + i);
                producer.send(new ProducerRecord<>("continued", i % 2, null, "m" + i)).get();
            }
        }

        Result first = strata(broker, "consume", "--topic", "continued", "--group", "continuing",
                "--from-beginning", "--max-messages", "4", "--timeout-ms", "10000");
        Result second = strata(broker, "consume", "--topic", "continued", "--group", "continuing",
                "--from-beginning", "--max-messages", "2", "--timeout-ms", "10000");

        assertThat(first.outLines()).as(first.toString()).hasSize(4);
        assertThat(second.outLines()).as(second.toString()).hasSize(2);
        List<String> all = new ArrayList<>(first.outLines());
        all.addAll(second.outLines());
        assertThat(all).containsExactlyInAnyOrderElementsOf(sent);
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets("continuing").partitionsToOffsetAndMetadata().get();
            assertThat(committed.get(new TopicPartition("continued", 0)).offset()).isEqualTo(3);
            assertThat(committed.get(new TopicPartition("continued", 1)).offset()).isEqualTo(3);
        }
    }

    @Test
    void onePartitionIsReadFromTheGivenOffset() {
        broker.createTopic("seeking", 2, Map.of());
        Result produced = strataWithInput(broker, "p1-0\np1-1\np1-2\np1-3\np1-4\n",
                "produce", "--topic", "seeking", "--partition", "1");
        assertThat(produced.exitCode()).as(produced.toString()).isZero();

        Result consumed = strata(broker, "consume", "--topic", "seeking", "--partition", "1", "--offset", "3",
                "--max-messages", "2", "--timeout-ms", "10000", "--print-partition", "--print-offset");

        assertThat(consumed.outLines()).containsExactly("Partition:1\tOffset:3\tp1-3", "Partition:1\tOffset:4\tp1-4");
    }

    @Test
    void consumeStopsAfterTheTimeoutWhenNothingArrives() {
        broker.createTopic("quiet", 1, Map.of());

        Result consumed = strata(broker, "consume", "--topic", "quiet", "--from-beginning", "--timeout-ms", "300");

        assertThat(consumed.exitCode()).isZero();
        assertThat(consumed.out()).isEmpty();
        assertThat(consumed.err()).isEqualTo("Processed a total of 0 messages\n");
    }

    @Test
    void producingToAnUnknownTopicCreatesItWithTheBrokersDefaultsAsKafkasConsoleProducerDoes() {
        assertThat(strata(broker, "topics", "list").outLines()).doesNotContain("created-on-use");

        Result produced = strataWithInput(broker, "k:first\nk:second\n", "produce", "--topic", "created-on-use",
                "--key-separator", ":");

        assertThat(produced.exitCode()).as(produced.toString()).isZero();
        assertThat(produced.err()).isEmpty();
        assertThat(strata(broker, "topics", "list").outLines()).contains("created-on-use");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            int partitions = admin.describeTopics(List.of("created-on-use")).allTopicNames().get()
                    .get("created-on-use").partitions().size();
            assertThat(partitions).as("num.partitions of the broker").isEqualTo(1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        Result consumed = strata(broker, "consume", "--topic", "created-on-use", "--from-beginning",
                "--max-messages", "2", "--timeout-ms", "10000", "--print-key");
        assertThat(consumed.outLines()).containsExactly("k\tfirst", "k\tsecond");
    }

    @Test
    void producingToAnUnknownPartitionOfATopicCreatedOnUseFails() {
        Result produced = strataWithInput(broker, "x\n", "produce", "--topic", "created-narrow", "--partition", "3");

        assertThat(produced.exitCode()).isEqualTo(1);
        assertThat(produced.err())
                .isEqualTo("strata: topic 'created-narrow' has no partition 3 (it has only partition 0)\n");
    }

    @Test
    void consumingAnUnknownTopicOrPartitionFails() {
        broker.createTopic("narrow", 2, Map.of());

        Result unknownTopic = strata(broker, "consume", "--topic", "missing-too", "--timeout-ms", "1000");
        Result unknownPartition = strata(broker, "consume", "--topic", "narrow", "--partition", "5");

        assertThat(unknownTopic.exitCode()).isEqualTo(1);
        assertThat(unknownTopic.err()).isEqualTo("strata: topic 'missing-too' does not exist\n");
        assertThat(unknownPartition.exitCode()).isEqualTo(1);
        assertThat(unknownPartition.err())
                .isEqualTo("strata: topic 'narrow' has no partition 5 (it has partitions 0 to 1)\n");
    }

    @Test
    void aLineWithoutKeySeparatorStopsTheInputButKeepsTheLinesBefore() {
        broker.createTopic("partial", 1, Map.of());

        Result produced = strataWithInput(broker, "a:1\nno separator\nb:2\n",
                "produce", "--topic", "partial", "--key-separator", ":");

        assertThat(produced.exitCode()).isEqualTo(1);
        assertThat(produced.err()).isEqualTo("strata: line 2 has no key separator ':'\n");
        Result consumed = strata(broker, "consume", "--topic", "partial", "--from-beginning", "--timeout-ms", "1000",
                "--print-key");
        assertThat(consumed.outLines()).containsExactly("a\t1");
    }

    @Test
    void offsetWithoutPartitionIsABadUsage() {
        Result result = strata(broker, "consume", "--topic", "any", "--offset", "3");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("strata: --offset needs --partition (see 'strata consume --help')\n");
    }
}

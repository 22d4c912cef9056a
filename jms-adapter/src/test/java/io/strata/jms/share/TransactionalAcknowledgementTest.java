package io.strata.jms.share;

import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.share.ShareTestCluster.AT_MOST;
import static io.strata.jms.share.ShareTestCluster.pollUntil;
import static io.strata.jms.share.ShareTestCluster.prepare;
import static io.strata.jms.share.ShareTestCluster.settings;
import static io.strata.jms.share.ShareTestCluster.startOffset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Acknowledgements inside a kafka-clients transactional producer's transaction (Strata's tag 32001): a commit makes
 * the output visible and acknowledges the inputs for good; an abort hides the output and delivers the inputs again one
 * delivery higher. The test plays the JMS transacted session: it owns the producer and ends its transaction.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TransactionalAcknowledgementTest {

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
    void aCommitAcknowledgesTheInputsAndMakesTheOutputVisible() throws Exception {
        prepare(broker, "commit-in", "committers", 5);
        broker.createTopic("commit-out", 1, Map.of());
        try (StrataShareConsumer consumer = StrataShareConsumer.open(settings(broker, "committers", "commit-in"));
             KafkaProducer<String, String> producer = transactional("committer")) {
            List<ShareRecord> inputs = pollUntil(List.of(consumer), (i, r) -> { }, records -> records.size() == 5);

            producer.beginTransaction();
            inputs.forEach(input -> producer.send(new ProducerRecord<>("commit-out", 0, null,
                    "out-" + ShareTestCluster.value(input))));
            producer.flush();
            List<AcknowledgementResult> results = consumer.acknowledgeSync(inputs, AcknowledgeType.ACCEPT,
                    transactionOf("committer"), AT_MOST);
            assertThat(results).allSatisfy(result -> assertThat(result.succeeded()).as(result.message()).isTrue());
            producer.commitTransaction();

            assertThat(readCommitted("commit-out", 5)).containsExactlyInAnyOrder("out-commit-in-0",
                    "out-commit-in-1", "out-commit-in-2", "out-commit-in-3", "out-commit-in-4");
            // Acknowledged for good: the start offset passes the inputs, and none comes again.
            await().atMost(AT_MOST).until(() -> startOffset(broker, "committers", "commit-in") >= 5);
            assertThat(consumer.poll(10, Duration.ofSeconds(2))).isEmpty();
        }
    }

    @Test
    void anAbortDeliversTheInputsAgainOneDeliveryHigherAndHidesTheOutput() throws Exception {
        prepare(broker, "abort-in", "aborters", 3);
        broker.createTopic("abort-out", 1, Map.of());
        try (StrataShareConsumer consumer = StrataShareConsumer.open(settings(broker, "aborters", "abort-in"));
             KafkaProducer<String, String> producer = transactional("aborter")) {
            List<ShareRecord> inputs = pollUntil(List.of(consumer), (i, r) -> { }, records -> records.size() == 3);

            producer.beginTransaction();
            producer.send(new ProducerRecord<>("abort-out", 0, null, "never"));
            producer.flush();
            assertThat(consumer.acknowledgeSync(inputs, AcknowledgeType.ACCEPT, transactionOf("aborter"), AT_MOST))
                    .allSatisfy(result -> assertThat(result.succeeded()).as(result.message()).isTrue());
            producer.abortTransaction();

            List<ShareRecord> again = pollUntil(List.of(consumer), (i, r) -> { }, records -> records.size() == 3);
            assertThat(again).extracting(ShareRecord::offset).containsExactlyInAnyOrderElementsOf(
                    inputs.stream().map(ShareRecord::offset).toList());
            assertThat(again).allSatisfy(record -> assertThat(record.deliveryCount()).isEqualTo(2));
            assertThat(readCommitted("abort-out", 0)).isEmpty();
        }
    }

    private static KafkaProducer<String, String> transactional(String transactionalId) {
        KafkaProducer<String, String> producer = broker.producer(Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000));
        producer.initTransactions();
        return producer;
    }

    /** The producer's id and epoch as its coordinator knows them (a JMS session would keep them itself). */
    private static AcknowledgementTransaction transactionOf(String transactionalId) throws Exception {
        try (Admin admin = broker.admin()) {
            TransactionDescription description = admin.describeTransactions(List.of(transactionalId))
                    .description(transactionalId).get(30, TimeUnit.SECONDS);
            return new AcknowledgementTransaction(transactionalId, description.producerId(),
                    (short) description.producerEpoch());
        }
    }

    /** What a read_committed consumer sees in partition 0 of {@code topic}, reading until {@code count} came. */
    private static List<String> readCommitted(String topic, int count) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of("isolation.level",
                "read_committed"))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
            long deadline = System.nanoTime() + Duration.ofSeconds(count == 0 ? 3 : 30).toNanos();
            while (System.nanoTime() < deadline && values.size() < Math.max(count, 1)) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}

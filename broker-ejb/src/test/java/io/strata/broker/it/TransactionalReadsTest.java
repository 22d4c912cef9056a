package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transactions written by hand, as a transaction coordinator and a transactional producer would write them
 * ({@link TransactionWriter}: transactional batches through Produce, COMMIT and ABORT markers through WriteTxnMarkers),
 * read by real {@link KafkaConsumer}s at both isolation levels, before and after a broker restart.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransactionalReadsTest {

    private static final String TOPIC = "ledger";
    private static final TopicPartition LEDGER_0 = new TopicPartition(TOPIC, 0);
    private static final long COMMITTED = 1001L;
    private static final long ABORTED = 1002L;
    private static final long OPEN = 1003L;

    @TempDir
    Path dir;

    @Test
    void readCommittedSeesOnlyCommittedRecordsAndStopsAtAnOpenTransactionAcrossARestart() throws Exception {
        // The writer plays the coordinator itself: the leaders must not ask the real one (KIP-890's verification).
        try (TestBroker broker = TestBroker.start(dir, Map.of(
                BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false))) {
            broker.createTopic(TOPIC, 1, Map.of());
            try (TransactionWriter writer = new TransactionWriter(broker.bootstrapServers(), LEDGER_0, 1)) {
                writer.produceTransactional(COMMITTED, "c1", "c2");                 // 0, 1
                writer.produceTransactional(ABORTED, "a1", "a2");                   // 2, 3
                assertThat(writer.marker(COMMITTED, true)).isEqualTo(Errors.NONE);  // 4
                assertThat(writer.marker(ABORTED, false)).isEqualTo(Errors.NONE);   // 5
                writer.produceTransactional(OPEN, "open1");                         // 6
                writer.producePlain("after-open");                                  // 7
            }

            assertThat(read(broker.bootstrapServers(), "read_committed", 6)).containsExactly("c1", "c2");
            assertThat(read(broker.bootstrapServers(), "read_uncommitted", 8))
                    .containsExactly("c1", "c2", "a1", "a2", "open1", "after-open");

            broker.restart();

            assertThat(read(broker.bootstrapServers(), "read_committed", 6)).as("after the restart")
                    .containsExactly("c1", "c2");
            try (TransactionWriter writer = new TransactionWriter(broker.bootstrapServers(), LEDGER_0, 1)) {
                assertThat(writer.marker(OPEN, true)).isEqualTo(Errors.NONE);       // 8
            }
            assertThat(read(broker.bootstrapServers(), "read_committed", 9))
                    .containsExactly("c1", "c2", "open1", "after-open");
        }
    }

    /**
     * Every record a consumer of {@code isolation} reads of ledger-0 from the start until its position reaches
     * {@code end}, where it must stay: a read_committed consumer stops at the last stable offset.
     */
    static List<String> read(String bootstrap, String isolation, long end) {
        List<String> values = new ArrayList<>();
        Map<String, Object> settings = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(settings)) {
            consumer.assign(List.of(LEDGER_0));
            consumer.seekToBeginning(List.of(LEDGER_0));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    values.add(record.value());
                }
                return consumer.position(LEDGER_0) >= end;
            });
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                values.add(record.value());
            }
            assertThat(consumer.position(LEDGER_0)).isEqualTo(end);
        }
        return values;
    }
}

package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker of a transaction coordinator is killed with SIGKILL between PrepareCommit (or PrepareAbort) and the
 * markers, in a cluster of three brokers in three JVMs: the transaction writes to a partition whose only replica is on
 * another broker, which is killed first, so that the end of the transaction is prepared (the producer's
 * {@code commitTransaction} or {@code abortTransaction} returns) but its marker cannot be written. Then the
 * coordinator's broker is killed too. Both start again; the coordinator of {@code __transaction_state} finds the
 * transaction prepared, writes the marker and completes it, and a read_committed consumer reads the transaction's
 * records if it was committed, none if it was aborted, up to a last stable offset past the marker.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PreparedCommitRecoveryTest {

    private static final String TX = "recovering-tx";
    private static final String TOPIC = "orders";
    private static final TopicPartition ORDERS_0 = new TopicPartition(TOPIC, 0);
    private static final int RECORDS = 10;

    @TempDir
    Path dir;

    private BrokerProcesses brokers;

    private static void phase(String what) {
        System.err.println(java.time.LocalTime.now() + " prepared-commit: " + what);
    }

    @AfterEach
    void killAll() {
        if (brokers != null) {
            brokers.close();
        }
    }

    @Test
    void aCommitPreparedBeforeTheCoordinatorsBrokerIsKilledIsCompletedAfterItsRestart() throws Exception {
        List<String> read = endTransactionAcrossKills(true);
        assertThat(read).as("the transaction's records, read_committed").hasSize(RECORDS);
    }

    @Test
    void anAbortPreparedBeforeTheCoordinatorsBrokerIsKilledIsCompletedAfterItsRestart() throws Exception {
        List<String> read = endTransactionAcrossKills(false);
        assertThat(read).as("the aborted transaction's records, read_committed").isEmpty();
    }

    /**
     * Writes a transaction to a partition on one broker, kills that broker, ends the transaction (so that the
     * coordinator prepares and cannot write the marker), kills the coordinator's broker, restarts both, waits for the
     * transaction to complete; what a read_committed consumer then reads of the partition.
     */
    private List<String> endTransactionAcrossKills(boolean commit) throws Exception {
        long seed = System.nanoTime();
        phase("seed " + seed);
        Random random = new Random(seed);
        brokers = new BrokerProcesses(dir, "prepared-commit", 3);
        brokers.startAll(Duration.ofSeconds(90));
        try (Admin admin = brokers.admin();
             KafkaProducer<String, String> producer = transactionalProducer()) {
            producer.initTransactions();
            int coordinator = describe(admin).coordinatorId();
            List<Integer> others = new ArrayList<>(List.of(1, 2, 3));
            others.remove(Integer.valueOf(coordinator));
            int dataBroker = others.get(random.nextInt(others.size()));
            admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(dataBroker)))))
                    .all().get(30, TimeUnit.SECONDS);
            phase("coordinator of " + TX + " on broker " + coordinator + ", " + ORDERS_0 + " on broker "
                    + dataBroker + " alone");

            producer.beginTransaction();
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, "order-" + i, "order-" + i)).get(60, TimeUnit.SECONDS);
            }
            brokers.kill(dataBroker);
            phase("killed broker " + dataBroker + ", which holds the transaction's records");
            if (commit) {
                producer.commitTransaction();
            } else {
                producer.abortTransaction();
            }
            TransactionDescription prepared = describe(admin);
            assertThat(prepared.state()).as("the marker cannot be written")
                    .isEqualTo(commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT);
            long producerId = prepared.producerId();
            phase((commit ? "commit" : "abort") + " prepared for producer id " + producerId);

            brokers.kill(coordinator);
            phase("killed broker " + coordinator + ", the coordinator, with the end of the transaction prepared");
            brokers.start(coordinator);
            brokers.start(dataBroker);
            long restarted = System.nanoTime();
            await("the transaction completed").atMost(Duration.ofSeconds(180)).ignoreExceptions().untilAsserted(() -> {
                TransactionDescription described = describe(admin);
                assertThat(described.state())
                        .isEqualTo(commit ? TransactionState.COMPLETE_COMMIT : TransactionState.COMPLETE_ABORT);
                assertThat(described.producerId()).isEqualTo(producerId);
            });
            phase("transaction completed " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted)
                    + " ms after the restart of brokers " + coordinator + " and " + dataBroker);
        }
        return readCommitted(commit ? RECORDS : 0);
    }

    private KafkaProducer<String, String> transactionalProducer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TX);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 300_000);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static TransactionDescription describe(Admin admin) {
        TransactionDescription[] described = {null};
        await("a description of " + TX).atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            described[0] = admin.describeTransactions(List.of(TX)).description(TX).get(10, TimeUnit.SECONDS);
            return true;
        });
        return described[0];
    }

    /** Reads orders-0 with read_committed to its last stable offset, which is past the marker, expecting that many. */
    private List<String> readCommitted(int expected) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.assign(List.of(ORDERS_0));
            consumer.seekToBeginning(List.of(ORDERS_0));
            assertThat(consumer.endOffsets(List.of(ORDERS_0))).as("the last stable offset, past the marker")
                    .containsEntry(ORDERS_0, (long) RECORDS + 1);
            await("the read_committed consumer at the last stable offset").atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
                return values.size() >= expected && consumer.position(ORDERS_0) >= RECORDS + 1;
            });
        }
        return values;
    }
}

package io.strata.broker.transaction;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;
import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leaders' questions to a transaction coordinator on another broker: AddPartitionsToTxn of the brokers' batched
 * form over a real connection, to add a partition (transaction version 2) or check that it was added (version 1).
 * The verifier under test believes the coordinator is broker 2, reached at the real broker's port.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TransactionVerifierTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    private static final int REMOTE = 2;

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 1));
        broker.createTopic("orders", 2, Map.of());
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static TransactionVerifier remoteVerifier() {
        String[] hostAndPort = broker.bootstrapServers().split(",")[0].split(":");
        Endpoint endpoint = new Endpoint("PLAINTEXT", SecurityProtocol.PLAINTEXT, hostAndPort[0],
                Integer.parseInt(hostAndPort[1]));
        return new TransactionVerifier(broker.server().transactionCoordinator(), id -> REMOTE,
                id -> id == REMOTE ? endpoint : null, 1, Executors.defaultThreadFactory(), 10_000);
    }

    /** A transactional id with a producer initialised by a real client, and that producer's id and epoch. */
    private static TransactionDescription initialised(String transactionalId) throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId));
             Admin admin = broker.admin()) {
            producer.initTransactions();
            return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                    .get(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRemoteCoordinatorAddsThePartitionAndThenConfirmsIt() throws Exception {
        TransactionDescription producer = initialised("remote-add-tx");
        try (TransactionVerifier verifier = remoteVerifier()) {
            assertThat(verifier.verify("remote-add-tx", producer.producerId(), (short) producer.producerEpoch(),
                    Set.of(ORDERS_0), false).get(30, TimeUnit.SECONDS))
                    .as("not added yet").containsExactly(Map.entry(ORDERS_0, Errors.INVALID_TXN_STATE));

            assertThat(verifier.verify("remote-add-tx", producer.producerId(), (short) producer.producerEpoch(),
                    Set.of(ORDERS_0), true).get(30, TimeUnit.SECONDS))
                    .containsExactly(Map.entry(ORDERS_0, Errors.NONE));

            assertThat(verifier.verify("remote-add-tx", producer.producerId(), (short) producer.producerEpoch(),
                    Set.of(ORDERS_0, ORDERS_1), false).get(30, TimeUnit.SECONDS))
                    .containsEntry(ORDERS_0, Errors.NONE).containsEntry(ORDERS_1, Errors.INVALID_TXN_STATE);
        }
    }

    @Test
    void aRemoteCoordinatorFencesAnOldEpochAndKnowsNoStrangers() throws Exception {
        TransactionDescription producer = initialised("remote-fence-tx");
        try (TransactionVerifier verifier = remoteVerifier()) {
            assertThat(verifier.verify("remote-fence-tx", producer.producerId(),
                    (short) (producer.producerEpoch() - 1), Set.of(ORDERS_0), true).get(30, TimeUnit.SECONDS))
                    .containsExactly(Map.entry(ORDERS_0, Errors.PRODUCER_FENCED));
            assertThat(verifier.verify("remote-fence-tx", producer.producerId() + 1_000,
                    (short) producer.producerEpoch(), Set.of(ORDERS_0), true).get(30, TimeUnit.SECONDS))
                    .containsExactly(Map.entry(ORDERS_0, Errors.INVALID_PRODUCER_ID_MAPPING));
        }
    }

    @Test
    void anUnreachableCoordinatorIsAnsweredAsNotAvailable() throws Exception {
        try (TransactionVerifier verifier = new TransactionVerifier(broker.server().transactionCoordinator(),
                id -> REMOTE, id -> null, 1, Executors.defaultThreadFactory(), 10_000)) {
            assertThat(verifier.verify("nowhere-tx", 1, (short) 0, Set.of(ORDERS_0), true)
                    .get(30, TimeUnit.SECONDS)).containsExactly(Map.entry(ORDERS_0, Errors.COORDINATOR_NOT_AVAILABLE));
        }
    }
}

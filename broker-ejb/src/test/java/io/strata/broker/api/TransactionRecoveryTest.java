package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.DescribeTransactionsResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker stops between PrepareCommit and the markers: the coordinator writes PrepareCommit on a broker whose
 * markers cannot go out (the broker core without a listener, its endpoint a closed port), which then stops. The
 * broker started again on the same data, with its listener, loads {@code __transaction_state}, finds the transaction
 * prepared, sends its markers and completes the commit.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransactionRecoveryTest {

    private static final String TX = "recovering-tx";
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    @TempDir
    Path dir;

    @Test
    void aCommitPreparedBeforeAStopIsCompletedAfterTheRestart() throws Exception {
        long producerId = prepareCommitThatCannotSendItsMarkers();

        try (TestBroker restarted = restart(); Admin admin = restarted.admin()) {
            awaitCompleteCommit(admin, producerId);
        }
    }

    @Test
    void theResumedMarkerIsWrittenToTheTransactionsPartition() throws Exception {
        long producerId = prepareCommitThatCannotSendItsMarkers();

        try (TestBroker restarted = restart(); Admin admin = restarted.admin()) {
            awaitCompleteCommit(admin, producerId);
            assertThat(admin.listOffsets(Map.of(ORDERS_0, OffsetSpec.latest())).all().get(10, TimeUnit.SECONDS)
                    .get(ORDERS_0).offset()).as("the commit marker's control batch").isEqualTo(1L);
        }
    }

    /** Writes PrepareCommit for a transaction on orders-0 with the broker core alone, and stops it; its producer id. */
    private long prepareCommitThatCannotSendItsMarkers() throws Exception {
        try (HandlerFixture stopping = HandlerFixture.start(dir, Map.of(BrokerConfig.LISTENERS,
                "PLAINTEXT://127.0.0.1:1"))) {
            stopping.createTopic("orders", 1);
            stopping.awaitTransactionCoordinator(TX);
            InitProducerIdResponseData producer = stopping.send(new InitProducerIdRequest.Builder(
                    new InitProducerIdRequestData().setTransactionalId(TX).setTransactionTimeoutMs(60_000)),
                    InitProducerIdResponse.class).data();
            AddPartitionsToTxnResponse added = stopping.send(AddPartitionsToTxnRequest.Builder.forClient(TX,
                    producer.producerId(), producer.producerEpoch(), List.of(ORDERS_0)),
                    AddPartitionsToTxnResponse.class);
            assertThat(added.errors().get(AddPartitionsToTxnResponse.V3_AND_BELOW_TXN_ID)).containsValue(Errors.NONE);
            EndTxnResponse ended = stopping.send(new EndTxnRequest.Builder(new EndTxnRequestData()
                    .setTransactionalId(TX).setProducerId(producer.producerId())
                    .setProducerEpoch(producer.producerEpoch()).setCommitted(true), false), EndTxnResponse.class);
            assertThat(Errors.forCode(ended.data().errorCode())).isEqualTo(Errors.NONE);
            assertThat(stopping.send(new DescribeTransactionsRequest.Builder(new DescribeTransactionsRequestData()
                    .setTransactionalIds(List.of(TX))), DescribeTransactionsResponse.class).data()
                    .transactionStates().get(0).transactionState()).as("the markers cannot go out")
                    .isEqualTo("PrepareCommit");
            return producer.producerId();
        }
    }

    /** A full broker, with its listener, on the same data. */
    private TestBroker restart() {
        return TestBroker.start(dir, Map.of(BrokerConfig.NODE_ID, 1,
                BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 1, BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1));
    }

    private static void awaitCompleteCommit(Admin admin, long producerId) {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            TransactionDescription described = admin.describeTransactions(List.of(TX)).description(TX)
                    .get(10, TimeUnit.SECONDS);
            assertThat(described.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
            assertThat(described.producerId()).isEqualTo(producerId);
        });
    }
}

package io.strata.broker.api;

import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** InitProducerId through the real handler and controller's id blocks, without sockets. */
@Timeout(60)
class InitProducerIdHandlerTest {

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void eachIdempotentProducerGetsADistinctIdAtEpochZero() throws Exception {
        InitProducerIdResponseData first = initProducerId(null);
        InitProducerIdResponseData second = initProducerId(null);

        assertThat(Errors.forCode(first.errorCode())).isEqualTo(Errors.NONE);
        assertThat(first.producerId()).isNotNegative();
        assertThat(first.producerEpoch()).isZero();
        assertThat(second.producerId()).isNotEqualTo(first.producerId());
    }

    @Test
    void aTransactionalProducerGetsAnIdAndEachInitBumpsItsEpoch() throws Exception {
        broker.awaitTransactionCoordinator("payments-tx");
        InitProducerIdResponseData first = initProducerId("payments-tx");
        InitProducerIdResponseData second = initProducerId("payments-tx");

        assertThat(Errors.forCode(first.errorCode())).isEqualTo(Errors.NONE);
        assertThat(first.producerId()).isNotNegative();
        assertThat(first.producerEpoch()).isZero();
        assertThat(second.producerId()).isEqualTo(first.producerId());
        assertThat(second.producerEpoch()).isEqualTo((short) 1);
    }

    @Test
    void aTransactionTimeoutAboveTheMaximumIsRefused() throws Exception {
        broker.awaitTransactionCoordinator("slow-tx");
        InitProducerIdResponseData response = broker.send(new InitProducerIdRequest.Builder(
                new InitProducerIdRequestData().setTransactionalId("slow-tx").setTransactionTimeoutMs(900_001)),
                InitProducerIdResponse.class).data();

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(response.producerId()).isEqualTo(-1);
    }

    private InitProducerIdResponseData initProducerId(String transactionalId) throws Exception {
        return broker.send(new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                .setTransactionalId(transactionalId).setTransactionTimeoutMs(60_000)), InitProducerIdResponse.class)
                .data();
    }
}

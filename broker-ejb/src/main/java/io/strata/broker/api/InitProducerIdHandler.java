package io.strata.broker.api;

import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.transaction.TransactionCoordinator;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;

/**
 * InitProducerId: for an idempotent producer (no transactional id) a new producer id at epoch 0; for a transactional
 * one, the {@link TransactionCoordinator}'s answer (a new id or a bumped epoch, fencing older producers of the same
 * transactional id). Two-phase commit (KIP-939, version 6) is refused with INVALID_REQUEST. Thread-safe.
 */
final class InitProducerIdHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final ProducerIdManager producerIds;
    private final TransactionCoordinator transactions;

    InitProducerIdHandler(RequestChannel requestChannel, ProducerIdManager producerIds,
                          TransactionCoordinator transactions) {
        this.requestChannel = requestChannel;
        this.producerIds = producerIds;
        this.transactions = transactions;
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        InitProducerIdRequestData data = ((InitProducerIdRequest) body).data();
        short version = request.context().apiVersion();
        if (data.transactionalId() == null) {
            requestChannel.sendResponse(request, new InitProducerIdResponse(new InitProducerIdResponseData()
                    .setProducerId(producerIds.nextProducerId()).setProducerEpoch((short) 0)));
            return;
        }
        if (data.enable2Pc() || data.keepPreparedTxn()) {
            respond(request, Errors.INVALID_REQUEST, -1, (short) -1);
            return;
        }
        transactions.initProducerId(data.transactionalId(), data.transactionTimeoutMs(), data.producerId(),
                data.producerEpoch()).thenAccept(result -> respond(request,
                        TransactionHandlers.fenced(result.error(), version, (short) 4), result.producerId(),
                        result.producerEpoch()));
    }

    private void respond(Request request, Errors error, long producerId, short epoch) {
        requestChannel.sendResponse(request, new InitProducerIdResponse(new InitProducerIdResponseData()
                .setErrorCode(error.code()).setProducerId(error == Errors.NONE ? producerId : -1)
                .setProducerEpoch(error == Errors.NONE ? epoch : -1)));
    }
}

package io.strata.broker.api;

import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.transaction.TransactionCoordinator;
import io.strata.broker.transaction.TransactionCoordinator.InitResult;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;

/**
 * InitProducerId: for an idempotent producer (no transactional id) a new producer id at epoch 0; for a transactional
 * one, the {@link TransactionCoordinator}'s answer (a new id or a bumped epoch, fencing older producers of the same
 * transactional id). Version 6 (KIP-939): {@code KeepPreparedTxn} keeps a transaction prepared with Strata's prepare
 * tag and answers its producer id and epoch (also as {@code OngoingTxnProducerId/Epoch}); it needs
 * {@code Enable2Pc}, and a transactional id, else INVALID_REQUEST. {@code Enable2Pc} alone changes nothing: every
 * transaction of Strata may be prepared. Thread-safe.
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
        if (data.keepPreparedTxn() && !data.enable2Pc()) {
            respond(request, new InitResult(Errors.INVALID_REQUEST, -1, (short) -1, -1, (short) -1));
            return;
        }
        transactions.initProducerId(data.transactionalId(), data.transactionTimeoutMs(), data.producerId(),
                data.producerEpoch(), data.keepPreparedTxn()).thenAccept(result -> respond(request,
                        new InitResult(TransactionHandlers.fenced(result.error(), version, (short) 4),
                                result.producerId(), result.producerEpoch(), result.ongoingProducerId(),
                                result.ongoingProducerEpoch())));
    }

    private void respond(Request request, InitResult result) {
        boolean ok = result.error() == Errors.NONE;
        requestChannel.sendResponse(request, new InitProducerIdResponse(new InitProducerIdResponseData()
                .setErrorCode(result.error().code()).setProducerId(ok ? result.producerId() : -1)
                .setProducerEpoch(ok ? result.producerEpoch() : -1)
                .setOngoingTxnProducerId(ok ? result.ongoingProducerId() : -1)
                .setOngoingTxnProducerEpoch(ok ? result.ongoingProducerEpoch() : -1)));
    }
}

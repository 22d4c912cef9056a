package io.strata.broker.api;

import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.producer.ProducerIdManager;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;

/**
 * InitProducerId for idempotent producers: a new producer id at epoch 0. Transactional ids are refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED and a message saying transactions are not supported yet, so that a
 * transactional producer fails at once rather than retrying.
 */
final class InitProducerIdHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final ProducerIdManager producerIds;

    InitProducerIdHandler(RequestChannel requestChannel, ProducerIdManager producerIds) {
        this.requestChannel = requestChannel;
        this.producerIds = producerIds;
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        InitProducerIdRequestData data = ((InitProducerIdRequest) body).data();
        InitProducerIdResponseData response = new InitProducerIdResponseData();
        if (data.transactionalId() != null) {
            response.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()).setProducerId(-1)
                    .setProducerEpoch((short) -1);
        } else {
            response.setProducerId(producerIds.nextProducerId()).setProducerEpoch((short) 0);
        }
        requestChannel.sendResponse(request, new InitProducerIdResponse(response));
    }
}

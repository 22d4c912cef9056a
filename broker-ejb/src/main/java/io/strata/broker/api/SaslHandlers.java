package io.strata.broker.api;

import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;

/**
 * SaslHandshake and SaslAuthenticate as they reach the request threads: on a SASL listener only after the connection
 * authenticated (before, the network layer answers them, {@link io.strata.broker.security.ListenerAuthentication}),
 * on a PLAINTEXT listener always. Either way there is nothing to authenticate, so both are answered
 * ILLEGAL_SASL_STATE, as Kafka answers them.
 *
 * <p>Stateless; thread-safe.
 */
final class SaslHandlers {

    private final RequestChannel requestChannel;

    SaslHandlers(RequestChannel requestChannel) {
        this.requestChannel = requestChannel;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.SASL_HANDSHAKE, (request, body) -> handshake(request))
                .register(ApiKeys.SASL_AUTHENTICATE, (request, body) -> authenticate(request));
    }

    private void handshake(Request request) {
        requestChannel.sendResponse(request, new SaslHandshakeResponse(new SaslHandshakeResponseData()
                .setErrorCode(Errors.ILLEGAL_SASL_STATE.code())));
    }

    private void authenticate(Request request) {
        requestChannel.sendResponse(request, new SaslAuthenticateResponse(new SaslAuthenticateResponseData()
                .setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                .setErrorMessage(request.context().securityProtocol.name.startsWith("SASL")
                        ? "SaslAuthenticate request received after successful authentication"
                        : "listener " + request.context().listenerName() + " is "
                        + request.context().securityProtocol.name + ": it does not authenticate")));
    }
}

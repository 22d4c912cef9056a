package io.strata.broker.api;

import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;

/**
 * ApiVersions: the APIs and versions Strata implements, and (version 3 and later) its features: {@code
 * transaction.version} supported up to 2 and finalized at 2, which makes kafka-clients 4 use transaction protocol
 * version 2 (KIP-890); older clients, and requests of older versions, keep to version 1. A client asking with a
 * version newer than any known gets the version 0 answer with UNSUPPORTED_VERSION and the list, from which it picks
 * a version both sides know. Strata's protocol extensions are listed among the supported features as
 * {@code strata.<name>}, those of the APIs this broker serves ({@link StrataExtensions}).
 */
final class ApiVersionsHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final java.util.Set<org.apache.kafka.common.protocol.ApiKeys> withheld;

    ApiVersionsHandler(RequestChannel requestChannel) {
        this(requestChannel, java.util.Set.of());
    }

    /** @param withheld implemented APIs this broker does not serve, as it was built without what they need */
    ApiVersionsHandler(RequestChannel requestChannel, java.util.Set<org.apache.kafka.common.protocol.ApiKeys> withheld) {
        this.requestChannel = requestChannel;
        this.withheld = java.util.Set.copyOf(withheld);
    }

    /** The answer to a valid ApiVersions request, the same at every version. */
    ApiVersionsResponse response() {
        return new ApiVersionsResponse(data());
    }

    private ApiVersionsResponseData data() {
        return new ApiVersionsResponseData().setApiKeys(SupportedApis.apiVersions(withheld))
                .setSupportedFeatures(SupportedApis.supportedFeatures(withheld))
                .setFinalizedFeaturesEpoch(SupportedApis.FINALIZED_FEATURES_EPOCH)
                .setFinalizedFeatures(SupportedApis.finalizedFeatures());
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        ApiVersionsRequest apiVersions = (ApiVersionsRequest) body;
        ApiVersionsResponseData data = data();
        if (apiVersions.hasUnsupportedRequestVersion()) {
            data.setErrorCode(Errors.UNSUPPORTED_VERSION.code());
        } else if (!apiVersions.isValid()) {
            data.setErrorCode(Errors.INVALID_REQUEST.code());
        }
        requestChannel.sendResponse(request, new ApiVersionsResponse(data));
    }
}

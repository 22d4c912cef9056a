package io.strata.broker.api;

import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Routes each request to its handler. A request for an API or version Strata does not implement is answered with that
 * API's own UNSUPPORTED_VERSION response; one whose body cannot be decoded closes the connection, as Kafka does; a
 * handler that fails unexpectedly answers UNKNOWN_SERVER_ERROR. The broker keeps serving everyone else.
 *
 * <p>Thread-safe: request threads call it concurrently.
 */
public final class ApiDispatcher {

    private static final System.Logger LOG = System.getLogger(ApiDispatcher.class.getName());

    private final RequestChannel requestChannel;
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    private final BiConsumer<ApiKeys, Long> latencyObserver;

    public ApiDispatcher(RequestChannel requestChannel, BiConsumer<ApiKeys, Long> latencyObserver) {
        this.requestChannel = requestChannel;
        this.latencyObserver = latencyObserver;
    }

    public ApiDispatcher register(ApiKeys key, ApiHandler handler) {
        if (!SupportedApis.isImplemented(key)) {
            throw new IllegalArgumentException(key + " is not among the implemented APIs");
        }
        handlers.put(key, handler);
        return this;
    }

    /** Checks that every API advertised has a handler: a gap would be a hang for the client. */
    public void checkComplete() {
        checkComplete(java.util.Set.of());
    }

    /** Checks that every API advertised but {@code withheld} (not advertised by this broker) has a handler. */
    public void checkComplete(java.util.Set<ApiKeys> withheld) {
        for (ApiKeys key : SupportedApis.implemented()) {
            if (!handlers.containsKey(key) && !withheld.contains(key)) {
                throw new IllegalStateException("no handler for advertised API " + key);
            }
        }
    }

    public void dispatch(Request request) {
        ApiKeys key = request.context().header.apiKey();
        AbstractRequest body;
        try {
            body = request.parse();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Closing the connection of {0}: {1}", request, rootMessage(e));
            request.release();
            requestChannel.closeConnection(request);
            return;
        }
        try {
            ApiHandler handler = handlers.get(key);
            short version = request.context().header.apiVersion();
            if (handler == null || (key != ApiKeys.API_VERSIONS && !SupportedApis.isSupported(key, version))) {
                respondWithError(request, body, new UnsupportedVersionException("Strata does not implement "
                        + key + " version " + version));
                return;
            }
            handler.handle(request, body);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Handling " + request + " failed", e);
            respondWithError(request, body, e);
        } finally {
            request.release();
            latencyObserver.accept(key, System.nanoTime() - request.receivedNanos());
        }
    }

    private void respondWithError(Request request, AbstractRequest body, Throwable error) {
        AbstractResponse response;
        try {
            response = body.getErrorResponse(error);
        } catch (RuntimeException e) {
            requestChannel.closeConnection(request);
            return;
        }
        if (response == null) {
            requestChannel.noResponse(request);
        } else {
            requestChannel.sendResponse(request, response);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return e.getMessage() + (root != e ? " (" + root + ")" : "");
    }
}

package io.strata.broker.api;

import io.strata.broker.network.Request;
import org.apache.kafka.common.requests.AbstractRequest;

/** Handles one kind of request and sends its response (now, or later for requests that wait). */
@FunctionalInterface
public interface ApiHandler {
    void handle(Request request, AbstractRequest body);
}

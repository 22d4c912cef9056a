package io.strata.broker.cluster;

import io.strata.broker.config.Endpoint;

import java.util.List;

/** A live broker: its id, the endpoints it advertises (one per listener) and its rack, if any. Immutable. */
public record BrokerInfo(int id, List<Endpoint> endpoints, String rack) {

    public BrokerInfo {
        endpoints = List.copyOf(endpoints);
    }

    /** The endpoint advertised for {@code listenerName}, or {@code null}. */
    public Endpoint endpoint(String listenerName) {
        for (Endpoint endpoint : endpoints) {
            if (endpoint.listenerName().equals(listenerName)) {
                return endpoint;
            }
        }
        return null;
    }
}

package io.strata.broker.replication;

import io.strata.broker.config.BrokerConfig;

/** How followers fetch: Kafka's {@code replica.*} settings. Immutable. */
public record ReplicationSettings(int fetchMaxBytes, int fetchResponseMaxBytes, int fetchWaitMaxMs, int backoffMs,
                                  int socketTimeoutMs) {

    public static ReplicationSettings of(BrokerConfig config) {
        return new ReplicationSettings(config.replicaFetchMaxBytes, config.replicaFetchResponseMaxBytes,
                config.replicaFetchWaitMaxMs, config.replicaFetchBackoffMs,
                Math.max(config.replicaSocketTimeoutMs, config.replicaFetchWaitMaxMs + 5000));
    }
}

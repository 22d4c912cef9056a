package io.strata.broker.replication;

import io.strata.broker.config.BrokerConfig;

/**
 * How followers fetch: Kafka's {@code replica.*} settings, and the address their connections leave from
 * ({@code cluster.host}; empty for the one the system picks). Immutable.
 */
public record ReplicationSettings(int fetchMaxBytes, int fetchResponseMaxBytes, int fetchWaitMaxMs, int backoffMs,
                                  int socketTimeoutMs, String localAddress) {

    public static ReplicationSettings of(BrokerConfig config) {
        return new ReplicationSettings(config.replicaFetchMaxBytes, config.replicaFetchResponseMaxBytes,
                config.replicaFetchWaitMaxMs, config.replicaFetchBackoffMs,
                Math.max(config.replicaSocketTimeoutMs, config.replicaFetchWaitMaxMs + 5000),
                config.clusterHost);
    }
}

package io.strata.broker.cluster;

import java.util.List;

/**
 * Which brokers are alive and which of them is the controller. A cluster of one answers with itself; a Hazelcast
 * cluster answers from its membership. Implementations are thread-safe.
 */
public interface ClusterMembership {

    /** This broker. */
    BrokerInfo local();

    /** The live brokers, in id order. */
    List<BrokerInfo> liveBrokers();

    /**
     * The brokers a Metadata response names, for clients to connect to: the live ones, except on a broker that sees
     * fewer than a majority of the brokers it has known live, which names every one of them. Such a broker is likely
     * cut off from the others; were it to name only itself, the clients on its side of the split would forget every
     * other broker and keep asking it, whose metadata is stale, instead of finding the majority's new leaders.
     */
    default List<BrokerInfo> brokersForClients() {
        return liveBrokers();
    }

    /** The id of the broker acting as controller. */
    int controllerId();
}

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

    /** The id of the broker acting as controller. */
    int controllerId();
}

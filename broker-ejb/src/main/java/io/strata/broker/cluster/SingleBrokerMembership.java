package io.strata.broker.cluster;

import java.util.List;
import java.util.function.Supplier;

/**
 * A cluster of one: this broker is the only live broker and the controller. Its endpoints are read when asked, so a
 * listener bound to port 0 is advertised with the port it got. Thread-safe.
 */
public final class SingleBrokerMembership implements ClusterMembership {

    private final Supplier<BrokerInfo> local;

    public SingleBrokerMembership(Supplier<BrokerInfo> local) {
        this.local = local;
    }

    @Override
    public BrokerInfo local() {
        return local.get();
    }

    @Override
    public List<BrokerInfo> liveBrokers() {
        return List.of(local.get());
    }

    @Override
    public int controllerId() {
        return local.get().id();
    }
}

package io.strata.broker.local;

import java.util.Map;

/** A topic: name, id, partition count, replication factor and the settings it overrides. Immutable. */
public record TopicInfo(String name, String id, int partitions, int replicationFactor, Map<String, String> configs) {

    public TopicInfo {
        configs = Map.copyOf(configs);
    }
}

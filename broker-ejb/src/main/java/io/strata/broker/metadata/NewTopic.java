package io.strata.broker.metadata;

import java.util.List;
import java.util.Map;

/**
 * A topic to create, as CreateTopics asks for it. Immutable.
 *
 * @param numPartitions     partitions, or -1 for the broker's {@code num.partitions}
 * @param replicationFactor replicas, or -1 for {@code default.replication.factor}
 * @param assignments       replicas by partition, if the client chose them; then both counts are -1
 * @param configs           topic settings that differ from the broker's defaults
 */
public record NewTopic(String name, int numPartitions, short replicationFactor,
                       Map<Integer, List<Integer>> assignments, Map<String, String> configs) {

    public NewTopic {
        assignments = Map.copyOf(assignments);
        configs = Map.copyOf(configs);
    }

    public static NewTopic of(String name, int numPartitions, short replicationFactor) {
        return new NewTopic(name, numPartitions, replicationFactor, Map.of(), Map.of());
    }
}

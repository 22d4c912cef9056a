package io.strata.broker.metadata;

import org.apache.kafka.common.Uuid;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic as the cluster knows it: its name, its stable id (newer requests address topics by id), its partitions'
 * assignments (index = partition number), the settings it overrides, and whether it is internal (such as
 * {@code __consumer_offsets}, which clients may read but not write or delete). Immutable.
 */
public record TopicImage(String name, Uuid id, List<PartitionAssignment> partitions, Map<String, String> configs,
                         boolean internal) {

    public TopicImage {
        partitions = List.copyOf(partitions);
        configs = Map.copyOf(configs);
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("topic " + name + " needs at least one partition");
        }
    }

    public int partitionCount() {
        return partitions.size();
    }

    public PartitionAssignment partition(int partition) {
        return partition >= 0 && partition < partitions.size() ? partitions.get(partition) : null;
    }

    public TopicImage withPartitions(List<PartitionAssignment> newPartitions) {
        return new TopicImage(name, id, newPartitions, configs, internal);
    }

    public TopicImage withConfigs(Map<String, String> newConfigs) {
        return new TopicImage(name, id, partitions, new TreeMap<>(newConfigs), internal);
    }
}

package io.strata.broker.group;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The committed offsets of the groups of one {@code __consumer_offsets} partition, for groups of every kind: only
 * offsets whose records the in-sync replicas have (the coordinator adds them once their write is committed), so a read
 * never shows an offset that a failover could lose.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
final class OffsetStore {

    private final Map<String, Map<TopicPartition, OffsetAndMetadata>> byGroup = new HashMap<>();

    void put(String groupId, TopicPartition partition, OffsetAndMetadata offset) {
        byGroup.computeIfAbsent(groupId, id -> new LinkedHashMap<>()).put(partition, offset);
    }

    void putAll(String groupId, Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (!offsets.isEmpty()) {
            byGroup.computeIfAbsent(groupId, id -> new LinkedHashMap<>()).putAll(offsets);
        }
    }

    void remove(String groupId, TopicPartition partition) {
        Map<TopicPartition, OffsetAndMetadata> offsets = byGroup.get(groupId);
        if (offsets != null) {
            offsets.remove(partition);
            if (offsets.isEmpty()) {
                byGroup.remove(groupId);
            }
        }
    }

    void removeAll(String groupId, Collection<TopicPartition> partitions) {
        partitions.forEach(partition -> remove(groupId, partition));
    }

    void removeGroup(String groupId) {
        byGroup.remove(groupId);
    }

    OffsetAndMetadata get(String groupId, TopicPartition partition) {
        Map<TopicPartition, OffsetAndMetadata> offsets = byGroup.get(groupId);
        return offsets == null ? null : offsets.get(partition);
    }

    /** The group's offsets; a copy. */
    Map<TopicPartition, OffsetAndMetadata> offsets(String groupId) {
        Map<TopicPartition, OffsetAndMetadata> offsets = byGroup.get(groupId);
        return offsets == null ? new LinkedHashMap<>() : new LinkedHashMap<>(offsets);
    }

    boolean hasOffsets(String groupId) {
        return byGroup.containsKey(groupId);
    }

    Set<String> groupIds() {
        return byGroup.keySet();
    }

    int size() {
        int size = 0;
        for (Map<TopicPartition, OffsetAndMetadata> offsets : byGroup.values()) {
            size += offsets.size();
        }
        return size;
    }
}

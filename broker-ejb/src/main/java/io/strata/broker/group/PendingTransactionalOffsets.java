package io.strata.broker.group;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Offsets committed by transactional producers (TxnOffsetCommit) in transactions not yet ended, by producer id, then
 * group, then partition: Kafka's pending transactional offsets. The marker of the transaction for this
 * {@code __consumer_offsets} partition either makes them committed offsets or drops them; until then an OffsetFetch
 * that requires stable offsets is answered UNSTABLE_OFFSET_COMMIT for their partitions.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
final class PendingTransactionalOffsets {

    private final Map<Long, Map<String, Map<TopicPartition, OffsetAndMetadata>>> byProducer = new HashMap<>();

    void put(long producerId, String groupId, TopicPartition partition, OffsetAndMetadata offset) {
        byProducer.computeIfAbsent(producerId, id -> new LinkedHashMap<>())
                .computeIfAbsent(groupId, id -> new LinkedHashMap<>()).put(partition, offset);
    }

    void remove(long producerId, String groupId, TopicPartition partition) {
        Map<String, Map<TopicPartition, OffsetAndMetadata>> groups = byProducer.get(producerId);
        if (groups == null) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = groups.get(groupId);
        if (offsets != null) {
            offsets.remove(partition);
            if (offsets.isEmpty()) {
                groups.remove(groupId);
            }
        }
        if (groups.isEmpty()) {
            byProducer.remove(producerId);
        }
    }

    /** The producer's pending offsets by group; a copy. */
    Map<String, Map<TopicPartition, OffsetAndMetadata>> ofProducer(long producerId) {
        Map<String, Map<TopicPartition, OffsetAndMetadata>> copy = new LinkedHashMap<>();
        byProducer.getOrDefault(producerId, Map.of()).forEach((group, offsets) ->
                copy.put(group, new LinkedHashMap<>(offsets)));
        return copy;
    }

    void removeProducer(long producerId) {
        byProducer.remove(producerId);
    }

    /** Whether any open transaction holds an offset of the group for {@code partition}. */
    boolean isPending(String groupId, TopicPartition partition) {
        for (Map<String, Map<TopicPartition, OffsetAndMetadata>> groups : byProducer.values()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = groups.get(groupId);
            if (offsets != null && offsets.containsKey(partition)) {
                return true;
            }
        }
        return false;
    }

    /** The group's partitions with a pending offset among {@code partitions} (every one of the group's if null). */
    java.util.Set<TopicPartition> pendingPartitions(String groupId, Collection<TopicPartition> partitions) {
        java.util.Set<TopicPartition> pending = new java.util.LinkedHashSet<>();
        for (Map<String, Map<TopicPartition, OffsetAndMetadata>> groups : byProducer.values()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = groups.get(groupId);
            if (offsets == null) {
                continue;
            }
            for (TopicPartition tp : offsets.keySet()) {
                if (partitions == null || partitions.contains(tp)) {
                    pending.add(tp);
                }
            }
        }
        return pending;
    }

    boolean hasGroup(String groupId) {
        for (Map<String, Map<TopicPartition, OffsetAndMetadata>> groups : byProducer.values()) {
            if (groups.containsKey(groupId)) {
                return true;
            }
        }
        return false;
    }

    int size() {
        int size = 0;
        for (Map<String, Map<TopicPartition, OffsetAndMetadata>> groups : byProducer.values()) {
            for (Map<TopicPartition, OffsetAndMetadata> offsets : groups.values()) {
                size += offsets.size();
            }
        }
        return size;
    }
}

package io.strata.jms.share;

import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareFetchRequestData;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * Acknowledgements to send, by partition and offset: the type of each offset (0 a gap, then Kafka's
 * {@link AcknowledgeType} ids), the last one given for an offset counting. Written as Kafka's acknowledgement
 * batches: one batch per run of consecutive offsets, with one type when the whole run has it (as Kafka's share
 * consumer compacts them) and a type per offset otherwise.
 *
 * <p>Not thread-safe: owned by one thread (the network thread, or a caller building a request).
 */
final class Acknowledgements {

    /** The type of a gap: an acquired offset without a record. */
    static final byte GAP = 0;

    private final Map<TopicIdPartition, TreeMap<Long, Byte>> byPartition = new LinkedHashMap<>();
    private int size;

    void add(TopicIdPartition topicPartition, long offset, byte type) {
        if (byPartition.computeIfAbsent(topicPartition, tp -> new TreeMap<>()).put(offset, type) == null) {
            size++;
        }
    }

    void addAll(Acknowledgements other) {
        other.byPartition.forEach((tp, offsets) -> offsets.forEach((offset, type) -> add(tp, offset, type)));
    }

    /** Removes and returns the acknowledgements of one partition (empty when none). */
    Acknowledgements remove(TopicIdPartition topicPartition) {
        Acknowledgements removed = new Acknowledgements();
        TreeMap<Long, Byte> offsets = byPartition.remove(topicPartition);
        if (offsets != null) {
            removed.byPartition.put(topicPartition, offsets);
            removed.size = offsets.size();
            size -= offsets.size();
        }
        return removed;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    java.util.Set<TopicIdPartition> partitions() {
        return byPartition.keySet();
    }

    List<Long> offsets(TopicIdPartition topicPartition) {
        TreeMap<Long, Byte> offsets = byPartition.get(topicPartition);
        return offsets == null ? List.of() : new ArrayList<>(offsets.keySet());
    }

    /** Whether any acknowledgement is a RENEW, which needs {@code is_renew_ack} on the request. */
    boolean hasRenew() {
        return byPartition.values().stream().anyMatch(offsets -> offsets.containsValue(AcknowledgeType.RENEW.id));
    }

    Map<TopicIdPartition, List<ShareFetchRequestData.AcknowledgementBatch>> toFetchBatches() {
        return batches((first, last) -> new ShareFetchRequestData.AcknowledgementBatch().setFirstOffset(first)
                .setLastOffset(last), ShareFetchRequestData.AcknowledgementBatch::setAcknowledgeTypes);
    }

    Map<TopicIdPartition, List<ShareAcknowledgeRequestData.AcknowledgementBatch>> toAcknowledgeBatches() {
        return batches((first, last) -> new ShareAcknowledgeRequestData.AcknowledgementBatch().setFirstOffset(first)
                .setLastOffset(last), ShareAcknowledgeRequestData.AcknowledgementBatch::setAcknowledgeTypes);
    }

    private <B> Map<TopicIdPartition, List<B>> batches(BiFunction<Long, Long, B> batch,
                                                      BiFunction<B, List<Byte>, B> withTypes) {
        Map<TopicIdPartition, List<B>> batches = new LinkedHashMap<>();
        byPartition.forEach((tp, offsets) -> {
            List<B> list = new ArrayList<>();
            long first = -1;
            long previous = -1;
            List<Byte> types = new ArrayList<>();
            for (Map.Entry<Long, Byte> entry : offsets.entrySet()) {
                if (first >= 0 && entry.getKey() != previous + 1) {
                    list.add(withTypes.apply(batch.apply(first, previous), compact(types)));
                    types = new ArrayList<>();
                    first = -1;
                }
                if (first < 0) {
                    first = entry.getKey();
                }
                types.add(entry.getValue());
                previous = entry.getKey();
            }
            if (first >= 0) {
                list.add(withTypes.apply(batch.apply(first, previous), compact(types)));
            }
            batches.put(tp, list);
        });
        return batches;
    }

    private static List<Byte> compact(List<Byte> types) {
        return types.stream().distinct().count() == 1 ? List.of(types.get(0)) : types;
    }
}

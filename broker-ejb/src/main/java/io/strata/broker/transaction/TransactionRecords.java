package io.strata.broker.transaction;

import org.apache.kafka.common.TopicPartition;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The record format of {@code __transaction_state}, Kafka's own: the key is {@code TransactionLogKey} version 0 (an
 * int16 record type 0, then the transactional id as an int16-length string), the value {@code TransactionLogValue}
 * version 0 (int16 version 0, producer id int64, producer epoch int16, transaction timeout int32, state int8, the
 * partitions as a nullable int32-counted array of topic string and int32-counted partition ids, last update time
 * int64, start time int64). A tombstone (no value) deletes an expired transactional id.
 *
 * <p>The only class that knows the format. Stateless; thread-safe.
 */
final class TransactionRecords {

    private static final short KEY_TYPE = 0;
    private static final short VALUE_VERSION = 0;
    /** Longest transactional id a key holds: an int16-length string. */
    static final int TRANSACTIONAL_ID_BYTES_MAX = Short.MAX_VALUE;

    private TransactionRecords() {
    }

    /** What one value record says about a transactional id. Immutable; {@code partitions} is unmodifiable. */
    record Stored(long producerId, short producerEpoch, int timeoutMs, TransactionState state,
                  Set<TopicPartition> partitions, long lastUpdateMs, long startMs) {
        Stored {
            partitions = Collections.unmodifiableSet(new LinkedHashSet<>(partitions));
        }
    }

    static byte[] key(String transactionalId) {
        byte[] id = transactionalId.getBytes(StandardCharsets.UTF_8);
        if (id.length > TRANSACTIONAL_ID_BYTES_MAX) {
            throw new IllegalArgumentException("a transactional id of " + id.length + " bytes does not fit a key");
        }
        return ByteBuffer.allocate(2 + 2 + id.length).putShort(KEY_TYPE).putShort((short) id.length).put(id).array();
    }

    /** The transactional id of a key; throws IllegalArgumentException for a key of another type or a torn one. */
    static String decodeKey(byte[] key) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(key);
            short type = buffer.getShort();
            if (type != KEY_TYPE) {
                throw new IllegalArgumentException("unknown __transaction_state key type " + type);
            }
            return getString(buffer);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated __transaction_state key", e);
        }
    }

    static byte[] value(Stored stored) {
        Map<String, List<Integer>> byTopic = byTopic(stored.partitions());
        int size = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
        for (Map.Entry<String, List<Integer>> topic : byTopic.entrySet()) {
            size += 2 + topic.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + 4 * topic.getValue().size();
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putShort(VALUE_VERSION).putLong(stored.producerId()).putShort(stored.producerEpoch())
                .putInt(stored.timeoutMs()).put(stored.state().code());
        buffer.putInt(byTopic.size());
        for (Map.Entry<String, List<Integer>> topic : byTopic.entrySet()) {
            byte[] name = topic.getKey().getBytes(StandardCharsets.UTF_8);
            buffer.putShort((short) name.length).put(name).putInt(topic.getValue().size());
            topic.getValue().forEach(buffer::putInt);
        }
        buffer.putLong(stored.lastUpdateMs()).putLong(stored.startMs());
        if (buffer.hasRemaining()) {
            throw new IllegalStateException("a transaction value sized " + size + " bytes left " + buffer.remaining());
        }
        return buffer.array();
    }

    static Stored decodeValue(byte[] value) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(value);
            short version = buffer.getShort();
            if (version != VALUE_VERSION && version != 1) {
                throw new IllegalArgumentException("unknown __transaction_state value version " + version);
            }
            if (version == 1) {
                throw new IllegalArgumentException("__transaction_state value version 1 (flexible, written by"
                        + " transaction version 2) is not read by this broker");
            }
            long producerId = buffer.getLong();
            short epoch = buffer.getShort();
            int timeoutMs = buffer.getInt();
            TransactionState state = TransactionState.ofCode(buffer.get());
            Set<TopicPartition> partitions = new LinkedHashSet<>();
            int topics = buffer.getInt();
            for (int t = 0; t < topics; t++) {
                String topic = getString(buffer);
                int count = buffer.getInt();
                for (int p = 0; p < count; p++) {
                    partitions.add(new TopicPartition(topic, buffer.getInt()));
                }
            }
            return new Stored(producerId, epoch, timeoutMs, state, partitions, buffer.getLong(), buffer.getLong());
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated __transaction_state value", e);
        }
    }

    private static Map<String, List<Integer>> byTopic(Set<TopicPartition> partitions) {
        Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            byTopic.computeIfAbsent(tp.topic(), topic -> new ArrayList<>()).add(tp.partition());
        }
        return byTopic;
    }

    private static String getString(ByteBuffer buffer) {
        short length = buffer.getShort();
        if (length < 0) {
            throw new IllegalArgumentException("a null string where a string is required");
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}

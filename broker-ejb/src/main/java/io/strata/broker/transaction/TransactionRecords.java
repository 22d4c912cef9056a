package io.strata.broker.transaction;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.ByteUtils;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
    private static final short VALUE_VERSION_FLEXIBLE = 1;
    private static final int TAG_PREVIOUS_PRODUCER_ID = 0;
    private static final int TAG_NEXT_PRODUCER_ID = 1;
    private static final int TAG_CLIENT_TRANSACTION_VERSION = 2;
    /** More tagged fields than Kafka defines is a damaged record, not a newer one worth skipping through. */
    private static final int TAGGED_FIELDS_MAX = 64;
    /** Longest transactional id a key holds: an int16-length string. */
    static final int TRANSACTIONAL_ID_BYTES_MAX = Short.MAX_VALUE;

    private TransactionRecords() {
    }

    /**
     * What one value record says about a transactional id. {@code previousProducerId} and {@code nextProducerId} are
     * -1 unless an epoch exhaustion under transaction version 2 is moving the id to a new producer id; {@code
     * transactionVersion} is the client's (0 or 1 for protocol version 1, 2 for KIP-890's). Immutable; {@code
     * partitions} is unmodifiable.
     */
    record Stored(long producerId, short producerEpoch, int timeoutMs, TransactionState state,
                  Set<TopicPartition> partitions, long lastUpdateMs, long startMs, long previousProducerId,
                  long nextProducerId, short transactionVersion) {
        Stored {
            partitions = Collections.unmodifiableSet(new LinkedHashSet<>(partitions));
        }

        /** A record of transaction protocol version 1, without the fields of version 2. */
        Stored(long producerId, short producerEpoch, int timeoutMs, TransactionState state,
               Set<TopicPartition> partitions, long lastUpdateMs, long startMs) {
            this(producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateMs, startMs, -1, -1, (short) 0);
        }

        boolean needsFlexibleVersion() {
            return previousProducerId != -1 || nextProducerId != -1 || transactionVersion != 0;
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
        return stored.needsFlexibleVersion() ? valueFlexible(stored) : valueV0(stored);
    }

    private static byte[] valueV0(Stored stored) {
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

    /** Version 1: the flexible layout, with the fields of transaction version 2 as tagged fields. */
    private static byte[] valueFlexible(Stored stored) {
        Map<String, List<Integer>> byTopic = byTopic(stored.partitions());
        // Varints take at most 5 bytes; the buffer is sized for the worst case and trimmed.
        int size = 2 + 8 + 2 + 4 + 1 + 5 + 8 + 8 + 5 + 3 * (5 + 5 + 8);
        for (Map.Entry<String, List<Integer>> topic : byTopic.entrySet()) {
            size += 5 + topic.getKey().getBytes(StandardCharsets.UTF_8).length + 5 + 4 * topic.getValue().size() + 5;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putShort(VALUE_VERSION_FLEXIBLE).putLong(stored.producerId()).putShort(stored.producerEpoch())
                .putInt(stored.timeoutMs()).put(stored.state().code());
        ByteUtils.writeUnsignedVarint(byTopic.size() + 1, buffer);
        for (Map.Entry<String, List<Integer>> topic : byTopic.entrySet()) {
            byte[] name = topic.getKey().getBytes(StandardCharsets.UTF_8);
            ByteUtils.writeUnsignedVarint(name.length + 1, buffer);
            buffer.put(name);
            ByteUtils.writeUnsignedVarint(topic.getValue().size() + 1, buffer);
            topic.getValue().forEach(buffer::putInt);
            ByteUtils.writeUnsignedVarint(0, buffer); // the partitions entry's own tagged fields: none
        }
        buffer.putLong(stored.lastUpdateMs()).putLong(stored.startMs());
        int tagged = (stored.previousProducerId() != -1 ? 1 : 0) + (stored.nextProducerId() != -1 ? 1 : 0)
                + (stored.transactionVersion() != 0 ? 1 : 0);
        ByteUtils.writeUnsignedVarint(tagged, buffer);
        if (stored.previousProducerId() != -1) {
            ByteUtils.writeUnsignedVarint(TAG_PREVIOUS_PRODUCER_ID, buffer);
            ByteUtils.writeUnsignedVarint(8, buffer);
            buffer.putLong(stored.previousProducerId());
        }
        if (stored.nextProducerId() != -1) {
            ByteUtils.writeUnsignedVarint(TAG_NEXT_PRODUCER_ID, buffer);
            ByteUtils.writeUnsignedVarint(8, buffer);
            buffer.putLong(stored.nextProducerId());
        }
        if (stored.transactionVersion() != 0) {
            ByteUtils.writeUnsignedVarint(TAG_CLIENT_TRANSACTION_VERSION, buffer);
            ByteUtils.writeUnsignedVarint(2, buffer);
            buffer.putShort(stored.transactionVersion());
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    static Stored decodeValue(byte[] value) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(value);
            short version = buffer.getShort();
            if (version == VALUE_VERSION) {
                return decodeV0(buffer);
            }
            if (version == VALUE_VERSION_FLEXIBLE) {
                return decodeFlexible(buffer);
            }
            throw new IllegalArgumentException("unknown __transaction_state value version " + version);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated __transaction_state value", e);
        }
    }

    private static Stored decodeV0(ByteBuffer buffer) {
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
    }

    private static Stored decodeFlexible(ByteBuffer buffer) {
        long producerId = buffer.getLong();
        short epoch = buffer.getShort();
        int timeoutMs = buffer.getInt();
        TransactionState state = TransactionState.ofCode(buffer.get());
        Set<TopicPartition> partitions = new LinkedHashSet<>();
        int topics = ByteUtils.readUnsignedVarint(buffer) - 1; // -1: a null array, which holds nothing
        for (int t = 0; t < topics; t++) {
            int length = ByteUtils.readUnsignedVarint(buffer) - 1;
            if (length < 0 || length > buffer.remaining()) {
                throw new IllegalArgumentException("a topic name of " + length + " bytes in a value of "
                        + buffer.remaining() + " more");
            }
            byte[] name = new byte[length];
            buffer.get(name);
            String topic = new String(name, StandardCharsets.UTF_8);
            int count = ByteUtils.readUnsignedVarint(buffer) - 1;
            for (int p = 0; p < count; p++) {
                partitions.add(new TopicPartition(topic, buffer.getInt()));
            }
            skipTaggedFields(buffer);
        }
        long lastUpdateMs = buffer.getLong();
        long startMs = buffer.getLong();
        long previousProducerId = -1;
        long nextProducerId = -1;
        short transactionVersion = 0;
        int tagged = ByteUtils.readUnsignedVarint(buffer);
        if (tagged < 0 || tagged > TAGGED_FIELDS_MAX) {
            throw new IllegalArgumentException(tagged + " tagged fields in a __transaction_state value");
        }
        for (int i = 0; i < tagged; i++) {
            int tag = ByteUtils.readUnsignedVarint(buffer);
            int size = ByteUtils.readUnsignedVarint(buffer);
            switch (tag) {
                case TAG_PREVIOUS_PRODUCER_ID -> previousProducerId = buffer.getLong();
                case TAG_NEXT_PRODUCER_ID -> nextProducerId = buffer.getLong();
                case TAG_CLIENT_TRANSACTION_VERSION -> transactionVersion = buffer.getShort();
                default -> skip(buffer, size); // a field of a later Kafka: tagged fields may be ignored
            }
        }
        return new Stored(producerId, epoch, timeoutMs, state, partitions, lastUpdateMs, startMs, previousProducerId,
                nextProducerId, transactionVersion);
    }

    private static void skipTaggedFields(ByteBuffer buffer) {
        int tagged = ByteUtils.readUnsignedVarint(buffer);
        if (tagged < 0 || tagged > TAGGED_FIELDS_MAX) {
            throw new IllegalArgumentException(tagged + " tagged fields in a __transaction_state value");
        }
        for (int i = 0; i < tagged; i++) {
            ByteUtils.readUnsignedVarint(buffer);
            skip(buffer, ByteUtils.readUnsignedVarint(buffer));
        }
    }

    private static void skip(ByteBuffer buffer, int size) {
        if (size < 0 || size > buffer.remaining()) {
            throw new IllegalArgumentException("a tagged field of " + size + " bytes in a value of "
                    + buffer.remaining() + " more");
        }
        buffer.position(buffer.position() + size);
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

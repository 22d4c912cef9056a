package io.strata.broker.group;

import org.apache.kafka.common.TopicPartition;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The record format of {@code __consumer_offsets}: one record per committed offset (key: group, topic, partition) and
 * one per group (key: group) holding its generation, protocol, leader and members with their subscriptions and
 * assignments, and one per offset committed in an open transaction (key: group, producer id, topic, partition; the
 * value as a committed offset's) until the transaction's marker arrives. A tombstone removes any of them. Keys and values begin with a version, so the format can grow.
 *
 * <p>The only class that knows the format. Stateless; thread-safe.
 */
final class GroupRecords {

    private static final short OFFSET_KEY = 1;
    private static final short GROUP_KEY = 2;
    /** An offset committed in a transaction, held until the transaction's marker says whether it counts. */
    private static final short PENDING_OFFSET_KEY = 3;
    private static final short VALUE_VERSION = 1;

    private GroupRecords() {
    }

    /** A decoded key: an offset's or a group's. */
    sealed interface Key permits OffsetKey, GroupKey, PendingOffsetKey {
        String group();
    }

    record OffsetKey(String group, TopicPartition topicPartition) implements Key {
    }

    record GroupKey(String group) implements Key {
    }

    record PendingOffsetKey(String group, long producerId, TopicPartition topicPartition) implements Key {
    }

    /** A member as stored with its group. */
    record StoredMember(String memberId, String groupInstanceId, String clientId, String clientHost,
                        int rebalanceTimeoutMs, int sessionTimeoutMs, byte[] subscription, byte[] assignment) {
    }

    /** A group as stored: everything needed to answer for it after a restart. */
    record StoredGroup(String protocolType, int generationId, String protocolName, String leaderId,
                       long stateTimestampMs, List<StoredMember> members) {
    }

    static byte[] offsetKey(String group, TopicPartition tp) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + sizeOf(group) + sizeOf(tp.topic()) + 4);
        buffer.putShort(OFFSET_KEY);
        putString(buffer, group);
        putString(buffer, tp.topic());
        buffer.putInt(tp.partition());
        return buffer.array();
    }

    static byte[] pendingOffsetKey(String group, long producerId, TopicPartition tp) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + sizeOf(group) + 8 + sizeOf(tp.topic()) + 4);
        buffer.putShort(PENDING_OFFSET_KEY);
        putString(buffer, group);
        buffer.putLong(producerId);
        putString(buffer, tp.topic());
        buffer.putInt(tp.partition());
        return buffer.array();
    }

    static byte[] groupKey(String group) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + sizeOf(group));
        buffer.putShort(GROUP_KEY);
        putString(buffer, group);
        return buffer.array();
    }

    static Key decodeKey(ByteBuffer key) {
        try {
            short type = key.getShort();
            String group = getString(key);
            if (type == OFFSET_KEY) {
                String topic = getString(key);
                return new OffsetKey(group, new TopicPartition(topic, key.getInt()));
            }
            if (type == GROUP_KEY) {
                return new GroupKey(group);
            }
            if (type == PENDING_OFFSET_KEY) {
                long producerId = key.getLong();
                String topic = getString(key);
                return new PendingOffsetKey(group, producerId, new TopicPartition(topic, key.getInt()));
            }
            throw new IllegalArgumentException("unknown key type " + type);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated key", e);
        }
    }

    static byte[] offsetValue(OffsetAndMetadata offset) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + 8 + 4 + sizeOf(offset.metadata()) + 8);
        buffer.putShort(VALUE_VERSION);
        buffer.putLong(offset.offset());
        buffer.putInt(offset.leaderEpoch());
        putString(buffer, offset.metadata());
        buffer.putLong(offset.commitTimestampMs());
        return buffer.array();
    }

    static OffsetAndMetadata decodeOffsetValue(ByteBuffer value) {
        value.getShort();
        return new OffsetAndMetadata(value.getLong(), value.getInt(), getString(value), value.getLong());
    }

    static byte[] groupValue(StoredGroup group) {
        int size = 2 + sizeOf(group.protocolType()) + 4 + sizeOf(group.protocolName()) + sizeOf(group.leaderId())
                + 8 + 4;
        for (StoredMember member : group.members()) {
            size += sizeOf(member.memberId()) + sizeOf(member.groupInstanceId()) + sizeOf(member.clientId())
                    + sizeOf(member.clientHost()) + 8 + 4 + member.subscription().length + 4
                    + member.assignment().length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putShort(VALUE_VERSION);
        putString(buffer, group.protocolType());
        buffer.putInt(group.generationId());
        putString(buffer, group.protocolName());
        putString(buffer, group.leaderId());
        buffer.putLong(group.stateTimestampMs());
        buffer.putInt(group.members().size());
        for (StoredMember member : group.members()) {
            putString(buffer, member.memberId());
            putString(buffer, member.groupInstanceId());
            putString(buffer, member.clientId());
            putString(buffer, member.clientHost());
            buffer.putInt(member.rebalanceTimeoutMs());
            buffer.putInt(member.sessionTimeoutMs());
            buffer.putInt(member.subscription().length).put(member.subscription());
            buffer.putInt(member.assignment().length).put(member.assignment());
        }
        return buffer.array();
    }

    static StoredGroup decodeGroupValue(ByteBuffer value) {
        value.getShort();
        String protocolType = getString(value);
        int generation = value.getInt();
        String protocol = getString(value);
        String leader = getString(value);
        long timestamp = value.getLong();
        int count = value.getInt();
        List<StoredMember> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String memberId = getString(value);
            String instanceId = getString(value);
            String clientId = getString(value);
            String clientHost = getString(value);
            int rebalanceTimeout = value.getInt();
            int sessionTimeout = value.getInt();
            byte[] subscription = new byte[value.getInt()];
            value.get(subscription);
            byte[] assignment = new byte[value.getInt()];
            value.get(assignment);
            members.add(new StoredMember(memberId, instanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout,
                    subscription, assignment));
        }
        return new StoredGroup(protocolType, generation, protocol, leader, timestamp, members);
    }

    private static int sizeOf(String text) {
        return 2 + (text == null ? 0 : text.getBytes(StandardCharsets.UTF_8).length);
    }

    private static void putString(ByteBuffer buffer, String text) {
        if (text == null) {
            buffer.putShort((short) -1);
            return;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        buffer.putShort((short) bytes.length).put(bytes);
    }

    private static String getString(ByteBuffer buffer) {
        short length = buffer.getShort();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}

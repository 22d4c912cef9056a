package io.strata.broker.group;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The record format of {@code __consumer_offsets}: one record per committed offset (key: group, topic, partition) and
 * one per group (key: group) holding its generation, protocol, leader and members with their subscriptions and
 * assignments, and one per offset committed in an open transaction (key: group, producer id, topic, partition; the
 * value as a committed offset's) until the transaction's marker arrives. A consumer-protocol group has one record
 * (key: group) with its epochs, assignor and the subscribed topics' metadata, and one per member (key: group, member
 * id) with its subscription, epochs, reconciliation state, current and target assignment, and, for a member speaking the
 * classic protocol inside the consumer group, its supported protocols and session timeout: a heartbeat rewrites its
 * own member, not the whole group. A share group (KIP-932) is stored the same way: one record (key: group) with its
 * epochs, the subscribed topics' metadata and every partition it was ever assigned (where it may have share state),
 * and one per member (key: group, member id) with its subscription, epochs, assignment and target. A tombstone
 * removes any of them. Keys and values begin with
 * a version, so the format can grow.
 *
 * <p>The only class that knows the format. Stateless; thread-safe.
 */
final class GroupRecords {

    private static final short OFFSET_KEY = 1;
    private static final short GROUP_KEY = 2;
    /** An offset committed in a transaction, held until the transaction's marker says whether it counts. */
    private static final short PENDING_OFFSET_KEY = 3;
    /** A consumer-protocol (KIP-848) group's epochs and subscription metadata. */
    private static final short CONSUMER_GROUP_KEY = 4;
    /** A member of a consumer-protocol group, with its target assignment. */
    private static final short CONSUMER_MEMBER_KEY = 5;
    /** A share group's epochs, subscription metadata and share-state partitions. */
    private static final short SHARE_GROUP_KEY = 6;
    /** A member of a share group, with its assignment and target. */
    private static final short SHARE_MEMBER_KEY = 7;
    private static final short VALUE_VERSION = 1;
    /**
     * A consumer-protocol member's value from version 2 on ends with its classic metadata, for a member speaking the
     * classic protocol inside a consumer group (a flag, then its session timeout and supported protocols).
     */
    private static final short CONSUMER_MEMBER_VALUE_VERSION = 2;

    private GroupRecords() {
    }

    /** A decoded key: an offset's or a group's. */
    sealed interface Key permits OffsetKey, GroupKey, PendingOffsetKey, ConsumerGroupKey, ConsumerMemberKey,
            ShareGroupKey, ShareMemberKey {
        String group();
    }

    record OffsetKey(String group, TopicPartition topicPartition) implements Key {
    }

    record GroupKey(String group) implements Key {
    }

    record ConsumerGroupKey(String group) implements Key {
    }

    record ConsumerMemberKey(String group, String memberId) implements Key {
    }

    record ShareGroupKey(String group) implements Key {
    }

    record ShareMemberKey(String group, String memberId) implements Key {
    }

    /** A share group member as stored, with its partitions in the group's target assignment. */
    record StoredShareMember(ShareGroupMember member, Map<Uuid, Set<Integer>> target) {
    }

    /** A consumer-protocol member as stored: its state and its partitions in the group's target assignment. */
    record StoredConsumerMember(ConsumerGroupMember member, Map<Uuid, Set<Integer>> target) {
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
            if (type == CONSUMER_GROUP_KEY) {
                return new ConsumerGroupKey(group);
            }
            if (type == CONSUMER_MEMBER_KEY) {
                return new ConsumerMemberKey(group, getString(key));
            }
            if (type == SHARE_GROUP_KEY) {
                return new ShareGroupKey(group);
            }
            if (type == SHARE_MEMBER_KEY) {
                return new ShareMemberKey(group, getString(key));
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

    static byte[] consumerGroupKey(String group) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + sizeOf(group));
        buffer.putShort(CONSUMER_GROUP_KEY);
        putString(buffer, group);
        return buffer.array();
    }

    static byte[] consumerMemberKey(String group, String memberId) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + sizeOf(group) + sizeOf(memberId));
        buffer.putShort(CONSUMER_MEMBER_KEY);
        putString(buffer, group);
        putString(buffer, memberId);
        return buffer.array();
    }

    static byte[] consumerGroupValue(ConsumerGroup group) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeShort(VALUE_VERSION);
            out.writeInt(group.groupEpoch);
            out.writeInt(group.assignmentEpoch);
            writeString(out, group.assignorName);
            out.writeInt(group.subscriptionMetadata.size());
            for (Map.Entry<String, ConsumerGroup.TopicMetadata> topic : group.subscriptionMetadata.entrySet()) {
                writeString(out, topic.getKey());
                writeUuid(out, topic.getValue().id());
                out.writeInt(topic.getValue().partitions());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /** Sets the group's epochs, assignor and subscription metadata from its record. */
    static void decodeConsumerGroupValue(ByteBuffer value, ConsumerGroup into) {
        value.getShort();
        into.groupEpoch = value.getInt();
        into.assignmentEpoch = value.getInt();
        into.assignorName = getString(value);
        int topics = value.getInt();
        Map<String, ConsumerGroup.TopicMetadata> metadata = new HashMap<>();
        for (int i = 0; i < topics; i++) {
            metadata.put(getString(value), new ConsumerGroup.TopicMetadata(getUuid(value), value.getInt()));
        }
        into.subscriptionMetadata = metadata;
    }

    static byte[] consumerMemberValue(ConsumerGroupMember member, Map<Uuid, Set<Integer>> target) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeShort(CONSUMER_MEMBER_VALUE_VERSION);
            writeString(out, member.instanceId);
            writeString(out, member.rackId);
            writeString(out, member.clientId);
            writeString(out, member.clientHost);
            out.writeInt(member.subscribedTopicNames.size());
            for (String topic : member.subscribedTopicNames) {
                writeString(out, topic);
            }
            writeString(out, member.subscribedTopicRegex);
            writeString(out, member.serverAssignor);
            out.writeInt(member.rebalanceTimeoutMs);
            out.writeInt(member.memberEpoch);
            out.writeInt(member.previousMemberEpoch);
            out.writeByte(member.state.ordinal());
            writePartitions(out, member.assigned);
            writePartitions(out, member.pendingRevocation);
            writePartitions(out, target);
            writeClassicMetadata(out, member.classic);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    static StoredConsumerMember decodeConsumerMemberValue(String memberId, ByteBuffer value) {
        short version = value.getShort();
        ConsumerGroupMember member = new ConsumerGroupMember(memberId);
        member.instanceId = getString(value);
        member.rackId = getString(value);
        member.clientId = getString(value);
        member.clientHost = getString(value);
        int names = value.getInt();
        List<String> subscribed = new ArrayList<>(names);
        for (int n = 0; n < names; n++) {
            subscribed.add(getString(value));
        }
        member.subscribedTopicNames = List.copyOf(subscribed);
        member.subscribedTopicRegex = getString(value);
        member.serverAssignor = getString(value);
        member.rebalanceTimeoutMs = value.getInt();
        member.memberEpoch = value.getInt();
        member.previousMemberEpoch = value.getInt();
        member.state = ConsumerGroupMember.State.values()[value.get()];
        member.assigned = getPartitions(value);
        member.pendingRevocation = getPartitions(value);
        Map<Uuid, Set<Integer>> target = getPartitions(value);
        if (version >= CONSUMER_MEMBER_VALUE_VERSION) {
            member.classic = getClassicMetadata(value);
        }
        return new StoredConsumerMember(member, target);
    }

    private static void writeClassicMetadata(DataOutputStream out, ConsumerGroupMember.ClassicMetadata classic)
            throws IOException {
        out.writeBoolean(classic != null);
        if (classic == null) {
            return;
        }
        out.writeInt(classic.sessionTimeoutMs());
        out.writeInt(classic.protocols().size());
        for (Map.Entry<String, byte[]> protocol : classic.protocols().entrySet()) {
            writeString(out, protocol.getKey());
            out.writeInt(protocol.getValue().length);
            out.write(protocol.getValue());
        }
    }

    private static ConsumerGroupMember.ClassicMetadata getClassicMetadata(ByteBuffer value) {
        if (value.get() == 0) {
            return null;
        }
        int sessionTimeoutMs = value.getInt();
        int count = value.getInt();
        Map<String, byte[]> protocols = new java.util.LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = getString(value);
            byte[] metadata = new byte[value.getInt()];
            value.get(metadata);
            protocols.put(name, metadata);
        }
        return new ConsumerGroupMember.ClassicMetadata(sessionTimeoutMs, protocols);
    }

    static byte[] shareGroupKey(String group) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + sizeOf(group));
        buffer.putShort(SHARE_GROUP_KEY);
        putString(buffer, group);
        return buffer.array();
    }

    static byte[] shareMemberKey(String group, String memberId) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + sizeOf(group) + sizeOf(memberId));
        buffer.putShort(SHARE_MEMBER_KEY);
        putString(buffer, group);
        putString(buffer, memberId);
        return buffer.array();
    }

    static byte[] shareGroupValue(ShareGroup group) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeShort(VALUE_VERSION);
            out.writeInt(group.groupEpoch);
            out.writeInt(group.assignmentEpoch);
            out.writeInt(group.subscriptionMetadata.size());
            for (Map.Entry<String, ConsumerGroup.TopicMetadata> topic : group.subscriptionMetadata.entrySet()) {
                writeString(out, topic.getKey());
                writeUuid(out, topic.getValue().id());
                out.writeInt(topic.getValue().partitions());
            }
            writePartitions(out, group.statePartitions);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /** Sets the share group's epochs, subscription metadata and share-state partitions from its record. */
    static void decodeShareGroupValue(ByteBuffer value, ShareGroup into) {
        value.getShort();
        into.groupEpoch = value.getInt();
        into.assignmentEpoch = value.getInt();
        int topics = value.getInt();
        Map<String, ConsumerGroup.TopicMetadata> metadata = new HashMap<>();
        for (int i = 0; i < topics; i++) {
            metadata.put(getString(value), new ConsumerGroup.TopicMetadata(getUuid(value), value.getInt()));
        }
        into.subscriptionMetadata = metadata;
        into.statePartitions.clear();
        into.statePartitions.putAll(getPartitions(value));
    }

    static byte[] shareMemberValue(ShareGroupMember member, Map<Uuid, Set<Integer>> target) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeShort(VALUE_VERSION);
            writeString(out, member.rackId());
            writeString(out, member.clientId());
            writeString(out, member.clientHost());
            out.writeInt(member.subscribedTopicNames().size());
            for (String topic : member.subscribedTopicNames()) {
                writeString(out, topic);
            }
            out.writeInt(member.memberEpoch());
            out.writeInt(member.previousMemberEpoch());
            writePartitions(out, member.assigned());
            writePartitions(out, target);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    static StoredShareMember decodeShareMemberValue(String memberId, ByteBuffer value) {
        value.getShort();
        String rackId = getString(value);
        String clientId = getString(value);
        String clientHost = getString(value);
        int names = value.getInt();
        List<String> subscribed = new ArrayList<>(names);
        for (int n = 0; n < names; n++) {
            subscribed.add(getString(value));
        }
        int epoch = value.getInt();
        int previousEpoch = value.getInt();
        Map<Uuid, Set<Integer>> assigned = getPartitions(value);
        ShareGroupMember member = new ShareGroupMember(memberId, epoch, previousEpoch, rackId, clientId, clientHost,
                subscribed, assigned);
        return new StoredShareMember(member, getPartitions(value));
    }

    private static void writePartitions(DataOutputStream out, Map<Uuid, Set<Integer>> partitions) throws IOException {
        out.writeInt(partitions.size());
        for (Map.Entry<Uuid, Set<Integer>> topic : partitions.entrySet()) {
            writeUuid(out, topic.getKey());
            out.writeInt(topic.getValue().size());
            for (int partition : topic.getValue()) {
                out.writeInt(partition);
            }
        }
    }

    private static Map<Uuid, Set<Integer>> getPartitions(ByteBuffer value) {
        int topics = value.getInt();
        Map<Uuid, Set<Integer>> partitions = new HashMap<>();
        for (int i = 0; i < topics; i++) {
            Uuid topicId = getUuid(value);
            int count = value.getInt();
            Set<Integer> indexes = new TreeSet<>();
            for (int p = 0; p < count; p++) {
                indexes.add(value.getInt());
            }
            partitions.put(topicId, indexes);
        }
        return partitions;
    }

    private static void writeUuid(DataOutputStream out, Uuid id) throws IOException {
        out.writeLong(id.getMostSignificantBits());
        out.writeLong(id.getLeastSignificantBits());
    }

    private static Uuid getUuid(ByteBuffer value) {
        return new Uuid(value.getLong(), value.getLong());
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        if (text == null) {
            out.writeShort(-1);
            return;
        }
        byte[] encoded = text.getBytes(StandardCharsets.UTF_8);
        out.writeShort(encoded.length);
        out.write(encoded);
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

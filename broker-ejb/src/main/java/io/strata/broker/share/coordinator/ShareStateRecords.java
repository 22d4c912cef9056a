package io.strata.broker.share.coordinator;

import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.share.PendingAcknowledgement;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.ShareStateFormatException;
import io.strata.broker.share.SharePartitionState.StateBatch;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.ByteUtils;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of {@code __share_group_state}, byte for byte as Kafka's share coordinator writes them, so that the
 * topic reads the same to Kafka's tools: a key is {@code int16 type} (0 ShareSnapshot, 1 ShareUpdate) followed by
 * {@code string groupId, uuid topicId, int32 partition}; a value is {@code int16 version} (0) followed by the flexible
 * version 0 of ShareSnapshotValue ({@code int32 snapshotEpoch, int32 stateEpoch, int32 leaderEpoch, int64 startOffset,
 * int64 createTimestamp, int64 writeTimestamp, compact array of batches, tagged fields}) or ShareUpdateValue
 * ({@code int32 snapshotEpoch, int32 leaderEpoch, int64 startOffset, batches, tagged fields}); a batch is
 * {@code int64 firstOffset, int64 lastOffset, int8 deliveryState, int16 deliveryCount, tagged fields}.
 *
 * <p>kafka-clients does not carry the generated classes of these records (they live in Kafka's share-coordinator
 * module), so this small codec writes the same layout. Tagged fields are written empty, but for one Strata tag on a
 * batch: the acknowledgement pending on its Acquired records in a transaction ({@link PendingAcknowledgementTag},
 * docs/protocol-extensions.md). Kafka's tools skip it as a tagged field they do not know; a batch without it reads as
 * it always did. Other tagged fields are skipped when read. A malformed pending acknowledgement is refused with
 * {@link ShareStateFormatException}, never taken.
 *
 * <p>Stateless and thread-safe.
 */
public final class ShareStateRecords {

    static final short SNAPSHOT_TYPE = 0;
    static final short UPDATE_TYPE = 1;
    private static final short VALUE_VERSION = 0;
    private static final int BATCH_BYTES = 8 + 8 + 1 + 2 + 1;
    /** What a pending acknowledgement adds to a batch at most: the tag (3-byte varint), its size, its value. */
    private static final int PENDING_TAG_BYTES_MAX = 3 + 1 + PendingAcknowledgementTag.VALUE_BYTES;
    /** More batches than this in one record cannot come from a sane writer; refuse to allocate for them. */
    static final int BATCHES_PER_RECORD_MAX = 1 << 20;

    /** The whole state of one share partition at a snapshot epoch. Immutable. */
    public record Snapshot(int snapshotEpoch, int stateEpoch, int leaderEpoch, long startOffset, long createTimestamp,
                           long writeTimestamp, List<StateBatch> batches) {
        public Snapshot {
            batches = List.copyOf(batches);
        }
    }

    /** A change on top of the snapshot of the same snapshot epoch; start offset -1 leaves it as it is. Immutable. */
    public record Update(int snapshotEpoch, int leaderEpoch, long startOffset, List<StateBatch> batches) {
        public Update {
            batches = List.copyOf(batches);
        }
    }

    /** A decoded record: its key, and exactly one of snapshot and update, or neither for a tombstone. */
    public record Decoded(ShareStateKey key, short type, Snapshot snapshot, Update update) {
        public boolean isTombstone() {
            return snapshot == null && update == null;
        }
    }

    private ShareStateRecords() {
    }

    public static CoordinatorRecord snapshot(ShareStateKey key, Snapshot value) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + 4 * 3 + 8 * 3 + 5 + batchBytesMax(value.batches()) + 1);
        buffer.putShort(VALUE_VERSION).putInt(value.snapshotEpoch()).putInt(value.stateEpoch())
                .putInt(value.leaderEpoch()).putLong(value.startOffset()).putLong(value.createTimestamp())
                .putLong(value.writeTimestamp());
        writeBatches(buffer, value.batches());
        ByteUtils.writeUnsignedVarint(0, buffer);
        return new CoordinatorRecord(key(SNAPSHOT_TYPE, key), trimmed(buffer));
    }

    public static CoordinatorRecord update(ShareStateKey key, Update value) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + 4 * 2 + 8 + 5 + batchBytesMax(value.batches()) + 1);
        buffer.putShort(VALUE_VERSION).putInt(value.snapshotEpoch()).putInt(value.leaderEpoch())
                .putLong(value.startOffset());
        writeBatches(buffer, value.batches());
        ByteUtils.writeUnsignedVarint(0, buffer);
        return new CoordinatorRecord(key(UPDATE_TYPE, key), trimmed(buffer));
    }

    /** The tombstones that make compaction forget the key: one for its snapshot record, one for its updates. */
    public static List<CoordinatorRecord> tombstones(ShareStateKey key) {
        return List.of(CoordinatorRecord.tombstone(key(SNAPSHOT_TYPE, key)),
                CoordinatorRecord.tombstone(key(UPDATE_TYPE, key)));
    }

    /**
     * Reads one record back; throws {@link IllegalArgumentException} naming what is wrong with bytes that are not a
     * share-state record (a record type or version this broker does not know, a truncated field), and
     * {@link ShareStateFormatException} for a batch's malformed pending acknowledgement.
     */
    public static Decoded decode(CoordinatorRecord record) {
        try {
            ByteBuffer key = ByteBuffer.wrap(record.key());
            short type = key.getShort();
            if (type != SNAPSHOT_TYPE && type != UPDATE_TYPE) {
                throw new IllegalArgumentException("unknown share state record type " + type);
            }
            ShareStateKey stateKey = new ShareStateKey(readString(key), new Uuid(key.getLong(), key.getLong()),
                    key.getInt());
            if (record.value() == null) {
                return new Decoded(stateKey, type, null, null);
            }
            ByteBuffer value = ByteBuffer.wrap(record.value());
            short version = value.getShort();
            if (version != VALUE_VERSION) {
                throw new IllegalArgumentException("unknown share state value version " + version + " of " + stateKey);
            }
            if (type == SNAPSHOT_TYPE) {
                Snapshot snapshot = new Snapshot(value.getInt(), value.getInt(), value.getInt(), value.getLong(),
                        value.getLong(), value.getLong(), readBatches(value));
                skipTaggedFields(value);
                return new Decoded(stateKey, type, snapshot, null);
            }
            Update update = new Update(value.getInt(), value.getInt(), value.getLong(), readBatches(value));
            skipTaggedFields(value);
            return new Decoded(stateKey, type, null, update);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated share state record");
        }
    }

    private static byte[] key(short type, ShareStateKey key) {
        byte[] group = key.groupId().getBytes(StandardCharsets.UTF_8);
        if (group.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("group id of " + group.length + " bytes is too long");
        }
        return ByteBuffer.allocate(2 + 2 + group.length + 16 + 4).putShort(type).putShort((short) group.length)
                .put(group).putLong(key.topicId().getMostSignificantBits())
                .putLong(key.topicId().getLeastSignificantBits()).putInt(key.partition()).array();
    }

    private static int batchBytesMax(List<StateBatch> batches) {
        int bytes = 0;
        for (StateBatch batch : batches) {
            bytes += BATCH_BYTES + (batch.pending() == null ? 0 : PENDING_TAG_BYTES_MAX);
        }
        return bytes;
    }

    private static void writeBatches(ByteBuffer buffer, List<StateBatch> batches) {
        ByteUtils.writeUnsignedVarint(batches.size() + 1, buffer);
        for (StateBatch batch : batches) {
            buffer.putLong(batch.firstOffset()).putLong(batch.lastOffset()).put(batch.state().id)
                    .putShort((short) batch.deliveryCount());
            if (batch.pending() == null) {
                ByteUtils.writeUnsignedVarint(0, buffer);
            } else {
                byte[] value = PendingAcknowledgementTag.encode(batch.pending());
                ByteUtils.writeUnsignedVarint(1, buffer);
                ByteUtils.writeUnsignedVarint(PendingAcknowledgementTag.TAG, buffer);
                ByteUtils.writeUnsignedVarint(value.length, buffer);
                buffer.put(value);
            }
        }
    }

    private static List<StateBatch> readBatches(ByteBuffer buffer) {
        int count = ByteUtils.readUnsignedVarint(buffer) - 1;
        if (count < 0 || count > BATCHES_PER_RECORD_MAX || (long) count * (BATCH_BYTES) > buffer.remaining()) {
            throw new IllegalArgumentException("share state record claims " + count + " batches in "
                    + buffer.remaining() + " bytes");
        }
        List<StateBatch> batches = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long first = buffer.getLong();
            long last = buffer.getLong();
            RecordState state = RecordState.forId(buffer.get());
            short deliveryCount = buffer.getShort();
            PendingAcknowledgement pending = readBatchTaggedFields(buffer);
            try {
                batches.add(new StateBatch(first, last, state, deliveryCount, pending));
            } catch (IllegalArgumentException e) {
                if (pending == null) {
                    throw e;
                }
                throw new ShareStateFormatException("share state batch " + first + ".." + last + " is invalid: "
                        + e.getMessage());
            }
        }
        return batches;
    }

    /** Skips a batch's tagged fields but the pending acknowledgement, which it returns (null when none). */
    private static PendingAcknowledgement readBatchTaggedFields(ByteBuffer buffer) {
        PendingAcknowledgement pending = null;
        int fields = ByteUtils.readUnsignedVarint(buffer);
        for (int i = 0; i < fields; i++) {
            int tag = ByteUtils.readUnsignedVarint(buffer);
            byte[] value = readTaggedValue(buffer);
            if (tag == PendingAcknowledgementTag.TAG) {
                if (pending != null) {
                    throw new ShareStateFormatException("a share state batch carries tag " + tag + " twice");
                }
                pending = PendingAcknowledgementTag.decode(value);
            }
        }
        return pending;
    }

    private static void skipTaggedFields(ByteBuffer buffer) {
        int fields = ByteUtils.readUnsignedVarint(buffer);
        for (int i = 0; i < fields; i++) {
            ByteUtils.readUnsignedVarint(buffer); // tag
            readTaggedValue(buffer);
        }
    }

    private static byte[] readTaggedValue(ByteBuffer buffer) {
        int size = ByteUtils.readUnsignedVarint(buffer);
        if (size < 0 || size > buffer.remaining()) {
            throw new IllegalArgumentException("a tagged field of " + size + " bytes in " + buffer.remaining());
        }
        byte[] value = new byte[size];
        buffer.get(value);
        return value;
    }

    private static String readString(ByteBuffer buffer) {
        short length = buffer.getShort();
        if (length < 0) {
            throw new IllegalArgumentException("share state key without a group id");
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] trimmed(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.position()];
        System.arraycopy(buffer.array(), 0, bytes, 0, bytes.length);
        return bytes;
    }
}

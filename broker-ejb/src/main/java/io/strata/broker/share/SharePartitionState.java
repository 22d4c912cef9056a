package io.strata.broker.share;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A snapshot of one share partition's state, what a later step persists (Kafka keeps it in
 * {@code __share_group_state}) and rebuilds a {@link SharePartition} from after failover: the state epoch, the start
 * offset, and the batches of offsets with their states and delivery counts, up to the partition's delivery bound
 * (offsets past the in-flight ones are stored as Available, delivered once: they may have been delivered). Offsets
 * between the batches, which states written before the delivery bound was stored leave, may have been delivered too;
 * offsets past the last batch were never delivered. Immutable.
 *
 * <p>Format version 1, big-endian: {@code byte version, int stateEpoch, long startOffset, int batchCount}, then per
 * batch {@code long firstOffset, int offsetCount, byte stateId, short deliveryCount}, then {@code int crc32c} of all
 * the bytes before it. 21 bytes plus 15 per batch. Version 2, written only when an acknowledgement is pending (so
 * that states without one keep their version 1 bytes), follows each batch with {@code byte hasPending} (0 or 1) and,
 * when 1, {@code long producerId, short producerEpoch, byte acknowledgeTypeId, long markerSearchOffset}.
 */
public record SharePartitionState(int stateEpoch, long startOffset, List<StateBatch> stateBatches) {

    public static final byte VERSION = 1;
    /** The version written when a batch carries a pending acknowledgement. */
    public static final byte VERSION_WITH_PENDING = 2;

    private static final int HEADER_BYTES = 1 + 4 + 8 + 4;
    private static final int BATCH_BYTES = 8 + 4 + 1 + 2;
    private static final int CRC_BYTES = 4;
    private static final int PENDING_BYTES = 8 + 2 + 1 + 8;

    /**
     * Offsets {@code firstOffset..lastOffset} in one state, delivered {@code deliveryCount} times, and, for Acquired
     * ones only, the acknowledgement held pending for them in a transaction (null when none). Immutable.
     */
    public record StateBatch(long firstOffset, long lastOffset, RecordState state, int deliveryCount,
                             PendingAcknowledgement pending) {

        public StateBatch {
            if (firstOffset < 0 || lastOffset < firstOffset || lastOffset - firstOffset >= Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bad state batch offsets " + firstOffset + ".." + lastOffset);
            }
            if (deliveryCount < 0 || deliveryCount > Short.MAX_VALUE) {
                throw new IllegalArgumentException("bad delivery count " + deliveryCount);
            }
            if (pending != null && state != RecordState.ACQUIRED) {
                throw new IllegalArgumentException("state batch " + firstOffset + ".." + lastOffset + " is " + state
                        + ": only Acquired records can have an acknowledgement pending");
            }
        }

        /** A batch with no acknowledgement pending. */
        public StateBatch(long firstOffset, long lastOffset, RecordState state, int deliveryCount) {
            this(firstOffset, lastOffset, state, deliveryCount, null);
        }

        /** The same state, count and pending acknowledgement over other offsets. */
        public StateBatch over(long newFirstOffset, long newLastOffset) {
            return new StateBatch(newFirstOffset, newLastOffset, state, deliveryCount, pending);
        }

        /** Whether {@code other} holds the same state as this one (offsets aside): neighbours that may be joined. */
        public boolean sameStateAs(StateBatch other) {
            return state == other.state && deliveryCount == other.deliveryCount
                    && java.util.Objects.equals(pending, other.pending);
        }
    }

    public SharePartitionState {
        if (startOffset < 0) {
            throw new IllegalArgumentException("negative start offset " + startOffset);
        }
        stateBatches = List.copyOf(stateBatches);
        long next = startOffset;
        for (StateBatch batch : stateBatches) {
            if (batch.firstOffset() < next) {
                throw new IllegalArgumentException("state batch " + batch + " overlaps, or is below start offset "
                        + startOffset + " or its predecessor");
            }
            next = batch.lastOffset() + 1;
        }
    }

    /** The snapshot in format version 1, or 2 when an acknowledgement is pending. */
    public byte[] encode() {
        boolean withPending = stateBatches.stream().anyMatch(batch -> batch.pending() != null);
        int batchBytes = withPending ? BATCH_BYTES + 1 + PENDING_BYTES : BATCH_BYTES;
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + batchBytes * stateBatches.size() + CRC_BYTES);
        buffer.put(withPending ? VERSION_WITH_PENDING : VERSION).putInt(stateEpoch).putLong(startOffset)
                .putInt(stateBatches.size());
        for (StateBatch batch : stateBatches) {
            buffer.putLong(batch.firstOffset()).putInt((int) (batch.lastOffset() - batch.firstOffset() + 1))
                    .put(batch.state().id).putShort((short) batch.deliveryCount());
            if (withPending) {
                PendingAcknowledgement pending = batch.pending();
                buffer.put((byte) (pending == null ? 0 : 1));
                if (pending != null) {
                    buffer.putLong(pending.producerId()).putShort(pending.producerEpoch()).put(pending.type().id)
                            .putLong(pending.markerSearchOffset());
                }
            }
        }
        buffer.putInt(crc(buffer.array(), buffer.position()));
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** Reads a snapshot; throws {@link ShareStateFormatException} saying what is wrong with bytes that are not one. */
    public static SharePartitionState decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES + CRC_BYTES) {
            throw new ShareStateFormatException("share state snapshot too short: " + bytes.length + " bytes");
        }
        if (bytes[0] != VERSION && bytes[0] != VERSION_WITH_PENDING) {
            throw new ShareStateFormatException("unknown share state snapshot version " + bytes[0]
                    + " (this broker reads versions " + VERSION + " and " + VERSION_WITH_PENDING + ")");
        }
        int storedCrc = ByteBuffer.wrap(bytes, bytes.length - CRC_BYTES, CRC_BYTES).getInt();
        if (storedCrc != crc(bytes, bytes.length - CRC_BYTES)) {
            throw new ShareStateFormatException("share state snapshot is corrupt: checksum mismatch over "
                    + bytes.length + " bytes");
        }
        try {
            return read(ByteBuffer.wrap(bytes, 1, bytes.length - 1 - CRC_BYTES), bytes[0] == VERSION_WITH_PENDING);
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new ShareStateFormatException("share state snapshot is invalid: " + e.getMessage());
        }
    }

    private static SharePartitionState read(ByteBuffer buffer, boolean withPending) {
        int stateEpoch = buffer.getInt();
        long startOffset = buffer.getLong();
        int batchCount = buffer.getInt();
        boolean fits = withPending ? (long) batchCount * (BATCH_BYTES + 1) <= buffer.remaining()
                : (long) batchCount * BATCH_BYTES == buffer.remaining();
        if (batchCount < 0 || !fits) {
            throw new IllegalArgumentException(batchCount + " batches do not fit " + buffer.remaining() + " bytes");
        }
        List<StateBatch> batches = new ArrayList<>(batchCount);
        for (int i = 0; i < batchCount; i++) {
            long firstOffset = buffer.getLong();
            int offsetCount = buffer.getInt();
            if (offsetCount < 1) {
                throw new IllegalArgumentException("batch at " + firstOffset + " holds " + offsetCount + " offsets");
            }
            RecordState state = RecordState.forId(buffer.get());
            short deliveryCount = buffer.getShort();
            PendingAcknowledgement pending = null;
            byte hasPending = withPending ? buffer.get() : 0;
            if (hasPending != 0 && hasPending != 1) {
                throw new IllegalArgumentException("batch at " + firstOffset + " has pending flag " + hasPending);
            }
            if (hasPending == 1) {
                pending = new PendingAcknowledgement(buffer.getLong(), buffer.getShort(),
                        AcknowledgeType.forId(buffer.get()), buffer.getLong());
            }
            batches.add(new StateBatch(firstOffset, firstOffset + offsetCount - 1, state, deliveryCount, pending));
        }
        if (buffer.hasRemaining()) {
            throw new IllegalArgumentException(buffer.remaining() + " bytes follow the last batch");
        }
        return new SharePartitionState(stateEpoch, startOffset, batches);
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}

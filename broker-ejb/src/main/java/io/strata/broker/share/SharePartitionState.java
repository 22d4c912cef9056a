package io.strata.broker.share;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A snapshot of one share partition's state, what a later step persists (Kafka keeps it in
 * {@code __share_group_state}) and rebuilds a {@link SharePartition} from after failover: the state epoch, the start
 * offset, and the batches of offsets that are not plainly Available, with their delivery counts. Offsets between the
 * batches are Available and never delivered. Immutable.
 *
 * <p>Format version 1, big-endian: {@code byte version, int stateEpoch, long startOffset, int batchCount}, then per
 * batch {@code long firstOffset, int offsetCount, byte stateId, short deliveryCount}, then {@code int crc32c} of all
 * the bytes before it. 21 bytes plus 15 per batch.
 */
public record SharePartitionState(int stateEpoch, long startOffset, List<StateBatch> stateBatches) {

    public static final byte VERSION = 1;

    private static final int HEADER_BYTES = 1 + 4 + 8 + 4;
    private static final int BATCH_BYTES = 8 + 4 + 1 + 2;
    private static final int CRC_BYTES = 4;

    /** Offsets {@code firstOffset..lastOffset} in one state, delivered {@code deliveryCount} times. Immutable. */
    public record StateBatch(long firstOffset, long lastOffset, RecordState state, int deliveryCount) {

        public StateBatch {
            if (firstOffset < 0 || lastOffset < firstOffset || lastOffset - firstOffset >= Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bad state batch offsets " + firstOffset + ".." + lastOffset);
            }
            if (deliveryCount < 0 || deliveryCount > Short.MAX_VALUE) {
                throw new IllegalArgumentException("bad delivery count " + deliveryCount);
            }
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

    /** The snapshot in format version 1. */
    public byte[] encode() {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + BATCH_BYTES * stateBatches.size() + CRC_BYTES);
        buffer.put(VERSION).putInt(stateEpoch).putLong(startOffset).putInt(stateBatches.size());
        for (StateBatch batch : stateBatches) {
            buffer.putLong(batch.firstOffset()).putInt((int) (batch.lastOffset() - batch.firstOffset() + 1))
                    .put(batch.state().id).putShort((short) batch.deliveryCount());
        }
        buffer.putInt(crc(buffer.array(), buffer.position()));
        return buffer.array();
    }

    /** Reads a snapshot; throws {@link ShareStateFormatException} saying what is wrong with bytes that are not one. */
    public static SharePartitionState decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES + CRC_BYTES) {
            throw new ShareStateFormatException("share state snapshot too short: " + bytes.length + " bytes");
        }
        if (bytes[0] != VERSION) {
            throw new ShareStateFormatException("unknown share state snapshot version " + bytes[0]
                    + " (this broker reads version " + VERSION + ")");
        }
        int storedCrc = ByteBuffer.wrap(bytes, bytes.length - CRC_BYTES, CRC_BYTES).getInt();
        if (storedCrc != crc(bytes, bytes.length - CRC_BYTES)) {
            throw new ShareStateFormatException("share state snapshot is corrupt: checksum mismatch over "
                    + bytes.length + " bytes");
        }
        try {
            return read(ByteBuffer.wrap(bytes, 1, bytes.length - 1 - CRC_BYTES));
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new ShareStateFormatException("share state snapshot is invalid: " + e.getMessage());
        }
    }

    private static SharePartitionState read(ByteBuffer buffer) {
        int stateEpoch = buffer.getInt();
        long startOffset = buffer.getLong();
        int batchCount = buffer.getInt();
        if (batchCount < 0 || (long) batchCount * BATCH_BYTES != buffer.remaining()) {
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
            batches.add(new StateBatch(firstOffset, firstOffset + offsetCount - 1, state, buffer.getShort()));
        }
        return new SharePartitionState(stateEpoch, startOffset, batches);
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}

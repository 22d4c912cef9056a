package io.strata.storage.batch;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The fixed 61-byte header of a Kafka record batch, magic v2, read where it lies in a buffer.
 *
 * <pre>
 * baseOffset: int64            0
 * batchLength: int32           8   bytes after this field
 * partitionLeaderEpoch: int32 12
 * magic: int8                 16
 * crc: uint32                 17   CRC32C of attributes .. end of batch
 * attributes: int16           21
 * lastOffsetDelta: int32      23
 * baseTimestamp: int64        27
 * maxTimestamp: int64         35
 * producerId: int64           43
 * producerEpoch: int16        51
 * baseSequence: int32         53
 * recordCount: int32          57
 * records                     61
 * </pre>
 *
 * <p>This is the one place in Strata that knows the header layout; the storage engine scans files with it without
 * decoding records. Reading and checking whole batches and their records is {@link BatchValidator}'s business, done
 * with kafka-clients. Stateless; thread-safe.
 */
public final class BatchHeader {

    public static final int BASE_OFFSET_OFFSET = 0;
    public static final int LENGTH_OFFSET = 8;
    public static final int PARTITION_LEADER_EPOCH_OFFSET = 12;
    public static final int MAGIC_OFFSET = 16;
    public static final int CRC_OFFSET = 17;
    public static final int ATTRIBUTES_OFFSET = 21;
    public static final int LAST_OFFSET_DELTA_OFFSET = 23;
    public static final int BASE_TIMESTAMP_OFFSET = 27;
    public static final int MAX_TIMESTAMP_OFFSET = 35;
    public static final int PRODUCER_ID_OFFSET = 43;
    public static final int PRODUCER_EPOCH_OFFSET = 51;
    public static final int BASE_SEQUENCE_OFFSET = 53;
    public static final int RECORD_COUNT_OFFSET = 57;

    /** Bytes before the length field's count starts: base offset and the length itself. */
    public static final int LOG_OVERHEAD = 12;
    /** Bytes of the header; a batch with no records is exactly this long. */
    public static final int SIZE = 61;
    public static final byte MAGIC_V2 = 2;

    private static final int TRANSACTIONAL_FLAG_MASK = 0x10;
    private static final int CONTROL_FLAG_MASK = 0x20;
    private static final int COMPRESSION_CODEC_MASK = 0x07;

    private BatchHeader() {
    }

    /** Total size in bytes of the batch starting at {@code position}, from its length field. */
    public static int sizeInBytes(ByteBuffer buffer, int position) {
        return LOG_OVERHEAD + buffer.getInt(position + LENGTH_OFFSET);
    }

    public static long baseOffset(ByteBuffer buffer, int position) {
        return buffer.getLong(position + BASE_OFFSET_OFFSET);
    }

    public static int lastOffsetDelta(ByteBuffer buffer, int position) {
        return buffer.getInt(position + LAST_OFFSET_DELTA_OFFSET);
    }

    public static long lastOffset(ByteBuffer buffer, int position) {
        return baseOffset(buffer, position) + lastOffsetDelta(buffer, position);
    }

    public static byte magic(ByteBuffer buffer, int position) {
        return buffer.get(position + MAGIC_OFFSET);
    }

    public static long maxTimestamp(ByteBuffer buffer, int position) {
        return buffer.getLong(position + MAX_TIMESTAMP_OFFSET);
    }

    public static int partitionLeaderEpoch(ByteBuffer buffer, int position) {
        return buffer.getInt(position + PARTITION_LEADER_EPOCH_OFFSET);
    }

    public static int recordCount(ByteBuffer buffer, int position) {
        return buffer.getInt(position + RECORD_COUNT_OFFSET);
    }

    /** Whether the batch belongs to a transaction (attribute bit 4). */
    public static boolean isTransactional(ByteBuffer buffer, int position) {
        return (buffer.getShort(position + ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) != 0;
    }

    public static long producerId(ByteBuffer buffer, int position) {
        return buffer.getLong(position + PRODUCER_ID_OFFSET);
    }

    public static boolean isControl(ByteBuffer buffer, int position) {
        return (buffer.getShort(position + ATTRIBUTES_OFFSET) & CONTROL_FLAG_MASK) != 0;
    }

    public static int compressionCodec(ByteBuffer buffer, int position) {
        return buffer.getShort(position + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
    }

    /**
     * Whether the stored CRC32C matches the bytes it covers, for the whole batch lying at
     * {@code [position, position + sizeInBytes)}.
     */
    public static boolean crcMatches(ByteBuffer buffer, int position, int sizeInBytes) {
        long stored = Integer.toUnsignedLong(buffer.getInt(position + CRC_OFFSET));
        CRC32C crc = new CRC32C();
        crc.update(buffer.slice(position + ATTRIBUTES_OFFSET, sizeInBytes - ATTRIBUTES_OFFSET));
        return crc.getValue() == stored;
    }

    /**
     * Why the header at {@code position} cannot start a batch of at most {@code sizeMax} bytes, or {@code null} if it
     * can. Checks only what the header alone shows: length and magic.
     */
    public static String structuralProblem(ByteBuffer buffer, int position, int sizeMax) {
        int length = buffer.getInt(position + LENGTH_OFFSET);
        if (length < SIZE - LOG_OVERHEAD) {
            return "batch length " + length + " is smaller than a batch header (" + (SIZE - LOG_OVERHEAD) + ")";
        }
        if (length > sizeMax - LOG_OVERHEAD) {
            return "batch length " + length + " runs past the " + sizeMax + " bytes available";
        }
        byte magic = magic(buffer, position);
        if (magic != MAGIC_V2) {
            return "magic " + magic + " is not 2";
        }
        return null;
    }
}

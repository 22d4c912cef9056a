package io.strata.storage.batch;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.utils.ByteUtils;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * Walks the records of an uncompressed batch field by field without decoding them into objects: each record's
 * length, offset delta (must be its index), key, value and headers must lie exactly within the length it declares,
 * and the records must exactly fill the batch. This is the check kafka-clients' {@code DefaultRecord.readFrom} makes,
 * without the objects it allocates per record, so that validating a 1 MiB batch of 1 KiB records costs a fraction of
 * writing it. Compressed batches are walked with kafka-clients after decompression.
 *
 * <p>Record layout (varints zig-zag encoded): length, attributes (int8), timestampDelta (varlong), offsetDelta,
 * keyLength, key, valueLength, value, headerCount, then per header keyLength, key, valueLength, value.
 *
 * <p>Stateless; thread-safe.
 */
final class RecordFraming {

    private RecordFraming() {
    }

    /** What a walk learned: the record count and the largest record timestamp. */
    record Summary(int count, long maxTimestamp) {
    }

    /** Called with each record's timestamp and whether it has a key; throws to reject the record. */
    interface RecordCheck {
        void check(int index, long timestamp, boolean hasKey);
    }

    /**
     * Walks every record of the uncompressed batch that {@code batch} holds exactly (position 0 to limit).
     *
     * @throws CorruptRecordException if a record's framing is broken
     * @throws InvalidRecordException if the offset deltas are not 0, 1, 2, ... or the count is wrong
     */
    static Summary walk(ByteBuffer batch, RecordCheck check) {
        int declared = BatchHeader.recordCount(batch, 0);
        long baseTimestamp = batch.getLong(BatchHeader.BASE_TIMESTAMP_OFFSET);
        ByteBuffer in = batch.duplicate().position(BatchHeader.SIZE);
        long maxTimestamp = -1;
        int index = 0;
        try {
            while (in.hasRemaining()) {
                if (index == declared) {
                    throw new InvalidRecordException("Record batch declares " + declared + " records but "
                            + in.remaining() + " bytes follow the last of them");
                }
                int length = ByteUtils.readVarint(in);
                if (length <= 0 || length > in.remaining()) {
                    throw new CorruptRecordException("Record " + index + " declares a length of " + length + " with "
                            + in.remaining() + " bytes left in the batch");
                }
                int end = in.position() + length;
                in.get();
                long timestampDelta = ByteUtils.readVarlong(in);
                int offsetDelta = ByteUtils.readVarint(in);
                if (offsetDelta != index) {
                    throw new InvalidRecordException("Record " + index + " of the batch has offset delta "
                            + offsetDelta + "; deltas must be 0, 1, 2, ...");
                }
                int keyLength = skipBytes(in, end, index, "key");
                skipBytes(in, end, index, "value");
                int headers = ByteUtils.readVarint(in);
                if (headers < 0) {
                    throw new CorruptRecordException("Record " + index + " declares " + headers + " headers");
                }
                for (int h = 0; h < headers; h++) {
                    if (skipBytes(in, end, index, "header key") < 0) {
                        throw new CorruptRecordException("Record " + index + " has a header with a null key");
                    }
                    skipBytes(in, end, index, "header value");
                }
                if (in.position() != end) {
                    throw new CorruptRecordException("Record " + index + " declares " + length + " bytes but its "
                            + "fields take " + (in.position() - (end - length)));
                }
                long timestamp = baseTimestamp + timestampDelta;
                check.check(index, timestamp, keyLength >= 0);
                maxTimestamp = Math.max(maxTimestamp, timestamp);
                index++;
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new CorruptRecordException("Record " + index + " of the batch is truncated or has a malformed "
                    + "varint", e);
        }
        if (index != declared) {
            throw new InvalidRecordException("Record batch declares " + declared + " records but holds " + index);
        }
        return new Summary(index, maxTimestamp);
    }

    /**
     * Reads a length and skips that many bytes, within the record; returns the length. Any negative length means
     * null, as kafka-clients reads it.
     */
    private static int skipBytes(ByteBuffer in, int recordEnd, int index, String field) {
        int length = ByteUtils.readVarint(in);
        if (length > 0 && in.position() + length > recordEnd) {
            throw new CorruptRecordException("Record " + index + " declares a " + field + " of " + length
                    + " bytes, which does not fit in the record");
        }
        if (length > 0) {
            in.position(in.position() + length);
        }
        return length;
    }
}

package io.strata.storage.batch;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Record batches that passed validation, with offsets assigned, ready to be written as they are. Immutable apart
 * from the buffer, which the log writes and the caller must not change afterwards.
 *
 * @param buffer       the batches, back to back, from position 0 to the limit
 * @param batches      one entry per batch, in order
 * @param appendTimeMs the time stamped on the batches under LogAppendTime, or -1 under CreateTime
 */
public record ValidatedBatches(ByteBuffer buffer, List<BatchInfo> batches, long appendTimeMs) {

    public ValidatedBatches {
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("no batches");
        }
        batches = List.copyOf(batches);
    }

    public long firstOffset() {
        return batches.get(0).baseOffset();
    }

    public long lastOffset() {
        return batches.get(batches.size() - 1).lastOffset();
    }

    public int sizeInBytes() {
        return buffer.limit();
    }

    public int recordCount() {
        int count = 0;
        for (BatchInfo batch : batches) {
            count += batch.recordCount();
        }
        return count;
    }

    /** The largest timestamp of all batches. */
    public long maxTimestamp() {
        long max = -1;
        for (BatchInfo batch : batches) {
            max = Math.max(max, batch.maxTimestamp());
        }
        return max;
    }
}

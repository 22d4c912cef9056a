package io.strata.broker.share;

import io.strata.storage.batch.BatchHeader;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Which acquired records of a read_committed share group belong to aborted transactions, and so are archived instead
 * of delivered (as Kafka's share partition does): a transactional data batch of a producer between the first offset
 * of one of its aborted transactions and that transaction's ABORT marker.
 *
 * <p>Reads only batch headers, one pass over the batches read. Stateless; thread-safe.
 */
public final class AbortedRecords {

    private AbortedRecords() {
    }

    /**
     * The offset ranges of the aborted batches among {@code batches} (whole batches, as the log returns them).
     *
     * @param aborted the aborted transactions overlapping the offsets read
     */
    public static List<OffsetRange> abortedBatches(ByteBuffer batches, List<AbortedTransaction> aborted) {
        List<OffsetRange> ranges = new ArrayList<>();
        int position = batches.position();
        while (batches.limit() - position >= BatchHeader.SIZE) {
            int size = BatchHeader.sizeInBytes(batches, position);
            if (size < BatchHeader.SIZE || position + size > batches.limit()) {
                break; // a partial batch at the end of a read carries nothing the member was given
            }
            if (isAbortedBatch(batches, position, aborted)) {
                append(ranges, new OffsetRange(BatchHeader.baseOffset(batches, position),
                        BatchHeader.lastOffset(batches, position)));
            }
            position += size;
        }
        return ranges;
    }

    /**
     * Whether the batch at {@code position} of {@code batches} is a data batch of an aborted transaction among
     * {@code aborted}.
     */
    public static boolean isAbortedBatch(ByteBuffer batches, int position, List<AbortedTransaction> aborted) {
        return BatchHeader.isTransactional(batches, position) && !BatchHeader.isControl(batches, position)
                && isAborted(aborted, BatchHeader.producerId(batches, position),
                BatchHeader.baseOffset(batches, position));
    }

    /** The offsets of {@code acquired} that fall in {@code ranges}. */
    public static List<OffsetRange> within(List<AcquiredRecords> acquired, List<OffsetRange> ranges) {
        List<OffsetRange> overlap = new ArrayList<>();
        for (AcquiredRecords records : acquired) {
            for (OffsetRange range : ranges) {
                long first = Math.max(records.firstOffset(), range.firstOffset());
                long last = Math.min(records.lastOffset(), range.lastOffset());
                if (first <= last) {
                    append(overlap, new OffsetRange(first, last));
                }
            }
        }
        return overlap;
    }

    /** {@code acquired} without the offsets in {@code ranges} (sorted, disjoint). */
    public static List<AcquiredRecords> without(List<AcquiredRecords> acquired, List<OffsetRange> ranges) {
        List<AcquiredRecords> kept = new ArrayList<>();
        for (AcquiredRecords records : acquired) {
            long next = records.firstOffset();
            for (OffsetRange range : ranges) {
                if (range.lastOffset() < next || range.firstOffset() > records.lastOffset()) {
                    continue;
                }
                if (range.firstOffset() > next) {
                    kept.add(new AcquiredRecords(next, range.firstOffset() - 1, records.deliveryCount()));
                }
                next = range.lastOffset() + 1;
            }
            if (next <= records.lastOffset()) {
                kept.add(new AcquiredRecords(next, records.lastOffset(), records.deliveryCount()));
            }
        }
        return kept;
    }

    private static boolean isAborted(List<AbortedTransaction> aborted, long producerId, long baseOffset) {
        for (AbortedTransaction transaction : aborted) {
            if (transaction.producerId() == producerId && baseOffset >= transaction.firstOffset()
                    && baseOffset < transaction.lastOffset()) {
                return true;
            }
        }
        return false;
    }

    private static void append(List<OffsetRange> ranges, OffsetRange range) {
        OffsetRange last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
        if (last != null && last.lastOffset() + 1 == range.firstOffset()) {
            ranges.set(ranges.size() - 1, new OffsetRange(last.firstOffset(), range.lastOffset()));
        } else {
            ranges.add(range);
        }
    }
}

package io.strata.broker.api;

import io.strata.broker.share.OffsetRange;
import io.strata.broker.share.ShareRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of one share fetch's read of the log, as a share filter sees them: offset, timestamp, key and headers,
 * looked up by offset. Values are never kept: an uncompressed batch is read in place (key and value are views of
 * the read, headers decoded), a compressed one is decompressed record by record and only the headers and key stay.
 *
 * <p>Batches are decoded when an offset in them is first asked for, one at a time: a filtered acquisition asks for
 * offsets in ascending order, so each batch it reaches is decoded once and the batches past the records it needs are
 * never decoded. An offset in a control batch, in {@code aborted} (records of aborted transactions, for a
 * read_committed group), or removed by compaction has no record.
 *
 * <p>Memory: the read itself (at most the fetch's byte budget) and the records of one batch. Not thread-safe: one
 * acquisition uses it.
 */
final class FetchedShareRecords {

    private final List<MutableRecordBatch> batches = new ArrayList<>();
    private final List<OffsetRange> aborted;
    /** The batch whose records {@link #decoded} holds, by index in {@link #batches}; -1 for none. */
    private int decodedBatch = -1;
    /** The records of {@link #decodedBatch} by offset minus its base offset; null where compaction removed one. */
    private ShareRecord[] decoded;

    /**
     * @param read    whole batches, as the log returns them; a partial batch at the end is left out
     * @param aborted offset ranges of aborted transactions' batches, sorted; empty for a read_uncommitted group
     */
    FetchedShareRecords(ByteBuffer read, List<OffsetRange> aborted) {
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(read).batches()) {
            batches.add(batch);
        }
        this.aborted = List.copyOf(aborted);
    }

    /** The first offset of the read (its first batch's base offset), or -1 when it holds no batch. */
    long firstOffset() {
        return batches.isEmpty() ? -1 : batches.get(0).baseOffset();
    }

    /** One past the last offset of the read, or -1 when it holds no batch. */
    long endOffset() {
        return batches.isEmpty() ? -1 : batches.get(batches.size() - 1).lastOffset() + 1;
    }

    /** The record at {@code offset}, or null when the read has no data record there. */
    ShareRecord record(long offset) {
        int index = batchOf(offset);
        if (index < 0 || batches.get(index).isControlBatch() || isAborted(offset)) {
            return null;
        }
        if (index != decodedBatch) {
            decode(index);
        }
        return decoded[(int) (offset - batches.get(index).baseOffset())];
    }

    /** The index of the batch holding {@code offset}, or -1: a binary search over the batches' offset ranges. */
    private int batchOf(long offset) {
        int low = 0;
        int high = batches.size() - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            MutableRecordBatch batch = batches.get(middle);
            if (offset < batch.baseOffset()) {
                high = middle - 1;
            } else if (offset > batch.lastOffset()) {
                low = middle + 1;
            } else {
                return middle;
            }
        }
        return -1;
    }

    private boolean isAborted(long offset) {
        for (OffsetRange range : aborted) {
            if (offset >= range.firstOffset() && offset <= range.lastOffset()) {
                return true;
            }
        }
        return false;
    }

    private void decode(int index) {
        MutableRecordBatch batch = batches.get(index);
        long span = batch.lastOffset() - batch.baseOffset() + 1;
        if (span > Integer.MAX_VALUE) {
            throw new IllegalStateException("batch at offset " + batch.baseOffset() + " spans " + span + " offsets");
        }
        ShareRecord[] records = new ShareRecord[(int) span];
        try (CloseableIterator<Record> iterator = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            while (iterator.hasNext()) {
                Record record = iterator.next();
                records[(int) (record.offset() - batch.baseOffset())] = new Fetched(record.offset(),
                        record.timestamp(), record.key(), record.headers());
            }
        }
        decoded = records;
        decodedBatch = index;
    }

    /** A record as a filter sees it. */
    private record Fetched(long offset, long timestampMs, ByteBuffer key, Header[] headers) implements ShareRecord {
    }
}

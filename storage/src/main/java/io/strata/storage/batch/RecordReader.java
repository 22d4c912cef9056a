package io.strata.storage.batch;

import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.nio.ByteBuffer;

/**
 * Reads individual records out of stored batches, decompressing where needed, for the few storage operations that
 * look inside a batch (finding an offset by timestamp). Stateless; thread-safe.
 */
public final class RecordReader {

    private RecordReader() {
    }

    /** A record's offset and timestamp. */
    public record OffsetAndTimestamp(long offset, long timestamp) {
    }

    /**
     * The first record in {@code batch} (one whole batch) with a timestamp at or after {@code timestamp} and an
     * offset at or after {@code minOffset}, or {@code null}.
     */
    public static OffsetAndTimestamp firstAtOrAfter(ByteBuffer batch, long timestamp, long minOffset) {
        for (MutableRecordBatch recordBatch : MemoryRecords.readableRecords(batch).batches()) {
            try (CloseableIterator<Record> records = recordBatch.streamingIterator(BufferSupplier.NO_CACHING)) {
                while (records.hasNext()) {
                    Record record = records.next();
                    if (record.timestamp() >= timestamp && record.offset() >= minOffset) {
                        return new OffsetAndTimestamp(record.offset(), record.timestamp());
                    }
                }
            }
        }
        return null;
    }
}

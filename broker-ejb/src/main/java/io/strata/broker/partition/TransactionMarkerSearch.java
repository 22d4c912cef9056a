package io.strata.broker.partition;

import io.strata.storage.batch.BatchHeader;
import io.strata.storage.log.LogReadResult;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Finds a producer's transaction markers in a partition's log, for a new share-partition leader deciding the
 * acknowledgements that were pending in a transaction when the last leader went (docs/protocol-extensions.md). Lives
 * beside {@link Partition} because it reads batches with kafka-clients' record classes, which only the packages that
 * read and write batches touch. Stateless and thread-safe, as a partition's reads are.
 */
public final class TransactionMarkerSearch {

    /** How much of the log one step of a search reads into memory (a larger batch is read whole). */
    public static final int READ_BYTES = 1 << 20;

    /** A COMMIT ({@code commit}) or ABORT marker at {@code offset}. */
    public record Marker(long offset, boolean commit) {
    }

    private TransactionMarkerSearch() {
    }

    /**
     * The producer's first COMMIT or ABORT marker at or after {@code fromOffset} (or the log start offset, if higher)
     * and below the high watermark, reading the log forward {@link #READ_BYTES} at a time and looking at batch headers
     * only, but for the producer's control batches; null when there is none. Bounded by the log between the two
     * offsets.
     */
    public static Marker first(Partition partition, long producerId, long fromOffset) {
        long offset = Math.max(fromOffset, partition.log().logStartOffset());
        while (offset < partition.highWatermark()) {
            long readFrom = offset;
            ByteBuffer batches;
            try (LogReadResult read = partition.readForConsumer(offset, READ_BYTES, true)) {
                if (read.records().sizeInBytes() == 0) {
                    return null; // the next batch reaches past the high watermark
                }
                batches = read.records().readAll();
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + partition.topicPartition() + " from offset " + offset
                        + " for a transaction marker failed", e);
            }
            int position = 0;
            while (batches.limit() - position >= BatchHeader.SIZE) {
                int size = BatchHeader.sizeInBytes(batches, position);
                if (size < BatchHeader.SIZE || position + size > batches.limit()) {
                    break;
                }
                long lastOffset = BatchHeader.lastOffset(batches, position);
                if (lastOffset >= offset && BatchHeader.isControl(batches, position)
                        && BatchHeader.producerId(batches, position) == producerId) {
                    Boolean commit = commitOf(batches.slice(position, size));
                    if (commit != null) {
                        return new Marker(BatchHeader.baseOffset(batches, position), commit);
                    }
                }
                offset = Math.max(offset, lastOffset + 1);
                position += size;
            }
            if (offset == readFrom) {
                throw new IllegalStateException("a read of " + partition.topicPartition() + " at offset " + offset
                        + " returned no whole batch past it");
            }
        }
        return null;
    }

    /** Whether the control batch holds a COMMIT (true) or an ABORT (false) marker; null for another control type. */
    private static Boolean commitOf(ByteBuffer batch) {
        for (RecordBatch control : MemoryRecords.readableRecords(batch).batches()) {
            try (CloseableIterator<Record> records = control.streamingIterator(BufferSupplier.NO_CACHING)) {
                if (!records.hasNext()) {
                    return null;
                }
                ControlRecordType type = ControlRecordType.parse(records.next().key());
                return type == ControlRecordType.COMMIT ? Boolean.TRUE
                        : type == ControlRecordType.ABORT ? Boolean.FALSE : null;
            }
        }
        return null;
    }
}

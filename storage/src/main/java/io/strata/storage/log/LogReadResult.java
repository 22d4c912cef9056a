package io.strata.storage.log;

import io.strata.storage.file.FileRegion;

/**
 * Batches read from a log, as a file region to send zero-copy, with the log's bounds at the time of the read. The
 * region must be closed once sent. Immutable.
 *
 * @param records           whole batches, possibly none
 * @param logStartOffset    the first offset a reader may ask for
 * @param logEndOffset      the offset the next record will get
 * @param segmentBaseOffset the base offset of the segment the batches come from, or -1 if there are none; for
 *                          {@link PartitionLog#nextOffsetAfter}
 */
public record LogReadResult(FileRegion records, long logStartOffset, long logEndOffset, long segmentBaseOffset)
        implements AutoCloseable {

    /** A read that returned no batches. */
    public LogReadResult(FileRegion records, long logStartOffset, long logEndOffset) {
        this(records, logStartOffset, logEndOffset, -1);
    }

    @Override
    public void close() {
        records.close();
    }
}

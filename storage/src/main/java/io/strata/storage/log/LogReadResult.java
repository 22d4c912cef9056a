package io.strata.storage.log;

import io.strata.storage.file.FileRegion;

/**
 * Batches read from a log, as a file region to send zero-copy, with the log's bounds at the time of the read. The
 * region must be closed once sent. Immutable.
 *
 * @param records        whole batches, possibly none
 * @param logStartOffset the first offset a reader may ask for
 * @param logEndOffset   the offset the next record will get
 */
public record LogReadResult(FileRegion records, long logStartOffset, long logEndOffset) implements AutoCloseable {

    @Override
    public void close() {
        records.close();
    }
}

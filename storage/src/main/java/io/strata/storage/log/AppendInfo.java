package io.strata.storage.log;

import io.strata.storage.batch.BatchInfo;

import java.util.List;

/**
 * The outcome of an append. Immutable.
 *
 * @param firstOffset     the offset of the first record written
 * @param lastOffset      the offset of the last record written
 * @param appendTimeMs    the time stamped on the records under LogAppendTime, or -1 under CreateTime
 * @param logEndOffset    the log's end offset after the append: the next offset to be assigned
 * @param logStartOffset  the log's start offset at the time of the append
 * @param recordCount     records written
 * @param sizeInBytes     bytes written
 * @param batches         the batches written, with their offsets and producer fields
 */
public record AppendInfo(long firstOffset, long lastOffset, long appendTimeMs, long logEndOffset,
                         long logStartOffset, int recordCount, int sizeInBytes, List<BatchInfo> batches) {
}

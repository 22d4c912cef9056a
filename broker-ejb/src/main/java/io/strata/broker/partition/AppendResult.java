package io.strata.broker.partition;

import io.strata.storage.log.AppendInfo;

/**
 * What an append to a partition did: the offsets the records have (new, or those of the original when the batch was
 * a retry of one already written), the append time under LogAppendTime, and the log start offset. Immutable.
 */
public record AppendResult(long firstOffset, long lastOffset, long logAppendTimeMs, long logStartOffset,
                           int recordCount, int sizeInBytes, boolean duplicate) {

    static AppendResult appended(AppendInfo info) {
        return new AppendResult(info.firstOffset(), info.lastOffset(), info.appendTimeMs(), info.logStartOffset(),
                info.recordCount(), info.sizeInBytes(), false);
    }

    static AppendResult duplicate(long firstOffset, long lastOffset, long logStartOffset) {
        return new AppendResult(firstOffset, lastOffset, -1, logStartOffset, 0, 0, true);
    }
}

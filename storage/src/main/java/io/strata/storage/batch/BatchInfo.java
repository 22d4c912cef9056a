package io.strata.storage.batch;

/**
 * What the log needs to know of one validated batch to index it: where it lies in the appended buffer and which
 * offsets, timestamps and leader epoch it carries. Immutable.
 *
 * @param position             where the batch starts in the appended buffer
 * @param sizeInBytes          the batch's total size
 * @param baseOffset           the offset of its first record, as assigned
 * @param lastOffset           the offset of its last record, as assigned
 * @param maxTimestamp         the largest record timestamp, or the append time under LogAppendTime
 * @param recordCount          the records it holds
 * @param producerId           the idempotent producer's id, or -1
 * @param producerEpoch        the producer's epoch, or -1
 * @param baseSequence         the sequence number of the first record, or -1
 * @param partitionLeaderEpoch the epoch of the leader that wrote the batch, or -1 if none was stamped
 */
public record BatchInfo(int position, int sizeInBytes, long baseOffset, long lastOffset, long maxTimestamp,
                        int recordCount, long producerId, short producerEpoch, int baseSequence,
                        int partitionLeaderEpoch) {
}

package io.strata.storage.cleaner;

/**
 * What one cleaning of a log did. Immutable.
 *
 * @param endOffset               the offset below which the log is now clean
 * @param segmentsBefore          segments read
 * @param segmentsAfter           segments written
 * @param bytesRead               bytes of batches read
 * @param bytesWritten            bytes of batches written
 * @param recordsRead             records read
 * @param recordsRetained         records kept
 * @param earliestDeleteHorizonMs the earliest time a kept tombstone may be dropped, or {@code Long.MAX_VALUE}
 * @param elapsedMs               time taken
 * @param aborted                 whether the cleaning stopped without replacing anything
 */
public record CleanerStats(long endOffset, int segmentsBefore, int segmentsAfter, long bytesRead, long bytesWritten,
                           long recordsRead, long recordsRetained, long earliestDeleteHorizonMs, long elapsedMs,
                           boolean aborted) {

    static CleanerStats aborted(long endOffset) {
        return new CleanerStats(endOffset, 0, 0, 0, 0, 0, 0, Long.MAX_VALUE, 0, true);
    }

    @Override
    public String toString() {
        return aborted ? "aborted"
                : String.format("%d segment(s) of %d bytes into %d segment(s) of %d bytes, %d of %d records kept, "
                        + "clean below offset %d, in %d ms", segmentsBefore, bytesRead, segmentsAfter, bytesWritten,
                recordsRetained, recordsRead, endOffset, elapsedMs);
    }
}

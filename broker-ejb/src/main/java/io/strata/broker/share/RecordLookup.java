package io.strata.broker.share;

import java.util.function.LongFunction;

/**
 * The records a filtered acquisition tests: one read of the log, asked for in ascending offset order so that an
 * implementation may read and decode lazily, only as far as the acquisition goes. Not thread-safe: one acquisition
 * uses it.
 */
public interface RecordLookup {

    /** The first offset the read holds; offsets below it are not tested and stay Available. */
    long firstOffset();

    /**
     * Whether the read reaches {@code offset} (at or past {@link #firstOffset}). Past the end of the read the
     * acquisition stops: what lies there is not tested and stays Available.
     */
    boolean reaches(long offset);

    /**
     * The record at an offset the read reaches, or null when the read holds none there (removed by compaction, a
     * control record, a record of an aborted transaction): such an offset has nothing to deliver and is archived.
     */
    ShareRecord record(long offset);

    /** A lookup reaching every offset from {@code firstOffset}, its records given by {@code records}. */
    static RecordLookup of(long firstOffset, LongFunction<? extends ShareRecord> records) {
        return new RecordLookup() {
            @Override
            public long firstOffset() {
                return firstOffset;
            }

            @Override
            public boolean reaches(long offset) {
                return offset >= firstOffset;
            }

            @Override
            public ShareRecord record(long offset) {
                return records.apply(offset);
            }
        };
    }
}

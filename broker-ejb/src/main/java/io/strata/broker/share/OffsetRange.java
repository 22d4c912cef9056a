package io.strata.broker.share;

/** Offsets {@code firstOffset} to {@code lastOffset}, both included. Immutable. */
public record OffsetRange(long firstOffset, long lastOffset) {

    public OffsetRange {
        if (firstOffset < 0 || lastOffset < firstOffset) {
            throw new IllegalArgumentException("bad offset range " + firstOffset + ".." + lastOffset);
        }
    }

    /** How many offsets the range holds. */
    public long count() {
        return lastOffset - firstOffset + 1;
    }
}

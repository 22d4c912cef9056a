package io.strata.broker.local;

/** A partition's first offset and its end (the offset of the next record, the high watermark). Immutable. */
public record OffsetRange(long start, long end) {
}

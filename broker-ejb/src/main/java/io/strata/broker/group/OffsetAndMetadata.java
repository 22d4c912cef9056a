package io.strata.broker.group;

/**
 * A committed offset: the next offset to consume, the leader epoch of the last consumed record (or -1), the client's
 * metadata string, and when it was committed. Immutable.
 */
public record OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestampMs) {
}

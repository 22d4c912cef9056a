package io.strata.broker.group;

/** What a SyncGroup gets back: an error code, or the member's assignment. Immutable. */
public record SyncResult(short errorCode, byte[] assignment) {
}

package io.strata.broker.local;

/** Where a sent record was stored: its partition, offset and timestamp. Immutable. */
public record RecordPosition(String topic, int partition, long offset, long timestamp) {
}

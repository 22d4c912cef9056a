package io.strata.broker.local;

import org.apache.kafka.common.header.Header;

import java.util.List;

/** A record read from a partition. Immutable apart from the arrays, which belong to the caller. */
public record StoredRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                           List<Header> headers) {
}

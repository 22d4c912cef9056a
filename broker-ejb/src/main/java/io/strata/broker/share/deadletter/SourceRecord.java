package io.strata.broker.share.deadletter;

import org.apache.kafka.common.header.Header;

import java.util.List;

/**
 * A record as its share group read it from the source topic partition, for its dead-letter copy: offset, timestamp
 * (the log append time under LogAppendTime), key, value (either may be null) and headers. Immutable apart from the
 * arrays, which the writer only reads.
 */
public record SourceRecord(long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) {

    public SourceRecord {
        headers = List.copyOf(headers);
    }
}

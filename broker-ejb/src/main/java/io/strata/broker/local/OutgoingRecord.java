package io.strata.broker.local;

import org.apache.kafka.common.header.Header;

import java.util.List;
import java.util.Objects;

/**
 * A record to send: topic, partition (or {@code null} to let the key choose, as Kafka's default partitioner does, or
 * to spread keyless records), key, value, headers and timestamp (or {@code null} for now). Immutable.
 */
public record OutgoingRecord(String topic, Integer partition, byte[] key, byte[] value, List<Header> headers,
                             Long timestamp) {

    public OutgoingRecord {
        Objects.requireNonNull(topic, "topic");
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    public static OutgoingRecord of(String topic, byte[] key, byte[] value) {
        return new OutgoingRecord(topic, null, key, value, List.of(), null);
    }
}

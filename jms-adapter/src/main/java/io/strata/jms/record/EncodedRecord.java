package io.strata.jms.record;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

import java.util.List;

/**
 * A JMS message as a Kafka record, before it has a topic and a partition: what {@link MessageRecordCodec#encode}
 * gives the producer. Immutable (the arrays are the codec's own and not changed after), so thread-safe.
 *
 * @param key         the record key: the UTF-8 of JMSXGroupID, or null
 * @param value       the body, or null for a message without body
 * @param headers     JMS header fields and properties, in the order written
 * @param timestampMs the record timestamp (JMSTimestamp), or null to let the producer stamp it
 */
public record EncodedRecord(byte[] key, byte[] value, List<Header> headers, Long timestampMs) {

    public EncodedRecord {
        headers = List.copyOf(headers);
    }

    /** The record for {@code topic}, the partition left to the producer's partitioner (which hashes the key). */
    public ProducerRecord<byte[], byte[]> toProducerRecord(String topic) {
        return new ProducerRecord<>(topic, null, timestampMs, key, value, headers);
    }

    /** The value of the last header named {@code key}, or null; the same rule the broker's selectors use. */
    public byte[] header(String key) {
        for (int i = headers.size() - 1; i >= 0; i--) {
            if (headers.get(i).key().equals(key)) {
                return headers.get(i).value();
            }
        }
        return null;
    }
}

package io.strata.jms.share;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One record a share group gave this member: where it is ({@code topicPartition}, {@code offset}), what the log holds
 * (timestamp, key, value and headers, in their order, byte arrays as written) and how often the group has delivered
 * it ({@code deliveryCount}, 1 the first time: JMS's {@code JMSXDeliveryCount}). Acknowledge it through the engine
 * that returned it. Immutable once made: its arrays are not copied, so callers must not change them.
 */
public record ShareRecord(TopicIdPartition topicPartition, long offset, long timestamp, byte[] key, byte[] value,
                          List<Header> headers, int deliveryCount) {

    public ShareRecord {
        Objects.requireNonNull(topicPartition, "topicPartition");
        headers = List.copyOf(headers);
        if (offset < 0 || deliveryCount < 1) {
            throw new IllegalArgumentException("offset " + offset + " and delivery count " + deliveryCount
                    + " must be positive");
        }
    }

    public String topic() {
        return topicPartition.topic();
    }

    public int partition() {
        return topicPartition.partition();
    }

    /** The last header of that key, or null: a JMS property's header (docs/protocol-extensions.md). */
    public Header lastHeader(String headerKey) {
        for (int i = headers.size() - 1; i >= 0; i--) {
            if (headers.get(i).key().equals(headerKey)) {
                return headers.get(i);
            }
        }
        return null;
    }

    /**
     * The record as kafka-clients' consumers give it, with its delivery count, which is what the JMS codec
     * ({@code MessageRecordCodec#decode}) reads: JMSRedelivered and JMSXDeliveryCount come from that count.
     */
    public ConsumerRecord<byte[], byte[]> toConsumerRecord() {
        return new ConsumerRecord<>(topic(), partition(), offset, timestamp, TimestampType.CREATE_TIME,
                key == null ? -1 : key.length, value == null ? -1 : value.length, key, value,
                new RecordHeaders(headers), Optional.empty(), Optional.of((short) Math.min(deliveryCount,
                Short.MAX_VALUE)));
    }

    /** What the record weighs in the engine's buffer: its arrays plus a fixed overhead for the objects around them. */
    int sizeInBytes() {
        int size = 64 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (Header header : headers) {
            size += 32 + header.key().length() + (header.value() == null ? 0 : header.value().length);
        }
        return size;
    }

    @Override
    public String toString() {
        return "ShareRecord[" + topicPartition + "@" + offset + ", delivery " + deliveryCount + "]";
    }
}

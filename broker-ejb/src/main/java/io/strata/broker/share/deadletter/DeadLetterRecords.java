package io.strata.broker.share.deadletter;

import io.strata.broker.share.DeadLetterWriter.DeadLetter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the record a share group writes to its dead-letter topic for a record it gave up on, and names its headers.
 *
 * <p>KIP-1191's context headers, every value a UTF-8 string: {@value #TOPIC}, {@value #PARTITION}, {@value #OFFSET},
 * {@value #GROUP}, {@value #DELIVERY_COUNT} and {@value #MESSAGE}. Strata adds {@value #REASON} ({@code CLIENT_REJECT}
 * or {@code DELIVERY_COUNT_EXCEEDED}, to route on without parsing the message) and {@value #TIMESTAMP} (the source
 * record's timestamp in epoch milliseconds, when the record is still in the log).
 *
 * <p>With {@code errors.deadletterqueue.copy.record.enable} the key, the value and the original headers (before the
 * context headers, in their order) are copied; without it, as in Kafka, the key and value are null and only the
 * context headers are written. The record's own timestamp is the time of the dead-letter write, as in Kafka, so that
 * the dead-letter topic's retention counts from when the record arrived there.
 *
 * <p>Stateless; thread-safe.
 */
public final class DeadLetterRecords {

    public static final String TOPIC = "__dlq.errors.topic";
    public static final String PARTITION = "__dlq.errors.partition";
    public static final String OFFSET = "__dlq.errors.offset";
    public static final String GROUP = "__dlq.errors.group";
    public static final String DELIVERY_COUNT = "__dlq.errors.delivery.count";
    public static final String MESSAGE = "__dlq.errors.message";
    /** Strata's: the reason as a constant, {@code CLIENT_REJECT} or {@code DELIVERY_COUNT_EXCEEDED}. */
    public static final String REASON = "__strata.dlq.reason";
    /** Strata's: the source record's timestamp, in epoch milliseconds. */
    public static final String TIMESTAMP = "__strata.dlq.timestamp";

    private DeadLetterRecords() {
    }

    /**
     * The dead-letter record of {@code letter}.
     *
     * @param sourceTopic    the name of the topic the record came from
     * @param source         the record as the log holds it, or null when it is no longer there (retention, compaction)
     * @param copyRecord     whether the key, value and headers are copied
     * @param deadLetterPartition the partition of the dead-letter topic to write to
     * @param nowMs          the time of the write, the dead-letter record's timestamp
     */
    public static ProducerRecord<byte[], byte[]> build(DeadLetter letter, String sourceTopic, SourceRecord source,
                                                       boolean copyRecord, String deadLetterTopic,
                                                       int deadLetterPartition, long nowMs) {
        if (source != null && source.offset() != letter.offset()) {
            throw new IllegalArgumentException("source record at offset " + source.offset() + " is not the one to"
                    + " dead-letter, at " + letter.offset());
        }
        if (deadLetterPartition < 0) {
            throw new IllegalArgumentException("negative dead-letter partition " + deadLetterPartition);
        }
        boolean copy = copyRecord && source != null;
        List<Header> headers = new ArrayList<>();
        if (copy) {
            headers.addAll(source.headers());
        }
        headers.add(header(TOPIC, sourceTopic));
        headers.add(header(PARTITION, Integer.toString(letter.topicPartition().partition())));
        headers.add(header(OFFSET, Long.toString(letter.offset())));
        headers.add(header(GROUP, letter.groupId()));
        headers.add(header(DELIVERY_COUNT, Integer.toString(letter.deliveryCount())));
        headers.add(header(MESSAGE, letter.reason().message()));
        headers.add(header(REASON, letter.reason().name()));
        if (source != null) {
            headers.add(header(TIMESTAMP, Long.toString(source.timestamp())));
        }
        return new ProducerRecord<>(deadLetterTopic, deadLetterPartition, nowMs, copy ? source.key() : null,
                copy ? source.value() : null, headers);
    }

    /** The partition of a dead-letter topic of {@code partitionCount} partitions that a source partition writes to. */
    public static int partitionFor(int sourcePartition, int partitionCount) {
        if (partitionCount < 1) {
            throw new IllegalArgumentException("a dead-letter topic of " + partitionCount + " partitions");
        }
        return sourcePartition % partitionCount;
    }

    private static Header header(String key, String value) {
        return new Utf8Header(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A header of the dead-letter record. */
    private record Utf8Header(String key, byte[] value) implements Header {
    }
}

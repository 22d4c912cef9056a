package io.strata.storage.segment;

import org.apache.kafka.common.errors.KafkaStorageException;

/**
 * A segment holds bytes that are not a valid record batch where one should be. Such a range is never served: the
 * read fails with this exception (Kafka's KAFKA_STORAGE_ERROR) and the log reports it at ERROR level.
 */
public final class SegmentCorruptException extends KafkaStorageException {
    public SegmentCorruptException(String message) {
        super(message);
    }
}

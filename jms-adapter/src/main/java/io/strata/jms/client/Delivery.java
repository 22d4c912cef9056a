package io.strata.jms.client;

import io.strata.jms.message.StrataMessage;
import io.strata.jms.share.ShareRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record a consumer got, on its way to the application: the record as the codec reads it, the share record it
 * came as (null when read without a share group), and the message once decoded. Acknowledged through its consumer's
 * {@link RecordSource}. Used by the session's thread of control only.
 */
final class Delivery {

    final StrataMessageConsumer consumer;
    final ConsumerRecord<byte[], byte[]> record;
    final ShareRecord shareRecord;
    StrataMessage message;

    Delivery(StrataMessageConsumer consumer, ConsumerRecord<byte[], byte[]> record, ShareRecord shareRecord) {
        this.consumer = consumer;
        this.record = record;
        this.shareRecord = shareRecord;
    }

    @Override
    public String toString() {
        return "Delivery[" + record.topic() + "-" + record.partition() + "@" + record.offset() + "]";
    }
}

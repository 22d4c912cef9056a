package io.strata.jms.client;

import io.strata.jms.record.MessageRecordCodec;
import io.strata.jms.share.ShareRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A record's JMSPriority read from its {@code JMSPriority} header alone, as the codec reads it (0 to 9, 4 when absent
 * or invalid), so that a consumer orders what it fetched by priority without decoding the messages: a message is
 * decoded once, when it is delivered. Stateless.
 */
final class JmsPriority {

    private JmsPriority() {
    }

    static int of(ShareRecord record) {
        return of(record.lastHeader(MessageRecordCodec.PRIORITY_HEADER));
    }

    static int of(ConsumerRecord<byte[], byte[]> record) {
        return of(record.headers().lastHeader(MessageRecordCodec.PRIORITY_HEADER));
    }

    private static int of(Header header) {
        return MessageRecordCodec.priority(header == null ? null : header.value());
    }
}

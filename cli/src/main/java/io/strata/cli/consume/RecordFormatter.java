package io.strata.cli.consume;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * Prints a record as one line of tab-separated fields in the order and form of Kafka's console consumer, so output
 * from either tool reads the same: {@code CreateTime:TS}, {@code Partition:P}, {@code Offset:O}, headers as
 * {@code k:v,k:v} (or {@code NO_HEADERS}), key, and always the value last. Keys, values and header values are
 * decoded as UTF-8; a null one prints as {@code null}.
 *
 * <p>Immutable; thread-safe.
 */
final class RecordFormatter {

    private final boolean timestamp;
    private final boolean partition;
    private final boolean offset;
    private final boolean headers;
    private final boolean key;

    RecordFormatter(boolean timestamp, boolean partition, boolean offset, boolean headers, boolean key) {
        this.timestamp = timestamp;
        this.partition = partition;
        this.offset = offset;
        this.headers = headers;
        this.key = key;
    }

    String format(ConsumerRecord<byte[], byte[]> record) {
        StringBuilder line = new StringBuilder();
        if (timestamp) {
            TimestampType type = record.timestampType();
            line.append(type == TimestampType.NO_TIMESTAMP_TYPE ? "NoTimestamp" : type.name + ":" + record.timestamp())
                    .append('\t');
        }
        if (partition) {
            line.append("Partition:").append(record.partition()).append('\t');
        }
        if (offset) {
            line.append("Offset:").append(record.offset()).append('\t');
        }
        if (headers) {
            appendHeaders(line, record.headers().iterator());
            line.append('\t');
        }
        if (key) {
            line.append(text(record.key())).append('\t');
        }
        return line.append(text(record.value())).toString();
    }

    private static void appendHeaders(StringBuilder line, Iterator<Header> headers) {
        if (!headers.hasNext()) {
            line.append("NO_HEADERS");
            return;
        }
        while (headers.hasNext()) {
            Header header = headers.next();
            line.append(header.key()).append(':').append(text(header.value()));
            if (headers.hasNext()) {
                line.append(',');
            }
        }
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }
}

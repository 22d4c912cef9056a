package io.strata.broker.share.selector;

import io.strata.broker.share.ShareRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Records with headers, as a share filter sees them, for the selector tests. Stateless. */
final class TestRecords {

    private TestRecords() {
    }

    /** A record at {@code offset} with timestamp 1000 and the headers {@code key, value, key, value, ...}. */
    static ShareRecord record(long offset, String... keysAndValues) {
        return record(offset, 1000, keysAndValues);
    }

    static ShareRecord record(long offset, long timestampMs, String... keysAndValues) {
        Header[] headers = new Header[keysAndValues.length / 2];
        for (int i = 0; i < headers.length; i++) {
            String value = keysAndValues[2 * i + 1];
            headers[i] = new RecordHeader(keysAndValues[2 * i],
                    value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        }
        return new Record(offset, timestampMs, null, headers);
    }

    private record Record(long offset, long timestampMs, ByteBuffer key, Header[] headers) implements ShareRecord {
    }
}

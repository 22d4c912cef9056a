package io.strata.broker.api;

import io.strata.broker.share.OffsetRange;
import io.strata.broker.share.ShareRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The records of a share fetch's read as a filter sees them: uncompressed, compressed, control and compacted. */
@Timeout(30)
class FetchedShareRecordsTest {

    /** Offsets 0..2 plain, 3 a commit marker, 4..6 gzip, 7 and 9 plain with 8 compacted away. */
    private static ByteBuffer read() {
        MemoryRecords plain = MemoryRecords.withRecords(0, Compression.NONE, record(100, "red", "v0"),
                record(101, "blue", "v1"), record(102, "red", "v2"));
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(3, 103, RecordBatch.NO_PARTITION_LEADER_EPOCH,
                42, (short) 0, new EndTransactionMarker(ControlRecordType.COMMIT, 0));
        MemoryRecords gzip = MemoryRecords.withRecords(4, Compression.gzip().build(), record(104, "blue", "v4"),
                record(105, "green", "v5"), record(106, "red", "v6"));
        MemoryRecordsBuilder compacted = MemoryRecords.builder(ByteBuffer.allocate(1024), Compression.NONE,
                TimestampType.CREATE_TIME, 7);
        compacted.appendWithOffset(7, record(107, "red", "v7"));
        compacted.appendWithOffset(9, record(109, "blue", "v9"));
        MemoryRecords gapped = compacted.build();
        ByteBuffer read = ByteBuffer.allocate(plain.sizeInBytes() + marker.sizeInBytes() + gzip.sizeInBytes()
                + gapped.sizeInBytes());
        read.put(plain.buffer()).put(marker.buffer()).put(gzip.buffer()).put(gapped.buffer());
        return read.flip();
    }

    private static SimpleRecord record(long timestampMs, String colour, String value) {
        return new SimpleRecord(timestampMs, ("k-" + value).getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), new Header[]{
                        new RecordHeader("colour", colour.getBytes(StandardCharsets.UTF_8))});
    }

    private static String colour(ShareRecord record) {
        return new String(record.headers()[0].value(), StandardCharsets.UTF_8);
    }

    @Test
    void eachDataRecordIsFoundByOffsetWithItsTimestampKeyAndHeaders() {
        FetchedShareRecords records = new FetchedShareRecords(read(), List.of());

        assertThat(records.firstOffset()).isZero();
        assertThat(records.endOffset()).isEqualTo(10);
        String[] colours = {"red", "blue", "red", null, "blue", "green", "red", "red", null, "blue"};
        for (int offset = 0; offset < colours.length; offset++) {
            ShareRecord record = records.record(offset);
            if (colours[offset] == null) {
                assertThat(record).as("offset " + offset).isNull();
                continue;
            }
            assertThat(record.offset()).isEqualTo(offset);
            assertThat(record.timestampMs()).isEqualTo(100 + offset);
            assertThat(colour(record)).as("offset " + offset).isEqualTo(colours[offset]);
            assertThat(StandardCharsets.UTF_8.decode(record.key()).toString()).isEqualTo("k-v" + offset);
        }
    }

    @Test
    void offsetsOutsideTheReadAndInAbortedRangesHaveNoRecord() {
        FetchedShareRecords records = new FetchedShareRecords(read(), List.of(new OffsetRange(4, 6)));

        assertThat(records.record(10)).isNull();
        assertThat(records.record(-1)).isNull();
        assertThat(records.record(5)).isNull();
        assertThat(colour(records.record(7))).isEqualTo("red");
        // Asked out of order, batches are decoded again and still answer.
        assertThat(colour(records.record(0))).isEqualTo("red");
        assertThat(colour(records.record(9))).isEqualTo("blue");
    }

    @Test
    void anEmptyReadHoldsNothing() {
        FetchedShareRecords records = new FetchedShareRecords(ByteBuffer.allocate(0), List.of());

        assertThat(records.firstOffset()).isEqualTo(-1);
        assertThat(records.endOffset()).isEqualTo(-1);
        assertThat(records.record(0)).isNull();
    }
}

package io.strata.broker.api;

import io.strata.broker.share.ShareRecord;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
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

/**
 * The records of a share fetch's read as a filter sees them: uncompressed, compressed, transactional, control and
 * compacted batches; read lazily, as far as asked; a read that cannot be decoded ends the lookup, never archives.
 */
@Timeout(30)
class FetchedShareRecordsTest {

    private static final long PRODUCER_ID = 42;

    /** Offsets 0..2 plain, 3 a commit marker, 4..6 gzip in a transaction, 7 and 9 plain with 8 compacted away. */
    private static ByteBuffer read() {
        MemoryRecords plain = MemoryRecords.withRecords(0, Compression.NONE, record(100, "red", "v0"),
                record(101, "blue", "v1"), record(102, "red", "v2"));
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(3, 103, RecordBatch.NO_PARTITION_LEADER_EPOCH,
                7, (short) 0, new EndTransactionMarker(ControlRecordType.COMMIT, 0));
        MemoryRecords gzip = MemoryRecords.withTransactionalRecords(4, Compression.gzip().build(), PRODUCER_ID,
                (short) 0, 0, RecordBatch.NO_PARTITION_LEADER_EPOCH, record(104, "blue", "v4"),
                record(105, "green", "v5"), record(106, "red", "v6"));
        MemoryRecordsBuilder compacted = MemoryRecords.builder(ByteBuffer.allocate(1024), Compression.NONE,
                TimestampType.CREATE_TIME, 7);
        compacted.appendWithOffset(7, record(107, "red", "v7"));
        compacted.appendWithOffset(9, record(109, "blue", "v9"));
        return concatenate(plain, marker, gzip, compacted.build());
    }

    private static ByteBuffer concatenate(MemoryRecords... parts) {
        int size = 0;
        for (MemoryRecords part : parts) {
            size += part.sizeInBytes();
        }
        ByteBuffer read = ByteBuffer.allocate(size);
        for (MemoryRecords part : parts) {
            read.put(part.buffer());
        }
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
        String[] colours = {"red", "blue", "red", null, "blue", "green", "red", "red", null, "blue"};
        for (int offset = 0; offset < colours.length; offset++) {
            assertThat(records.reaches(offset)).as("offset " + offset).isTrue();
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
        assertThat(records.reaches(10)).as("past the read").isFalse();
        assertThat(records.failure()).isNull();
        assertThat(records.bytesSpanning(1, 4)).as("the first three batches").isEqualTo(read().remaining()
                - lastBatchSize());
    }

    private static int lastBatchSize() {
        int last = 0;
        for (RecordBatch batch : MemoryRecords.readableRecords(read()).batches()) {
            last = batch.sizeInBytes();
        }
        return last;
    }

    @Test
    void recordsOfAnAbortedTransactionHaveNone() {
        FetchedShareRecords records = new FetchedShareRecords(read(), List.of(
                new AbortedTransaction(PRODUCER_ID, 4, 11, 4)));

        assertThat(records.reaches(5)).isTrue();
        assertThat(records.record(5)).isNull();
        assertThat(colour(records.record(2))).isEqualTo("red");
        assertThat(records.reaches(7)).isTrue();
        assertThat(colour(records.record(7))).isEqualTo("red");
    }

    @Test
    void onlyWhatIsAskedForIsCopiedFromTheRead() {
        // 2000 batches of one record, about 200 KB: a chunk covers the first ones.
        MemoryRecords[] batches = new MemoryRecords[2000];
        for (int i = 0; i < batches.length; i++) {
            batches[i] = MemoryRecords.withRecords(i, Compression.NONE, record(i, "red", "value-" + "x".repeat(40)));
        }
        ByteBuffer big = concatenate(batches);
        FetchedShareRecords records = new FetchedShareRecords(big, List.of());

        assertThat(records.reaches(5)).isTrue();
        assertThat(colour(records.record(5))).isEqualTo("red");
        assertThat(records.bytesCopied()).isEqualTo(FetchedShareRecords.CHUNK_BYTES).isLessThan(big.remaining());
        assertThat(records.reaches(1999)).isTrue();
        // Reaching the end copies about the read once (a batch whose header was in one chunk and its body in the
        // next is not copied twice unless decoded).
        assertThat(records.bytesCopied()).isBetween((long) big.remaining() / 2,
                (long) big.remaining() + 2 * FetchedShareRecords.CHUNK_BYTES);
    }

    @Test
    void aBatchThatDoesNotDecodeEndsTheLookupThereWithoutLosingWhatCameBefore() {
        ByteBuffer corrupt = read();
        // Garble the compressed payload of the gzip batch (offsets 4..6), everything past its 61-byte header.
        int gzipStart = 0;
        int gzipSize = 0;
        int index = 0;
        for (RecordBatch batch : MemoryRecords.readableRecords(read()).batches()) {
            if (index++ == 2) {
                gzipSize = batch.sizeInBytes();
                break;
            }
            gzipStart += batch.sizeInBytes();
        }
        for (int i = gzipStart + 61; i < gzipStart + gzipSize; i++) {
            corrupt.put(i, (byte) 0x5A);
        }
        FetchedShareRecords records = new FetchedShareRecords(corrupt, List.of());

        assertThat(records.reaches(2)).isTrue();
        assertThat(colour(records.record(2))).isEqualTo("red");
        assertThat(records.reaches(4)).as("cannot be tested, so not archived either").isFalse();
        assertThat(records.failure()).isNotNull();
        assertThat(records.reaches(7)).isFalse();
    }

    @Test
    void aPartialBatchAtTheEndAndAnEmptyReadHoldNothing() {
        ByteBuffer whole = read();
        ByteBuffer truncated = whole.duplicate().limit(whole.limit() - 5);
        FetchedShareRecords cut = new FetchedShareRecords(truncated.slice(), List.of());
        assertThat(cut.reaches(6)).isTrue();
        assertThat(cut.reaches(7)).as("in the partial last batch").isFalse();

        FetchedShareRecords empty = new FetchedShareRecords(ByteBuffer.allocate(0), List.of());
        assertThat(empty.firstOffset()).isEqualTo(-1);
        assertThat(empty.reaches(0)).isFalse();
    }
}

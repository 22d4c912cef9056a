package io.strata.storage;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Builds record batches the way producers do, with kafka-clients' {@link MemoryRecordsBuilder}, and reads them back.
 * Test and benchmark fixture.
 */
public final class TestBatches {

    private int count = 1;
    private int valueBytes = 16;
    private Compression compression = Compression.NONE;
    private long timestamp = System.currentTimeMillis();
    private IntFunction<String> keys = i -> "key-" + i;
    private IntFunction<byte[]> values;
    private long producerId = RecordBatch.NO_PRODUCER_ID;
    private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
    private int baseSequence = RecordBatch.NO_SEQUENCE;
    private boolean headers;
    private byte magic = RecordBatch.MAGIC_VALUE_V2;

    private TestBatches() {
    }

    public static TestBatches records(int count) {
        TestBatches batches = new TestBatches();
        batches.count = count;
        return batches;
    }

    public TestBatches valueBytes(int bytes) {
        this.valueBytes = bytes;
        return this;
    }

    public TestBatches compression(Compression compression) {
        this.compression = compression;
        return this;
    }

    public TestBatches timestamp(long timestamp) {
        this.timestamp = timestamp;
        return this;
    }

    public TestBatches keys(IntFunction<String> keys) {
        this.keys = keys;
        return this;
    }

    /** Values by record index; {@code null} makes a tombstone. */
    public TestBatches values(IntFunction<byte[]> values) {
        this.values = values;
        return this;
    }

    public TestBatches producer(long producerId, short producerEpoch, int baseSequence) {
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.baseSequence = baseSequence;
        return this;
    }

    public TestBatches withHeaders() {
        this.headers = true;
        return this;
    }

    public TestBatches magic(byte magic) {
        this.magic = magic;
        return this;
    }

    /** One batch of the configured records, with base offset 0, as a buffer from position 0 to its end. */
    public ByteBuffer build() {
        ByteBuffer buffer = ByteBuffer.allocate(Math.max(1024, count * (valueBytes + 64) + 256));
        MemoryRecordsBuilder builder = new MemoryRecordsBuilder(buffer, magic, compression,
                TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP, producerId, producerEpoch, baseSequence,
                false, false, RecordBatch.NO_PARTITION_LEADER_EPOCH, buffer.capacity());
        for (int i = 0; i < count; i++) {
            String key = keys == null ? null : keys.apply(i);
            byte[] value = values != null ? values.apply(i) : value(i);
            Header[] recordHeaders = headers
                    ? new Header[]{new RecordHeader("h" + i, ("header-" + i).getBytes(StandardCharsets.UTF_8))}
                    : Record.EMPTY_HEADERS;
            builder.append(timestamp + i, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value,
                    recordHeaders);
        }
        MemoryRecords records = builder.build();
        ByteBuffer out = ByteBuffer.allocate(records.sizeInBytes());
        out.put(records.buffer().duplicate());
        return out.flip();
    }

    private byte[] value(int i) {
        byte[] value = new byte[valueBytes];
        for (int b = 0; b < valueBytes; b++) {
            value[b] = (byte) (i * 31 + b);
        }
        return value;
    }

    /** Every batch in {@code buffer}. */
    public static List<MutableRecordBatch> batchesOf(ByteBuffer buffer) {
        List<MutableRecordBatch> batches = new ArrayList<>();
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(buffer.duplicate()).batches()) {
            batches.add(batch);
        }
        return batches;
    }

    /** Every record in {@code buffer}, decoded by kafka-clients. */
    public static List<Record> recordsOf(ByteBuffer buffer) {
        List<Record> records = new ArrayList<>();
        for (MutableRecordBatch batch : batchesOf(buffer)) {
            batch.ensureValid();
            for (Record record : batch) {
                records.add(record);
            }
        }
        return records;
    }

    public static String keyOf(Record record) {
        return record.hasKey() ? StandardCharsets.UTF_8.decode(record.key()).toString() : null;
    }

    public static String valueOf(Record record) {
        return record.hasValue() ? StandardCharsets.UTF_8.decode(record.value()).toString() : null;
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}

package io.strata.storage.batch;

import io.strata.storage.TestBatches;
import io.strata.storage.config.LogConfig;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnsupportedForMessageFormatException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchValidatorTest {

    private static final long NOW = 1_700_000_000_000L;

    private final BatchValidator validator = new BatchValidator();

    private ValidatedBatches validate(ByteBuffer batch, long nextOffset, LogConfig config) {
        return validator.validateAndAssignOffsets(batch, nextOffset, 7, NOW, config, AppendOrigin.CLIENT);
    }

    @Test
    void assignsOffsetsInPlaceAndKeepsTheCrcValid() {
        ByteBuffer batch = TestBatches.records(5).timestamp(NOW).build();
        ValidatedBatches validated = validate(batch, 100, LogConfig.defaults());

        assertThat(validated.firstOffset()).isEqualTo(100);
        assertThat(validated.lastOffset()).isEqualTo(104);
        assertThat(validated.recordCount()).isEqualTo(5);
        assertThat(validated.appendTimeMs()).isEqualTo(-1);
        MutableRecordBatch stored = TestBatches.batchesOf(validated.buffer()).get(0);
        assertThat(stored.isValid()).isTrue();
        assertThat(stored.baseOffset()).isEqualTo(100);
        assertThat(stored.partitionLeaderEpoch()).isEqualTo(7);
        assertThat(stored.maxTimestamp()).isEqualTo(NOW + 4);
        List<Record> records = TestBatches.recordsOf(validated.buffer());
        assertThat(records).extracting(Record::offset).containsExactly(100L, 101L, 102L, 103L, 104L);
    }

    @Test
    void logAppendTimeStampsTheBatchAndRecomputesTheCrc() {
        ByteBuffer batch = TestBatches.records(3).timestamp(NOW - 50_000).build();
        LogConfig config = LogConfig.of(Map.of(LogConfig.MESSAGE_TIMESTAMP_TYPE, "LogAppendTime"));

        ValidatedBatches validated = validate(batch, 0, config);

        MutableRecordBatch stored = TestBatches.batchesOf(validated.buffer()).get(0);
        assertThat(stored.isValid()).isTrue();
        assertThat(stored.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(stored.maxTimestamp()).isEqualTo(NOW);
        assertThat(validated.appendTimeMs()).isEqualTo(NOW);
        assertThat(TestBatches.recordsOf(validated.buffer())).extracting(Record::timestamp).containsOnly(NOW);
    }

    @Test
    void badCrcIsRejectedAndNothingIsChanged() {
        ByteBuffer batch = TestBatches.records(3).timestamp(NOW).build();
        batch.put(batch.limit() - 1, (byte) (batch.get(batch.limit() - 1) ^ 0x5a));
        ByteBuffer before = copy(batch);

        assertThatThrownBy(() -> validate(batch, 10, LogConfig.defaults()))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("crc");
        assertThat(batch).isEqualTo(before);
    }

    @Test
    void wrongMagicIsRejected() {
        ByteBuffer legacy = TestBatches.records(2).magic(RecordBatch.MAGIC_VALUE_V1).timestamp(NOW).build();

        assertThatThrownBy(() -> validate(legacy, 0, LogConfig.defaults()))
                .isInstanceOf(UnsupportedForMessageFormatException.class)
                .hasMessageContaining("magic 1");
    }

    @Test
    void truncatedBatchIsRejected() {
        ByteBuffer batch = TestBatches.records(4).timestamp(NOW).build();
        ByteBuffer truncated = batch.slice(0, batch.limit() - 10);

        assertThatThrownBy(() -> validate(truncated, 0, LogConfig.defaults()))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void trailingBytesAfterTheLastBatchAreRejected() {
        ByteBuffer batch = TestBatches.records(2).timestamp(NOW).build();
        ByteBuffer withTail = ByteBuffer.allocate(batch.limit() + 20);
        withTail.put(batch).position(withTail.capacity()).flip();

        assertThatThrownBy(() -> validate(withTail, 0, LogConfig.defaults()))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("20 bytes");
    }

    @Test
    void lengthFieldSmallerThanAHeaderIsRejected() {
        ByteBuffer batch = TestBatches.records(2).timestamp(NOW).build();
        batch.putInt(BatchHeader.LENGTH_OFFSET, 10);

        assertThatThrownBy(() -> validate(batch, 0, LogConfig.defaults()))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("length of 10");
    }

    @Test
    void batchLargerThanMaxMessageBytesIsRejected() {
        ByteBuffer batch = TestBatches.records(10).valueBytes(200).timestamp(NOW).build();
        LogConfig config = LogConfig.of(Map.of(LogConfig.MAX_MESSAGE_BYTES, 1000));

        assertThatThrownBy(() -> validate(batch, 0, config))
                .isInstanceOf(RecordTooLargeException.class)
                .hasMessageContaining("max.message.bytes (1000)");
    }

    @Test
    void offsetOverflowIsRejected() {
        ByteBuffer batch = TestBatches.records(10).timestamp(NOW).build();

        assertThatThrownBy(() -> validate(batch, Long.MAX_VALUE - 3, LogConfig.defaults()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("Offset overflow");
    }

    @Test
    void lastOffsetDeltaDisagreeingWithTheRecordCountIsRejected() {
        ByteBuffer batch = TestBatches.records(3).timestamp(NOW).build();
        batch.putInt(BatchHeader.LAST_OFFSET_DELTA_OFFSET, 7);
        fixCrc(batch);

        assertThatThrownBy(() -> validate(batch, 0, LogConfig.defaults()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("last offset delta 7 but 3 records");
    }

    @Test
    void recordCountDisagreeingWithTheRecordsIsRejected() {
        ByteBuffer batch = TestBatches.records(3).timestamp(NOW).build();
        batch.putInt(BatchHeader.RECORD_COUNT_OFFSET, 2);
        batch.putInt(BatchHeader.LAST_OFFSET_DELTA_OFFSET, 1);
        fixCrc(batch);

        assertThatThrownBy(() -> validate(batch, 0, LogConfig.defaults()))
                .isInstanceOf(RuntimeException.class)
                .satisfies(e -> assertThat(e).isInstanceOfAny(InvalidRecordException.class,
                        CorruptRecordException.class));
    }

    @Test
    void recordOffsetDeltasThatSkipAreRejected() {
        ByteBuffer buffer = ByteBuffer.allocate(1024);
        MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, Compression.NONE, TimestampType.CREATE_TIME, 0L);
        builder.appendWithOffset(0, NOW, TestBatches.utf8("a"), TestBatches.utf8("1"));
        builder.appendWithOffset(2, NOW, TestBatches.utf8("b"), TestBatches.utf8("2"));
        ByteBuffer batch = builder.build().buffer();
        // The builder sets lastOffsetDelta 2 for 2 records; make the header consistent so the record check decides.
        batch.putInt(BatchHeader.LAST_OFFSET_DELTA_OFFSET, 1);
        fixCrc(batch);

        assertThatThrownBy(() -> validate(batch, 0, LogConfig.defaults()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("offset delta 2");
    }

    @Test
    void controlBatchesFromClientsAreRejected() {
        ByteBuffer buffer = ByteBuffer.allocate(1024);
        MemoryRecordsBuilder builder = new MemoryRecordsBuilder(buffer, RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP, 5L, (short) 0, 0,
                true, true, RecordBatch.NO_PARTITION_LEADER_EPOCH, buffer.capacity());
        builder.appendEndTxnMarker(NOW, new org.apache.kafka.common.record.internal.EndTransactionMarker(
                org.apache.kafka.common.record.internal.ControlRecordType.COMMIT, 0));
        ByteBuffer batch = builder.build().buffer();

        assertThatThrownBy(() -> validate(batch, 0, LogConfig.defaults()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("control batches");
        ValidatedBatches byBroker = validator.validateAndAssignOffsets(batch, 0, 0, NOW, LogConfig.defaults(),
                AppendOrigin.COORDINATOR);
        assertThat(byBroker.recordCount()).isEqualTo(1);
    }

    @Test
    void aTransactionMarkerAsTheBrokerWritesItCarriesAProducerButNoSequence() {
        ByteBuffer marker = MemoryRecords.withEndTransactionMarker(NOW, 5L, (short) 3,
                new org.apache.kafka.common.record.internal.EndTransactionMarker(
                        org.apache.kafka.common.record.internal.ControlRecordType.ABORT, 2)).buffer();

        ValidatedBatches byBroker = validator.validateAndAssignOffsets(marker, 40, 0, NOW, LogConfig.defaults(),
                AppendOrigin.COORDINATOR);

        assertThat(byBroker.firstOffset()).isEqualTo(40);
        assertThat(byBroker.batches().get(0).producerId()).isEqualTo(5L);
        assertThat(byBroker.batches().get(0).baseSequence()).isEqualTo(RecordBatch.NO_SEQUENCE);
        assertThatThrownBy(() -> validate(marker, 0, LogConfig.defaults()))
                .as("still not from a client").isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("control batches");
    }

    @Test
    void compactedTopicsRejectRecordsWithoutKeys() {
        LogConfig compacted = LogConfig.of(Map.of(LogConfig.CLEANUP_POLICY, "compact"));
        for (Compression compression : List.of(Compression.NONE, Compression.gzip().build())) {
            ByteBuffer batch = TestBatches.records(3).keys(i -> i == 1 ? null : "k" + i).compression(compression)
                    .timestamp(NOW).build();

            assertThatThrownBy(() -> validate(batch, 0, compacted))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("without a key");
        }
    }

    @Test
    void timestampsOutsideTheAllowedWindowAreRejected() {
        LogConfig config = LogConfig.of(Map.of(LogConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS, 1000L,
                LogConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS, 1000L));

        assertThatThrownBy(() -> validate(TestBatches.records(1).timestamp(NOW - 5000).build(), 0, config))
                .isInstanceOf(InvalidTimestampException.class)
                .hasMessageContaining("message.timestamp.before.max.ms");
        assertThatThrownBy(() -> validate(TestBatches.records(1).timestamp(NOW + 5000).build(), 0, config))
                .isInstanceOf(InvalidTimestampException.class)
                .hasMessageContaining("message.timestamp.after.max.ms");
    }

    @Test
    void sequenceNumbersMustBeValidForIdempotentBatches() {
        ByteBuffer batch = TestBatches.records(2).producer(42L, (short) 1, 0).timestamp(NOW).build();
        batch.putInt(BatchHeader.BASE_SEQUENCE_OFFSET, -5);
        fixCrc(batch);

        assertThatThrownBy(() -> validate(batch, 0, LogConfig.defaults()))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("base sequence -5");
    }

    @Test
    void topicCompressionTypeRecompressesBatchesFromProducers() {
        ByteBuffer batch = TestBatches.records(20).withHeaders().producer(9L, (short) 2, 40).timestamp(NOW).build();
        LogConfig config = LogConfig.of(Map.of(LogConfig.COMPRESSION_TYPE, "zstd"));

        ValidatedBatches validated = validate(batch, 500, config);

        MutableRecordBatch stored = TestBatches.batchesOf(validated.buffer()).get(0);
        assertThat(stored.compressionType()).isEqualTo(CompressionType.ZSTD);
        assertThat(stored.isValid()).isTrue();
        assertThat(stored.producerId()).isEqualTo(9L);
        assertThat(stored.baseSequence()).isEqualTo(40);
        List<Record> records = TestBatches.recordsOf(validated.buffer());
        assertThat(records).hasSize(20);
        assertThat(records.get(19).offset()).isEqualTo(519);
        assertThat(TestBatches.keyOf(records.get(3))).isEqualTo("key-3");
        assertThat(records.get(3).headers()[0].key()).isEqualTo("h3");
    }

    @Test
    void replicatedBatchesKeepTheirOffsetsAndMustGoUp() {
        ByteBuffer first = TestBatches.records(3).timestamp(NOW).build();
        ValidatedBatches assigned = validate(first, 50, LogConfig.defaults());

        ValidatedBatches replicated = validator.validateReplicated(assigned.buffer(), 50, Integer.MAX_VALUE);
        assertThat(replicated.firstOffset()).isEqualTo(50);
        assertThat(replicated.lastOffset()).isEqualTo(52);

        assertThatThrownBy(() -> validator.validateReplicated(assigned.buffer(), 51, Integer.MAX_VALUE))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("below the next offset 51");
    }

    static ByteBuffer copy(ByteBuffer buffer) {
        ByteBuffer copy = ByteBuffer.allocate(buffer.remaining());
        copy.put(buffer.duplicate());
        return copy.flip();
    }

    /** Recomputes the CRC after a test changed a covered field, so that only the change is tested. */
    static void fixCrc(ByteBuffer batch) {
        CRC32C crc = new CRC32C();
        crc.update(batch.slice(BatchHeader.ATTRIBUTES_OFFSET, batch.limit() - BatchHeader.ATTRIBUTES_OFFSET));
        batch.putInt(BatchHeader.CRC_OFFSET, (int) crc.getValue());
    }
}

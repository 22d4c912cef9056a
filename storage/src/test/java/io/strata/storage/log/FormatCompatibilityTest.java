package io.strata.storage.log;

import io.strata.storage.TestBatches;
import io.strata.storage.batch.BatchHeader;
import io.strata.storage.config.LogConfig;
import io.strata.storage.segment.SegmentFiles;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Batches built by kafka-clients' own {@code MemoryRecordsBuilder}, as producers build them, are stored byte for
 * byte, and what Strata stores is read by kafka-clients' own {@code FileRecords}.
 */
class FormatCompatibilityTest {

    @TempDir
    Path root;
    LogHarness harness;

    @BeforeEach
    void setUp() {
        harness = new LogHarness(root);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        harness.close();
    }

    static Stream<Arguments> producerBatches() {
        List<Arguments> cases = new ArrayList<>();
        for (Compression compression : List.of(Compression.NONE, Compression.gzip().build(),
                Compression.snappy().build(), Compression.lz4().build(), Compression.zstd().build())) {
            cases.add(Arguments.of(compression, false, false));
            cases.add(Arguments.of(compression, true, false));
            cases.add(Arguments.of(compression, true, true));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, headers {1}, idempotent {2}")
    @MethodSource("producerBatches")
    void batchesFromKafkaClientsAreStoredByteForByteAndReadBackByKafkaClients(
            Compression compression, boolean headers, boolean idempotent) throws IOException {
        PartitionLog log = harness.open(LogConfig.defaults());
        List<ByteBuffer> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            TestBatches builder = TestBatches.records(10 + i).valueBytes(100).compression(compression)
                    .timestamp(harness.clock.millis() - 1000 + i);
            if (headers) {
                builder.withHeaders();
            }
            if (idempotent) {
                builder.producer(77L, (short) 3, 10 * i);
            }
            ByteBuffer batch = builder.build();
            sent.add(copy(batch));
            log.append(batch, 4, io.strata.storage.batch.AppendOrigin.CLIENT);
        }

        List<ByteBuffer> stored = new ArrayList<>();
        try (LogReadResult result = log.read(0, 1 << 20, Long.MAX_VALUE, true)) {
            for (MutableRecordBatch batch : TestBatches.batchesOf(result.records().readAll())) {
                ByteBuffer bytes = ByteBuffer.allocate(batch.sizeInBytes());
                batch.writeTo(bytes);
                stored.add(bytes.flip());
            }
        }
        assertThat(stored).hasSameSizeAs(sent);
        long expectedBase = 0;
        for (int i = 0; i < sent.size(); i++) {
            ByteBuffer storedBatch = stored.get(i);
            assertThat(storedBatch.getLong(BatchHeader.BASE_OFFSET_OFFSET)).isEqualTo(expectedBase);
            assertThat(storedBatch.getInt(BatchHeader.PARTITION_LEADER_EPOCH_OFFSET)).isEqualTo(4);
            // Apart from the two fields the CRC does not cover, the bytes are the producer's.
            ByteBuffer normalised = copy(storedBatch);
            normalised.putLong(BatchHeader.BASE_OFFSET_OFFSET, 0);
            normalised.putInt(BatchHeader.PARTITION_LEADER_EPOCH_OFFSET, RecordBatch.NO_PARTITION_LEADER_EPOCH);
            assertThat(normalised).isEqualTo(sent.get(i));
            expectedBase += 10 + i;
        }
        log.close();

        try (FileRecords file = FileRecords.open(SegmentFiles.log(harness.dir, 0, "").toFile())) {
            List<Record> decoded = new ArrayList<>();
            for (RecordBatch batch : file.batches()) {
                batch.ensureValid();
                assertThat(batch.compressionType().id).isEqualTo(compression.type().id);
                for (Record record : batch) {
                    decoded.add(record);
                }
            }
            assertThat(decoded).hasSize(10 + 11 + 12 + 13 + 14);
            assertThat(decoded).extracting(Record::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 60).boxed().toList());
            List<Record> original = new ArrayList<>();
            for (ByteBuffer batch : sent) {
                original.addAll(TestBatches.recordsOf(batch));
            }
            for (int i = 0; i < decoded.size(); i++) {
                Record got = decoded.get(i);
                Record want = original.get(i);
                assertThat(got.key()).isEqualTo(want.key());
                assertThat(got.value()).isEqualTo(want.value());
                assertThat(got.timestamp()).isEqualTo(want.timestamp());
                assertThat(got.headers()).isEqualTo(want.headers());
            }
        }
    }

    private static ByteBuffer copy(ByteBuffer buffer) {
        ByteBuffer copy = ByteBuffer.allocate(buffer.remaining());
        copy.put(buffer.duplicate());
        return copy.flip();
    }
}

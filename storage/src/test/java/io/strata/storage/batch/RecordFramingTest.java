package io.strata.storage.batch;

import io.strata.storage.TestBatches;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Strata's allocation-free walk over uncompressed records must accept exactly what kafka-clients' own record decoder
 * accepts (with offset deltas 0, 1, 2, ...), on valid batches and on thousands of damaged ones.
 */
class RecordFramingTest {

    private static final RecordFraming.RecordCheck ANY = (index, timestamp, hasKey) -> { };

    private static ByteBuffer randomBatch(Random random) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, Compression.NONE, TimestampType.CREATE_TIME, 0L);
        int records = 1 + random.nextInt(20);
        for (int i = 0; i < records; i++) {
            byte[] key = random.nextInt(4) == 0 ? null : bytes(random, random.nextInt(3) == 0 ? 0 : random.nextInt(40));
            byte[] value = random.nextInt(5) == 0 ? null : bytes(random, random.nextInt(300));
            Header[] headers = new Header[random.nextInt(3)];
            for (int h = 0; h < headers.length; h++) {
                headers[h] = new RecordHeader("h" + h, random.nextBoolean() ? null : bytes(random, random.nextInt(20)));
            }
            builder.append(1_700_000_000_000L + random.nextInt(100_000), key, value, headers);
        }
        return builder.build().buffer();
    }

    private static byte[] bytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** What kafka-clients says of the batch: the records it decodes, or null if it rejects them. */
    private static List<Record> kafkaDecodes(ByteBuffer batch) {
        try {
            MutableRecordBatch decoded = TestBatches.batchesOf(batch).get(0);
            List<Record> records = new ArrayList<>();
            int index = 0;
            for (Record record : decoded) {
                if (record.offset() - decoded.baseOffset() != index++) {
                    return null;
                }
                records.add(record);
            }
            return records.size() == decoded.countOrNull() ? records : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static RecordFraming.Summary strataWalks(ByteBuffer batch) {
        try {
            return RecordFraming.walk(batch, ANY);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The random batches of a test: {@code defaultSeed} unless {@code -Dstrata.framing.seed} asks for another; the seed
     * is printed so that a failing run can be repeated.
     */
    private static Random seeded(long defaultSeed) {
        long seed = Long.getLong("strata.framing.seed", defaultSeed);
        System.out.println("RecordFramingTest seed " + seed + " (repeat with -Dstrata.framing.seed=" + seed + ")");
        return new Random(seed);
    }

    @Test
    void validBatchesFromKafkaClientsWalkWithTheSameCountAndMaxTimestamp() {
        Random random = seeded(42L);
        for (int i = 0; i < 500; i++) {
            ByteBuffer batch = randomBatch(random);
            List<Record> records = kafkaDecodes(batch);
            RecordFraming.Summary summary = RecordFraming.walk(batch, ANY);

            assertThat(records).isNotNull();
            assertThat(summary.count()).isEqualTo(records.size());
            assertThat(summary.maxTimestamp()).isEqualTo(records.stream().mapToLong(Record::timestamp).max().orElseThrow());
        }
    }

    @Test
    void damagedBatchesAreRejectedExactlyWhenKafkaClientsRejectsThem() {
        Random random = seeded(7L);
        int rejected = 0;
        for (int i = 0; i < 5000; i++) {
            ByteBuffer batch = randomBatch(random);
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                int position = BatchHeader.SIZE + random.nextInt(batch.limit() - BatchHeader.SIZE);
                batch.put(position, (byte) random.nextInt(256));
            }
            if (random.nextInt(10) == 0) {
                batch.putInt(BatchHeader.RECORD_COUNT_OFFSET, batch.getInt(BatchHeader.RECORD_COUNT_OFFSET) + 1);
            }

            boolean kafkaAccepts = kafkaDecodes(batch) != null;
            boolean strataAccepts = strataWalks(batch) != null;

            assertThat(strataAccepts).as("batch %d: kafka-clients %s it", i, kafkaAccepts ? "accepts" : "rejects")
                    .isEqualTo(kafkaAccepts);
            rejected += strataAccepts ? 0 : 1;
        }
        assertThat(rejected).isGreaterThan(1000);
    }
}

package io.strata.storage.batch;

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
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.ByteBufferOutputStream;
import org.apache.kafka.common.utils.CloseableIterator;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks record batches before anything is written, and assigns their offsets in place.
 *
 * <p>Every check names what is wrong and throws the kafka-clients exception whose error code a Kafka broker would
 * answer with: {@link CorruptRecordException} (length fields, CRC32C), {@link UnsupportedForMessageFormatException}
 * (magic other than 2), {@link RecordTooLargeException} ({@code max.message.bytes}), {@link InvalidRecordException}
 * (record count, offset deltas, control batches from clients, missing keys on compacted topics) and
 * {@link InvalidTimestampException}. Nothing is modified unless every batch passes.
 *
 * <p>Batches are kept byte for byte as the producer built them; only the fields the CRC does not cover (base offset,
 * partition leader epoch) are set, and under LogAppendTime the max timestamp, after which the CRC is recomputed.
 * With a topic {@code compression.type} other than {@code producer}, batches in another codec are rebuilt in the
 * topic's codec.
 *
 * <p>This class and {@link RecordReader} are where the storage engine touches kafka-clients' record classes. Not
 * thread-safe: each appending thread uses its own instance (the decompression buffers are reused).
 */
public final class BatchValidator {

    private final BufferSupplier decompressionBuffers = BufferSupplier.create();

    /**
     * Validates batches written by a producer (or the broker itself) and assigns offsets from {@code nextOffset}.
     *
     * @param records              one or more batches, from position to limit; changed in place
     * @param nextOffset           the offset the first record gets: the log end offset
     * @param partitionLeaderEpoch the epoch stamped on every batch
     * @param nowMs                the append time, for LogAppendTime and timestamp bounds
     */
    public ValidatedBatches validateAndAssignOffsets(ByteBuffer records, long nextOffset, int partitionLeaderEpoch,
                                                     long nowMs, LogConfig config, AppendOrigin origin) {
        if (origin == AppendOrigin.REPLICATION) {
            throw new IllegalArgumentException("replicated batches keep their offsets: use validateReplicated");
        }
        ByteBuffer buffer = records.slice();
        List<ByteBuffer> slices = splitIntoBatches(buffer, config.maxMessageBytes);
        List<MutableRecordBatch> batches = asBatches(slices);
        List<RecordsSummary> summaries = new ArrayList<>(batches.size());
        for (int i = 0; i < batches.size(); i++) {
            checkBatchHeader(batches.get(i), origin);
            summaries.add(checkRecords(batches.get(i), slices.get(i), nowMs, config));
        }

        CompressionType target = targetCompression(config);
        if (target != null && needsRecompression(batches, target)) {
            buffer = recompress(batches, target, config);
            batches = asBatches(splitIntoBatches(buffer, Integer.MAX_VALUE));
        }

        long appendTimeMs = config.messageTimestampType == TimestampType.LOG_APPEND_TIME ? nowMs : RecordBatch.NO_TIMESTAMP;
        List<BatchInfo> infos = new ArrayList<>(batches.size());
        int position = 0;
        long offset = nextOffset;
        for (int i = 0; i < batches.size(); i++) {
            MutableRecordBatch batch = batches.get(i);
            int lastOffsetDelta = summaries.get(i).count - 1;
            long lastOffset = lastOffsetOf(offset, lastOffsetDelta);
            batch.setLastOffset(lastOffset);
            batch.setPartitionLeaderEpoch(partitionLeaderEpoch);
            long maxTimestamp = appendTimeMs != RecordBatch.NO_TIMESTAMP ? appendTimeMs : summaries.get(i).maxTimestamp;
            batch.setMaxTimestamp(config.messageTimestampType, maxTimestamp);
            infos.add(infoOf(batch, position));
            position += batch.sizeInBytes();
            offset = lastOffset + 1;
        }
        return new ValidatedBatches(buffer, infos, appendTimeMs);
    }

    /**
     * Validates batches copied from a leader: length fields, magic, CRC and offsets that only go up from
     * {@code logEndOffset}. Offsets, timestamps and epochs are kept as the leader wrote them.
     */
    public ValidatedBatches validateReplicated(ByteBuffer records, long logEndOffset, int maxMessageBytes) {
        ByteBuffer buffer = records.slice();
        List<MutableRecordBatch> batches = asBatches(splitIntoBatches(buffer, maxMessageBytes));
        List<BatchInfo> infos = new ArrayList<>(batches.size());
        long expectedAtLeast = logEndOffset;
        int position = 0;
        for (MutableRecordBatch batch : batches) {
            batch.ensureValid();
            if (batch.baseOffset() < expectedAtLeast) {
                throw new InvalidRecordException("Replicated batch at offset " + batch.baseOffset()
                        + " is below the next offset " + expectedAtLeast + ": offsets must only go up");
            }
            if (batch.lastOffset() < batch.baseOffset()) {
                throw new InvalidRecordException("Replicated batch at offset " + batch.baseOffset()
                        + " has a last offset " + batch.lastOffset() + " below its base offset");
            }
            infos.add(infoOf(batch, position));
            position += batch.sizeInBytes();
            expectedAtLeast = batch.lastOffset() + 1;
        }
        return new ValidatedBatches(buffer, infos, RecordBatch.NO_TIMESTAMP);
    }

    /** The batches in {@code buffer}, each as a buffer holding exactly it, after checking their framing. */
    private static List<ByteBuffer> splitIntoBatches(ByteBuffer buffer, int maxMessageBytes) {
        List<ByteBuffer> batches = new ArrayList<>(1);
        int position = 0;
        int limit = buffer.limit();
        while (position < limit) {
            int remaining = limit - position;
            if (remaining < BatchHeader.SIZE) {
                throw new CorruptRecordException("The last " + remaining + " bytes are too few for a record batch"
                        + " header (" + BatchHeader.SIZE + " bytes): the request is truncated or malformed");
            }
            byte magic = BatchHeader.magic(buffer, position);
            if (magic != BatchHeader.MAGIC_V2) {
                throw new UnsupportedForMessageFormatException("Record batch at byte " + position + " has magic "
                        + magic + "; only magic 2 (Kafka 0.11 and later clients) is accepted");
            }
            int length = buffer.getInt(position + BatchHeader.LENGTH_OFFSET);
            if (length < BatchHeader.SIZE - BatchHeader.LOG_OVERHEAD) {
                throw new CorruptRecordException("Record batch at byte " + position + " declares a length of " + length
                        + ", less than a batch header");
            }
            int size = BatchHeader.LOG_OVERHEAD + length;
            if (size > remaining) {
                throw new CorruptRecordException("Record batch at byte " + position + " declares " + size
                        + " bytes but only " + remaining + " follow: the batch is truncated");
            }
            if (size > maxMessageBytes) {
                throw new RecordTooLargeException("The record batch is " + size + " bytes, larger than "
                        + "max.message.bytes (" + maxMessageBytes + "); send smaller batches or raise the topic's "
                        + "max.message.bytes");
            }
            batches.add(buffer.slice(position, size));
            position += size;
        }
        if (batches.isEmpty()) {
            throw new CorruptRecordException("No record batch in the request");
        }
        return batches;
    }

    private static List<MutableRecordBatch> asBatches(List<ByteBuffer> slices) {
        List<MutableRecordBatch> batches = new ArrayList<>(slices.size());
        for (ByteBuffer slice : slices) {
            batches.add(MemoryRecords.readableRecords(slice).batches().iterator().next());
        }
        return batches;
    }

    private static void checkBatchHeader(MutableRecordBatch batch, AppendOrigin origin) {
        batch.ensureValid();
        Integer count = batch.countOrNull();
        if (count == null || count <= 0) {
            throw new InvalidRecordException("Record batch declares " + count + " records; a batch needs at least one");
        }
        long lastOffsetDelta = batch.lastOffset() - batch.baseOffset();
        if (lastOffsetDelta != count - 1) {
            throw new InvalidRecordException("Record batch has last offset delta " + lastOffsetDelta + " but "
                    + count + " records: offset range and record count disagree");
        }
        if (batch.isControlBatch() && origin == AppendOrigin.CLIENT) {
            throw new InvalidRecordException("Clients may not write control batches");
        }
        if (batch.isTransactional() && !batch.hasProducerId()) {
            throw new InvalidRecordException("Transactional record batch has no producer id");
        }
        // Transaction markers carry the producer's id and epoch but no sequence: they are not the producer's writes.
        if (batch.hasProducerId() && batch.baseSequence() < 0 && !batch.isControlBatch()) {
            throw new InvalidRecordException("Record batch of producer " + batch.producerId()
                    + " has the invalid base sequence " + batch.baseSequence());
        }
    }

    /** Walks every record: offset deltas 0, 1, 2, ..., timestamps within bounds, keys on compacted topics. */
    private RecordsSummary checkRecords(MutableRecordBatch batch, ByteBuffer bytes, long nowMs, LogConfig config) {
        boolean needKeys = config.compact() && !batch.isControlBatch();
        boolean checkTimestamps = config.messageTimestampType == TimestampType.CREATE_TIME;
        RecordFraming.RecordCheck check = (index, timestamp, hasKey) -> {
            if (needKeys && !hasKey) {
                throw new InvalidRecordException("Compacted topic cannot accept a record without a key (record "
                        + index + " of the batch)");
            }
            if (checkTimestamps) {
                checkTimestamp(timestamp, nowMs, config);
            }
        };
        if (!batch.isCompressed()) {
            RecordFraming.Summary summary = RecordFraming.walk(bytes, check);
            return new RecordsSummary(summary.count(), summary.maxTimestamp());
        }
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        int index = 0;
        try (CloseableIterator<Record> records = needKeys
                ? batch.streamingIterator(decompressionBuffers)
                : batch.skipKeyValueIterator(decompressionBuffers)) {
            while (records.hasNext()) {
                Record record = records.next();
                long delta = record.offset() - batch.baseOffset();
                if (delta != index) {
                    throw new InvalidRecordException("Record " + index + " of the batch has offset delta " + delta
                            + "; deltas must be 0, 1, 2, ...");
                }
                check.check(index, record.timestamp(), record.hasKey());
                maxTimestamp = Math.max(maxTimestamp, record.timestamp());
                index++;
            }
        } catch (InvalidRecordException | InvalidTimestampException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptRecordException("Record batch at offset delta " + index + " cannot be decoded: "
                    + e.getMessage(), e);
        }
        Integer declared = batch.countOrNull();
        if (declared == null || index != declared) {
            throw new InvalidRecordException("Record batch declares " + declared + " records but holds " + index);
        }
        return new RecordsSummary(index, maxTimestamp);
    }

    private static void checkTimestamp(long timestamp, long nowMs, LogConfig config) {
        if (timestamp < nowMs && nowMs - timestamp > config.messageTimestampBeforeMaxMs) {
            throw new InvalidTimestampException("Timestamp " + timestamp + " is " + (nowMs - timestamp)
                    + " ms before the broker's time " + nowMs + ", more than message.timestamp.before.max.ms ("
                    + config.messageTimestampBeforeMaxMs + ")");
        }
        if (timestamp > nowMs && timestamp - nowMs > config.messageTimestampAfterMaxMs) {
            throw new InvalidTimestampException("Timestamp " + timestamp + " is " + (timestamp - nowMs)
                    + " ms after the broker's time " + nowMs + ", more than message.timestamp.after.max.ms ("
                    + config.messageTimestampAfterMaxMs + ")");
        }
    }

    private static long lastOffsetOf(long baseOffset, int lastOffsetDelta) {
        if (baseOffset > Long.MAX_VALUE - lastOffsetDelta) {
            throw new InvalidRecordException("Offset overflow: a batch of " + (lastOffsetDelta + 1L)
                    + " records at offset " + baseOffset + " would pass the largest offset " + Long.MAX_VALUE);
        }
        return baseOffset + lastOffsetDelta;
    }

    private static CompressionType targetCompression(LogConfig config) {
        if (LogConfig.COMPRESSION_PRODUCER.equals(config.compressionType)) {
            return null;
        }
        return "uncompressed".equals(config.compressionType)
                ? CompressionType.NONE : CompressionType.forName(config.compressionType);
    }

    private static boolean needsRecompression(List<MutableRecordBatch> batches, CompressionType target) {
        for (MutableRecordBatch batch : batches) {
            if (batch.compressionType() != target && !batch.isControlBatch()) {
                return true;
            }
        }
        return false;
    }

    /** Rebuilds every batch in the topic's codec, keeping producer fields, timestamps and record order. */
    private ByteBuffer recompress(List<MutableRecordBatch> batches, CompressionType target, LogConfig config) {
        List<ByteBuffer> rebuilt = new ArrayList<>(batches.size());
        int total = 0;
        for (MutableRecordBatch batch : batches) {
            Compression compression = batch.isControlBatch()
                    ? Compression.of(batch.compressionType()).build() : Compression.of(target).build();
            MemoryRecordsBuilder builder = new MemoryRecordsBuilder(
                    new ByteBufferOutputStream(Math.max(batch.sizeInBytes(), BatchHeader.SIZE)),
                    RecordBatch.CURRENT_MAGIC_VALUE, compression, TimestampType.CREATE_TIME, 0L,
                    RecordBatch.NO_TIMESTAMP, batch.producerId(), batch.producerEpoch(), batch.baseSequence(),
                    batch.isTransactional(), batch.isControlBatch(), batch.partitionLeaderEpoch(), Integer.MAX_VALUE);
            try (CloseableIterator<Record> records = batch.streamingIterator(decompressionBuffers)) {
                while (records.hasNext()) {
                    Record record = records.next();
                    builder.appendWithOffset(record.offset() - batch.baseOffset(), record.timestamp(), record.key(),
                            record.value(), record.headers());
                }
            }
            MemoryRecords built = builder.build();
            if (built.sizeInBytes() > config.maxMessageBytes) {
                throw new RecordTooLargeException("The batch is " + built.sizeInBytes() + " bytes after "
                        + "recompression to " + target.name + ", larger than max.message.bytes ("
                        + config.maxMessageBytes + ")");
            }
            rebuilt.add(built.buffer());
            total += built.sizeInBytes();
        }
        ByteBuffer out = ByteBuffer.allocate(total);
        for (ByteBuffer batch : rebuilt) {
            out.put(batch);
        }
        return out.flip();
    }

    private static BatchInfo infoOf(MutableRecordBatch batch, int position) {
        Integer count = batch.countOrNull();
        return new BatchInfo(position, batch.sizeInBytes(), batch.baseOffset(), batch.lastOffset(),
                batch.maxTimestamp(), count == null ? 0 : count, batch.producerId(), batch.producerEpoch(),
                batch.baseSequence(), batch.partitionLeaderEpoch());
    }

    private record RecordsSummary(int count, long maxTimestamp) {
    }
}

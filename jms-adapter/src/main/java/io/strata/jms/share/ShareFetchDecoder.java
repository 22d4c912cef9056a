package io.strata.jms.share;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns what a ShareFetch answered for one partition into the records this member acquired: every data record at an
 * offset of an acquired range, with that range's delivery count, in offset order. Acquired offsets that hold no data
 * record (control records such as transaction markers, offsets compacted away) are gaps, to be acknowledged with type
 * 0 as Kafka's share consumer does. Batches are checked (CRC) and read with a streaming iterator, so a compressed
 * batch is decompressed a record at a time. A batch that fails its check makes its acquired offsets
 * {@link Decoded#corrupt}: the caller releases them, and the share partition's delivery limit ends the loop.
 *
 * <p>This is the only class of the engine that reads kafka-clients' record classes (which moved package in 4.3).
 * Stateless.
 */
final class ShareFetchDecoder {

    /** The data records acquired, the acquired offsets without one (gaps), and those of corrupt batches. */
    record Decoded(List<ShareRecord> records, List<Long> gaps, List<Long> corrupt) {
    }

    private ShareFetchDecoder() {
    }

    static Decoded decode(TopicIdPartition topicPartition, ShareFetchResponseData.PartitionData partition) {
        List<ShareFetchResponseData.AcquiredRecords> acquired = partition.acquiredRecords();
        List<ShareRecord> records = new ArrayList<>();
        List<Long> corrupt = new ArrayList<>();
        BaseRecords base = partition.records();
        if (!acquired.isEmpty() && base instanceof MemoryRecords memory) {
            try (BufferSupplier buffers = BufferSupplier.create()) {
                for (RecordBatch batch : memory.batches()) {
                    if (batch.isControlBatch() || !overlaps(acquired, batch.baseOffset(), batch.lastOffset())) {
                        continue;
                    }
                    try {
                        batch.ensureValid();
                        read(topicPartition, batch, acquired, buffers, records);
                    } catch (KafkaException e) {
                        for (long offset = batch.baseOffset(); offset <= batch.lastOffset(); offset++) {
                            if (deliveryCount(acquired, offset) > 0) {
                                corrupt.add(offset);
                            }
                        }
                    }
                }
            }
        }
        return new Decoded(records, gaps(acquired, records, corrupt), corrupt);
    }

    private static void read(TopicIdPartition topicPartition, RecordBatch batch,
                             List<ShareFetchResponseData.AcquiredRecords> acquired, BufferSupplier buffers,
                             List<ShareRecord> records) {
        try (CloseableIterator<Record> iterator = batch.streamingIterator(buffers)) {
            while (iterator.hasNext()) {
                Record record = iterator.next();
                int deliveryCount = deliveryCount(acquired, record.offset());
                if (deliveryCount > 0) {
                    records.add(new ShareRecord(topicPartition, record.offset(), record.timestamp(),
                            bytes(record.key()), bytes(record.value()), headers(record.headers()), deliveryCount));
                }
            }
        }
    }

    /** The acquired offsets that neither hold a data record nor belong to a corrupt batch. */
    private static List<Long> gaps(List<ShareFetchResponseData.AcquiredRecords> acquired, List<ShareRecord> records,
                                   List<Long> corrupt) {
        java.util.Set<Long> taken = new java.util.HashSet<>(corrupt);
        records.forEach(record -> taken.add(record.offset()));
        List<Long> gaps = new ArrayList<>();
        for (ShareFetchResponseData.AcquiredRecords range : acquired) {
            for (long offset = range.firstOffset(); offset <= range.lastOffset(); offset++) {
                if (!taken.contains(offset)) {
                    gaps.add(offset);
                }
            }
        }
        return gaps;
    }

    /** The delivery count of an acquired offset, 0 when the offset was not acquired. */
    private static int deliveryCount(List<ShareFetchResponseData.AcquiredRecords> acquired, long offset) {
        for (ShareFetchResponseData.AcquiredRecords range : acquired) {
            if (offset >= range.firstOffset() && offset <= range.lastOffset()) {
                return range.deliveryCount();
            }
        }
        return 0;
    }

    private static boolean overlaps(List<ShareFetchResponseData.AcquiredRecords> acquired, long first, long last) {
        for (ShareFetchResponseData.AcquiredRecords range : acquired) {
            if (range.firstOffset() <= last && range.lastOffset() >= first) {
                return true;
            }
        }
        return false;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static List<Header> headers(Header[] headers) {
        List<Header> copied = new ArrayList<>(headers.length);
        for (Header header : headers) {
            copied.add(new RecordHeader(header.key(), header.value()));
        }
        return copied;
    }
}

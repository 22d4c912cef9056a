package io.strata.broker.api;

import io.strata.broker.share.AbortedRecords;
import io.strata.broker.share.RecordLookup;
import io.strata.broker.share.ShareRecord;
import io.strata.storage.batch.BatchHeader;
import io.strata.storage.file.FileRegion;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The records of one share fetch's read of the log as a share filter sees them (offset, timestamp, key, headers),
 * read from the log region lazily, as far as the acquisition asks and no further: a filtered acquisition asks for
 * offsets in ascending order and stops at {@code max_records} or the in-flight window, so the batches past what it
 * needs are neither copied nor decoded, however large the read.
 *
 * <p>The region is copied into memory {@value #CHUNK_BYTES} bytes at a time (a larger batch whole); batch headers are
 * indexed as they are reached, and a batch is decoded when an offset in it is first asked about: an uncompressed one
 * in place (key and value stay views, only headers are decoded), a compressed one record by record, keeping the
 * headers and key, never the values. An offset in a control batch, in a batch of an aborted transaction (for a
 * read_committed group) or removed by compaction has no record. A read that fails, or a batch that does not decode,
 * ends the lookup there ({@link #reaches} is false): nothing past it is tested, nothing is archived for it.
 *
 * <p>Memory: one chunk (or batch), the index of the batches reached, the records of one batch. Not thread-safe: one
 * acquisition uses it.
 */
final class FetchedShareRecords implements RecordLookup {

    /** How much of the region is copied into memory at a time. */
    static final int CHUNK_BYTES = 64 * 1024;

    /** Where the bytes come from: the log region, or a buffer in tests. */
    private interface Source {
        /** Fills {@code into} from {@code position} of the read. */
        void readFully(ByteBuffer into, int position) throws IOException;
    }

    /** One batch of the read, as its header says. */
    private record Batch(int position, int sizeInBytes, long baseOffset, long lastOffset, boolean control,
                         boolean aborted) {
    }

    private final Source source;
    private final int sizeInBytes;
    private final List<AbortedTransaction> aborted;
    /** The batches reached so far, in offset order. */
    private final List<Batch> batches = new ArrayList<>();
    /** Where in the read the first batch not indexed yet starts. */
    private int nextPosition;
    private ByteBuffer chunk = ByteBuffer.allocate(0);
    private int chunkPosition;
    /** The batch whose records {@link #decoded} holds; null for none. */
    private Batch decodedBatch;
    /** The records of {@link #decodedBatch} by offset minus its base offset; null where compaction removed one. */
    private ShareRecord[] decoded;
    private Exception failure;
    /** Bytes copied from the read so far: the work a lookup did. */
    private long bytesCopied;

    /**
     * @param read    whole batches, as the log returns them; a partial batch at the end is left out
     * @param aborted the aborted transactions overlapping the read, for a read_committed group; otherwise empty
     */
    FetchedShareRecords(FileRegion read, List<AbortedTransaction> aborted) {
        this(read.sizeInBytes(), aborted, fileSource(read));
    }

    /** Over batches in memory. */
    FetchedShareRecords(ByteBuffer read, List<AbortedTransaction> aborted) {
        this(read.remaining(), aborted, bufferSource(read.duplicate()));
    }

    private FetchedShareRecords(int sizeInBytes, List<AbortedTransaction> aborted, Source source) {
        this.sizeInBytes = sizeInBytes;
        this.aborted = List.copyOf(aborted);
        this.source = source;
    }

    private static Source fileSource(FileRegion region) {
        return (into, position) -> {
            if (region.sizeInBytes() == 0) {
                throw new IOException("an empty region has no bytes");
            }
            FileChannel channel = region.channel();
            while (into.hasRemaining()) {
                if (channel.read(into, region.position() + position + into.position()) < 0) {
                    throw new IOException("the log file ended before the read did");
                }
            }
        };
    }

    private static Source bufferSource(ByteBuffer buffer) {
        int start = buffer.position();
        return (into, position) -> into.put(buffer.duplicate().position(start + position)
                .limit(start + position + into.remaining()));
    }

    @Override
    public long firstOffset() {
        if (batches.isEmpty()) {
            indexNext();
        }
        return batches.isEmpty() ? -1 : batches.get(0).baseOffset();
    }

    /** Indexes and decodes as far as {@code offset}; false past the end of the read or where reading failed. */
    @Override
    public boolean reaches(long offset) {
        while ((batches.isEmpty() || batches.get(batches.size() - 1).lastOffset() < offset) && indexNext()) {
            // Batch headers are indexed up to the one holding the offset.
        }
        if (batches.isEmpty() || offset < batches.get(0).baseOffset()
                || offset > batches.get(batches.size() - 1).lastOffset()) {
            return false;
        }
        Batch batch = batchOf(offset);
        return batch == null || batch.control() || batch.aborted() || batch == decodedBatch || decode(batch);
    }

    @Override
    public ShareRecord record(long offset) {
        Batch batch = batchOf(offset);
        if (batch == null || batch.control() || batch.aborted()) {
            return null;
        }
        if (batch != decodedBatch && !decode(batch)) {
            throw new IllegalStateException("offset " + offset + " was not reached: ask reaches() first");
        }
        return decoded[(int) (offset - batch.baseOffset())];
    }

    /**
     * The bytes of the batches holding offsets {@code firstOffset} to {@code lastOffset}, all reached: what a response
     * needs to carry them.
     */
    int bytesSpanning(long firstOffset, long lastOffset) {
        int bytes = 0;
        for (Batch batch : batches) {
            if (batch.lastOffset() >= firstOffset && batch.baseOffset() <= lastOffset) {
                bytes += batch.sizeInBytes();
            }
        }
        return bytes;
    }

    /** How many bytes of the read were copied into memory so far. */
    long bytesCopied() {
        return bytesCopied;
    }

    /** Why the lookup ended before the read did, or null. */
    Exception failure() {
        return failure;
    }

    /** The reached batch holding {@code offset}, or null: a binary search over the batches' offset ranges. */
    private Batch batchOf(long offset) {
        int low = 0;
        int high = batches.size() - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            Batch batch = batches.get(middle);
            if (offset < batch.baseOffset()) {
                high = middle - 1;
            } else if (offset > batch.lastOffset()) {
                low = middle + 1;
            } else {
                return batch;
            }
        }
        return null;
    }

    /** Indexes the next batch's header; false at the end of the read (a partial batch included) or on failure. */
    private boolean indexNext() {
        if (failure != null || sizeInBytes - nextPosition < BatchHeader.SIZE) {
            return false;
        }
        int at = bring(nextPosition, BatchHeader.SIZE);
        if (at < 0) {
            return false;
        }
        int size = BatchHeader.sizeInBytes(chunk, at);
        if (size < BatchHeader.SIZE || size > sizeInBytes - nextPosition) {
            return false;
        }
        batches.add(new Batch(nextPosition, size, BatchHeader.baseOffset(chunk, at), BatchHeader.lastOffset(chunk, at),
                BatchHeader.isControl(chunk, at), AbortedRecords.isAbortedBatch(chunk, at, aborted)));
        nextPosition += size;
        return true;
    }

    /** Decodes the records of {@code batch}; false, with the failure kept, when it cannot be read or decoded. */
    private boolean decode(Batch batch) {
        if (failure != null) {
            return false;
        }
        int at = bring(batch.position(), batch.sizeInBytes());
        if (at < 0) {
            return false;
        }
        long span = batch.lastOffset() - batch.baseOffset() + 1;
        try {
            if (span < 1 || span > Integer.MAX_VALUE) {
                throw new IllegalStateException("batch at offset " + batch.baseOffset() + " spans " + span
                        + " offsets");
            }
            ByteBuffer bytes = chunk.duplicate().position(at).limit(at + batch.sizeInBytes()).slice();
            Iterator<MutableRecordBatch> read = MemoryRecords.readableRecords(bytes).batches().iterator();
            ShareRecord[] records = new ShareRecord[(int) span];
            MutableRecordBatch kafkaBatch = read.next();
            try (CloseableIterator<Record> iterator = kafkaBatch.streamingIterator(BufferSupplier.NO_CACHING)) {
                while (iterator.hasNext()) {
                    Record record = iterator.next();
                    long index = record.offset() - batch.baseOffset();
                    if (index < 0 || index >= span) {
                        throw new IllegalStateException("record offset " + record.offset() + " outside its batch at "
                                + batch.baseOffset());
                    }
                    records[(int) index] = new Fetched(record.offset(), record.timestamp(), record.key(),
                            record.headers());
                }
            }
            decoded = records;
            decodedBatch = batch;
            return true;
        } catch (RuntimeException e) {
            failure = e;
            return false;
        }
    }

    /**
     * Makes {@code length} bytes from {@code position} of the read be in {@link #chunk}, reading a new chunk when they
     * are not; returns where they start in it, or -1 when the read failed.
     */
    private int bring(int position, int length) {
        if (position >= chunkPosition && position + length <= chunkPosition + chunk.limit()) {
            return position - chunkPosition;
        }
        ByteBuffer fresh = ByteBuffer.allocate(Math.min(sizeInBytes - position, Math.max(length, CHUNK_BYTES)));
        try {
            source.readFully(fresh, position);
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            failure = e;
            return -1;
        }
        bytesCopied += fresh.capacity();
        chunk = fresh.flip();
        chunkPosition = position;
        return 0;
    }

    /** A record as a filter sees it. */
    private record Fetched(long offset, long timestampMs, ByteBuffer key, Header[] headers) implements ShareRecord {
    }
}

package io.strata.storage.cleaner;

import io.strata.storage.batch.BatchValidator;
import io.strata.storage.batch.ValidatedBatches;
import io.strata.storage.cleaner.LogCleaner.DirtyLog;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.segment.LogSegment;
import io.strata.storage.segment.TransactionIndex;
import io.strata.storage.segment.SegmentCorruptException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Does one cleaning of one log, as Kafka's cleaner does: maps every key of the dirty part to its latest offset, then
 * rewrites the cleanable segments, in groups that fit {@code segment.bytes}, keeping each record that is the latest
 * for its key (and each tombstone until its delete horizon), and swaps the rewritten segments in.
 *
 * <p>Batches in which every record survives are copied byte for byte; others are rebuilt with kafka-clients'
 * {@link MemoryRecords#filterTo}, in their original codec and with their original offsets. Every batch read is
 * checked against its CRC before use, and every batch written is checked again before it is appended.
 *
 * <p>Not thread-safe: each cleaner thread has its own, with its own key map and buffers.
 */
final class SegmentCleaner {

    private final OffsetMap map;
    private final double loadFactor;
    private final int ioBufferBytes;
    private final Clock clock;
    private final BooleanSupplier abortRequested;
    private final BufferSupplier decompression = BufferSupplier.create();
    private final BatchValidator validator = new BatchValidator();
    private ByteBuffer readBuffer;
    private ByteBuffer writeBuffer;

    SegmentCleaner(OffsetMap map, double loadFactor, int ioBufferBytes, Clock clock, BooleanSupplier abortRequested) {
        this.map = map;
        this.loadFactor = loadFactor;
        this.ioBufferBytes = ioBufferBytes;
        this.clock = clock;
        this.abortRequested = abortRequested;
        this.readBuffer = ByteBuffer.allocate(ioBufferBytes);
        this.writeBuffer = ByteBuffer.allocate(ioBufferBytes);
    }

    CleanerStats clean(DirtyLog dirty) throws IOException {
        long startNanos = System.nanoTime();
        PartitionLog log = dirty.log();
        LogConfig config = log.config();
        map.clear();
        long endOffset = buildOffsetMap(log, dirty.firstDirtyOffset(), dirty.firstUncleanableOffset(),
                config.maxMessageBytes);

        List<LogSegment> cleanable = new ArrayList<>();
        for (LogSegment segment : log.segments()) {
            if (segment.baseOffset() >= endOffset || segment.isActive()) {
                break;
            }
            cleanable.add(segment);
        }
        Totals totals = new Totals();
        int segmentsAfter = 0;
        // One across the groups: a transaction may start in one group and end in the next.
        CleanedTransactions transactions = new CleanedTransactions();
        for (List<LogSegment> group : groupBySize(log, cleanable, config)) {
            cleanGroup(log, group, dirty, config, totals, transactions);
            segmentsAfter++;
        }
        return new CleanerStats(endOffset, cleanable.size(), segmentsAfter, totals.bytesRead, totals.bytesWritten,
                totals.recordsRead, totals.recordsRetained, totals.earliestDeleteHorizonMs,
                (System.nanoTime() - startNanos) / 1_000_000, false);
    }

    /**
     * Maps keys to their latest offset over {@code [start, end)} until the map is as full as the load factor
     * allows. Returns the offset below which the mapping is complete.
     */
    private long buildOffsetMap(PartitionLog log, long start, long end, int maxMessageBytes) throws IOException {
        int maxEntries = (int) (map.slots() * loadFactor);
        CleanedTransactions transactions = new CleanedTransactions();
        transactions.addAbortedTransactions(log.collectAbortedTransactions(start, end));
        List<LogSegment> segments = log.segments();
        for (int i = 0; i < segments.size(); i++) {
            LogSegment segment = segments.get(i);
            long upper = i + 1 < segments.size() ? segments.get(i + 1).baseOffset() : log.logEndOffset();
            if (upper <= start) {
                continue;
            }
            if (segment.baseOffset() >= end) {
                break;
            }
            int position = 0;
            while (position < segment.sizeInBytes()) {
                checkNotAborted();
                MemoryRecords records = readChunk(segment, position, maxMessageBytes);
                for (MutableRecordBatch batch : records.batches()) {
                    checkBatch(batch, segment);
                    if (batch.baseOffset() >= end) {
                        map.updateLatestOffset(end - 1);
                        return end;
                    }
                    // An aborted record's key must not shadow the committed value before it.
                    boolean abortedBatch = batch.isControlBatch() ? transactions.onControlBatchRead(batch)
                            : transactions.onBatchRead(batch);
                    if (batch.lastOffset() >= start && !batch.isControlBatch() && !abortedBatch) {
                        long stoppedAt = mapRecords(batch, start, end, maxEntries);
                        if (stoppedAt >= 0) {
                            return stoppedAt;
                        }
                    }
                    if (batch.lastOffset() >= start) {
                        map.updateLatestOffset(Math.min(batch.lastOffset(), end - 1));
                    }
                }
                position += records.validBytes();
            }
        }
        map.updateLatestOffset(end - 1);
        return end;
    }

    /** Adds a batch's keyed records; returns the offset at which the map filled up, or -1. */
    private long mapRecords(MutableRecordBatch batch, long start, long end, int maxEntries) {
        try (CloseableIterator<Record> records = batch.streamingIterator(decompression)) {
            while (records.hasNext()) {
                Record record = records.next();
                if (record.offset() < start || record.offset() >= end || !record.hasKey()) {
                    continue;
                }
                if (map.size() >= maxEntries) {
                    return record.offset();
                }
                map.put(record.key(), record.offset());
            }
        }
        return -1;
    }

    private void cleanGroup(PartitionLog log, List<LogSegment> group, DirtyLog dirty, LogConfig config,
                            Totals totals, CleanedTransactions transactions) throws IOException {
        LogSegment cleaned = log.createCleanedSegment(group.get(0).baseOffset());
        try {
            RecordFilter filter = new KeyFilter(dirty.nowMs(), config.deleteRetentionMs,
                    dirty.firstUncleanableOffset(), transactions);
            long largestTimestamp = -1;
            int abortsBefore = transactions.retainedAborts().size();
            List<LogSegment> all = log.segments();
            for (LogSegment segment : group) {
                // From the whole segment's range: the cleaned segment's transaction index is rebuilt from these.
                int index = all.indexOf(segment);
                long upper = index + 1 < all.size() ? all.get(index + 1).baseOffset() : log.logEndOffset();
                transactions.addAbortedTransactions(log.collectAbortedTransactions(segment.baseOffset(), upper));
                cleanInto(segment, cleaned, filter, config.maxMessageBytes, totals);
                largestTimestamp = Math.max(largestTimestamp, segment.maxTimestamp());
            }
            // The aborted transactions whose markers stayed, so that read_committed readers skip what is left of them.
            List<TransactionIndex.AbortedTransaction> retained = transactions.retainedAborts();
            for (TransactionIndex.AbortedTransaction aborted : retained.subList(abortsBefore, retained.size())) {
                cleaned.appendAbortedTransaction(aborted);
            }
            cleaned.keepLargestTimestampAtLeast(largestTimestamp);
            cleaned.flush();
            cleaned.becomeInactive();
        } catch (IOException | RuntimeException e) {
            cleaned.deleteFiles();
            throw e;
        }
        // From here the log owns the cleaned files: it deletes them if the swap does not happen, and a failure
        // after the swap's commit point leaves them for the next start to complete.
        if (!log.replaceSegments(cleaned, group, dirty.truncations())) {
            throw new CleaningAbortedException("the log changed while it was being cleaned");
        }
    }

    private void cleanInto(LogSegment source, LogSegment cleaned, RecordFilter filter, int maxMessageBytes,
                           Totals totals) throws IOException {
        int position = 0;
        while (position < source.sizeInBytes()) {
            checkNotAborted();
            MemoryRecords records = readChunk(source, position, maxMessageBytes);
            for (MutableRecordBatch batch : records.batches()) {
                checkBatch(batch, source);
            }
            writeBuffer.clear();
            MemoryRecords.FilterResult result = records.filterTo(filter, writeBuffer, decompression);
            position += result.bytesRead();
            totals.bytesRead += result.bytesRead();
            totals.recordsRead += result.messagesRead();
            totals.recordsRetained += result.messagesRetained();
            ByteBuffer output = result.outputBuffer();
            if (output.position() > 0) {
                output.flip();
                long next = cleaned.nextOffsetIfKnown();
                ValidatedBatches retained = validator.validateReplicated(output, next, Integer.MAX_VALUE);
                for (MutableRecordBatch batch : MemoryRecords.readableRecords(retained.buffer()).batches()) {
                    if (batch.deleteHorizonMs().isPresent()) {
                        totals.earliestDeleteHorizonMs = Math.min(totals.earliestDeleteHorizonMs,
                                batch.deleteHorizonMs().getAsLong());
                    }
                }
                cleaned.append(retained);
                totals.bytesWritten += retained.sizeInBytes();
            }
            if (output != writeBuffer) {
                writeBuffer = ByteBuffer.allocate(Math.max(writeBuffer.capacity(), output.capacity()));
            }
        }
        restoreBuffers();
    }

    /**
     * Reads whole batches from {@code position}; grows the read buffer when the next batch does not fit, up to the
     * larger of {@code max.message.bytes} and the batch itself.
     */
    private MemoryRecords readChunk(LogSegment segment, int position, int maxMessageBytes) throws IOException {
        while (true) {
            readBuffer.clear();
            segment.readInto(readBuffer, position);
            readBuffer.flip();
            MemoryRecords records = MemoryRecords.readableRecords(readBuffer);
            if (records.validBytes() > 0) {
                return records;
            }
            Integer next = records.firstBatchSize();
            if (next == null || next <= readBuffer.capacity()) {
                throw new SegmentCorruptException(segment + " has no whole batch at position " + position);
            }
            if (next > Math.max(maxMessageBytes, segment.sizeInBytes())) {
                throw new SegmentCorruptException(segment + " declares a batch of " + next + " bytes at position "
                        + position + ", larger than the segment");
            }
            readBuffer = ByteBuffer.allocate(next);
        }
    }

    private void restoreBuffers() {
        if (readBuffer.capacity() > ioBufferBytes) {
            readBuffer = ByteBuffer.allocate(ioBufferBytes);
        }
        if (writeBuffer.capacity() > ioBufferBytes) {
            writeBuffer = ByteBuffer.allocate(ioBufferBytes);
        }
    }

    private static void checkBatch(MutableRecordBatch batch, LogSegment segment) {
        if (!batch.isValid()) {
            throw new SegmentCorruptException(segment + " holds a batch at offset " + batch.baseOffset()
                    + " that fails its CRC; it is not cleaned");
        }
    }

    private void checkNotAborted() {
        if (abortRequested.getAsBoolean()) {
            throw new CleaningAbortedException("the cleaner is shutting down");
        }
    }

    /**
     * Groups consecutive segments so that each group's log, offset index and time index fit in one segment and its
     * offsets fit the relative range.
     */
    private static List<List<LogSegment>> groupBySize(PartitionLog log, List<LogSegment> segments, LogConfig config)
            throws IOException {
        List<List<LogSegment>> groups = new ArrayList<>();
        List<LogSegment> all = log.segments();
        int i = 0;
        while (i < segments.size()) {
            List<LogSegment> group = new ArrayList<>();
            LogSegment first = segments.get(i);
            group.add(first);
            long bytes = first.sizeInBytes();
            i++;
            while (i < segments.size()) {
                LogSegment next = segments.get(i);
                int index = all.indexOf(next);
                long upper = index + 1 < all.size() ? all.get(index + 1).baseOffset() : log.logEndOffset();
                if (bytes + next.sizeInBytes() > config.segmentBytes || upper - 1 - first.baseOffset() > Integer.MAX_VALUE) {
                    break;
                }
                group.add(next);
                bytes += next.sizeInBytes();
                i++;
            }
            groups.add(group);
        }
        return groups;
    }

    /**
     * Keeps the latest record of each key and tombstones whose delete horizon has not passed; drops the records of
     * aborted transactions, and transaction markers no longer needed once their delete horizon passed
     * ({@link CleanedTransactions}).
     */
    private final class KeyFilter extends RecordFilter {

        private final long upperBoundOffset;
        private final CleanedTransactions transactions;
        /** Whether the records of the batch being filtered all go (aborted, or a marker past its horizon). */
        private boolean discardBatchRecords;

        KeyFilter(long nowMs, long deleteRetentionMs, long upperBoundOffset, CleanedTransactions transactions) {
            super(nowMs, deleteRetentionMs);
            this.upperBoundOffset = upperBoundOffset;
            this.transactions = transactions;
        }

        @Override
        protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
            boolean canDiscard = batch.isControlBatch() ? transactions.onControlBatchRead(batch)
                    : transactions.onBatchRead(batch);
            discardBatchRecords = batch.isControlBatch()
                    ? canDiscard && batch.deleteHorizonMs().isPresent()
                    && batch.deleteHorizonMs().getAsLong() <= currentTime
                    : canDiscard;
            // The batch that ends the cleaned range stays, if only as a header, so that the last offset is kept.
            BatchRetention retention = batch.nextOffset() == upperBoundOffset ? BatchRetention.RETAIN_EMPTY
                    : discardBatchRecords ? BatchRetention.DELETE : BatchRetention.DELETE_EMPTY;
            // A marker that may go is first given its delete horizon, as a tombstone is.
            return new BatchRetentionResult(retention, canDiscard && batch.isControlBatch());
        }

        @Override
        protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
            if (discardBatchRecords) {
                return false;
            }
            if (batch.isControlBatch() || record.offset() > map.latestOffset()) {
                return true;
            }
            if (!record.hasKey()) {
                return false;
            }
            boolean latestForKey = record.offset() >= map.get(record.key());
            boolean keepTombstone = batch.deleteHorizonMs().isEmpty() || currentTime < batch.deleteHorizonMs().getAsLong();
            return latestForKey && (record.hasValue() || keepTombstone);
        }
    }

    private static final class Totals {
        long bytesRead;
        long bytesWritten;
        long recordsRead;
        long recordsRetained;
        long earliestDeleteHorizonMs = Long.MAX_VALUE;
    }
}

package io.strata.storage.segment;

import io.strata.storage.batch.BatchHeader;
import io.strata.storage.batch.BatchInfo;
import io.strata.storage.batch.RecordReader;
import io.strata.storage.batch.RecordReader.OffsetAndTimestamp;
import io.strata.storage.batch.ValidatedBatches;
import io.strata.storage.file.CachedFile;
import io.strata.storage.file.FileRegion;
import io.strata.storage.file.Lease;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One segment of a partition log: the record batches from base offset N on, stored as {@code N.log} (batches back
 * to back, byte for byte as validated), with its sparse offset index {@code N.index}, time index
 * {@code N.timeindex} and, once a transaction aborted in it, its aborted-transaction index {@code N.txnindex}
 * ({@link TransactionIndex}).
 *
 * <p>The last segment of a log is active: it takes appends, and its indexes live in memory and are written to disk
 * when it rolls or the log closes. Older segments are inactive and immutable; their indexes are loaded when first
 * needed, within the store's {@link IndexCache}, and their file is opened through the store's bounded file cache.
 *
 * <p>Readers see only batches below the published size, which moves after a batch is fully written, so they never
 * see a partial batch and never wait for the writer. Old data is checked once before it is first served: a batch
 * that fails its CRC is never sent, and the failure is logged at ERROR.
 *
 * <p>Thread-safety: one writer (append, truncate, roll, close), any number of concurrent readers. Truncation must
 * not race with readers of the truncated range; the log truncates only above what it lets readers see.
 */
public final class LogSegment {

    private static final System.Logger LOG = System.getLogger(LogSegment.class.getName());
    private static final long UNKNOWN = Long.MIN_VALUE;

    /** A segment's two indexes, replaced together. */
    public record Indexes(OffsetIndex offsets, TimeIndex times) {
        long memoryBytes() {
            return offsets.memoryBytes() + times.memoryBytes();
        }
    }

    /** Where a batch lies in the segment. */
    public record BatchLocation(int position, int sizeInBytes, long baseOffset, long lastOffset) {
    }

    /** The first batch of a leader epoch: records from {@code baseOffset} on were written under {@code epoch}. */
    public record EpochStart(int epoch, long baseOffset) {
    }

    /** What {@link #recover} found: the valid bytes kept, the bytes dropped from the tail and why. */
    public record RecoveryResult(int validBytes, int truncatedBytes, String problem, long nextOffset) {
    }

    private final Path dir;
    private final long baseOffset;
    private final LogResources resources;
    private final int offsetIndexEntriesMax;
    private final int timeIndexEntriesMax;
    private final CachedFile log;
    private final TransactionIndex transactions;
    private final VerifiedRanges verified = new VerifiedRanges();
    private volatile String suffix;
    private volatile int indexIntervalBytes;

    private volatile int size;
    private volatile boolean active;
    private volatile Indexes indexes;
    private volatile int corruptPosition = -1;
    private volatile long maxTimestamp = UNKNOWN;
    private volatile long offsetOfMaxTimestamp = UNKNOWN;
    private volatile long rollingBasedTimestamp = UNKNOWN;
    private volatile long nextOffset = UNKNOWN;
    private boolean indexRebuiltAfterFailure;
    private final long createdMs;
    // Writer only.
    private int bytesSinceLastIndexEntry;

    private LogSegment(Path dir, long baseOffset, String suffix, int indexIntervalBytes, int offsetIndexEntriesMax,
                       int timeIndexEntriesMax, LogResources resources) {
        if (offsetIndexEntriesMax < 1 || timeIndexEntriesMax < 2) {
            throw new IllegalArgumentException("index capacity too small: " + offsetIndexEntriesMax + " offset and "
                    + timeIndexEntriesMax + " time entries");
        }
        this.dir = dir;
        this.baseOffset = baseOffset;
        this.suffix = suffix;
        this.indexIntervalBytes = indexIntervalBytes;
        this.offsetIndexEntriesMax = offsetIndexEntriesMax;
        this.timeIndexEntriesMax = timeIndexEntriesMax;
        this.resources = resources;
        this.log = resources.files().file(SegmentFiles.log(dir, baseOffset, suffix));
        try {
            this.transactions = new TransactionIndex(SegmentFiles.transactionIndex(dir, baseOffset, suffix));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the transaction index of segment " + log.path(), e);
        }
        this.createdMs = resources.clock().millis();
    }

    /**
     * Creates an empty active segment, with a new empty {@code .log} file (replacing any stale one).
     */
    public static LogSegment create(Path dir, long baseOffset, String suffix, int indexIntervalBytes,
                                    int segmentIndexBytes, LogResources resources) {
        LogSegment segment = new LogSegment(dir, baseOffset, suffix, indexIntervalBytes,
                segmentIndexBytes / OffsetIndex.ENTRY_BYTES, segmentIndexBytes / TimeIndex.ENTRY_BYTES, resources);
        Path file = SegmentFiles.log(dir, baseOffset, suffix);
        try {
            Files.deleteIfExists(SegmentFiles.offsetIndex(dir, baseOffset, suffix));
            Files.deleteIfExists(SegmentFiles.timeIndex(dir, baseOffset, suffix));
            segment.transactions.delete();
            FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING).close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create segment " + file, e);
        }
        segment.indexes = segment.emptyIndexes();
        segment.maxTimestamp = -1;
        segment.offsetOfMaxTimestamp = baseOffset;
        segment.nextOffset = baseOffset;
        segment.active = true;
        return segment;
    }

    /**
     * A segment whose {@code .log} file exists. It starts inactive with its indexes on disk; the log then makes it
     * active ({@link #loadAsActive}) or recovers it ({@link #recover}).
     */
    public static LogSegment open(Path dir, long baseOffset, String suffix, int indexIntervalBytes,
                                  int segmentIndexBytes, LogResources resources) throws IOException {
        LogSegment segment = new LogSegment(dir, baseOffset, suffix, indexIntervalBytes,
                segmentIndexBytes / OffsetIndex.ENTRY_BYTES, segmentIndexBytes / TimeIndex.ENTRY_BYTES, resources);
        long fileSize = Files.size(SegmentFiles.log(dir, baseOffset, suffix));
        if (fileSize > Integer.MAX_VALUE) {
            throw new SegmentCorruptException(segment + " is " + fileSize + " bytes, more than a segment can hold");
        }
        segment.size = (int) fileSize;
        return segment;
    }

    public long baseOffset() {
        return baseOffset;
    }

    /** Bytes of whole batches readers may see. */
    public int sizeInBytes() {
        return size;
    }

    public boolean isActive() {
        return active;
    }

    public Path logFile() {
        return log.path();
    }

    public void setIndexIntervalBytes(int indexIntervalBytes) {
        this.indexIntervalBytes = indexIntervalBytes;
    }

    /**
     * The offset after the last batch, if this segment knows it (always when active); otherwise -1. Inactive
     * segments end where the next segment starts, apart from gaps left by compaction.
     */
    public long nextOffsetIfKnown() {
        long next = nextOffset;
        return next == UNKNOWN ? -1 : next;
    }

    // ---------------------------------------------------------------------------------------------------- writing

    /**
     * Writes validated batches at the end and indexes them. The caller has checked that they fit: offsets relative
     * to the base offset within an int ({@link #canHold}) and the size within {@code segment.bytes}.
     */
    public void append(ValidatedBatches batches) throws IOException {
        if (!active) {
            throw new IllegalStateException(this + " is not active");
        }
        if (!canHold(batches.lastOffset()) || batches.firstOffset() < nextOffset) {
            throw new IllegalArgumentException("batches at offsets " + batches.firstOffset() + ".." + batches.lastOffset()
                    + " do not belong after offset " + nextOffset + " in " + this);
        }
        int start = size;
        if ((long) start + batches.sizeInBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(this + " cannot grow past 2 GiB");
        }
        ByteBuffer buffer = batches.buffer().duplicate();
        try (Lease lease = log.acquire()) {
            FileChannel channel = lease.channel();
            long position = start;
            try {
                while (buffer.hasRemaining()) {
                    position += channel.write(buffer, position);
                }
            } catch (IOException e) {
                // A torn write (disk full, a channel closed by an interrupt) must not leave bytes past the published
                // size: a later roll would make them part of the segment.
                cutFileTo(start);
                throw e;
            }
        }
        Indexes current = indexes;
        for (BatchInfo batch : batches.batches()) {
            indexBatch(current, start + batch.position(), batch.sizeInBytes(), batch.baseOffset(), batch.maxTimestamp());
        }
        if (rollingBasedTimestamp == UNKNOWN) {
            rollingBasedTimestamp = batches.batches().get(0).maxTimestamp();
        }
        nextOffset = batches.lastOffset() + 1;
        verified.add(start, start + batches.sizeInBytes());
        size = start + batches.sizeInBytes();
    }

    /** Whether a batch ending at {@code lastOffset} can go in this segment: relative offsets are ints. */
    public boolean canHold(long lastOffset) {
        return lastOffset - baseOffset <= Integer.MAX_VALUE && lastOffset >= baseOffset;
    }

    /** Whether an index is full, which rolls the segment. One time index slot is kept for the closing entry. */
    public boolean indexesFull() {
        Indexes current = indexes;
        return current.offsets().entries() >= offsetIndexEntriesMax
                || current.times().entries() >= timeIndexEntriesMax - 1;
    }

    /** The timestamp that {@code segment.ms} counts from: the first batch's, or the creation time. */
    public long rollingBasedTimestamp() {
        long first = rollingBasedTimestamp;
        return first == UNKNOWN || first < 0 ? createdMs : first;
    }

    private void indexBatch(Indexes current, int position, int sizeInBytes, long batchBaseOffset, long batchMaxTimestamp) {
        if (batchMaxTimestamp > maxTimestamp) {
            maxTimestamp = batchMaxTimestamp;
            offsetOfMaxTimestamp = batchBaseOffset;
        }
        if (bytesSinceLastIndexEntry > indexIntervalBytes && !current.offsets().isFull()) {
            current.offsets().append(batchBaseOffset, position);
            if (current.times().entries() < timeIndexEntriesMax - 1) {
                current.times().maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
            }
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += sizeInBytes;
    }

    /** Cuts the file back to {@code length} if it is longer, best effort: recovery cuts it otherwise. */
    private void cutFileTo(int length) {
        try (Lease lease = log.acquire()) {
            FileChannel channel = lease.channel();
            if (channel.size() > length) {
                channel.truncate(length);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "Cutting {0} back to {1} bytes failed: {2}", this, length, e.toString());
        }
    }

    /** Forces the log file's data to disk, then the aborted-transaction entries of its batches. */
    public void flush() throws IOException {
        try (Lease lease = log.acquire()) {
            lease.channel().force(false);
        }
        transactions.flush();
    }

    /**
     * Records a transaction aborted by the marker at {@code aborted.lastOffset()}, which this segment holds. An
     * entry at or below the newest one is already there (a replay after a restart) and is skipped: returns false.
     */
    public boolean appendAbortedTransaction(TransactionIndex.AbortedTransaction aborted) throws IOException {
        if (aborted.lastOffset() < baseOffset) {
            throw new IllegalArgumentException("the abort marker at " + aborted.lastOffset() + " is not in " + this);
        }
        if (aborted.lastOffset() <= transactions.lastOffset()) {
            return false;
        }
        transactions.append(aborted);
        return true;
    }

    /** This segment's aborted-transaction index. */
    public TransactionIndex transactionIndex() {
        return transactions;
    }

    /**
     * Raises the segment's largest timestamp to at least {@code timestamp}: a cleaned segment keeps the largest
     * timestamp of the segments it replaces, so that compaction never makes data look older to retention, even when
     * it removed every record.
     */
    public void keepLargestTimestampAtLeast(long timestamp) {
        if (!active) {
            throw new IllegalStateException(this + " is not active");
        }
        if (timestamp > maxTimestamp) {
            maxTimestamp = timestamp;
            offsetOfMaxTimestamp = Math.max(offsetOfMaxTimestamp, baseOffset);
        }
    }

    /**
     * Makes the segment immutable: adds the closing time index entry (the largest timestamp), writes both indexes to
     * disk and hands their memory to the index cache.
     */
    public void becomeInactive() throws IOException {
        if (!active) {
            return;
        }
        Indexes current = indexes;
        if (maxTimestamp >= 0) {
            current.times().maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
        }
        cutFileTo(size);
        writeIndexes(current);
        active = false;
        resources.indexes().loaded(this, current.memoryBytes());
    }

    /**
     * Drops every batch holding offsets at or after {@code offset}; a batch straddling it goes whole. Afterwards the
     * next offset is {@code offset} (a gap left by compaction below it stays a gap), or the straddling batch's base
     * offset. Returns the bytes removed.
     */
    public int truncateTo(long offset) throws IOException {
        BatchLocation first = translateOffset(offset);
        if (first == null) {
            if (offset > nextOffset && active) {
                nextOffset = offset;
            }
            return 0;
        }
        int newSize = first.position();
        int removed = size - newSize;
        Indexes current = indexes();
        current.offsets().truncateTo(first.baseOffset());
        current.times().truncateTo(first.baseOffset());
        size = newSize;
        verified.truncateTo(newSize);
        if (corruptPosition >= newSize) {
            corruptPosition = -1;
        }
        try (Lease lease = log.acquire()) {
            lease.channel().truncate(newSize);
        }
        // The index files on disk describe the old content; they are written again at roll or close.
        Files.deleteIfExists(SegmentFiles.offsetIndex(dir, baseOffset, suffix));
        Files.deleteIfExists(SegmentFiles.timeIndex(dir, baseOffset, suffix));
        recomputeTailState(current);
        nextOffset = first.baseOffset() < offset ? first.baseOffset() : Math.max(offset, baseOffset);
        transactions.truncateTo(nextOffset);
        if (newSize == 0) {
            rollingBasedTimestamp = UNKNOWN;
        }
        return removed;
    }

    /**
     * After loading or truncating: the largest timestamp, the next offset and the bytes since the last index entry,
     * from the time index's last entry and the batches after the last offset index entry.
     */
    private void recomputeTailState(Indexes current) throws IOException {
        long max = current.times().lastTimestamp();
        long offsetOfMax = current.times().lastOffset();
        long next = baseOffset;
        int lastIndexed = current.offsets().lastPosition();
        int end = size;
        int lastBatchStart = lastIndexed;
        if (lastIndexed < end) {
            try (Lease lease = log.acquire()) {
                BatchScanner scanner = new BatchScanner(lease.channel(), lastIndexed, end, this);
                while (scanner.next()) {
                    if (scanner.maxTimestamp() > max) {
                        max = scanner.maxTimestamp();
                        offsetOfMax = scanner.baseOffset();
                    }
                    next = scanner.lastOffset() + 1;
                    lastBatchStart = scanner.position();
                }
            }
        }
        maxTimestamp = max;
        offsetOfMaxTimestamp = offsetOfMax;
        nextOffset = end == 0 ? baseOffset : next;
        bytesSinceLastIndexEntry = end - lastBatchStart;
    }

    // ---------------------------------------------------------------------------------------------------- loading

    /** Makes a segment loaded after a clean shutdown the active one: its indexes in memory, its tail known. */
    public void loadAsActive() throws IOException {
        Indexes loaded = indexes();
        resources.indexes().removed(this);
        indexes = loaded;
        recomputeTailState(loaded);
        if (size > 0) {
            try (Lease lease = log.acquire()) {
                BatchScanner scanner = new BatchScanner(lease.channel(), 0, size, this);
                scanner.next();
                rollingBasedTimestamp = scanner.maxTimestamp();
            }
        }
        active = true;
    }

    /**
     * Checks every batch from the start (length, magic, CRC32C, offsets ascending within the segment), rebuilds both
     * indexes, and cuts the file at the first batch that fails: a torn write, a zero-filled preallocated tail, or
     * corruption. The segment is left active, its indexes in memory; the caller makes it inactive unless it is the
     * last one, and logs what was dropped.
     *
     * @param nextOffsetAtLeast the smallest base offset the first batch may have
     */
    public RecoveryResult recover(long nextOffsetAtLeast) throws IOException {
        Indexes rebuilt = emptyIndexes();
        maxTimestamp = -1;
        offsetOfMaxTimestamp = baseOffset;
        rollingBasedTimestamp = UNKNOWN;
        bytesSinceLastIndexEntry = 0;
        long expected = Math.max(baseOffset, nextOffsetAtLeast);
        long actualSize;
        String problem = null;
        int validBytes;
        try (Lease lease = log.acquire()) {
            FileChannel channel = lease.channel();
            actualSize = channel.size();
            int readable = (int) Math.min(actualSize, Integer.MAX_VALUE);
            WholeBatchReader reader = new WholeBatchReader(channel, 0, readable);
            while (reader.next()) {
                ByteBuffer batch = reader.batch();
                long batchBase = BatchHeader.baseOffset(batch, 0);
                long batchLast = BatchHeader.lastOffset(batch, 0);
                if (batchBase < expected) {
                    problem = "batch at offset " + batchBase + " goes back from the expected offset " + expected;
                    break;
                }
                if (!canHold(batchLast)) {
                    problem = "batch at offset " + batchBase + " lies outside the offset range of the segment";
                    break;
                }
                long batchMaxTimestamp = BatchHeader.maxTimestamp(batch, 0);
                if (rollingBasedTimestamp == UNKNOWN) {
                    rollingBasedTimestamp = batchMaxTimestamp;
                }
                indexBatch(rebuilt, reader.position(), reader.batchSize(), batchBase, batchMaxTimestamp);
                expected = batchLast + 1;
            }
            if (problem == null) {
                problem = reader.problem();
            }
            validBytes = problem == null ? readable : reader.position();
            if (validBytes < actualSize) {
                channel.truncate(validBytes);
                if (problem == null) {
                    problem = "the file is larger than a segment can be";
                }
            }
        }
        indexes = rebuilt;
        size = validBytes;
        nextOffset = validBytes == 0 ? baseOffset : expected;
        // Entries for markers the crash took are gone with them; those the crash kept the producer state replay
        // writes back if they were lost.
        transactions.truncateTo(nextOffset);
        verified.add(0, validBytes);
        corruptPosition = -1;
        resources.indexes().removed(this);
        active = true;
        return new RecoveryResult(validBytes, (int) Math.min(Integer.MAX_VALUE, actualSize - validBytes), problem,
                nextOffset);
    }

    /** The segment's indexes, loaded from disk (or rebuilt from the log) if this inactive segment has none loaded. */
    public Indexes indexes() throws IOException {
        Indexes current = indexes;
        if (current != null) {
            if (!active) {
                resources.indexes().touch(this);
            }
            return current;
        }
        synchronized (this) {
            current = indexes;
            if (current == null) {
                current = loadIndexes();
                indexes = current;
                if (!active) {
                    resources.indexes().loaded(this, current.memoryBytes());
                }
            }
            return current;
        }
    }

    /** Called by the index cache to free an inactive segment's indexes. */
    void unloadIndexes() {
        if (!active) {
            indexes = null;
        }
    }

    private Indexes loadIndexes() throws IOException {
        Path offsetFile = SegmentFiles.offsetIndex(dir, baseOffset, suffix);
        Path timeFile = SegmentFiles.timeIndex(dir, baseOffset, suffix);
        try {
            OffsetIndex offsets = OffsetIndex.read(offsetFile, baseOffset, offsetIndexEntriesMax, size);
            TimeIndex times = TimeIndex.read(timeFile, baseOffset, timeIndexEntriesMax);
            checkLastEntryPointsAtBatch(offsets);
            return new Indexes(offsets, times);
        } catch (NoSuchFileException e) {
            // Small segments are closed without index files; only a missing index of a larger one is news.
            LOG.log(size > 2 * indexIntervalBytes ? Level.INFO : Level.DEBUG, "Rebuilding the missing index of {0}",
                    this);
        } catch (IndexCorruptException | SegmentCorruptException e) {
            LOG.log(Level.WARNING, "Rebuilding the index of {0}: {1}", this, e.getMessage());
        }
        Indexes rebuilt = rebuildIndexes();
        if (rebuilt.offsets().entries() > 0) {
            writeIndexes(rebuilt);
        }
        return rebuilt;
    }

    private void checkLastEntryPointsAtBatch(OffsetIndex offsets) throws IOException {
        if (offsets.entries() == 0) {
            return;
        }
        try (Lease lease = log.acquire()) {
            BatchScanner scanner = new BatchScanner(lease.channel(), offsets.lastPosition(), size, this);
            if (!scanner.next() || scanner.baseOffset() != offsets.lastOffset()) {
                throw new IndexCorruptException("the last index entry (" + offsets.lastOffset() + " at "
                        + offsets.lastPosition() + ") does not point at that batch");
            }
        }
    }

    /** Builds both indexes from the batch headers, with the closing time index entry. */
    private Indexes rebuildIndexes() throws IOException {
        Indexes rebuilt = emptyIndexes();
        long max = -1;
        long offsetOfMax = baseOffset;
        int sinceLastEntry = 0;
        try (Lease lease = log.acquire()) {
            BatchScanner scanner = new BatchScanner(lease.channel(), 0, size, this);
            while (scanner.next()) {
                if (scanner.maxTimestamp() > max) {
                    max = scanner.maxTimestamp();
                    offsetOfMax = scanner.baseOffset();
                }
                if (sinceLastEntry > indexIntervalBytes && !rebuilt.offsets().isFull()) {
                    rebuilt.offsets().append(scanner.baseOffset(), scanner.position());
                    if (rebuilt.times().entries() < timeIndexEntriesMax - 1) {
                        rebuilt.times().maybeAppend(max, offsetOfMax);
                    }
                    sinceLastEntry = 0;
                }
                sinceLastEntry += scanner.sizeInBytes();
            }
        }
        if (max >= 0 && !active) {
            rebuilt.times().maybeAppend(max, offsetOfMax);
        }
        return rebuilt;
    }

    private void writeIndexes(Indexes current) throws IOException {
        current.offsets().writeTo(SegmentFiles.offsetIndex(dir, baseOffset, suffix));
        current.times().writeTo(SegmentFiles.timeIndex(dir, baseOffset, suffix));
    }

    private Indexes emptyIndexes() {
        return new Indexes(new OffsetIndex(baseOffset, offsetIndexEntriesMax),
                new TimeIndex(baseOffset, timeIndexEntriesMax));
    }

    // ---------------------------------------------------------------------------------------------------- reading

    /**
     * The first batch whose last offset is at or after {@code offset}, among the batches readers may see, or
     * {@code null} if there is none.
     */
    public BatchLocation translateOffset(long offset) throws IOException {
        int end = size;
        if (end == 0) {
            return null;
        }
        try (Lease lease = log.acquire()) {
            return scanTo(lease.channel(), indexedPosition(offset), end, offset);
        } catch (SegmentCorruptException e) {
            if (!rebuildIndexesAfterFailedScan(e)) {
                throw e;
            }
            try (Lease lease = log.acquire()) {
                return scanTo(lease.channel(), indexedPosition(offset), end, offset);
            }
        }
    }

    private int indexedPosition(long offset) throws IOException {
        return indexes().offsets().floorPosition(offset);
    }

    /**
     * A scan that starts at an indexed position and finds no batch there may mean a stale index rather than bad
     * data: the index is rebuilt from the log, once. Returns whether it was; if the log itself is bad, the rebuild
     * fails and the original error stands.
     */
    private boolean rebuildIndexesAfterFailedScan(SegmentCorruptException failure) throws IOException {
        synchronized (this) {
            if (indexRebuiltAfterFailure) {
                return false;
            }
            indexRebuiltAfterFailure = true;
        }
        LOG.log(Level.WARNING, "Rebuilding the index of {0} after a failed scan: {1}", this, failure.getMessage());
        Indexes rebuilt;
        try {
            rebuilt = rebuildIndexes();
        } catch (SegmentCorruptException e) {
            return false;
        }
        if (!active) {
            writeIndexes(rebuilt);
            resources.indexes().loaded(this, rebuilt.memoryBytes());
        }
        indexes = rebuilt;
        return true;
    }

    private BatchLocation scanTo(FileChannel channel, int start, int end, long offset) throws IOException {
        BatchScanner scanner = new BatchScanner(channel, start, end, this);
        while (scanner.next()) {
            if (scanner.lastOffset() >= offset) {
                return new BatchLocation(scanner.position(), scanner.sizeInBytes(), scanner.baseOffset(),
                        scanner.lastOffset());
            }
        }
        return null;
    }

    /**
     * Whole batches from the one holding {@code startOffset}: at most {@code maxBytes} of them, none holding an
     * offset at or after {@code maxOffsetExclusive}. With {@code minOneBatch}, a first batch larger than
     * {@code maxBytes} is returned whole rather than nothing. Returns {@code null} if no batch here holds an offset
     * at or after {@code startOffset}.
     *
     * @throws SegmentCorruptException if the range holds a batch that fails its checks
     */
    public FileRegion read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch)
            throws IOException {
        try {
            return readOnce(startOffset, maxBytes, maxOffsetExclusive, minOneBatch);
        } catch (SegmentCorruptException e) {
            if (!rebuildIndexesAfterFailedScan(e)) {
                throw e;
            }
            return readOnce(startOffset, maxBytes, maxOffsetExclusive, minOneBatch);
        }
    }

    private FileRegion readOnce(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch)
            throws IOException {
        int end = size;
        if (end == 0) {
            return null;
        }
        Indexes current = indexes();
        Lease lease = log.acquire();
        try {
            FileChannel channel = lease.channel();
            BatchLocation first = scanTo(channel, current.offsets().floorPosition(startOffset), end, startOffset);
            if (first == null) {
                lease.close();
                return null;
            }
            int limit = end;
            if (maxOffsetExclusive <= first.lastOffset()) {
                lease.close();
                return FileRegion.empty();
            }
            if (nextOffset == UNKNOWN || maxOffsetExclusive < nextOffset) {
                BatchLocation bound = scanTo(channel, current.offsets().floorPosition(maxOffsetExclusive), end,
                        maxOffsetExclusive);
                if (bound != null) {
                    limit = bound.position();
                }
            }
            int cut = cutAtBatchBoundary(channel, current.offsets(), first, limit, maxBytes, minOneBatch);
            if (cut == first.position()) {
                lease.close();
                return FileRegion.empty();
            }
            checkBeforeServing(channel, first.position(), cut);
            return new FileRegion(lease, first.position(), cut - first.position());
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    /** The end of the last whole batch within {@code maxBytes} of the first, bounded by {@code limit}. */
    private int cutAtBatchBoundary(FileChannel channel, OffsetIndex offsets, BatchLocation first, int limit,
                                   int maxBytes, boolean minOneBatch) throws IOException {
        long wanted = (long) first.position() + maxBytes;
        if (wanted >= limit) {
            return limit;
        }
        // An indexed position is a batch boundary: everything before it fits, and the scan goes on from there.
        int scanFrom = Math.max(first.position(), offsets.floorPositionByPosition((int) wanted));
        int cut = scanFrom;
        BatchScanner scanner = new BatchScanner(channel, scanFrom, limit, this);
        while (scanner.next() && scanner.nextPosition() <= wanted) {
            cut = scanner.nextPosition();
        }
        if (cut == first.position() && minOneBatch) {
            cut = first.position() + first.sizeInBytes();
        }
        return Math.min(cut, limit);
    }

    /**
     * The offset after the batch that ends at {@code endPosition} (a batch boundary, such as the end of a region
     * read), or -1 if no batch ends there. Scans the batch headers from the offset index entry before it: at most
     * {@code index.interval.bytes} of them.
     */
    public long nextOffsetAfterPosition(int endPosition) throws IOException {
        if (endPosition <= 0 || endPosition > size) {
            return -1;
        }
        int from = indexes().offsets().floorPositionByPosition(endPosition - 1);
        long next = -1;
        try (Lease lease = log.acquire()) {
            BatchScanner scanner = new BatchScanner(lease.channel(), from, endPosition, this);
            while (scanner.next()) {
                next = scanner.lastOffset() + 1;
            }
        }
        return next;
    }

    /**
     * Checks {@code [start, end)} once before it is first served, unless this process wrote, recovered or checked
     * it already. A failing batch is recorded, logged at ERROR and never served.
     */
    private void checkBeforeServing(FileChannel channel, int start, int end) throws IOException {
        int corrupt = corruptPosition;
        if (corrupt >= 0 && corrupt < end) {
            throw new SegmentCorruptException(this + " is corrupt at position " + corrupt
                    + "; records from there on are not served");
        }
        if (verified.covers(start, end)) {
            return;
        }
        WholeBatchReader reader = new WholeBatchReader(channel, start, end);
        long previousLast = -1;
        while (reader.next()) {
            ByteBuffer batch = reader.batch();
            long batchBase = BatchHeader.baseOffset(batch, 0);
            if (batchBase <= previousLast) {
                markCorrupt(reader.position(), "batch at offset " + batchBase + " goes back from " + previousLast);
            }
            previousLast = BatchHeader.lastOffset(batch, 0);
        }
        if (reader.problem() != null) {
            markCorrupt(reader.position(), reader.problem());
        }
        verified.add(start, end);
    }

    private void markCorrupt(int position, String problem) {
        int previous = corruptPosition;
        if (previous < 0 || position < previous) {
            corruptPosition = position;
        }
        LOG.log(Level.ERROR, "CORRUPT LOG DATA in {0} at position {1}: {2}. Records from there on are not served;"
                + " restore the partition from a replica or truncate it.", this, position, problem);
        throw new SegmentCorruptException(this + " is corrupt at position " + position + ": " + problem);
    }

    /**
     * The batches where the leader epoch rises: each batch stamped with an epoch (not -1) above every epoch before
     * it in this segment, in offset order. Reads the batch headers only, a few kilobytes at a time; for rebuilding a
     * partition's leader epoch cache.
     *
     * @throws SegmentCorruptException if a header cannot start a batch
     */
    public List<EpochStart> leaderEpochStarts() throws IOException {
        List<EpochStart> starts = new ArrayList<>();
        int end = size;
        int highest = -1;
        try (Lease lease = log.acquire()) {
            BatchScanner scanner = new BatchScanner(lease.channel(), 0, end, this);
            while (scanner.next()) {
                int epoch = scanner.partitionLeaderEpoch();
                if (epoch > highest) {
                    starts.add(new EpochStart(epoch, scanner.baseOffset()));
                    highest = epoch;
                }
            }
        }
        return starts;
    }

    /**
     * Copies bytes from {@code position} into {@code destination}, up to its remaining space or the segment's end;
     * returns the bytes copied. For the cleaner, which processes whole segments in chunks.
     */
    public int readInto(ByteBuffer destination, int position) throws IOException {
        int end = size;
        int wanted = Math.min(destination.remaining(), Math.max(0, end - position));
        ByteBuffer target = destination.slice(destination.position(), wanted);
        try (Lease lease = log.acquire()) {
            FileChannel channel = lease.channel();
            while (target.hasRemaining()) {
                if (channel.read(target, position + target.position()) < 0) {
                    break;
                }
            }
        }
        destination.position(destination.position() + target.position());
        return target.position();
    }

    /**
     * The first record at or after {@code timestamp} with an offset at or after {@code minOffset}, or {@code null}.
     */
    public OffsetAndTimestamp findOffsetByTimestamp(long timestamp, long minOffset) throws IOException {
        if (size == 0 || maxTimestamp() < timestamp) {
            return null;
        }
        Indexes current = indexes();
        long searchFrom = Math.max(current.times().searchStartOffset(timestamp), minOffset);
        int end = size;
        try (Lease lease = log.acquire()) {
            FileChannel channel = lease.channel();
            BatchScanner scanner = new BatchScanner(channel, current.offsets().floorPosition(searchFrom), end,
                    this);
            while (scanner.next()) {
                if (scanner.maxTimestamp() < timestamp || scanner.lastOffset() < minOffset) {
                    continue;
                }
                checkBeforeServing(channel, scanner.position(), scanner.nextPosition());
                ByteBuffer batch = ByteBuffer.allocate(scanner.sizeInBytes());
                while (batch.hasRemaining()) {
                    if (channel.read(batch, scanner.position() + batch.position()) < 0) {
                        throw new SegmentCorruptException(this + " ends inside the batch at position "
                                + scanner.position());
                    }
                }
                OffsetAndTimestamp found = RecordReader.firstAtOrAfter(batch.flip(), timestamp, minOffset);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /**
     * The largest batch timestamp in the segment, or -1 if no batch carries one. For an inactive segment whose
     * indexes are not loaded it is read from the time index's closing entry.
     */
    public long maxTimestamp() throws IOException {
        long known = maxTimestamp;
        if (known != UNKNOWN) {
            return known;
        }
        long fromIndex = indexes().times().lastTimestamp();
        maxTimestamp = fromIndex;
        offsetOfMaxTimestamp = indexes().times().lastOffset();
        return fromIndex;
    }

    /** The timestamp retention by time goes by: the largest record timestamp, or the file's modification time. */
    public long largestTimestamp() throws IOException {
        long max = maxTimestamp();
        return max >= 0 ? max : lastModified();
    }

    public long lastModified() throws IOException {
        return Files.getLastModifiedTime(log.path()).toMillis();
    }

    /** Heap bytes this segment's indexes hold now. */
    public long indexMemoryBytes() {
        Indexes current = indexes;
        return current == null ? 0 : current.memoryBytes();
    }

    // ---------------------------------------------------------------------------------------------------- files

    public String suffix() {
        return suffix;
    }

    /**
     * Renames the segment's files from the current suffix to {@code newSuffix} (such as {@code .deleted} or
     * {@code ""}); readers holding the log file open keep reading it.
     */
    public void changeSuffix(String newSuffix) throws IOException {
        String oldSuffix = suffix;
        renameIfExists(SegmentFiles.offsetIndex(dir, baseOffset, oldSuffix), SegmentFiles.offsetIndex(dir, baseOffset, newSuffix));
        renameIfExists(SegmentFiles.timeIndex(dir, baseOffset, oldSuffix), SegmentFiles.timeIndex(dir, baseOffset, newSuffix));
        transactions.renameTo(SegmentFiles.transactionIndex(dir, baseOffset, newSuffix));
        Path newLog = SegmentFiles.log(dir, baseOffset, newSuffix);
        Files.move(SegmentFiles.log(dir, baseOffset, oldSuffix), newLog, StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        log.renamedTo(newLog);
        suffix = newSuffix;
    }

    private static void renameIfExists(Path from, Path to) throws IOException {
        if (Files.exists(from)) {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Closes the file; an active segment first writes its indexes, with the closing time index entry. A segment too
     * small to have an offset index entry writes none: rebuilding them from its few batches costs less than forcing
     * two files to disk for each of thousands of idle partitions.
     */
    public void close() throws IOException {
        if (active) {
            cutFileTo(size);
            transactions.flush();
            Indexes current = indexes;
            if (current.offsets().entries() == 0) {
                Files.deleteIfExists(SegmentFiles.offsetIndex(dir, baseOffset, suffix));
                Files.deleteIfExists(SegmentFiles.timeIndex(dir, baseOffset, suffix));
            } else {
                if (maxTimestamp >= 0 && current.times().entries() < timeIndexEntriesMax) {
                    current.times().maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
                }
                writeIndexes(current);
            }
        }
        closeFiles();
    }

    /** Closes the file without writing anything. */
    public void closeFiles() {
        log.close();
        resources.indexes().removed(this);
    }

    /** Closes the file and deletes the segment's files under their current suffix. */
    public void deleteFiles() throws IOException {
        closeFiles();
        Files.deleteIfExists(SegmentFiles.offsetIndex(dir, baseOffset, suffix));
        Files.deleteIfExists(SegmentFiles.timeIndex(dir, baseOffset, suffix));
        transactions.delete();
        Files.deleteIfExists(SegmentFiles.log(dir, baseOffset, suffix));
    }

    @Override
    public String toString() {
        return "segment " + log.path();
    }
}

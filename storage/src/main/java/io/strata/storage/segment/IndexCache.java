package io.strata.storage.segment;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Bounds the heap taken by the indexes of inactive segments. An inactive segment loads its indexes from disk when a
 * read first needs them and registers them here; when the total passes {@code bytesMax}, the least recently used
 * are dropped and loaded again on their next use. Active segments' indexes are not counted: each partition has one,
 * and it grows with the data being written.
 *
 * <p>Thread-safe.
 */
public final class IndexCache {

    private final long bytesMax;
    private final LinkedHashMap<LogSegment, Long> loaded = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public IndexCache(long bytesMax) {
        if (bytesMax < 0) {
            throw new IllegalArgumentException("bytesMax must not be negative, was " + bytesMax);
        }
        this.bytesMax = bytesMax;
    }

    /** Heap bytes of the inactive indexes loaded now. */
    public synchronized long bytes() {
        return bytes;
    }

    public synchronized int segments() {
        return loaded.size();
    }

    synchronized void loaded(LogSegment segment, long segmentBytes) {
        Long previous = loaded.put(segment, segmentBytes);
        bytes += segmentBytes - (previous == null ? 0 : previous);
        Iterator<java.util.Map.Entry<LogSegment, Long>> it = loaded.entrySet().iterator();
        while (bytes > bytesMax && it.hasNext()) {
            java.util.Map.Entry<LogSegment, Long> eldest = it.next();
            if (eldest.getKey() == segment) {
                continue;
            }
            it.remove();
            bytes -= eldest.getValue();
            eldest.getKey().unloadIndexes();
        }
    }

    synchronized void touch(LogSegment segment) {
        loaded.get(segment);
    }

    synchronized void removed(LogSegment segment) {
        Long previous = loaded.remove(segment);
        if (previous != null) {
            bytes -= previous;
        }
    }
}

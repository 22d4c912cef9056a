package io.strata.storage.segment;

/**
 * The byte ranges of a segment whose batches this process has checked (CRC32C included): written by it, recovered by
 * it, or read and checked once. A bounded handful of disjoint ranges; when a new one does not fit, the smallest is
 * forgotten and will be checked again. Thread-safe.
 */
final class VerifiedRanges {

    private static final int RANGES_MAX = 8;

    private final int[] starts = new int[RANGES_MAX];
    private final int[] ends = new int[RANGES_MAX];
    private int count;

    synchronized boolean covers(int start, int end) {
        for (int i = 0; i < count; i++) {
            if (starts[i] <= start && end <= ends[i]) {
                return true;
            }
        }
        return false;
    }

    /** Records {@code [start, end)} as checked, merging it with ranges it touches. */
    synchronized void add(int start, int end) {
        if (end <= start) {
            return;
        }
        int mergedStart = start;
        int mergedEnd = end;
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (starts[i] <= mergedEnd && mergedStart <= ends[i]) {
                mergedStart = Math.min(mergedStart, starts[i]);
                mergedEnd = Math.max(mergedEnd, ends[i]);
            } else {
                starts[kept] = starts[i];
                ends[kept] = ends[i];
                kept++;
            }
        }
        count = kept;
        if (count == RANGES_MAX) {
            int smallest = 0;
            for (int i = 1; i < count; i++) {
                if (ends[i] - starts[i] < ends[smallest] - starts[smallest]) {
                    smallest = i;
                }
            }
            starts[smallest] = starts[count - 1];
            ends[smallest] = ends[count - 1];
            count--;
        }
        starts[count] = mergedStart;
        ends[count] = mergedEnd;
        count++;
    }

    /** Forgets everything at or after {@code position}, after the segment was truncated there. */
    synchronized void truncateTo(int position) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (starts[i] < position) {
                starts[kept] = starts[i];
                ends[kept] = Math.min(ends[i], position);
                kept++;
            }
        }
        count = kept;
    }
}

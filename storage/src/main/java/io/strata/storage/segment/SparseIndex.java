package io.strata.storage.segment;

/**
 * Entries of (key, value) kept in ascending key order, as appended, in memory, with room for at most
 * {@code entriesMax}. The offset and time indexes are built on it.
 *
 * <p>One writer appends and truncates; any number of readers search concurrently. A reader sees a prefix of the
 * entries: the array reference is published before the size that covers it. Truncation must not run concurrently
 * with readers of the truncated entries (the log only truncates above what readers may read).
 */
final class SparseIndex {

    private static final int INITIAL_CAPACITY = 8;

    private record Entries(long[] keys, int[] values) {
    }

    private final int entriesMax;
    private volatile Entries entries;
    private volatile int size;

    SparseIndex(int entriesMax) {
        if (entriesMax < 1) {
            throw new IllegalArgumentException("entriesMax must be at least 1, was " + entriesMax);
        }
        this.entriesMax = entriesMax;
        this.entries = new Entries(new long[0], new int[0]);
    }

    int size() {
        return size;
    }

    boolean isFull() {
        return size >= entriesMax;
    }

    int entriesMax() {
        return entriesMax;
    }

    long key(int i) {
        return entries.keys[i];
    }

    int value(int i) {
        return entries.values[i];
    }

    /** Heap bytes held by the entry arrays. */
    long memoryBytes() {
        return 12L * entries.keys.length;
    }

    /**
     * Appends an entry whose key is greater than the last key and whose value is not smaller than the last value.
     */
    void append(long key, int value) {
        int n = size;
        if (n >= entriesMax) {
            throw new IllegalStateException("index is full at " + n + " entries");
        }
        Entries current = entries;
        if (n > 0 && (key <= current.keys[n - 1] || value < current.values[n - 1])) {
            throw new IllegalStateException("index entry (" + key + ", " + value + ") does not follow ("
                    + current.keys[n - 1] + ", " + current.values[n - 1] + ")");
        }
        if (n == current.keys.length) {
            int capacity = (int) Math.min(entriesMax, Math.max(INITIAL_CAPACITY, 2L * n));
            current = new Entries(java.util.Arrays.copyOf(current.keys, capacity),
                    java.util.Arrays.copyOf(current.values, capacity));
            entries = current;
        }
        current.keys[n] = key;
        current.values[n] = value;
        size = n + 1;
    }

    /** The slot of the largest key not greater than {@code target}, or -1 if every key is greater. */
    int floorByKey(long target) {
        int n = size;
        long[] keys = entries.keys;
        int low = 0;
        int high = n - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (keys[mid] <= target) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return high;
    }

    /** The slot of the largest value not greater than {@code target}, or -1 if every value is greater. */
    int floorByValue(int target) {
        int n = size;
        int[] values = entries.values;
        int low = 0;
        int high = n - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (values[mid] <= target) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return high;
    }

    /** Keeps the first {@code entries} entries. */
    void truncateTo(int keep) {
        if (keep < 0 || keep > size) {
            throw new IllegalArgumentException("cannot keep " + keep + " of " + size + " entries");
        }
        size = keep;
    }
}

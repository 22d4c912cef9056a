package io.strata.cli.perf;

/**
 * Latencies in microseconds, kept in fixed buckets so that a run of any length costs the same 14 KiB: values below
 * 128 µs exactly, larger ones in 64 buckets per power of two (within 1.6% of the true value), up to 2^32 µs (about
 * 71 minutes), above which values are counted as that maximum. Percentiles report the upper edge of their bucket,
 * so they never understate.
 *
 * <p>Thread-safe: the producer's I/O thread records while the main thread may read.
 */
final class LatencyHistogram {

    private static final int EXACT_BUCKETS = 128;
    private static final int SUB_BUCKET_BITS = 6;
    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
    private static final int EXACT_BITS = 7;
    static final long VALUE_MICROS_MAX = (1L << 32) - 1;

    private final long[] counts = new long[index(VALUE_MICROS_MAX) + 1];
    private long count;
    private long sumMicros;
    private long maxMicros;

    synchronized void record(long latencyMicros) {
        long value = Math.max(0, Math.min(VALUE_MICROS_MAX, latencyMicros));
        counts[index(value)]++;
        count++;
        sumMicros += value;
        maxMicros = Math.max(maxMicros, value);
    }

    synchronized long count() {
        return count;
    }

    synchronized double meanMicros() {
        return count == 0 ? 0 : (double) sumMicros / count;
    }

    synchronized long maxMicros() {
        return maxMicros;
    }

    /** The latency that {@code percent}% of the values are at or below (rounded up to its bucket's edge). */
    synchronized long percentileMicros(double percent) {
        if (percent <= 0 || percent > 100) {
            throw new IllegalArgumentException("percent must be in (0, 100], got " + percent);
        }
        if (count == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(percent / 100 * count));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(maxMicros, upperEdge(i));
            }
        }
        throw new IllegalStateException("rank " + rank + " beyond count " + count);
    }

    static int index(long value) {
        if (value < EXACT_BUCKETS) {
            return (int) value;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(value);
        int shift = exponent - SUB_BUCKET_BITS;
        int subBucket = (int) (value >>> shift) - SUB_BUCKETS;
        return EXACT_BUCKETS + (exponent - EXACT_BITS) * SUB_BUCKETS + subBucket;
    }

    static long upperEdge(int index) {
        if (index < EXACT_BUCKETS) {
            return index;
        }
        int above = index - EXACT_BUCKETS;
        int shift = above / SUB_BUCKETS + EXACT_BITS - SUB_BUCKET_BITS;
        long lower = (long) (SUB_BUCKETS + above % SUB_BUCKETS) << shift;
        return lower + (1L << shift) - 1;
    }
}

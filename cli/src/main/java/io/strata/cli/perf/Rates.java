package io.strata.cli.perf;

import java.util.Locale;

/**
 * How the perf commands write numbers: rates per second with a fixed number of decimals, MB as 2^20 bytes (as
 * Kafka's perf tools count them), always with a dot as decimal separator so the output parses the same everywhere.
 *
 * <p>Stateless; thread-safe.
 */
final class Rates {

    static final double BYTES_PER_MB = 1024.0 * 1024.0;

    private Rates() {
    }

    static double perSecond(double amount, long elapsedNanos) {
        return elapsedNanos <= 0 ? 0 : amount * 1e9 / elapsedNanos;
    }

    static String format(String pattern, Object... values) {
        return String.format(Locale.ROOT, pattern, values);
    }

    static double millis(double micros) {
        return micros / 1000.0;
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}

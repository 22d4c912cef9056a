package io.strata.cli.perf;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LatencyHistogramTest {

    @Test
    void smallValuesAreExact() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int micros = 1; micros <= 100; micros++) {
            histogram.record(micros);
        }

        assertThat(histogram.percentileMicros(50)).isEqualTo(50);
        assertThat(histogram.percentileMicros(99)).isEqualTo(99);
        assertThat(histogram.percentileMicros(100)).isEqualTo(100);
        assertThat(histogram.meanMicros()).isEqualTo(50.5);
    }

    @Test
    void largeValuesAreWithinTheBucketPrecisionAndNeverUnderstated() {
        for (long value = 128; value < LatencyHistogram.VALUE_MICROS_MAX; value = value * 3 + 7) {
            int index = LatencyHistogram.index(value);
            long upper = LatencyHistogram.upperEdge(index);
            assertThat(upper).as("upper edge for %d", value).isGreaterThanOrEqualTo(value)
                    .isLessThanOrEqualTo(value + value / 64);
            assertThat(LatencyHistogram.index(upper)).isEqualTo(index);
            assertThat(LatencyHistogram.index(upper + 1)).isEqualTo(index + 1);
        }
    }

    @Test
    void percentilesOfASkewedRun() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < 990; i++) {
            histogram.record(2_000);
        }
        for (int i = 0; i < 10; i++) {
            histogram.record(500_000);
        }

        assertThat(histogram.percentileMicros(50)).isBetween(2_000L, 2_032L);
        assertThat(histogram.percentileMicros(99)).isBetween(2_000L, 2_032L);
        assertThat(histogram.percentileMicros(99.9)).isEqualTo(500_000);
        assertThat(histogram.maxMicros()).isEqualTo(500_000);
    }

    @Test
    void valuesBeyondTheRangeCountAsTheMaximum() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(Long.MAX_VALUE);
        histogram.record(-5);

        assertThat(histogram.count()).isEqualTo(2);
        assertThat(histogram.maxMicros()).isEqualTo(LatencyHistogram.VALUE_MICROS_MAX);
        assertThat(histogram.percentileMicros(50)).isZero();
        assertThatThrownBy(() -> histogram.percentileMicros(0)).isInstanceOf(IllegalArgumentException.class);
    }
}

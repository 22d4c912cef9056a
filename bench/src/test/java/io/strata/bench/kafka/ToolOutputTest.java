package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The outputs below are what kafka-tools 4.3.1 printed against Kafka 4.3.1 on this project's machine. */
class ToolOutputTest {

    @Test
    void producerFiguresComeFromTheSummaryLineNotTheProgressLines() {
        String stdout = """
                112425 records sent, 22462.5 records/sec (2.14 MB/sec), 1553.6 ms avg latency, 2464.0 ms max latency.
                300000 records sent, 43655.413271 records/sec (4.16 MB/sec), 2167.04 ms avg latency, 2658.00 ms max \
                latency, 2483 ms 50th, 2625 ms 95th, 2649 ms 99th, 2657 ms 99.9th.
                """;

        ProducerFigures figures = ToolOutput.producer(stdout);

        assertThat(figures).isEqualTo(new ProducerFigures(300_000, 43655.413271, 4.16, 2167.04, 2658.00, 2483,
                2625, 2649, 2657));
    }

    @Test
    void producerOutputWithoutSummaryNamesTheLineItExpected() {
        assertThatThrownBy(() -> ToolOutput.producer("112425 records sent, 22462.5 records/sec (2.14 MB/sec), 1553.6"
                + " ms avg latency, 2464.0 ms max latency.\n"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ProducerPerformance printed no summary line");
    }

    @Test
    void consumerFiguresAreReadByColumnName() {
        String stdout = """
                start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, \
                rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
                2026-11-22 01:30:54:043, 2026-11-22 01:30:56:848, 28.6102, 10.1997, 300000, 106951.8717, 1602, \
                1203, 23.7824, 249376.5586
                """;

        ConsumerFigures figures = ToolOutput.consumer(stdout);

        assertThat(figures).isEqualTo(new ConsumerFigures(300_000, 10.1997, 106951.8717, 1602, 1203, 23.7824,
                249376.5586));
    }

    @Test
    void consumerOutputWithoutValuesIsAnError() {
        assertThatThrownBy(() -> ToolOutput.consumer("WARNING: Exiting before consuming the expected number of"
                + " records: timeout (30000 ms) exceeded.\n"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ConsumerPerformance printed no header line");
    }

    @Test
    void shareConsumerFiguresCoverTheWholeRun() {
        String stdout = String.join("\n",
                "start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, data.consumed.in.nMsg, fetch.time.ms",
                "2026-12-07 07:01:02:003, 2026-12-07 07:01:04:003, 95.3674, 47.6837, 50000.0000, 100000, 2000",
                "");

        ConsumerFigures figures = ToolOutput.shareConsumer(stdout);

        assertThat(figures.records()).isEqualTo(100_000);
        assertThat(figures.fetchRecordsPerSecond()).isEqualTo(50_000.0);
        assertThat(figures.fetchMbPerSecond()).isEqualTo(47.6837);
        assertThat(figures.fetchMs()).isEqualTo(2000);
        assertThat(figures.rebalanceMs()).isZero();
        assertThatThrownBy(() -> ToolOutput.shareConsumer("WARNING: Exiting before consuming\n"))
                .hasMessageContaining("ShareConsumerPerformance printed no header line");
    }

    @Test
    void endToEndFiguresAreTheAverageAndPercentiles() {
        String stdout = """
                0\t166.76987400000002
                1000\t7.210677
                2000\t1.7019259999999998
                Avg latency: 5.6412 ms
                Percentiles: 50th = 3, 99th = 27, 99.9th = 80
                """;

        assertThat(ToolOutput.endToEnd(stdout)).isEqualTo(new LatencyFigures(5.6412, 3, 27, 80));
    }

    @Test
    void endToEndOutputOfAFailedRunIsAnError() {
        assertThatThrownBy(() -> ToolOutput.endToEnd("0\t166.7\n"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("EndToEndLatency printed no 'Avg latency");
    }
}

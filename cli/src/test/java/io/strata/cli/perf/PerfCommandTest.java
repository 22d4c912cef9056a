package io.strata.cli.perf;

import io.strata.broker.it.TestBroker;
import io.strata.cli.Cli.Result;
import io.strata.cli.SharedBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.strata.cli.Cli.strata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

@ExtendWith(SharedBroker.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PerfCommandTest {

    private static final Pattern PRODUCE_SUMMARY = Pattern.compile("(\\d+) records sent in ([\\d.]+) s: "
            + "([\\d.]+) records/s, ([\\d.]+) MB/s; latency avg ([\\d.]+) ms, p50 ([\\d.]+) ms, p99 ([\\d.]+) ms, "
            + "max ([\\d.]+) ms");
    private static final Pattern CONSUME_SUMMARY = Pattern.compile("(\\d+) records \\(([\\d.]+) MB\\) in ([\\d.]+) s: "
            + "([\\d.]+) records/s, ([\\d.]+) MB/s");

    private final TestBroker broker;

    PerfCommandTest(TestBroker broker) {
        this.broker = broker;
    }

    @Test
    void produceThenConsumeReportThroughputAndLatency() {
        broker.createTopic("load", 2, Map.of());

        Result produced = strata(broker, "perf", "produce", "--topic", "load", "--num-records", "5000",
                "--record-size", "200", "--producer-property", "linger.ms=5");

        assertThat(produced.exitCode()).as(produced.toString()).isZero();
        Matcher produce = PRODUCE_SUMMARY.matcher(produced.outLines().get(produced.outLines().size() - 1));
        assertThat(produce.matches()).as(produced.out()).isTrue();
        assertThat(produce.group(1)).isEqualTo("5000");
        assertThat(Double.parseDouble(produce.group(3))).isPositive();
        assertThat(Double.parseDouble(produce.group(4))).isPositive();
        double p50 = Double.parseDouble(produce.group(6));
        double p99 = Double.parseDouble(produce.group(7));
        double max = Double.parseDouble(produce.group(8));
        assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
        assertThat(p99).isLessThanOrEqualTo(max);

        Result consumed = strata(broker, "perf", "consume", "--topic", "load", "--num-records", "5000");

        assertThat(consumed.exitCode()).as(consumed.toString()).isZero();
        Matcher consume = CONSUME_SUMMARY.matcher(consumed.out().strip());
        assertThat(consume.matches()).as(consumed.out()).isTrue();
        assertThat(consume.group(1)).isEqualTo("5000");
        assertThat(Double.parseDouble(consume.group(2))).isCloseTo(5000 * 200 / 1048576.0,
                offset(0.01));
        assertThat(Double.parseDouble(consume.group(4))).isPositive();
    }

    @Test
    void produceKeepsToTheThroughputLimit() {
        broker.createTopic("throttled", 1, Map.of());

        Result produced = strata(broker, "perf", "produce", "--topic", "throttled", "--num-records", "300",
                "--throughput", "1000", "--acks", "1");

        assertThat(produced.exitCode()).as(produced.toString()).isZero();
        Matcher summary = PRODUCE_SUMMARY.matcher(produced.out().strip());
        assertThat(summary.matches()).as(produced.out()).isTrue();
        // 300 records at 1000/s cannot take less than the 299 ms the schedule spaces them over.
        assertThat(Double.parseDouble(summary.group(2))).isGreaterThanOrEqualTo(0.29);
        assertThat(Double.parseDouble(summary.group(3))).isLessThanOrEqualTo(1050);
    }

    @Test
    void consumeFailsWhenTheRecordsDoNotArriveInTime() {
        broker.createTopic("sparse", 1, Map.of());

        Result consumed = strata(broker, "perf", "consume", "--topic", "sparse", "--num-records", "10",
                "--timeout-ms", "500");

        assertThat(consumed.exitCode()).isEqualTo(1);
        assertThat(consumed.out()).startsWith("0 records (0.00 MB)");
        assertThat(consumed.err()).isEqualTo("strata: only 0 of 10 records arrived before 500 ms passed without one\n");
    }
}

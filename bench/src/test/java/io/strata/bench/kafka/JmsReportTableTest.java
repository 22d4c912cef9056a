package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class JmsReportTableTest {

    private static final JmsCase TRANSACTED = new JmsCase(JmsCase.SendMode.TRANSACTED,
            JmsCase.DestinationKind.QUEUE, 4);
    private static final JmsCase NON_PERSISTENT = new JmsCase(JmsCase.SendMode.NON_PERSISTENT,
            JmsCase.DestinationKind.SHARED_SUBSCRIPTION, 1);

    @Test
    void eachBrokerGetsARowAndTheRatioRowDividesStrataByArtemisAndJudgesTheTarget() {
        Map<String, Map<JmsCase, JmsCaseResult>> results = Map.of(
                "strata", Map.of(TRANSACTED, result(TRANSACTED, "strata", 10.0, 2.0, 6.0)),
                "artemis", Map.of(TRANSACTED, result(TRANSACTED, "artemis", 4.0, 4.0, 3.0)));

        String table = JmsReportTable.render(List.of(TRANSACTED), List.of("strata", "artemis"), results);

        assertThat(table).contains("transacted-queue-4: PERSISTENT, transacted sessions, 100 messages per commit"
                + " on both sides; queue, 4 consumers");
        // 100 000 messages in 10 s; latencies 1..100 000 ns scaled by 2: p50 = 0.10 ms, p99 = 0.20 ms; 6 CPU-s.
        assertThat(line(table, "  strata ")).contains("10000", "0.10", "0.20", "60.0");
        assertThat(line(table, "  artemis ")).contains("25000", "0.20", "0.40", "30.0");
        // msgs/s 10 000 / 25 000, latencies 0.5, broker CPU 2; a transacted case must reach 2x.
        assertThat(line(table, "  strata/artemis")).startsWith("  strata/artemis          0.40        0.50")
                .contains("2.00").endsWith(">=2x MISSED");
        assertThat(JmsReportTable.targetSummary(List.of(TRANSACTED), results))
                .isEqualTo("Targets met: 0 of 1 case both brokers ran (of 1).");
    }

    @Test
    void aNonPersistentCaseMeetsItsTargetAtParity() {
        assertThat(JmsReportTable.target(NON_PERSISTENT, 1.0)).isEqualTo(">=1x met");
        assertThat(JmsReportTable.target(NON_PERSISTENT, 0.99)).isEqualTo(">=1x MISSED");
        assertThat(JmsReportTable.target(TRANSACTED, 2.0)).isEqualTo(">=2x met");
        assertThat(JmsReportTable.target(TRANSACTED, Double.NaN)).isEqualTo("-");
    }

    @Test
    void withOneBrokerThereIsNoRatioRowNoTargetColumnAndNoSummary() {
        Map<String, Map<JmsCase, JmsCaseResult>> results = Map.of(
                "artemis", Map.of(TRANSACTED, result(TRANSACTED, "artemis", 4.0, 4.0, 3.0)));

        String table = JmsReportTable.render(List.of(TRANSACTED), List.of("artemis"), results);

        assertThat(table).doesNotContain("strata/artemis", "target");
        assertThat(JmsReportTable.targetSummary(List.of(TRANSACTED), results)).isEmpty();
    }

    @Test
    void aFailedCasePrintsDashesAndIsLeftOutOfTheTargetCount() {
        Map<String, Map<JmsCase, JmsCaseResult>> results = Map.of(
                "strata", Map.of(TRANSACTED, JmsCaseResult.failed(TRANSACTED, "strata", "timed out"),
                        NON_PERSISTENT, result(NON_PERSISTENT, "strata", 5.0, 1.0, 1.0)),
                "artemis", Map.of(TRANSACTED, result(TRANSACTED, "artemis", 4.0, 4.0, 3.0),
                        NON_PERSISTENT, result(NON_PERSISTENT, "artemis", 5.0, 1.0, 1.0)));

        String table = JmsReportTable.render(List.of(TRANSACTED, NON_PERSISTENT), List.of("strata", "artemis"),
                results);

        assertThat(line(table, "  strata ")).matches("  strata( +-){5}");
        assertThat(line(table, "  strata/artemis")).matches("  strata/artemis( +-){6}");
        assertThat(JmsReportTable.targetSummary(List.of(TRANSACTED, NON_PERSISTENT), results))
                .isEqualTo("Targets met: 1 of 1 case both brokers ran (of 2).");
    }

    @Test
    void columnsLineUpUnderTheHeadings() {
        Map<String, Map<JmsCase, JmsCaseResult>> results = Map.of(
                "strata", Map.of(TRANSACTED, result(TRANSACTED, "strata", 10.0, 2.0, 6.0)),
                "artemis", Map.of(TRANSACTED, result(TRANSACTED, "artemis", 4.0, 4.0, 3.0)));

        String table = JmsReportTable.render(List.of(TRANSACTED), List.of("strata", "artemis"), results);

        // Every cell is right-aligned in a fixed width, so the heading row and the ratio row end at one column.
        assertThat(table.lines().filter(line -> line.contains("msgs/s") || line.startsWith("  strata/"))
                .map(String::length).distinct()).hasSize(1);
        assertThat(table.lines().filter(line -> line.startsWith("  strata ") || line.startsWith("  artemis"))
                .map(String::length).distinct()).hasSize(1);
    }

    @Test
    void csvHasAHeaderALinePerCaseAndBrokerAndTheFailure() {
        Map<String, Map<JmsCase, JmsCaseResult>> results = Map.of(
                "strata", Map.of(TRANSACTED, JmsCaseResult.failed(TRANSACTED, "strata", "timed out, \"warm-up\"")),
                "artemis", Map.of(TRANSACTED, result(TRANSACTED, "artemis", 4.0, 4.0, 3.0)));

        List<String> lines = JmsReportTable.csv(List.of(TRANSACTED), List.of("strata", "artemis"), results)
                .lines().toList();

        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo("case,mode,destination,consumers,broker,messages,seconds,messages_per_s,"
                + "latency_ms_p50,latency_ms_p99,broker_cpu_s_per_m_messages,client_cpu_s_per_m_messages,"
                + "duplicates,failure");
        assertThat(lines.get(1)).isEqualTo("transacted-queue-4,transacted,queue,4,strata,,,,,,,,,"
                + "\"timed out, 'warm-up'\"");
        assertThat(lines.get(2)).startsWith("transacted-queue-4,transacted,queue,4,artemis,100000,4.00000,25000.0,")
                .endsWith(",0,");
    }

    /** 100 000 messages in {@code seconds}, latencies 1..100 000 ns times {@code latencyScale}. */
    private static JmsCaseResult result(JmsCase benchCase, String broker, double seconds, double latencyScale,
                                        double brokerCpuSeconds) {
        long[] latencies = new long[100_000];
        for (int i = 0; i < latencies.length; i++) {
            latencies[i] = (long) ((i + 1) * latencyScale);
        }
        return JmsCaseResult.measured(benchCase, broker, new JmsLoad.Result(latencies.length, seconds, latencies, 0,
                brokerCpuSeconds, 1.0));
    }

    private static String line(String table, String prefix) {
        return table.lines().filter(line -> line.startsWith(prefix)).findFirst().orElseThrow();
    }
}

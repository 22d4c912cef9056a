package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterReportTest {

    private static final ClusterCase CASE = new ClusterCase(1024, 6);
    private static final List<String> BOTH = List.of("kafka", "strata");

    @Test
    void throughputHasARowPerClusterAndTheStrataOverKafkaRatio() {
        Map<String, Map<ClusterCase, ToolRun<ProducerFigures>>> results = Map.of(
                "kafka", Map.of(CASE, produced(40_000, 39.06, 900, 10.0)),
                "strata", Map.of(CASE, produced(20_000, 19.53, 1_800, 20.0)));

        String table = ClusterReport.throughputTable(List.of(CASE), BOTH, results);

        assertThat(table).contains("1024 B, acks=all, 6 partitions, RF 3, min.insync 2");
        assertThat(line(table, "  kafka ")).contains("40000", "39.06", "900", "50.00");
        assertThat(line(table, "  strata ")).contains("20000", "19.53", "1800", "100.00");
        assertThat(line(table, "  strata/kafka")).contains("0.50", "2.00");
    }

    @Test
    void failoverShowsEachRunTheMedianAndTheRatioOfMedians() {
        Map<String, List<FailoverResult>> results = Map.of(
                "kafka", List.of(FailoverResultTest.run(1, 3_000), FailoverResultTest.run(2, 4_000),
                        FailoverResultTest.run(3, 3_500)),
                "strata", List.of(FailoverResultTest.run(1, 700), FailoverResult.failed(2, 3, "no new leader"),
                        FailoverResultTest.run(3, 1_050)));

        String table = ClusterReport.failoverTable(3, BOTH, results);

        assertThat(line(table, "  kafka ")).contains("3000", "4000", "3500");
        assertThat(line(table, "  strata ")).contains("700", "-", "1050", "875");
        assertThat(line(table, "  strata/kafka")).contains("0.25");
        assertThat(table).contains("strata run 2: killed node 3; FAILED: no new leader");
    }

    @Test
    void theFailoverCsvHasALinePerRunWithItsFailure() {
        String csv = ClusterReport.failoverCsv(List.of("strata"), Map.of("strata",
                List.of(FailoverResult.failed(1, 2, "gave up, \"quoted\""))));

        assertThat(csv.lines()).hasSize(2);
        assertThat(csv).contains("strata,1,2,,,,,-1,-1,-1,0,\"gave up, 'quoted'\"");
    }

    private static ToolRun<ProducerFigures> produced(double recordsPerSecond, double mbPerSecond, long p99,
                                                     double cpuSeconds) {
        return ToolRun.succeeded(new ProducerFigures(200_000, recordsPerSecond, mbPerSecond, 10, p99, p99 / 2, p99,
                p99, p99), 200_000, cpuSeconds);
    }

    private static String line(String table, String start) {
        return table.lines().filter(line -> line.startsWith(start)).findFirst().orElseThrow();
    }
}

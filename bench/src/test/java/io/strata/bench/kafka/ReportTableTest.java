package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ReportTableTest {

    private static final BenchCase CASE = new BenchCase(100, "1", 1);

    @Test
    void eachBrokerGetsARowAndTheRatioRowDividesStrataByKafka() {
        Map<String, Map<BenchCase, CaseResult>> results = Map.of(
                "kafka", Map.of(CASE, result("kafka", 100_000, 2.0)),
                "strata", Map.of(CASE, result("strata", 50_000, 3.0)));

        String table = ReportTable.render(List.of(CASE), List.of("kafka", "strata"), results);

        assertThat(table).contains("100 B, acks=1, 1 partition");
        assertThat(line(table, "  kafka ")).contains("100000", "20.00");
        assertThat(line(table, "  strata ")).contains("50000", "30.00");
        // rec/s 50000/100000, then CPU-s per M records: 3.0 s / 0.1 M = 30 against 2.0 s / 0.1 M = 20.
        assertThat(line(table, "  strata/kafka")).contains("0.50", "1.50");
        // The default run's table keeps its layout: labels 14 wide, then cells 10 wide.
        assertThat(line(table, "  strata/kafka")).startsWith("  strata/kafka      0.50");
    }

    @Test
    void withThreeBrokersTheContainerIsComparedWithStrataStandaloneAndStrataWithKafka() {
        Map<String, Map<BenchCase, CaseResult>> results = Map.of(
                "kafka", Map.of(CASE, result("kafka", 100_000, 2.0)),
                "strata", Map.of(CASE, result("strata", 50_000, 3.0)),
                "strata-micro", Map.of(CASE, result("strata-micro", 40_000, 6.0)));

        String table = ReportTable.render(List.of(CASE), List.of("kafka", "strata", "strata-micro"), results);

        assertThat(line(table, "  strata-micro ")).contains("40000", "60.00");
        assertThat(line(table, "  strata/kafka")).contains("0.50", "1.50");
        // rec/s 40000/50000, then CPU-s per M records 60 against 30.
        assertThat(line(table, "  strata-micro/strata")).contains("0.80", "2.00");
        assertThat(table.lines().filter(line -> line.matches("  \\S.*")).map(line -> line.trim().split(" +")[0]))
                .containsExactly("kafka", "strata", "strata-micro", "strata/kafka", "strata-micro/strata");
        assertThat(ReportTable.legend(List.of("kafka", "strata", "strata-micro")))
                .contains("strata/kafka: ", "strata-micro/strata: Strata on Payara Micro over Strata standalone");
    }

    @Test
    void withoutKafkaOnlyTheContainerRatioIsPrinted() {
        Map<String, Map<BenchCase, CaseResult>> results = Map.of(
                "strata", Map.of(CASE, result("strata", 50_000, 3.0)),
                "strata-micro", Map.of(CASE, CaseResult.failed(CASE, "strata-micro", "could not be started")));

        String table = ReportTable.render(List.of(CASE), List.of("strata", "strata-micro"), results);

        assertThat(table).doesNotContain("strata/kafka");
        assertThat(line(table, "  strata-micro/strata")).matches("  strata-micro/strata( +-){12}");
        assertThat(ReportTable.legend(List.of("strata", "strata-micro")))
                .contains("strata-micro/strata: ").doesNotContain("strata/kafka");
    }

    @Test
    void columnsLineUpUnderTheHeadingsWhateverTheLongestRowLabel() {
        Map<String, Map<BenchCase, CaseResult>> results = Map.of(
                "kafka", Map.of(CASE, result("kafka", 100_000, 2.0)),
                "strata", Map.of(CASE, result("strata", 50_000, 3.0)),
                "strata-micro", Map.of(CASE, result("strata-micro", 40_000, 6.0)));

        String table = ReportTable.render(List.of(CASE), List.of("kafka", "strata", "strata-micro"), results);

        // Every cell is right-aligned in a fixed width, so a heading row and every figure row end at one column.
        List<Integer> rowLengths = table.lines().filter(line -> line.matches("  \\S.*") || line.contains("rec/s"))
                .map(String::length).distinct().toList();
        assertThat(rowLengths).hasSize(1);
        assertThat(line(table, "  strata-micro/strata")).startsWith("  strata-micro/strata      0.80");
    }

    @Test
    void failedRunsPrintADashAndNoRatioWithOneBroker() {
        Map<String, Map<BenchCase, CaseResult>> results = Map.of(
                "kafka", Map.of(CASE, CaseResult.failed(CASE, "kafka", "topics not created")));

        String table = ReportTable.render(List.of(CASE), List.of("kafka"), results);

        assertThat(line(table, "  kafka ")).matches("  kafka( +-){12}");
        assertThat(table).doesNotContain("strata/kafka");
        assertThat(ReportTable.legend(List.of("kafka"))).doesNotContain("strata/kafka");
    }

    @Test
    void aRatioOverZeroOrAMissingFigureIsNotANumber() {
        assertThat(ReportTable.ratio(1.0, 0.0)).isNaN();
        assertThat(ReportTable.ratio(Double.NaN, 2.0)).isNaN();
        assertThat(ReportTable.ratio(3.0, 2.0)).isEqualTo(1.5);
    }

    @Test
    void csvHasAHeaderAndALinePerBroker() {
        String csv = ReportTable.csv(List.of(CASE), List.of("kafka"), Map.of("kafka",
                Map.of(CASE, result("kafka", 100_000, 2.0))));

        assertThat(csv.lines().toList()).hasSize(2);
        assertThat(csv).startsWith("case,record_bytes,acks,partitions,broker,produce_records_per_s,")
                .contains("100b-acks1-p1,100,1,1,kafka,100000,");
    }

    @Test
    void csvHasALinePerBrokerForAllThreeBrokers() {
        String csv = ReportTable.csv(List.of(CASE), List.of("kafka", "strata", "strata-micro"), Map.of(
                "kafka", Map.of(CASE, result("kafka", 100_000, 2.0)),
                "strata", Map.of(CASE, result("strata", 50_000, 3.0)),
                "strata-micro", Map.of(CASE, result("strata-micro", 40_000, 6.0))));

        assertThat(csv.lines().skip(1).map(line -> line.split(",")[4])).containsExactly("kafka", "strata",
                "strata-micro");
        assertThat(csv).contains("100b-acks1-p1,100,1,1,strata-micro,40000.0,");
    }

    @Test
    void aTransactionalCaseIsLabelledAndExplainedHasNoEndToEndFiguresAndNamesItsDurationInTheCsv() {
        BenchCase transactional = new BenchCase(1024, "all", 1, 100);
        CaseResult strata = result("strata", 50_000, 3.0);
        Map<String, Map<BenchCase, CaseResult>> results = Map.of("strata", Map.of(transactional,
                new CaseResult(transactional, "strata", strata.produce(), strata.consume(),
                        ToolRun.notApplicable("EndToEndLatency has no transactional producer"))));

        String table = ReportTable.render(List.of(transactional), List.of("strata"), results);
        String csv = ReportTable.csv(List.of(transactional), List.of("strata"), results);

        assertThat(table).contains("1024 B, acks=all, 1 partition, transactions of 100 ms, read_committed");
        // rec/s and MB/s of both tools and the producer's latencies, then three end-to-end dashes, then CPU.
        assertThat(line(table, "  strata ")).matches("  strata +50000( +\\S+){5}( +-){3} +30\\.00 +10\\.00 +-");
        assertThat(csv).startsWith("case,record_bytes,acks,partitions,broker,").contains(",transaction_duration_ms,consumer\n")
                .contains("1024b-acksall-p1-txn100,1024,all,1,strata,").endsWith(",100,classic\n");
        assertThat(ReportTable.legend(List.of("strata"), List.of(transactional)))
                .contains("--transactional-id bench-<case>", "isolation.level=read_committed");
        assertThat(ReportTable.legend(List.of("strata"), List.of(CASE))).doesNotContain("transactional");
    }

    @Test
    void aShareGroupCaseIsLabelledExplainedAndNamedInTheCsv() {
        BenchCase share = new BenchCase(1024, "all", 12, BenchCase.NOT_TRANSACTIONAL, GroupConsumer.parse("share-4"));
        CaseResult strata = result("strata", 50_000, 3.0);
        Map<String, Map<BenchCase, CaseResult>> results = Map.of("strata", Map.of(share, new CaseResult(share,
                "strata", strata.produce(), strata.consume(), strata.endToEnd())));

        String table = ReportTable.render(List.of(share), List.of("strata"), results);
        String csv = ReportTable.csv(List.of(share), List.of("strata"), results);

        assertThat(table).contains("1024 B, acks=all, 12 partitions, 4 share consumers");
        assertThat(csv).contains("1024b-acksall-p12-share-4,1024,all,12,strata,").endsWith(",,share-4\n");
        assertThat(ReportTable.legend(List.of("strata"), List.of(share)))
                .contains("ShareConsumerPerformance --threads N", "share.auto.offset.reset to earliest");
        assertThat(ReportTable.legend(List.of("strata"), List.of(CASE))).doesNotContain("ShareConsumerPerformance");
    }

    @Test
    void aCaseWithoutTransactionsHasAnEmptyTransactionDurationInTheCsv() {
        String csv = ReportTable.csv(List.of(CASE), List.of("kafka"), Map.of("kafka",
                Map.of(CASE, result("kafka", 100_000, 2.0))));

        assertThat(csv.lines().toList().get(1)).endsWith(",,classic");
    }

    private static CaseResult result(String broker, double recordsPerSecond, double produceCpuSeconds) {
        long records = 100_000;
        return new CaseResult(CASE, broker,
                ToolRun.succeeded(new ProducerFigures(records, recordsPerSecond, 9.5, 100, 300, 90, 200, 250, 290),
                        records, produceCpuSeconds),
                ToolRun.succeeded(new ConsumerFigures(records, 5, 40_000, 500, 1000, 9.5, 100_000), records, 1.0),
                ToolRun.succeeded(new LatencyFigures(1.5, 1, 4, 9), 1000, 0.5));
    }

    private static String line(String table, String prefix) {
        return table.lines().filter(line -> line.startsWith(prefix)).findFirst().orElseThrow();
    }
}

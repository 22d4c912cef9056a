package io.strata.bench.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Lays out the cluster run's results as text tables — throughput per case with a line per cluster and a
 * strata/kafka ratio line; failover per run with the median and its ratio — and as CSV. Figures a run could not
 * produce print as "-". Thread-safe (stateless).
 */
final class ClusterReport {

    private static final int LABEL_WIDTH = 16;
    private static final int CELL_WIDTH = 10;

    /** One throughput figure: its heading, CSV name, format and where it comes from. */
    record Column(String heading, String csvName, String format, ToDoubleFunction<ToolRun<ProducerFigures>> value) {
    }

    static final List<Column> THROUGHPUT_COLUMNS = List.of(
            new Column("rec/s", "records_per_s", "%.0f", run -> figure(run, ProducerFigures::recordsPerSecond)),
            new Column("MB/s", "mb_per_s", "%.2f", run -> figure(run, ProducerFigures::mbPerSecond)),
            new Column("p50 ms", "latency_ms_p50", "%.0f", run -> figure(run, ProducerFigures::latencyMsP50)),
            new Column("p99 ms", "latency_ms_p99", "%.0f", run -> figure(run, ProducerFigures::latencyMsP99)),
            new Column("CPU-s/M", "cluster_cpu_s_per_m_records", "%.2f",
                    ToolRun::brokerCpuSecondsPerMillionRecords));

    static final String LEGEND = String.join("\n",
            "throughput: ProducerPerformance, acks=all, unthrottled; p50/p99 are its send-to-acknowledgement",
            "            latencies, which include the time records wait in the producer's buffer. MB = 2^20 bytes.",
            "            CPU-s/M: the utime+stime of all brokers' process trees while it ran, per million records.",
            "failover:   the time from the SIGKILL of partition 0's leader to the first acks=all write acknowledged by",
            "            the new leader (the first ack after the producer's metadata named it, or of a record whose",
            "            batch has a newer leader epoch than the last one acknowledged before the kill), seen by an",
            "            idempotent producer sending a record every --probe-interval-ms.",
            "            It takes in failure detection (broker.session.timeout.ms), the election, and the producer's",
            "            metadata refresh and retry backoff (kafka-clients defaults: 100 ms growing to 1 s).",
            "strata/kafka: above 1 is better for rec/s and MB/s, worse for latencies, CPU and failover time.");

    private ClusterReport() {
    }

    static String throughputTable(List<ClusterCase> cases, List<String> brokers,
                                  Map<String, Map<ClusterCase, ToolRun<ProducerFigures>>> results) {
        StringBuilder table = new StringBuilder("Throughput (ProducerPerformance, acks=all)\n");
        table.append(row("", THROUGHPUT_COLUMNS.stream().map(Column::heading).toList())).append('\n');
        for (ClusterCase clusterCase : cases) {
            table.append(clusterCase.label()).append('\n');
            for (String broker : brokers) {
                ToolRun<ProducerFigures> run = results.get(broker).get(clusterCase);
                table.append(row("  " + broker, THROUGHPUT_COLUMNS.stream()
                        .map(column -> format(column.format(), column.value().applyAsDouble(run))).toList()))
                        .append('\n');
            }
            if (hasRatio(brokers)) {
                ToolRun<ProducerFigures> strata = results.get(BenchSettings.STRATA).get(clusterCase);
                ToolRun<ProducerFigures> kafka = results.get(BenchSettings.KAFKA).get(clusterCase);
                table.append(row("  strata/kafka", THROUGHPUT_COLUMNS.stream().map(column -> format("%.2f",
                        ReportTable.ratio(column.value().applyAsDouble(strata), column.value().applyAsDouble(kafka))))
                        .toList())).append('\n');
            }
        }
        return table.toString();
    }

    static String failoverTable(int runs, List<String> brokers, Map<String, List<FailoverResult>> results) {
        StringBuilder table = new StringBuilder("Failover (SIGKILL of the partition leader; ms from the kill to the"
                + " new leader's first acks=all ack)\n");
        List<String> headings = new ArrayList<>(IntStream.rangeClosed(1, runs).mapToObj(run -> "run " + run)
                .toList());
        headings.add("median");
        table.append(row("", headings)).append('\n');
        for (String broker : brokers) {
            List<FailoverResult> brokerResults = results.get(broker);
            List<String> cells = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                int index = run;
                cells.add(brokerResults.stream().filter(result -> result.run() == index).findFirst()
                        .map(result -> format("%.0f", result.failoverMs())).orElse("-"));
            }
            cells.add(format("%.0f", FailoverResult.medianMs(brokerResults)));
            table.append(row("  " + broker, cells)).append('\n');
        }
        if (hasRatio(brokers)) {
            List<String> cells = new ArrayList<>(IntStream.rangeClosed(1, runs).mapToObj(run -> "").toList());
            cells.add(format("%.2f", ReportTable.ratio(FailoverResult.medianMs(results.get(BenchSettings.STRATA)),
                    FailoverResult.medianMs(results.get(BenchSettings.KAFKA)))));
            table.append(row("  strata/kafka", cells)).append('\n');
        }
        for (String broker : brokers) {
            for (FailoverResult result : results.get(broker)) {
                table.append("  ").append(broker).append(' ').append(result.describe()).append('\n');
            }
        }
        return table.toString();
    }

    static String throughputCsv(List<ClusterCase> cases, List<String> brokers,
                                Map<String, Map<ClusterCase, ToolRun<ProducerFigures>>> results) {
        StringBuilder csv = new StringBuilder("case,record_bytes,partitions,replication_factor,broker");
        THROUGHPUT_COLUMNS.forEach(column -> csv.append(',').append(column.csvName()));
        csv.append('\n');
        for (ClusterCase clusterCase : cases) {
            for (String broker : brokers) {
                csv.append(clusterCase.id()).append(',').append(clusterCase.recordBytes()).append(',')
                        .append(clusterCase.partitions()).append(',').append(ClusterSettings.REPLICATION_FACTOR)
                        .append(',').append(broker);
                for (Column column : THROUGHPUT_COLUMNS) {
                    csv.append(',').append(csvNumber(column.value().applyAsDouble(results.get(broker)
                            .get(clusterCase))));
                }
                csv.append('\n');
            }
        }
        return csv.toString();
    }

    static String failoverCsv(List<String> brokers, Map<String, List<FailoverResult>> results) {
        StringBuilder csv = new StringBuilder("broker,run,killed_node,killed_controller,failover_ms,"
                + "new_leader_known_ms,first_ack_after_kill_ms,offset,leader_epoch_before,leader_epoch_after,"
                + "producer_errors,failure\n");
        for (String broker : brokers) {
            for (FailoverResult result : results.get(broker)) {
                csv.append(broker).append(',').append(result.run()).append(',').append(result.killedNode()).append(',')
                        .append(result.killedController().map(String::valueOf).orElse("")).append(',')
                        .append(csvNumber(result.failoverMs())).append(',')
                        .append(csvNumber(result.newLeaderKnownMs())).append(',')
                        .append(csvNumber(result.firstAckAfterKillMs())).append(',').append(result.offset())
                        .append(',').append(result.epochBefore()).append(',').append(result.epochAfter()).append(',')
                        .append(result.producerErrors()).append(',')
                        .append(result.failure() == null ? "" : '"' + result.failure().replace('"', '\'') + '"')
                        .append('\n');
            }
        }
        return csv.toString();
    }

    private static boolean hasRatio(List<String> brokers) {
        return brokers.contains(BenchSettings.STRATA) && brokers.contains(BenchSettings.KAFKA);
    }

    private static double figure(ToolRun<ProducerFigures> run, ToDoubleFunction<ProducerFigures> value) {
        return run.ok() ? value.applyAsDouble(run.figures()) : Double.NaN;
    }

    private static String format(String format, double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static String csvNumber(double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.6g", value);
    }

    private static String row(String label, List<String> cells) {
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + LABEL_WIDTH + "s", label));
        cells.forEach(cell -> row.append(String.format(Locale.ROOT, "%" + CELL_WIDTH + "s", cell)));
        return row.toString().stripTrailing();
    }
}

package io.strata.bench.kafka;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Lays out the results as a text table (per case a line per broker and a line of Strata/Kafka ratios) and as CSV.
 * Figures a run could not produce print as "-". Thread-safe (stateless).
 */
final class ReportTable {

    private static final int LABEL_WIDTH = 14;
    private static final int CELL_WIDTH = 10;
    private static final String RATIO_ROW = "strata/kafka";

    /** One figure of the table: the group it is printed under, its heading, its CSV name and where it comes from. */
    record Column(String group, String heading, String csvName, String format, ToDoubleFunction<CaseResult> value) {
    }

    static final List<Column> COLUMNS = List.of(
            new Column("produce", "rec/s", "produce_records_per_s", "%.0f",
                    r -> figure(r.produce(), ProducerFigures::recordsPerSecond)),
            new Column("produce", "MB/s", "produce_mb_per_s", "%.2f",
                    r -> figure(r.produce(), ProducerFigures::mbPerSecond)),
            new Column("produce", "p50 ms", "produce_latency_ms_p50", "%.0f",
                    r -> figure(r.produce(), ProducerFigures::latencyMsP50)),
            new Column("produce", "p99 ms", "produce_latency_ms_p99", "%.0f",
                    r -> figure(r.produce(), ProducerFigures::latencyMsP99)),
            new Column("consume", "rec/s", "consume_records_per_s", "%.0f",
                    r -> figure(r.consume(), ConsumerFigures::fetchRecordsPerSecond)),
            new Column("consume", "MB/s", "consume_mb_per_s", "%.2f",
                    r -> figure(r.consume(), ConsumerFigures::fetchMbPerSecond)),
            new Column("end-to-end", "p50 ms", "e2e_latency_ms_p50", "%.0f",
                    r -> figure(r.endToEnd(), LatencyFigures::latencyMsP50)),
            new Column("end-to-end", "p99 ms", "e2e_latency_ms_p99", "%.0f",
                    r -> figure(r.endToEnd(), LatencyFigures::latencyMsP99)),
            new Column("end-to-end", "avg ms", "e2e_latency_ms_avg", "%.3f",
                    r -> figure(r.endToEnd(), LatencyFigures::latencyMsAvg)),
            new Column("broker CPU-s / M records", "produce", "broker_cpu_s_per_m_records_produce", "%.2f",
                    r -> r.produce().brokerCpuSecondsPerMillionRecords()),
            new Column("broker CPU-s / M records", "consume", "broker_cpu_s_per_m_records_consume", "%.2f",
                    r -> r.consume().brokerCpuSecondsPerMillionRecords()),
            new Column("broker CPU-s / M records", "e2e", "broker_cpu_s_per_m_records_e2e", "%.2f",
                    r -> r.endToEnd().brokerCpuSecondsPerMillionRecords()));

    static final String LEGEND = String.join("\n",
            "produce:    ProducerPerformance; p50/p99 are its send-to-acknowledgement latencies, which for an",
            "            unthrottled producer include the time records wait in the producer's buffer.",
            "consume:    ConsumerPerformance's fetch.nMsg.sec and fetch.MB.sec, which leave out the group join.",
            "            MB = 2^20 bytes, as the tools count them.",
            "end-to-end: EndToEndLatency, one record at a time from send to poll; the tool truncates each latency to",
            "            whole ms before taking percentiles, so avg ms is the finer figure.",
            "broker CPU: utime+stime of the broker's process tree (/proc/<pid>/stat over getconf CLK_TCK) while the",
            "            tool ran, per million records it moved.",
            "strata/kafka: above 1 is better for rec/s and MB/s, worse for latencies and CPU.");

    private ReportTable() {
    }

    /** The table for {@code cases}, one row per broker in {@code brokers}, plus ratios when both brokers ran. */
    static String render(List<BenchCase> cases, List<String> brokers, Map<String, Map<BenchCase, CaseResult>> results) {
        StringBuilder table = new StringBuilder();
        table.append(groupHeader()).append('\n');
        table.append(row("", COLUMNS.stream().map(Column::heading).toList())).append('\n');
        boolean ratios = brokers.contains(BenchSettings.KAFKA) && brokers.contains(BenchSettings.STRATA);
        for (BenchCase benchCase : cases) {
            table.append(benchCase.label()).append('\n');
            for (String broker : brokers) {
                CaseResult result = results.get(broker).get(benchCase);
                table.append(row("  " + broker, COLUMNS.stream()
                        .map(column -> format(column.format(), column.value().applyAsDouble(result))).toList()))
                        .append('\n');
            }
            if (ratios) {
                CaseResult kafka = results.get(BenchSettings.KAFKA).get(benchCase);
                CaseResult strata = results.get(BenchSettings.STRATA).get(benchCase);
                table.append(row("  " + RATIO_ROW, COLUMNS.stream().map(column -> format("%.2f",
                        ratio(column.value().applyAsDouble(strata), column.value().applyAsDouble(kafka)))).toList()))
                        .append('\n');
            }
        }
        return table.toString();
    }

    /** One line per case and broker, every figure in its own column, ratios left to whoever reads it. */
    static String csv(List<BenchCase> cases, List<String> brokers, Map<String, Map<BenchCase, CaseResult>> results) {
        StringBuilder csv = new StringBuilder("case,record_bytes,acks,partitions,broker");
        COLUMNS.forEach(column -> csv.append(',').append(column.csvName()));
        csv.append('\n');
        for (BenchCase benchCase : cases) {
            for (String broker : brokers) {
                CaseResult result = results.get(broker).get(benchCase);
                csv.append(benchCase.id()).append(',').append(benchCase.recordBytes()).append(',')
                        .append(benchCase.acks()).append(',').append(benchCase.partitions()).append(',').append(broker);
                for (Column column : COLUMNS) {
                    double value = column.value().applyAsDouble(result);
                    csv.append(',').append(Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.6g", value));
                }
                csv.append('\n');
            }
        }
        return csv.toString();
    }

    static double ratio(double strata, double kafka) {
        return Double.isNaN(strata) || Double.isNaN(kafka) || kafka == 0 ? Double.NaN : strata / kafka;
    }

    private static <T> double figure(ToolRun<T> run, ToDoubleFunction<T> value) {
        return run.ok() ? value.applyAsDouble(run.figures()) : Double.NaN;
    }

    private static String format(String format, double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static String row(String label, List<String> cells) {
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + LABEL_WIDTH + "s", label));
        cells.forEach(cell -> row.append(String.format(Locale.ROOT, "%" + CELL_WIDTH + "s", cell)));
        return row.toString().stripTrailing();
    }

    /** The group names centred over their columns: {@code ------ produce ------ ...}. */
    private static String groupHeader() {
        StringBuilder header = new StringBuilder(" ".repeat(LABEL_WIDTH));
        int start = 0;
        while (start < COLUMNS.size()) {
            String group = COLUMNS.get(start).group();
            int end = start;
            while (end < COLUMNS.size() && COLUMNS.get(end).group().equals(group)) {
                end++;
            }
            int width = (end - start) * CELL_WIDTH - 1;
            String title = " " + group + " ";
            int left = Math.max(0, (width - title.length()) / 2);
            int right = Math.max(0, width - title.length() - left);
            header.append(' ').append("-".repeat(left)).append(title).append("-".repeat(right));
            start = end;
        }
        return header.toString();
    }
}

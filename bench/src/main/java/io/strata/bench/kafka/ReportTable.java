package io.strata.bench.kafka;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Lays out the results as a text table (per case a line per broker, then a line per {@link Ratio} whose two brokers
 * both ran) and as CSV. Figures a run could not produce print as "-". Thread-safe (stateless).
 */
final class ReportTable {

    /** Wide enough for "  strata/kafka", so the table of the default run keeps its layout. */
    private static final int LABEL_WIDTH_MIN = 14;
    private static final int CELL_WIDTH = 10;

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

    private static final String LEGEND = String.join("\n",
            "produce:    ProducerPerformance; p50/p99 are its send-to-acknowledgement latencies, which for an",
            "            unthrottled producer include the time records wait in the producer's buffer.",
            "consume:    ConsumerPerformance's fetch.nMsg.sec and fetch.MB.sec, which leave out the group join.",
            "            MB = 2^20 bytes, as the tools count them.",
            "end-to-end: EndToEndLatency, one record at a time from send to poll; the tool truncates each latency to",
            "            whole ms before taking percentiles, so avg ms is the finer figure.",
            "broker CPU: utime+stime of the broker's process tree (/proc/<pid>/stat over getconf CLK_TCK) while the",
            "            tool ran, per million records it moved.");

    /** Added to the legend when a case is transactional; the harness passes these options to the tools. */
    private static final String TRANSACTIONS_LEGEND = String.join("\n",
            "transactions: cases labelled 'transactions of N ms': ProducerPerformance --transactional-id bench-<case>",
            "            --transaction-duration-ms N, which commits a transaction every N ms (acks=all, idempotent);",
            "            its latencies are to each record's acknowledgement, not to the commit. ConsumerPerformance",
            "            reads with isolation.level=read_committed. EndToEndLatency has no transactional producer",
            "            and is not run (-). Broker CPU includes the transaction coordinator and the markers.",
            "            Kafka 4.3.1 formats its storage with transaction.version 2 (KIP-890: an epoch bump per",
            "            transaction, partitions added by Produce); against a broker that does not advertise it,",
            "            the clients run transactions version 1 (AddPartitionsToTxn per transaction).");

    /** Added to the legend when a case is read by other than a classic group. */
    private static final String CONSUMERS_LEGEND = String.join("\n",
            "consumers: cases labelled 'consumer group (KIP-848)': ConsumerPerformance with group.protocol=consumer.",
            "            Cases labelled 'N share consumers': ShareConsumerPerformance --threads N, N KafkaShareConsumers",
            "            in one share group (KIP-932) that acknowledge each record implicitly, after the harness set",
            "            the group's share.auto.offset.reset to earliest; its rec/s and MB/s are over the whole run,",
            "            joining the share group included (the tool reports no other), and its records are",
            "            those it received, redeliveries included. EndToEndLatency, whose consumer is a classic one,",
            "            runs only in the classic case (-).");

    /** Where the second and later lines of a legend entry start. */
    private static final String LEGEND_INDENT = " ".repeat(12);

    /**
     * A row of ratios: each figure of {@code numerator}'s row over the same figure of {@code denominator}'s.
     *
     * @param meaning how to read it, the lines of its legend entry
     */
    record Ratio(String numerator, String denominator, List<String> meaning) {

        String label() {
            return numerator + "/" + denominator;
        }
    }

    /** The ratio rows, in the order they are printed under a case. */
    static final List<Ratio> RATIOS = List.of(
            new Ratio(BenchSettings.STRATA, BenchSettings.KAFKA,
                    List.of("above 1 is better for rec/s and MB/s, worse for latencies and CPU.")),
            new Ratio(BenchSettings.STRATA_MICRO, BenchSettings.STRATA,
                    List.of("Strata on Payara Micro over Strata standalone: what the container costs.",
                            "Below 1 for rec/s and MB/s, above 1 for latencies and CPU, is that cost.")));

    private ReportTable() {
    }

    /** The ratio rows whose two brokers are both in {@code brokers}. */
    static List<Ratio> ratios(List<String> brokers) {
        return RATIOS.stream()
                .filter(ratio -> brokers.contains(ratio.numerator()) && brokers.contains(ratio.denominator()))
                .toList();
    }

    /** What each column means, and how to read each ratio row the table of {@code brokers} has. */
    static String legend(List<String> brokers) {
        return legend(brokers, List.of());
    }

    /** {@link #legend(List)}, and how transactional cases were run if any of {@code cases} is. */
    static String legend(List<String> brokers, List<BenchCase> cases) {
        StringBuilder legend = new StringBuilder(LEGEND);
        if (cases.stream().anyMatch(BenchCase::transactional)) {
            legend.append('\n').append(TRANSACTIONS_LEGEND);
        }
        if (cases.stream().anyMatch(benchCase -> !benchCase.consumer().equals(GroupConsumer.CLASSIC_GROUP))) {
            legend.append('\n').append(CONSUMERS_LEGEND);
        }
        for (Ratio ratio : ratios(brokers)) {
            legend.append('\n').append(ratio.label()).append(": ")
                    .append(String.join("\n" + LEGEND_INDENT, ratio.meaning()));
        }
        return legend.toString();
    }

    /** The table for {@code cases}: a row per broker in {@code brokers}, then the ratio rows whose brokers both ran. */
    static String render(List<BenchCase> cases, List<String> brokers, Map<String, Map<BenchCase, CaseResult>> results) {
        List<Ratio> ratios = ratios(brokers);
        int labelWidth = Math.max(LABEL_WIDTH_MIN, Stream.concat(brokers.stream(), ratios.stream().map(Ratio::label))
                .mapToInt(label -> "  ".length() + label.length()).max().orElse(0));
        StringBuilder table = new StringBuilder();
        table.append(groupHeader(labelWidth)).append('\n');
        table.append(row(labelWidth, "", COLUMNS.stream().map(Column::heading).toList())).append('\n');
        for (BenchCase benchCase : cases) {
            table.append(benchCase.label()).append('\n');
            for (String broker : brokers) {
                CaseResult result = results.get(broker).get(benchCase);
                table.append(row(labelWidth, "  " + broker, COLUMNS.stream()
                        .map(column -> format(column.format(), column.value().applyAsDouble(result))).toList()))
                        .append('\n');
            }
            for (Ratio ratioRow : ratios) {
                CaseResult numerator = results.get(ratioRow.numerator()).get(benchCase);
                CaseResult denominator = results.get(ratioRow.denominator()).get(benchCase);
                table.append(row(labelWidth, "  " + ratioRow.label(), COLUMNS.stream().map(column -> format("%.2f",
                        ratio(column.value().applyAsDouble(numerator), column.value().applyAsDouble(denominator))))
                        .toList())).append('\n');
            }
        }
        return table.toString();
    }

    /**
     * One line per case and broker, every figure in its own column, ratios left to whoever reads it. The last two
     * columns come last so that the columns before them keep their places: transaction_duration_ms, empty for a case
     * without transactions, and consumer (classic, consumer or share-N).
     */
    static String csv(List<BenchCase> cases, List<String> brokers, Map<String, Map<BenchCase, CaseResult>> results) {
        StringBuilder csv = new StringBuilder("case,record_bytes,acks,partitions,broker");
        COLUMNS.forEach(column -> csv.append(',').append(column.csvName()));
        csv.append(",transaction_duration_ms,consumer\n");
        for (BenchCase benchCase : cases) {
            for (String broker : brokers) {
                CaseResult result = results.get(broker).get(benchCase);
                csv.append(benchCase.id()).append(',').append(benchCase.recordBytes()).append(',')
                        .append(benchCase.acks()).append(',').append(benchCase.partitions()).append(',').append(broker);
                for (Column column : COLUMNS) {
                    double value = column.value().applyAsDouble(result);
                    csv.append(',').append(Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.6g", value));
                }
                csv.append(',').append(benchCase.transactional() ? Integer.toString(benchCase.transactionDurationMs())
                        : "").append(',').append(benchCase.consumer().id()).append('\n');
            }
        }
        return csv.toString();
    }

    static double ratio(double numerator, double denominator) {
        return Double.isNaN(numerator) || Double.isNaN(denominator) || denominator == 0 ? Double.NaN
                : numerator / denominator;
    }

    private static <T> double figure(ToolRun<T> run, ToDoubleFunction<T> value) {
        return run.ok() ? value.applyAsDouble(run.figures()) : Double.NaN;
    }

    private static String format(String format, double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static String row(int labelWidth, String label, List<String> cells) {
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + labelWidth + "s", label));
        cells.forEach(cell -> row.append(String.format(Locale.ROOT, "%" + CELL_WIDTH + "s", cell)));
        return row.toString().stripTrailing();
    }

    /** The group names centred over their columns: {@code ------ produce ------ ...}. */
    private static String groupHeader(int labelWidth) {
        StringBuilder header = new StringBuilder(" ".repeat(labelWidth));
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

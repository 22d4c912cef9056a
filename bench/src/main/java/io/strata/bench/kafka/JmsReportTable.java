package io.strata.bench.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Lays out bin/bench-jms's results as a text table (per case a line per broker, then, when both ran, the
 * strata/artemis ratios with whether Strata met the case's messages/s target) and as CSV. Figures a run could not
 * produce print as "-". Thread-safe (stateless).
 */
final class JmsReportTable {

    private static final String RATIO_LABEL = JmsBenchSettings.STRATA + "/" + JmsBenchSettings.ARTEMIS;
    private static final int LABEL_WIDTH = 2 + RATIO_LABEL.length() + 2;
    private static final int CELL_WIDTH = 12;

    /** One figure of the table: its heading, its CSV name, its format and where it comes from. */
    record Column(String heading, String csvName, String format, ToDoubleFunction<JmsLoad.Result> value) {
    }

    static final List<Column> COLUMNS = List.of(
            new Column("msgs/s", "messages_per_s", "%.0f", JmsLoad.Result::messagesPerSecond),
            new Column("p50 ms", "latency_ms_p50", "%.2f", JmsLoad.Result::latencyMsP50),
            new Column("p99 ms", "latency_ms_p99", "%.2f", JmsLoad.Result::latencyMsP99),
            new Column("broker CPU", "broker_cpu_s_per_m_messages", "%.1f",
                    JmsLoad.Result::brokerCpuSecondsPerMillion),
            new Column("client CPU", "client_cpu_s_per_m_messages", "%.1f",
                    JmsLoad.Result::clientCpuSecondsPerMillion));

    static final String LEGEND = String.join("\n",
            "msgs/s:     measured messages over the seconds from the first measured send until the last of them was",
            "            received (first receipt; duplicates are counted in the notes, not here).",
            "p50/p99 ms: send-to-receive latency of each measured message, nearest rank: System.nanoTime() just",
            "            before send(), in a property, against the consumer's receive() return, one JVM's clock. The",
            "            producer keeps at most --window messages unreceived, so this is latency under full load",
            "            with at most that many in flight; a transacted producer's messages wait for its commit.",
            "broker CPU: CPU-seconds per million measured messages of the broker's process tree (utime+stime of",
            "            /proc/<pid>/stat over getconf CLK_TCK) over the measured span.",
            "client CPU: the same of this harness's JVM: the provider's client code, and the load's own (the",
            "            same for both providers).",
            RATIO_LABEL + ": Strata's figure over Artemis's: above 1 is better for msgs/s, worse for latencies and",
            "            CPU. target: Strata's msgs/s at least 2x Artemis's for persistent and transacted cases, at",
            "            least 1x for non-persistent ones.");

    private JmsReportTable() {
    }

    /** The table of {@code cases}: a row per broker of {@code brokers}, then the ratio row when both ran. */
    static String render(List<JmsCase> cases, List<String> brokers, Map<String, Map<JmsCase, JmsCaseResult>> results) {
        boolean ratios = brokers.contains(JmsBenchSettings.STRATA) && brokers.contains(JmsBenchSettings.ARTEMIS);
        StringBuilder table = new StringBuilder();
        List<String> headings = new ArrayList<>(COLUMNS.stream().map(Column::heading).toList());
        if (ratios) {
            headings.add("target");
        }
        table.append(row("", headings)).append('\n');
        table.append(row("", COLUMNS.stream().map(column -> column.heading().contains("CPU") ? "s/M msgs" : "")
                .toList())).append('\n');
        for (JmsCase benchCase : cases) {
            table.append(benchCase.label()).append('\n');
            for (String broker : brokers) {
                JmsCaseResult result = results.get(broker).get(benchCase);
                table.append(row("  " + broker, COLUMNS.stream()
                        .map(column -> format(column.format(), value(result, column))).toList())).append('\n');
            }
            if (ratios) {
                JmsCaseResult strata = results.get(JmsBenchSettings.STRATA).get(benchCase);
                JmsCaseResult artemis = results.get(JmsBenchSettings.ARTEMIS).get(benchCase);
                List<String> cells = new ArrayList<>(COLUMNS.stream()
                        .map(column -> format("%.2f", ratio(value(strata, column), value(artemis, column))))
                        .toList());
                cells.add(target(benchCase, ratio(value(strata, COLUMNS.get(0)), value(artemis, COLUMNS.get(0)))));
                table.append(row("  " + RATIO_LABEL, cells)).append('\n');
            }
        }
        return table.toString();
    }

    /**
     * "met" or "MISSED" after the case's target ratio, e.g. {@code >=2x MISSED}; "-" without a ratio. The cell is
     * {@value #CELL_WIDTH} wide at most, so the table keeps its columns.
     */
    static String target(JmsCase benchCase, double messagesPerSecondRatio) {
        if (Double.isNaN(messagesPerSecondRatio)) {
            return "-";
        }
        String goal = String.format(Locale.ROOT, ">=%.0fx", benchCase.mode().targetRatio());
        return goal + (messagesPerSecondRatio >= benchCase.mode().targetRatio() ? " met" : " MISSED");
    }

    /** How many cases met their target, of those both brokers ran: "Targets met: 5 of 16 cases". */
    static String targetSummary(List<JmsCase> cases, Map<String, Map<JmsCase, JmsCaseResult>> results) {
        Map<JmsCase, JmsCaseResult> strata = results.get(JmsBenchSettings.STRATA);
        Map<JmsCase, JmsCaseResult> artemis = results.get(JmsBenchSettings.ARTEMIS);
        if (strata == null || artemis == null) {
            return "";
        }
        int compared = 0;
        int met = 0;
        for (JmsCase benchCase : cases) {
            double ratio = ratio(value(strata.get(benchCase), COLUMNS.get(0)),
                    value(artemis.get(benchCase), COLUMNS.get(0)));
            if (!Double.isNaN(ratio)) {
                compared++;
                met += ratio >= benchCase.mode().targetRatio() ? 1 : 0;
            }
        }
        return String.format(Locale.ROOT, "Targets met: %d of %d case%s both brokers ran (of %d).", met, compared,
                compared == 1 ? "" : "s", cases.size());
    }

    /** A line per case and broker, every figure in its own column; ratios are left to whoever reads it. */
    static String csv(List<JmsCase> cases, List<String> brokers, Map<String, Map<JmsCase, JmsCaseResult>> results) {
        StringBuilder csv = new StringBuilder("case,mode,destination,consumers,broker,messages,seconds");
        COLUMNS.forEach(column -> csv.append(',').append(column.csvName()));
        csv.append(",duplicates,failure\n");
        for (JmsCase benchCase : cases) {
            for (String broker : brokers) {
                JmsCaseResult result = results.get(broker).get(benchCase);
                csv.append(benchCase.id()).append(',').append(benchCase.mode().id()).append(',')
                        .append(benchCase.destination().id()).append(',').append(benchCase.consumers()).append(',')
                        .append(broker).append(',');
                if (result.ok()) {
                    csv.append(result.result().messages()).append(',')
                            .append(String.format(Locale.ROOT, "%.6g", result.result().seconds()));
                } else {
                    csv.append(',');
                }
                for (Column column : COLUMNS) {
                    double value = value(result, column);
                    csv.append(',').append(Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.6g", value));
                }
                csv.append(',').append(result.ok() ? Long.toString(result.result().duplicates()) : "").append(',')
                        .append(result.ok() ? "" : '"' + result.failure().replace('"', '\'').replace('\n', ' ') + '"')
                        .append('\n');
            }
        }
        return csv.toString();
    }

    static double ratio(double numerator, double denominator) {
        return Double.isNaN(numerator) || Double.isNaN(denominator) || denominator == 0 ? Double.NaN
                : numerator / denominator;
    }

    private static double value(JmsCaseResult result, Column column) {
        return result != null && result.ok() ? column.value().applyAsDouble(result.result()) : Double.NaN;
    }

    private static String format(String format, double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static String row(String label, List<String> cells) {
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + LABEL_WIDTH + "s", label));
        cells.forEach(cell -> row.append(String.format(Locale.ROOT, "%" + CELL_WIDTH + "s", cell)));
        return row.toString().stripTrailing();
    }
}

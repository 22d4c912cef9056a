package io.strata.bench.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the figures out of what kafka-tools 4.3 prints on standard output. The formats are the tools' own and not a
 * stable interface, so each parser names the line it expected when it finds none. Thread-safe (stateless).
 */
final class ToolOutput {

    private static final String NUMBER = "([0-9]+(?:\\.[0-9]+)?)";

    /**
     * ProducerPerformance's final line, e.g. {@code 300000 records sent, 43655.41 records/sec (4.16 MB/sec),
     * 2167.04 ms avg latency, 2658.00 ms max latency, 2483 ms 50th, 2625 ms 95th, 2649 ms 99th, 2657 ms 99.9th.}
     * Progress lines lack the percentiles.
     */
    private static final Pattern PRODUCER_SUMMARY = Pattern.compile("^([0-9]+) records sent, " + NUMBER
            + " records/sec \\(" + NUMBER + " MB/sec\\), " + NUMBER + " ms avg latency, " + NUMBER
            + " ms max latency, ([0-9]+) ms 50th, ([0-9]+) ms 95th, ([0-9]+) ms 99th, ([0-9]+) ms 99\\.9th\\.",
            Pattern.MULTILINE);

    private static final Pattern LATENCY_AVG = Pattern.compile("^Avg latency: " + NUMBER + " ms", Pattern.MULTILINE);
    private static final Pattern LATENCY_PERCENTILES = Pattern.compile(
            "^Percentiles: 50th = ([0-9]+), 99th = ([0-9]+), 99\\.9th = ([0-9]+)", Pattern.MULTILINE);

    private static final String CONSUMER_HEADER_START = "start.time, end.time, ";

    private ToolOutput() {
    }

    static ProducerFigures producer(String stdout) {
        Matcher summary = PRODUCER_SUMMARY.matcher(stdout);
        MatchResult last = null;
        while (summary.find()) {
            last = summary.toMatchResult();
        }
        if (last == null) {
            throw new IllegalStateException("ProducerPerformance printed no summary line"
                    + " ('N records sent, ... ms 99.9th.'); its output was:\n" + stdout);
        }
        return new ProducerFigures(Long.parseLong(last.group(1)), Double.parseDouble(last.group(2)),
                Double.parseDouble(last.group(3)), Double.parseDouble(last.group(4)),
                Double.parseDouble(last.group(5)), Long.parseLong(last.group(6)), Long.parseLong(last.group(7)),
                Long.parseLong(last.group(8)), Long.parseLong(last.group(9)));
    }

    /** ConsumerPerformance's header line ({@code start.time, end.time, ...}) and the line of values under it. */
    static ConsumerFigures consumer(String stdout) {
        List<String> lines = stdout.lines().toList();
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith(CONSUMER_HEADER_START)) {
                Map<String, String> values = columns(lines.get(i), lines.get(i + 1));
                return new ConsumerFigures(
                        Long.parseLong(value(values, "data.consumed.in.nMsg")),
                        Double.parseDouble(value(values, "MB.sec")),
                        Double.parseDouble(value(values, "nMsg.sec")),
                        Long.parseLong(value(values, "rebalance.time.ms")),
                        Long.parseLong(value(values, "fetch.time.ms")),
                        Double.parseDouble(value(values, "fetch.MB.sec")),
                        Double.parseDouble(value(values, "fetch.nMsg.sec")));
            }
        }
        throw new IllegalStateException("ConsumerPerformance printed no header line ('" + CONSUMER_HEADER_START
                + "...') followed by values; its output was:\n" + stdout);
    }

    /**
     * ShareConsumerPerformance's header line ({@code start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec,
     * data.consumed.in.nMsg, fetch.time.ms}) and the line of values under it. Its figures cover the whole run,
     * joining the share group included (the tool times from before its consumers subscribe), so the fetch figures
     * are the same as the overall ones and the rebalance time is 0.
     */
    static ConsumerFigures shareConsumer(String stdout) {
        List<String> lines = stdout.lines().toList();
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith(CONSUMER_HEADER_START)) {
                Map<String, String> values = columns(lines.get(i), lines.get(i + 1));
                double mbPerSecond = Double.parseDouble(value(values, "MB.sec"));
                double recordsPerSecond = Double.parseDouble(value(values, "nMsg.sec"));
                return new ConsumerFigures(Long.parseLong(value(values, "data.consumed.in.nMsg")), mbPerSecond,
                        recordsPerSecond, 0, Long.parseLong(value(values, "fetch.time.ms")), mbPerSecond,
                        recordsPerSecond);
            }
        }
        throw new IllegalStateException("ShareConsumerPerformance printed no header line ('" + CONSUMER_HEADER_START
                + "...') followed by values; its output was:\n" + stdout);
    }

    static LatencyFigures endToEnd(String stdout) {
        Matcher avg = LATENCY_AVG.matcher(stdout);
        Matcher percentiles = LATENCY_PERCENTILES.matcher(stdout);
        if (!avg.find() || !percentiles.find()) {
            throw new IllegalStateException("EndToEndLatency printed no 'Avg latency: X ms' and"
                    + " 'Percentiles: 50th = A, 99th = B, 99.9th = C' lines; its output was:\n" + stdout);
        }
        return new LatencyFigures(Double.parseDouble(avg.group(1)), Long.parseLong(percentiles.group(1)),
                Long.parseLong(percentiles.group(2)), Long.parseLong(percentiles.group(3)));
    }

    private static Map<String, String> columns(String header, String values) {
        String[] names = header.split(",");
        String[] cells = values.split(",");
        if (names.length != cells.length) {
            throw new IllegalStateException("ConsumerPerformance printed " + names.length + " column names but "
                    + cells.length + " values:\n" + header + "\n" + values);
        }
        Map<String, String> byName = new HashMap<>();
        for (int i = 0; i < names.length; i++) {
            byName.put(names[i].trim(), cells[i].trim());
        }
        return byName;
    }

    private static String value(Map<String, String> values, String column) {
        String value = values.get(column);
        if (value == null) {
            throw new IllegalStateException("ConsumerPerformance printed no column " + column + ": " + values.keySet());
        }
        return value;
    }
}

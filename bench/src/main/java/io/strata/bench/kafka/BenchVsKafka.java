package io.strata.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Runs Kafka's own load tools against Apache Kafka, Strata standalone and Strata on Payara Micro (those of
 * {@code --brokers}, one after the other) with the same settings, and reports per case records/s, MB/s, latency
 * percentiles and broker CPU per million records, with the Strata/Kafka ratio of each and the ratio of Strata on
 * Payara Micro to Strata standalone, what the container costs.
 *
 * <p>Per broker: start it, wait until it answers the Admin client, warm it up once (unmeasured), then per case
 * create two topics, run ProducerPerformance, ConsumerPerformance on what it wrote, and EndToEndLatency, sampling the
 * broker's CPU before and after each tool; then stop the broker and delete its data. In a transactional case
 * ({@code --transaction-duration-ms}) the producer writes in transactions, the consumer reads with read_committed,
 * and EndToEndLatency, which has no transactional producer, is not run. The table is printed and written
 * with a CSV and every process's output to {@code bench/target/bench-vs-kafka/<time>/}. Started by
 * {@code bin/bench-vs-kafka}, which fetches the Kafka classpaths first; {@code --help} lists the options.
 * {@code --cluster N} runs {@link ClusterBenchVsKafka} instead, which measures replicated clusters.
 */
public final class BenchVsKafka {

    /** Kept referenced: java.util.logging holds loggers weakly, and a collected one forgets its level. */
    private static final Logger KAFKA_CLIENT_LOGS = Logger.getLogger("org.apache.kafka");

    private final BenchSettings settings;
    private final Cleanup cleanup;
    private final ProcessCpu cpu;
    private final Path runDir;
    private final Path logDir;
    private final List<String> notes = new ArrayList<>();
    /** The 1-minute load average before and after each broker's run: other work on the machine skews every figure. */
    private final Map<String, String> loadAverages = new LinkedHashMap<>();

    private BenchVsKafka(BenchSettings settings, Cleanup cleanup, ProcessCpu cpu, Path runDir) {
        this.settings = settings;
        this.cleanup = cleanup;
        this.cpu = cpu;
        this.runDir = runDir;
        this.logDir = runDir.resolve("logs");
    }

    public static void main(String[] args) {
        if (ClusterSettings.requested(args)) {
            ClusterBenchVsKafka.main(args);
            return;
        }
        BenchSettings settings;
        try {
            settings = BenchSettings.parse(args, System.getenv());
        } catch (BenchSettings.UsageRequested e) {
            System.out.println(BenchSettings.USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("bench-vs-kafka: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (settings.scratchBase() != null) {
            // BenchFiles, shared with the JMH benchmarks, takes its base directory from this property.
            System.setProperty("strata.bench.dir", settings.scratchBase().toAbsolutePath().toString());
        }
        // The Admin client retries while a broker starts; its connection warnings are noise here.
        KAFKA_CLIENT_LOGS.setLevel(Level.SEVERE);
        Cleanup cleanup = Cleanup.onExit();
        boolean allRan;
        try {
            Path runDir = settings.outputDir().resolve(
                    LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
            allRan = new BenchVsKafka(settings, cleanup, ProcessCpu.fromGetconf(), runDir).run();
        } finally {
            cleanup.closeAll();
        }
        System.exit(allRan ? 0 : 1);
    }

    /** Runs every broker through every case and writes the report; false if any tool run or broker failed. */
    private boolean run() {
        requireClasspaths();
        List<BenchCase> cases = settings.cases();
        Map<String, Map<BenchCase, CaseResult>> results = new LinkedHashMap<>();
        for (String broker : settings.brokers()) {
            results.put(broker, cleanup.shuttingDown() ? notRun(broker, cases) : runBroker(broker, cases));
        }
        String report = header(cases) + "\n" + ReportTable.render(cases, settings.brokers(), results) + "\n"
                + ReportTable.legend(settings.brokers(), cases) + "\n"
                + (notes.isEmpty() ? "" : "\nNotes:\n- " + String.join("\n- ", notes) + "\n");
        Path reportFile = runDir.resolve("report.txt");
        KafkaLauncher.write(reportFile, report);
        KafkaLauncher.write(runDir.resolve("results.csv"), ReportTable.csv(cases, settings.brokers(), results));
        KafkaLauncher.write(settings.outputDir().resolve("latest-report.txt"), report);
        System.out.println();
        System.out.println(report);
        System.out.println("Report: " + reportFile + " (also " + settings.outputDir().resolve("latest-report.txt")
                + "); CSV, tool and broker output beside it.");
        return notes.isEmpty();
    }

    private static Map<BenchCase, CaseResult> notRun(String name, List<BenchCase> cases) {
        Map<BenchCase, CaseResult> results = new LinkedHashMap<>();
        cases.forEach(benchCase -> results.put(benchCase, CaseResult.failed(benchCase, name, "not run")));
        return results;
    }

    private Map<BenchCase, CaseResult> runBroker(String name, List<BenchCase> cases) {
        Map<BenchCase, CaseResult> results = notRun(name, cases);
        String loadBefore = loadAverage();
        System.out.println("== " + name + ": starting (load average " + loadBefore + ")");
        long startNanos = System.nanoTime();
        BrokerUnderTest broker = null;
        try {
            broker = name.equals(BenchSettings.KAFKA)
                    ? KafkaLauncher.start(settings.kafkaLib(), logDir, cpu, cleanup)
                    : StrataLauncher.start(name, settings.commandOf(name), logDir, cpu, cleanup);
            try (BenchAdmin admin = BenchAdmin.awaitReady(broker, settings.startTimeoutOf(name))) {
                System.out.printf(Locale.ROOT, "== %s: ready at %s (pid %d) after %.1f s%n", name,
                        broker.bootstrapServers(), broker.pid(), (System.nanoTime() - startNanos) / 1e9);
                KafkaTools tools = new KafkaTools(settings.toolsLib(), logDir, settings.toolTimeout(), cleanup);
                warmUp(broker, admin, tools, cases.get(0));
                for (BenchCase benchCase : cases) {
                    if (cleanup.shuttingDown()) {
                        break;
                    }
                    if (!broker.isAlive()) {
                        notes.add(name + " exited during the run; cases after it were not run. Its output: "
                                + broker.logFiles());
                        break;
                    }
                    results.put(benchCase, runCase(broker, admin, tools, benchCase));
                }
            }
        } catch (RuntimeException e) {
            notes.add(name + " could not be started or stopped: " + firstLine(e.getMessage()));
            System.err.println("== " + name + " failed: " + e.getMessage());
        } finally {
            loadAverages.put(name, loadBefore + " before, " + loadAverage() + " after");
            // Nothing but this broker and its scratch directory is open here, so this stops exactly those.
            cleanup.closeAll();
            if (broker != null) {
                System.out.println("== " + name + ": stopped, data deleted");
            }
        }
        return results;
    }

    /** A produce and consume pass the size of {@code --warmup-records}, so the first case does not pay for JIT. */
    private void warmUp(BrokerUnderTest broker, BenchAdmin admin, KafkaTools tools, BenchCase like) {
        if (settings.warmupRecords() == 0) {
            return;
        }
        String topic = "bench-warmup";
        System.out.println("   warm-up: " + settings.warmupRecords() + " records of " + like.recordBytes() + " B"
                + (like.transactional() ? " in transactions" : ""));
        // Transactional cases warm up the transaction coordinator and read_committed fetches too; a transactional
        // producer takes acks=all only.
        KafkaTools.Transactions transactions = like.transactional()
                ? new KafkaTools.Transactions("bench-warmup", like.transactionDurationMs())
                : KafkaTools.Transactions.NONE;
        try {
            admin.createTopic(topic, like.partitions());
            tools.produce(broker.bootstrapServers(), topic, settings.warmupRecords(), like.recordBytes(),
                    like.transactional() ? "all" : "1", settings.producerThroughputMax(), transactions,
                    broker.name() + "-warmup-produce");
            String group = "bench-warmup-" + like.consumer().id();
            if (like.consumer().share()) {
                admin.startShareGroupAtEarliest(group);
            }
            tools.consume(broker.bootstrapServers(), topic, settings.warmupRecords(), group, like.transactional(),
                    like.consumer(), broker.name() + "-warmup-consume");
        } catch (RuntimeException e) {
            notes.add(broker.name() + " warm-up failed: " + firstLine(e.getMessage()));
        }
    }

    private CaseResult runCase(BrokerUnderTest broker, BenchAdmin admin, KafkaTools tools, BenchCase benchCase) {
        String name = broker.name();
        String logPrefix = name + "-" + benchCase.id();
        System.out.println("   " + benchCase.label());
        try {
            admin.createTopic(benchCase.throughputTopic(), benchCase.partitions());
            if (!benchCase.transactional() && benchCase.consumer().equals(GroupConsumer.CLASSIC_GROUP)) {
                admin.createTopic(benchCase.latencyTopic(), benchCase.partitions());
            }
        } catch (RuntimeException e) {
            notes.add(name + ", " + benchCase.label() + ": topics not created: " + firstLine(e.getMessage()));
            return CaseResult.failed(benchCase, name, e.getMessage());
        }
        ToolRun<ProducerFigures> produce = measure(broker, benchCase, "ProducerPerformance",
                () -> tools.produce(broker.bootstrapServers(), benchCase.throughputTopic(), settings.records(),
                        benchCase.recordBytes(), benchCase.acks(), settings.producerThroughputMax(),
                        KafkaTools.Transactions.of(benchCase), logPrefix + "-produce"),
                ProducerFigures::records);
        String group = "bench-" + benchCase.id();
        ToolRun<ConsumerFigures> consume = measure(broker, benchCase, consumerTool(benchCase.consumer()),
                () -> {
                    if (benchCase.consumer().share()) {
                        admin.startShareGroupAtEarliest(group);
                    }
                    return tools.consume(broker.bootstrapServers(), benchCase.throughputTopic(), settings.records(),
                            group, benchCase.transactional(), benchCase.consumer(), logPrefix + "-consume");
                },
                ConsumerFigures::records);
        // EndToEndLatency's producer cannot begin or commit a transaction, so a transactional id would only fail it.
        // EndToEndLatency's consumer is a classic one whatever the case's kind, so only the classic case runs it.
        ToolRun<LatencyFigures> endToEnd = benchCase.transactional()
                ? ToolRun.notApplicable("EndToEndLatency has no transactional producer")
                : !benchCase.consumer().equals(GroupConsumer.CLASSIC_GROUP)
                ? ToolRun.notApplicable("EndToEndLatency reads with a classic consumer; see the classic case")
                : measure(broker, benchCase, "EndToEndLatency",
                        () -> tools.endToEnd(broker.bootstrapServers(), benchCase.latencyTopic(),
                                settings.latencyRecords(), benchCase.acks(), benchCase.recordBytes(),
                                logPrefix + "-e2e"),
                        figures -> settings.latencyRecords());
        requireAllRecords(name, benchCase, "ProducerPerformance sent", produce);
        requireAllRecords(name, benchCase, consumerTool(benchCase.consumer()) + " read", consume);
        return new CaseResult(benchCase, name, produce, consume, endToEnd);
    }

    private static String consumerTool(GroupConsumer consumer) {
        return consumer.share() ? "ShareConsumerPerformance" : "ConsumerPerformance";
    }

    /** Runs {@code tool}, sampling the broker's CPU just before it starts and just after it exits. */
    private <T> ToolRun<T> measure(BrokerUnderTest broker, BenchCase benchCase, String toolName, Supplier<T> tool,
                                   ToLongFunction<T> records) {
        double cpuBefore = broker.cpuSeconds();
        long startNanos = System.nanoTime();
        try {
            T figures = tool.get();
            double cpuSeconds = broker.cpuSeconds() - cpuBefore;
            if (!broker.isAlive()) {
                // A process that has exited has no /proc entry, so its CPU can no longer be read.
                throw new IllegalStateException(broker.name() + " exited while " + toolName + " ran; its output: "
                        + broker.logFiles());
            }
            ToolRun<T> run = ToolRun.succeeded(figures, records.applyAsLong(figures), cpuSeconds);
            System.out.printf(Locale.ROOT, "     %-20s %6.1f s wall, broker %6.2f CPU-s (%.2f per M records)%n",
                    toolName, (System.nanoTime() - startNanos) / 1e9, cpuSeconds,
                    run.brokerCpuSecondsPerMillionRecords());
            return run;
        } catch (RuntimeException e) {
            notes.add(broker.name() + ", " + benchCase.label() + ": " + toolName + " failed: "
                    + firstLine(e.getMessage()) + " (output in " + logDir + ")");
            System.out.println("     " + toolName + " FAILED: " + firstLine(e.getMessage()));
            return ToolRun.failed(e.getMessage());
        }
    }

    private void requireAllRecords(String broker, BenchCase benchCase, String what, ToolRun<?> run) {
        if (run.ok() && run.records() != settings.records()) {
            notes.add(broker + ", " + benchCase.label() + ": " + what + " " + run.records() + " of "
                    + settings.records() + " records");
        }
    }

    private String header(List<BenchCase> cases) {
        // Labels are as wide as the longest broker name and its colon, and at least as "strata: " (the default run).
        int nameWidth = settings.brokers().stream().mapToInt(String::length).max().orElse(0);
        int labelWidth = Math.max("strata: ".length(), nameWidth + ": ".length());
        String indent = " ".repeat(labelWidth);
        StringBuilder header = new StringBuilder();
        header.append(String.format(Locale.ROOT, "bench-vs-kafka %s: %d cores, Java %s, CLK_TCK %d%n",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), cpu.ticksPerSecond()));
        for (String broker : settings.brokers()) {
            header.append(String.format(Locale.ROOT, "%-" + labelWidth + "s", broker + ":"));
            header.append(broker.equals(BenchSettings.KAFKA)
                    ? "Apache Kafka " + jarVersion(settings.kafkaLib(), "kafka_2.13-")
                            + ", one KRaft broker+controller, -Xmx1g, from " + settings.kafkaLib()
                    : settings.commandOf(broker)).append('\n');
        }
        loadAverages.forEach((broker, load) -> header.append(String.format(Locale.ROOT,
                "%-" + labelWidth + "s%-" + nameWidth + "s 1-minute load average %s its run%n", "load:", broker,
                load)));
        boolean transactional = settings.transactional();
        header.append(String.format(Locale.ROOT, "%-" + labelWidth + "skafka-tools %s, one JVM per run; %d %s, each"
                        + " %,d records produced%s (--throughput %d)%n%sand consumed%s, %s; warm-up %,d records"
                        + " per broker%n",
                "tools:", jarVersion(settings.toolsLib(), "kafka-tools-"), cases.size(),
                cases.size() == 1 ? "case" : "cases", settings.records(),
                transactional ? " in transactions of " + settings.transactionDurationMs() + " ms" : "",
                settings.producerThroughputMax(), indent, transactional ? " with read_committed" : "",
                transactional ? "no end-to-end" : String.format(Locale.ROOT, "%,d end-to-end",
                        settings.latencyRecords()),
                settings.warmupRecords()));
        return header.toString();
    }

    private void requireClasspaths() {
        List<Path> needed = new ArrayList<>(List.of(settings.toolsLib()));
        if (settings.brokers().contains(BenchSettings.KAFKA)) {
            needed.add(settings.kafkaLib());
        }
        for (Path dir : needed) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException(dir + " does not exist: bin/bench-vs-kafka fetches it with"
                        + " mvn -f bench/kafka-classpath/pom.xml package");
            }
        }
    }

    /** The version in the file name of the jar in {@code dir} that starts with {@code prefix}, or "?". */
    static String jarVersion(Path dir, String prefix) {
        try (Stream<Path> jars = Files.list(dir)) {
            return jars.map(jar -> jar.getFileName().toString())
                    .filter(file -> file.startsWith(prefix) && file.endsWith(".jar"))
                    .map(file -> file.substring(prefix.length(), file.length() - ".jar".length()))
                    .findFirst().orElse("?");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** The 1-minute load average from {@code /proc/loadavg}. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/loadavg", e);
        }
    }

    static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}

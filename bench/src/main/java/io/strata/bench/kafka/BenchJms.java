package io.strata.bench.kafka;

import io.strata.jms.client.StrataConnectionFactory;
import jakarta.jms.ConnectionFactory;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.activemq.artemis.utils.VersionLoader;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * bin/bench-jms: the same JMS load, from this JVM, through Strata's JMS provider against Strata standalone and
 * through Artemis's JMS client against an embedded Apache Artemis, each broker in a process of its own, one after the
 * other; per case messages/s, send-to-receive latency percentiles and the broker's and this JVM's CPU per million
 * messages, with the strata/artemis ratios and the targets.
 *
 * <p>Per broker: start it and wait until it is ready, run every case ({@link JmsLoad}: consumers, priming, warm-up,
 * measurement, each case on a destination of its own), stop it and delete its data. The report is printed and
 * written with a CSV and the brokers' output to {@code bench/target/bench-jms/<time>/}. {@code --help} lists the
 * options.
 */
public final class BenchJms {

    /** Kept referenced: java.util.logging holds loggers weakly, and a collected one forgets its level. */
    private static final List<Logger> QUIET_LOGGERS = List.of(Logger.getLogger("org.apache.kafka"),
            Logger.getLogger("org.apache.activemq"), Logger.getLogger("io.strata"));

    /**
     * Artemis's client calls a CompletionListener only with a confirmation window; without one (its default, -1) it
     * warns and sends synchronously. 1 MiB is the size Artemis's documentation gives as an example.
     */
    static final String ARTEMIS_URL_OPTIONS = "?confirmationWindowSize=1048576";

    private final JmsBenchSettings settings;
    private final Cleanup cleanup;
    private final ProcessCpu cpu;
    private final Path runDir;
    private final Path logDir;
    private final List<String> notes = new ArrayList<>();
    private final Map<String, String> brokerDescriptions = new LinkedHashMap<>();
    private final Map<String, String> loadAverages = new LinkedHashMap<>();

    private BenchJms(JmsBenchSettings settings, Cleanup cleanup, ProcessCpu cpu, Path runDir) {
        this.settings = settings;
        this.cleanup = cleanup;
        this.cpu = cpu;
        this.runDir = runDir;
        this.logDir = runDir.resolve("logs");
    }

    public static void main(String[] args) {
        JmsBenchSettings settings;
        try {
            settings = JmsBenchSettings.parse(args, System.getenv());
        } catch (BenchSettings.UsageRequested e) {
            System.out.println(JmsBenchSettings.USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("bench-jms: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (settings.scratchBase() != null) {
            System.setProperty("strata.bench.dir", settings.scratchBase().toAbsolutePath().toString());
        }
        // Clients retry while a broker starts and log every connection; the report carries what matters.
        QUIET_LOGGERS.forEach(logger -> logger.setLevel(Level.SEVERE));
        Cleanup cleanup = Cleanup.onExit();
        boolean allRan;
        try {
            Path runDir = settings.outputDir().resolve(
                    LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
            allRan = new BenchJms(settings, cleanup, ProcessCpu.fromGetconf(), runDir).run();
        } finally {
            cleanup.closeAll();
        }
        System.exit(allRan ? 0 : 1);
    }

    /** Runs every broker through every case and writes the report; false if any case or broker failed. */
    private boolean run() {
        List<JmsCase> cases = settings.cases();
        long startNanos = System.nanoTime();
        Map<String, Map<JmsCase, JmsCaseResult>> results = new LinkedHashMap<>();
        for (String broker : settings.brokers()) {
            results.put(broker, cleanup.shuttingDown() ? notRun(broker, cases) : runBroker(broker, cases));
        }
        String summary = JmsReportTable.targetSummary(cases, results);
        String report = header(cases, (System.nanoTime() - startNanos) / 1e9) + "\n"
                + JmsReportTable.render(cases, settings.brokers(), results)
                + (summary.isEmpty() ? "" : "\n" + summary + "\n") + "\n" + JmsReportTable.LEGEND + "\n"
                + (notes.isEmpty() ? "" : "\nNotes:\n- " + String.join("\n- ", notes) + "\n");
        Path reportFile = runDir.resolve("report.txt");
        KafkaLauncher.write(reportFile, report);
        KafkaLauncher.write(runDir.resolve("results.csv"), JmsReportTable.csv(cases, settings.brokers(), results));
        KafkaLauncher.write(settings.outputDir().resolve("latest-report.txt"), report);
        System.out.println();
        System.out.println(report);
        System.out.println("Report: " + reportFile + " (also " + settings.outputDir().resolve("latest-report.txt")
                + "); CSV and broker output beside it.");
        return results.values().stream().flatMap(byCase -> byCase.values().stream()).allMatch(JmsCaseResult::ok);
    }

    private static Map<JmsCase, JmsCaseResult> notRun(String broker, List<JmsCase> cases) {
        Map<JmsCase, JmsCaseResult> results = new LinkedHashMap<>();
        cases.forEach(benchCase -> results.put(benchCase, JmsCaseResult.failed(benchCase, broker, "not run")));
        return results;
    }

    private Map<JmsCase, JmsCaseResult> runBroker(String name, List<JmsCase> cases) {
        Map<JmsCase, JmsCaseResult> results = notRun(name, cases);
        String loadBefore = BenchVsKafka.loadAverage();
        System.out.println("== " + name + ": starting (load average " + loadBefore + ")");
        long startNanos = System.nanoTime();
        try {
            BrokerUnderTest broker = start(name);
            System.out.printf(Locale.ROOT, "== %s: ready at %s (pid %d) after %.1f s%n", name,
                    broker.bootstrapServers(), broker.pid(), (System.nanoTime() - startNanos) / 1e9);
            ConnectionFactory factory = name.equals(JmsBenchSettings.STRATA)
                    ? new StrataConnectionFactory(broker.bootstrapServers())
                    : new ActiveMQConnectionFactory("tcp://" + broker.bootstrapServers() + ARTEMIS_URL_OPTIONS);
            if (settings.passMessages() > 0) {
                firstPass(broker, factory, cases);
            }
            for (JmsCase benchCase : cases) {
                if (cleanup.shuttingDown()) {
                    break;
                }
                if (!broker.isAlive()) {
                    notes.add(name + " exited during the run; cases after it were not run. Its output: "
                            + broker.logFiles());
                    break;
                }
                results.put(benchCase, runCase(broker, factory, benchCase));
            }
        } catch (RuntimeException e) {
            notes.add(name + " could not be started or stopped: " + BenchVsKafka.firstLine(e.getMessage()));
            System.err.println("== " + name + " failed: " + e.getMessage());
        } finally {
            loadAverages.put(name, loadBefore + " before, " + BenchVsKafka.loadAverage() + " after");
            // Nothing but this broker and its scratch directory is open here, so this stops exactly those.
            cleanup.closeAll();
            System.out.println("== " + name + ": stopped, data deleted");
        }
        return results;
    }

    private BrokerUnderTest start(String name) {
        if (name.equals(JmsBenchSettings.ARTEMIS)) {
            ArtemisLauncher.Started started = ArtemisLauncher.start(logDir, cpu, cleanup, settings.startTimeout(),
                    settings.artemisJournalBufferTimeoutNanos());
            brokerDescriptions.put(name, started.description() + "; JVM " + String.join(" ",
                    ArtemisLauncher.JVM_OPTIONS) + "; client: artemis-jakarta-client "
                    + VersionLoader.getVersion().getFullVersion() + ", ActiveMQConnectionFactory(tcp://...:port"
                    + ARTEMIS_URL_OPTIONS + "), otherwise defaults");
            return started.broker();
        }
        BrokerUnderTest broker = StrataLauncher.start(name, settings.strataCommand(), logDir, cpu, cleanup);
        // Ready means it answers the Kafka protocol, as bin/bench-vs-kafka waits for it.
        BenchAdmin.awaitReady(broker, settings.startTimeout()).close();
        brokerDescriptions.put(name, settings.strataCommand() + " (-Xms512m -Xmx1g); client: Strata's JMS provider"
                + " (jms-adapter of this checkout), StrataConnectionFactory(127.0.0.1:port), defaults");
        return broker;
    }

    /**
     * Runs every case once, unmeasured, with {@link JmsBenchSettings#passMessages} messages to destinations of its
     * own, so that the first measured case does not pay for the broker's and the provider's JIT compilation alone
     * (a persistent-sync case, first in the matrix, measured a cold broker). A failure here is a note; the measured
     * pass runs anyway.
     */
    private void firstPass(BrokerUnderTest broker, ConnectionFactory factory, List<JmsCase> cases) {
        long startNanos = System.nanoTime();
        System.out.printf(Locale.ROOT, "   first pass, unmeasured: %,d messages per case (persistent-sync: fewer)%n",
                settings.passMessagesPerCase());
        for (JmsCase benchCase : cases) {
            if (cleanup.shuttingDown() || !broker.isAlive()) {
                return;
            }
            try {
                new JmsLoad(factory, benchCase, settings.passLoadSettings(benchCase), broker::cpuSeconds,
                        this::clientCpuSeconds).run();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    return;
                }
                notes.add(broker.name() + ", " + benchCase.id() + ", first pass failed: " + e.getClass()
                        .getSimpleName() + ": " + BenchVsKafka.firstLine(e.getMessage()));
            }
        }
        System.out.printf(Locale.ROOT, "   first pass done in %.1f s%n", (System.nanoTime() - startNanos) / 1e9);
    }

    private JmsCaseResult runCase(BrokerUnderTest broker, ConnectionFactory factory, JmsCase benchCase) {
        String name = broker.name();
        System.out.println("   " + benchCase.label());
        long startNanos = System.nanoTime();
        try {
            JmsLoad.Result result = new JmsLoad(factory, benchCase, settings.loadSettings(benchCase),
                    broker::cpuSeconds, this::clientCpuSeconds).run();
            if (!broker.isAlive()) {
                // A process that has exited has no /proc entry, so its CPU can no longer be read.
                throw new IllegalStateException(name + " exited during the case; its output: " + broker.logFiles());
            }
            System.out.printf(Locale.ROOT, "     %,.0f msgs/s, p50 %.2f ms, p99 %.2f ms, broker %.1f CPU-s/M,"
                            + " client %.1f CPU-s/M (%.1f s with warm-up)%n", result.messagesPerSecond(),
                    result.latencyMsP50(), result.latencyMsP99(), result.brokerCpuSecondsPerMillion(),
                    result.clientCpuSecondsPerMillion(), (System.nanoTime() - startNanos) / 1e9);
            if (result.duplicates() > 0) {
                notes.add(name + ", " + benchCase.id() + ": " + result.duplicates() + " messages were received"
                        + " twice (counted once)");
            }
            return JmsCaseResult.measured(benchCase, name, result);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String message = e.getClass().getSimpleName() + ": " + BenchVsKafka.firstLine(e.getMessage());
            notes.add(name + ", " + benchCase.id() + " failed: " + message);
            System.out.println("     failed: " + message);
            return JmsCaseResult.failed(benchCase, name, message);
        }
    }

    /** This JVM's own CPU seconds (not its children's: those are the brokers). */
    private double clientCpuSeconds() {
        return (double) ProcessCpu.ticksOf(ProcessHandle.current().pid()) / cpu.ticksPerSecond();
    }

    private String header(List<JmsCase> cases, double seconds) {
        StringBuilder header = new StringBuilder();
        header.append(String.format(Locale.ROOT, "bin/bench-jms, %s, %d cores, %.1f minutes%n",
                LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME.withLocale(Locale.ROOT))
                        .replaceFirst("\\.\\d+$", ""), Runtime.getRuntime().availableProcessors(), seconds / 60));
        brokerDescriptions.forEach((broker, description) -> header.append(String.format(Locale.ROOT, "%-9s%s%n",
                broker + ":", description)));
        loadAverages.forEach((broker, load) -> header.append(String.format(Locale.ROOT,
                "load:    %s: 1-minute load average %s its run%n", broker, load)));
        header.append(String.format(Locale.ROOT, "run:     %d case%s; per case %,d measured messages (%,d for"
                        + " persistent-sync), warm-up %s, %d B BytesMessages, one producer, at most %,d unreceived%n",
                cases.size(), cases.size() == 1 ? "" : "s", settings.messages(), settings.syncMessages(),
                settings.warmupMessages().map(count -> String.format(Locale.ROOT, "%,d", count))
                        .orElse("a fifth of that"), settings.messageBytes(), settings.window()));
        header.append("         consumers, producer: a connection and session each, AUTO_ACKNOWLEDGE or transacted;"
                + " receive(20 ms) loops\n");
        header.append(settings.passMessages() == 0 ? "         no first pass: the first case meets cold JVMs\n"
                : String.format(Locale.ROOT, "         before them, on each broker, an unmeasured first pass over the"
                + " cases, %,d messages each (persistent-sync: in the ratio above), to destinations of its own%n",
                settings.passMessagesPerCase()));
        return header.toString();
    }
}

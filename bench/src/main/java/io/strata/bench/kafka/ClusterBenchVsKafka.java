package io.strata.bench.kafka;

import org.apache.kafka.common.utils.AppInfoParser;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The replicated-cluster mode of bench-vs-kafka ({@code bin/bench-vs-kafka --cluster N}): per cluster — N Apache
 * Kafka KRaft nodes, then N Strata brokers — start it, wait until DescribeCluster lists every broker, warm it up,
 * run ProducerPerformance with acks=all per throughput case on a topic of replication factor 3, then measure failover
 * {@code --failover-runs} times: an idempotent producer in this JVM writes continuously to a topic of one partition,
 * the harness SIGKILLs the JVM of the broker DescribeTopics names as its leader, and times the first acknowledgement
 * from the new leader; the killed broker is restarted and awaited back in the ISR before the next run. Then stop the
 * cluster and delete its data.
 *
 * <p>The tables are printed and written with CSVs to {@code bench/target/bench-vs-kafka/<time>-cluster/}; every
 * broker's output (each start of a broker in files of its own) and each failover's timeline go to its {@code logs/}.
 */
public final class ClusterBenchVsKafka {

    /** Kept referenced: java.util.logging holds loggers weakly, and a collected one forgets its level. */
    private static final Logger KAFKA_CLIENT_LOGS = Logger.getLogger("org.apache.kafka");

    /** Acknowledged records before the kill: the producer is connected, warmed up and the epoch before is known. */
    private static final int ACKS_BEFORE_KILL = 200;
    private static final Duration ACKS_BEFORE_KILL_TIMEOUT = Duration.ofSeconds(60);
    /** A restarted broker catches up on a log of seconds of small records; this is ample on a busy machine. */
    private static final Duration REJOIN_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration EPOCH_READ_TIMEOUT = Duration.ofSeconds(30);
    /** How many acknowledgements either side of the kill a failover's timeline file shows. */
    private static final int TIMELINE_ACKS = 30;

    private final ClusterSettings settings;
    private final Cleanup cleanup;
    private final ProcessCpu cpu;
    private final Path runDir;
    private final Path logDir;
    private final List<String> notes = new ArrayList<>();
    private final Map<String, String> loadAverages = new LinkedHashMap<>();

    private ClusterBenchVsKafka(ClusterSettings settings, Cleanup cleanup, ProcessCpu cpu, Path runDir) {
        this.settings = settings;
        this.cleanup = cleanup;
        this.cpu = cpu;
        this.runDir = runDir;
        this.logDir = runDir.resolve("logs");
    }

    public static void main(String[] args) {
        ClusterSettings settings;
        try {
            settings = ClusterSettings.parse(args, System.getenv());
        } catch (BenchSettings.UsageRequested e) {
            System.out.println(ClusterSettings.USAGE);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("bench-vs-kafka --cluster: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (settings.scratchBase() != null) {
            System.setProperty("strata.bench.dir", settings.scratchBase().toAbsolutePath().toString());
        }
        // The clients retry while brokers start and die; their connection warnings are noise here.
        KAFKA_CLIENT_LOGS.setLevel(Level.SEVERE);
        Cleanup cleanup = Cleanup.onExit();
        boolean allRan;
        try {
            Path runDir = settings.outputDir().resolve(LocalDateTime.now()
                    .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)) + "-cluster");
            allRan = new ClusterBenchVsKafka(settings, cleanup, ProcessCpu.fromGetconf(), runDir).run();
        } finally {
            cleanup.closeAll();
        }
        System.exit(allRan ? 0 : 1);
    }

    /** Runs every cluster and writes the report; false if any measurement or cluster failed. */
    private boolean run() {
        requireClasspaths();
        List<ClusterCase> cases = settings.cases();
        Map<String, Map<ClusterCase, ToolRun<ProducerFigures>>> throughput = new LinkedHashMap<>();
        Map<String, List<FailoverResult>> failovers = new LinkedHashMap<>();
        for (String broker : settings.brokers()) {
            Map<ClusterCase, ToolRun<ProducerFigures>> brokerThroughput = new LinkedHashMap<>();
            cases.forEach(clusterCase -> brokerThroughput.put(clusterCase, ToolRun.failed("not run")));
            throughput.put(broker, brokerThroughput);
            failovers.put(broker, new ArrayList<>());
            if (!cleanup.shuttingDown()) {
                runCluster(broker, brokerThroughput, failovers.get(broker));
            }
        }
        String report = header(cases) + "\n" + ClusterReport.throughputTable(cases, settings.brokers(), throughput)
                + "\n" + ClusterReport.failoverTable(settings.failoverRuns(), settings.brokers(), failovers) + "\n"
                + ClusterReport.LEGEND + "\n"
                + (notes.isEmpty() ? "" : "\nNotes:\n- " + String.join("\n- ", notes) + "\n");
        Path reportFile = runDir.resolve("report.txt");
        KafkaLauncher.write(reportFile, report);
        KafkaLauncher.write(runDir.resolve("throughput.csv"),
                ClusterReport.throughputCsv(cases, settings.brokers(), throughput));
        KafkaLauncher.write(runDir.resolve("failover.csv"), ClusterReport.failoverCsv(settings.brokers(), failovers));
        KafkaLauncher.write(settings.outputDir().resolve("latest-cluster-report.txt"), report);
        System.out.println();
        System.out.println(report);
        System.out.println("Report: " + reportFile + " (also " + settings.outputDir().resolve(
                "latest-cluster-report.txt") + "); CSVs beside it; broker, tool and failover logs in " + logDir);
        return notes.isEmpty();
    }

    private void runCluster(String name, Map<ClusterCase, ToolRun<ProducerFigures>> throughput,
                            List<FailoverResult> failovers) {
        String loadBefore = BenchVsKafka.loadAverage();
        System.out.println("== " + name + " cluster of " + settings.nodes() + ": starting (load average " + loadBefore
                + ")");
        long startNanos = System.nanoTime();
        try {
            BrokerCluster cluster = name.equals(BenchSettings.KAFKA)
                    ? KafkaClusterLauncher.start(settings, logDir, cpu, cleanup)
                    : StrataClusterLauncher.start(settings, logDir, cpu, cleanup);
            try (ClusterAdmin admin = ClusterAdmin.awaitReady(cluster, settings.startTimeout())) {
                System.out.printf(Locale.ROOT, "== %s: %d brokers ready at %s after %.1f s%n", name,
                        settings.nodes(), cluster.bootstrapServers(), (System.nanoTime() - startNanos) / 1e9);
                KafkaTools tools = new KafkaTools(settings.toolsLib(), logDir, settings.toolTimeout(), cleanup);
                warmUp(cluster, admin, tools);
                for (ClusterCase clusterCase : settings.cases()) {
                    if (cleanup.shuttingDown() || !requireAllAlive(cluster, "throughput cases")) {
                        break;
                    }
                    throughput.put(clusterCase, runCase(cluster, admin, tools, clusterCase));
                }
                for (int run = 1; run <= settings.failoverRuns(); run++) {
                    if (cleanup.shuttingDown() || !requireAllAlive(cluster, "failover runs")) {
                        break;
                    }
                    FailoverResult result = failover(cluster, admin, run);
                    failovers.add(result);
                    if (result.killedNode() > 0 && run < settings.failoverRuns()
                            && !restart(cluster, admin, "bench-failover-" + run, result.killedNode())) {
                        break;
                    }
                }
            }
        } catch (RuntimeException e) {
            notes.add(name + " cluster failed: " + BenchVsKafka.firstLine(e.getMessage()) + " (broker output in "
                    + logDir + ")");
            System.err.println("== " + name + " failed: " + e.getMessage());
        } finally {
            loadAverages.put(name, loadBefore + " before, " + BenchVsKafka.loadAverage() + " after");
            // Nothing but this cluster, its scratch directory and its tools is open here.
            cleanup.closeAll();
            System.out.println("== " + name + ": stopped, data deleted");
        }
    }

    /** False, with a note, if a broker of {@code cluster} has exited, so that what follows is not run. */
    private boolean requireAllAlive(BrokerCluster cluster, String what) {
        if (cluster.deadNodes().isEmpty()) {
            return true;
        }
        notes.add(cluster.name() + ": " + cluster.deadNodes() + " exited; the " + what + " after it were not run");
        return false;
    }

    /** One unmeasured ProducerPerformance pass, so the first case does not pay for JIT compilation. */
    private void warmUp(BrokerCluster cluster, ClusterAdmin admin, KafkaTools tools) {
        if (settings.warmupRecords() == 0) {
            return;
        }
        ClusterCase like = settings.cases().get(0);
        System.out.println("   warm-up: " + settings.warmupRecords() + " records of " + like.recordBytes() + " B");
        try {
            admin.createTopic("bench-cluster-warmup", like.partitions());
            tools.produce(cluster.bootstrapServers(), "bench-cluster-warmup", settings.warmupRecords(),
                    like.recordBytes(), "all", -1, KafkaTools.Transactions.NONE,
                    cluster.name() + "-cluster-warmup-produce");
        } catch (RuntimeException e) {
            notes.add(cluster.name() + " warm-up failed: " + BenchVsKafka.firstLine(e.getMessage()));
        }
    }

    private ToolRun<ProducerFigures> runCase(BrokerCluster cluster, ClusterAdmin admin, KafkaTools tools,
                                             ClusterCase clusterCase) {
        String name = cluster.name();
        System.out.println("   " + clusterCase.label());
        try {
            admin.createTopic(clusterCase.topic(), clusterCase.partitions());
            double cpuBefore = cluster.cpuSeconds();
            long startNanos = System.nanoTime();
            ProducerFigures figures = tools.produce(cluster.bootstrapServers(), clusterCase.topic(),
                    settings.records(), clusterCase.recordBytes(), "all", -1, KafkaTools.Transactions.NONE,
                    name + "-cluster-" + clusterCase.id() + "-produce");
            double cpuSeconds = cluster.cpuSeconds() - cpuBefore;
            if (!cluster.deadNodes().isEmpty()) {
                throw new IllegalStateException(cluster.deadNodes() + " exited while ProducerPerformance ran");
            }
            ToolRun<ProducerFigures> run = ToolRun.succeeded(figures, figures.records(), cpuSeconds);
            System.out.printf(Locale.ROOT, "     ProducerPerformance %6.1f s wall, %.0f rec/s, p99 %d ms, brokers %.2f"
                            + " CPU-s%n", (System.nanoTime() - startNanos) / 1e9, figures.recordsPerSecond(),
                    figures.latencyMsP99(), cpuSeconds);
            if (figures.records() != settings.records()) {
                notes.add(name + ", " + clusterCase.label() + ": ProducerPerformance sent " + figures.records()
                        + " of " + settings.records() + " records");
            }
            return run;
        } catch (RuntimeException e) {
            notes.add(name + ", " + clusterCase.label() + ": " + BenchVsKafka.firstLine(e.getMessage())
                    + " (output in " + logDir + ")");
            System.out.println("     FAILED: " + BenchVsKafka.firstLine(e.getMessage()));
            return ToolRun.failed(e.getMessage());
        }
    }

    /** One failover run on a topic of its own; the killed broker (if one was) is left dead. */
    private FailoverResult failover(BrokerCluster cluster, ClusterAdmin admin, int run) {
        String topic = "bench-failover-" + run;
        Optional<List<Integer>> replicas = settings.failoverReplicas(run,
                cluster.nodes().stream().map(ClusterNode::nodeId).toList(), admin.controller());
        admin.createTopic(topic, replicas);
        int leader = -1;
        FailoverResult result;
        try (FailoverProbe probe = FailoverProbe.start(cluster.bootstrapServers(), topic,
                Duration.ofMillis(settings.probeIntervalMs()), probeRecordsMax())) {
            probe.awaitAcknowledged(ACKS_BEFORE_KILL, ACKS_BEFORE_KILL_TIMEOUT);
            leader = admin.leaderOf(topic);
            if (replicas.isPresent() && leader != replicas.get().get(0)) {
                notes.add(cluster.name() + " failover run " + run + ": " + topic + " was placed on " + replicas.get()
                        + " but DescribeTopics names " + leader + " its leader; killed " + leader);
            }
            Optional<Integer> controller = admin.controller();
            ClusterNode victim = cluster.node(leader);
            System.out.printf(Locale.ROOT, "   failover run %d: SIGKILL node %d (pid %d), the leader of %s-0%s%n", run,
                    leader, victim.pid(), topic, controller.map(id -> ", active controller " + id).orElse(""));
            long killNanos = victim.kill();
            LocalDateTime killedAt = LocalDateTime.now();
            long newLeaderKnownNanos = 0;
            String waitFailure = null;
            try {
                newLeaderKnownNanos = probe.awaitNewLeaderKnown(leader, settings.failoverTimeout());
                probe.awaitAcknowledgedSentAfter(killNanos, settings.failoverTimeout());
            } catch (RuntimeException e) {
                // Not getMessage: it is null for some exceptions, and null here would mean the wait succeeded.
                waitFailure = e.toString();
            }
            List<FailoverProbe.Ack> acks = probe.stop();
            int killed = leader;
            // Without a new leader the records cannot be read back; the timeline then shows no epochs.
            Map<Long, Integer> epochs = waitFailure == null ? leaderEpochs(cluster, topic, acks, killNanos) : Map.of();
            result = waitFailure != null ? FailoverResult.failed(run, leader, waitFailure)
                    : FailoverResult.of(run, leader, controller.map(id -> id == killed),
                            admin.describePartition(topic), acks, killNanos, newLeaderKnownNanos, epochs);
            writeTimeline(cluster.name(), topic, run, victim, killedAt, acks, killNanos, epochs, result);
        } catch (RuntimeException e) {
            result = FailoverResult.failed(run, leader, BenchVsKafka.firstLine(e.toString()));
        }
        System.out.println("     " + result.describe());
        if (!result.ok()) {
            notes.add(cluster.name() + " failover " + result.describe() + " (broker output in " + logDir + ")");
        }
        return result;
    }

    /**
     * Restarts the killed node and waits until it is back in the ISR of {@code topic} and in the controller quorum;
     * false, with a note, if it does
     * not come back, which ends the cluster's failover runs.
     */
    private boolean restart(BrokerCluster cluster, ClusterAdmin admin, String topic, int nodeId) {
        ClusterNode node = cluster.node(nodeId);
        long startNanos = System.nanoTime();
        try {
            node.restart();
            admin.awaitAllNodes(settings.startTimeout());
            admin.awaitInSync(topic, nodeId, REJOIN_TIMEOUT);
            admin.awaitControllerQuorum(REJOIN_TIMEOUT);
        } catch (RuntimeException e) {
            notes.add(cluster.name() + ": node " + nodeId + " did not come back after its kill, so the failover runs"
                    + " after it were not run: " + BenchVsKafka.firstLine(e.getMessage()));
            System.out.println("     restart of node " + nodeId + " FAILED: " + e.getMessage());
            return false;
        }
        System.out.printf(Locale.ROOT, "     node %d restarted (pid %d) and back in the ISR of %s-0 after %.1f s%n",
                nodeId, node.pid(), topic, (System.nanoTime() - startNanos) / 1e9);
        return true;
    }

    /** The leader epochs of the records around the kill: the timeline's before the kill, and all after it. */
    private static Map<Long, Integer> leaderEpochs(BrokerCluster cluster, String topic, List<FailoverProbe.Ack> acks,
                                                   long killNanos) {
        List<FailoverProbe.Ack> before = acks.stream().filter(ack -> ack.ok() && ack.ackNanos() - killNanos <= 0)
                .sorted(Comparator.comparingLong(FailoverProbe.Ack::ackNanos)).toList();
        List<Long> offsets = new ArrayList<>(before.subList(Math.max(0, before.size() - TIMELINE_ACKS), before.size())
                .stream().map(FailoverProbe.Ack::offset).toList());
        acks.stream().filter(ack -> ack.ok() && ack.ackNanos() - killNanos > 0)
                .forEach(ack -> offsets.add(ack.offset()));
        return FailoverProbe.leaderEpochs(cluster.bootstrapServers(), topic, offsets, EPOCH_READ_TIMEOUT);
    }

    /**
     * {@code <broker>-failover-run<N>.txt}: the acknowledgements either side of the kill with their offsets, leader
     * epochs and times relative to it, and the producer's errors, for reading a slow or failed failover.
     */
    private void writeTimeline(String broker, String topic, int run, ClusterNode victim, LocalDateTime killedAt,
                               List<FailoverProbe.Ack> acks, long killNanos, Map<Long, Integer> epochs,
                               FailoverResult result) {
        List<FailoverProbe.Ack> byAckTime = acks.stream()
                .sorted(Comparator.comparingLong(FailoverProbe.Ack::ackNanos)).toList();
        List<FailoverProbe.Ack> before = byAckTime.stream().filter(ack -> ack.ackNanos() - killNanos <= 0).toList();
        List<FailoverProbe.Ack> after = byAckTime.stream().filter(ack -> ack.ackNanos() - killNanos > 0).toList();
        StringBuilder timeline = new StringBuilder();
        timeline.append(String.format(Locale.ROOT, "%s failover run %d: topic %s, SIGKILL of node %d at %s"
                        + " (the brokers' log clock; its output: %s)%n%s%n"
                        + "%d records sent, %d acknowledged, %d failed. Times in ms from the kill; epoch -1: not"
                        + " read back.%n%nseq        sent_ms    acked_ms    offset  epoch  error%n", broker,
                run, topic, victim.nodeId(), killedAt.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS",
                        Locale.ROOT)), victim.process().logFiles(), result.describe(), acks.size(),
                acks.stream().filter(FailoverProbe.Ack::ok).count(),
                acks.stream().filter(ack -> !ack.ok()).count()));
        List<FailoverProbe.Ack> shown = new ArrayList<>(before.subList(Math.max(0, before.size() - TIMELINE_ACKS),
                before.size()));
        shown.add(null);
        shown.addAll(after.subList(0, Math.min(after.size(), 10 * TIMELINE_ACKS)));
        boolean newLeaderMarked = Double.isNaN(result.newLeaderKnownMs());
        for (FailoverProbe.Ack ack : shown) {
            if (ack == null) {
                timeline.append("---- SIGKILL ----\n");
                continue;
            }
            if (!newLeaderMarked && (ack.ackNanos() - killNanos) / 1e6 >= result.newLeaderKnownMs()) {
                timeline.append(String.format(Locale.ROOT, "---- +%.1f ms: the producer's metadata names the new"
                        + " leader ----%n", result.newLeaderKnownMs()));
                newLeaderMarked = true;
            }
            timeline.append(String.format(Locale.ROOT, "%-8d %9.1f %11.1f %9d %6d  %s%n", ack.sequence(),
                    (ack.sendNanos() - killNanos) / 1e6, (ack.ackNanos() - killNanos) / 1e6, ack.offset(),
                    epochs.getOrDefault(ack.offset(), -1), ack.ok() ? "" : ack.error()));
        }
        if (after.size() > 10 * TIMELINE_ACKS) {
            timeline.append("... ").append(after.size() - 10 * TIMELINE_ACKS).append(" more after the kill\n");
        }
        KafkaLauncher.write(logDir.resolve(broker + "-failover-run" + run + ".txt"), timeline.toString());
    }

    /** Enough records for the longest failover the run waits for, twice over; the probe stops there. */
    private long probeRecordsMax() {
        long failoverMs = ACKS_BEFORE_KILL_TIMEOUT.toMillis() + settings.failoverTimeout().toMillis();
        return Math.max(10_000, 2 * failoverMs / settings.probeIntervalMs());
    }

    private String header(List<ClusterCase> cases) {
        StringBuilder header = new StringBuilder();
        header.append(String.format(Locale.ROOT, "bench-vs-kafka --cluster %d %s: %d cores, Java %s%n",
                settings.nodes(),
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version")));
        for (String broker : settings.brokers()) {
            header.append(String.format(Locale.ROOT, "%-8s", broker + ":"));
            header.append(broker.equals(BenchSettings.KAFKA)
                    ? String.format(Locale.ROOT, "Apache Kafka %s, %d KRaft nodes each broker and controller (a static"
                            + " %d-voter quorum),%n        -Xmx1g each; broker.session.timeout.ms=%d,"
                            + " broker.heartbeat.interval.ms=%d", BenchVsKafka.jarVersion(settings.kafkaLib(),
                            "kafka_2.13-"), settings.nodes(), settings.nodes(), settings.brokerSessionTimeoutMs(),
                            settings.kafkaHeartbeatIntervalMs())
                    : String.format(Locale.ROOT, "%d brokers, each: %s%n        broker.session.timeout.ms=%d"
                            + " (Hazelcast's heartbeat timeout; heartbeats every 1 s)", settings.nodes(),
                            settings.strataCommand(), settings.brokerSessionTimeoutMs()))
                    .append('\n');
        }
        loadAverages.forEach((broker, load) -> header.append(String.format(Locale.ROOT,
                "load:   %s 1-minute load average %s its run%n", broker, load)));
        header.append(String.format(Locale.ROOT, "topics: replication factor %d, min.insync.replicas=%d; throughput:"
                        + " %d %s of %,d records (warm-up %,d)%n", ClusterSettings.REPLICATION_FACTOR,
                ClusterSettings.MIN_IN_SYNC_REPLICAS, cases.size(), cases.size() == 1 ? "case" : "cases",
                settings.records(), settings.warmupRecords()));
        header.append(String.format(Locale.ROOT, "        failover: 1 partition led by %s (--failover-leader %s),"
                        + " a %d B record every %d ms%n        (kafka-clients %s, idempotent, acks=all), %d %s; the"
                        + " killed broker restarted and back in the ISR between runs%n", leaderPlacement(),
                settings.failoverLeader(), FailoverProbe.RECORD_BYTES, settings.probeIntervalMs(),
                AppInfoParser.getVersion(), settings.failoverRuns(), settings.failoverRuns() == 1 ? "run" : "runs"));
        header.append(String.format(Locale.ROOT, "tools:  kafka-tools %s, one JVM per run%n",
                BenchVsKafka.jarVersion(settings.toolsLib(), "kafka-tools-")));
        return header.toString();
    }

    private String leaderPlacement() {
        return switch (settings.failoverLeader()) {
            case ClusterSettings.LEADER_NOT_CONTROLLER -> "a broker that is not the active controller";
            case ClusterSettings.LEADER_CONTROLLER -> "the active controller's broker";
            default -> "the broker the cluster chose";
        };
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
}

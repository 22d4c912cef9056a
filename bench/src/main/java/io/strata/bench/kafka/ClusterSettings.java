package io.strata.bench.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings of one {@code bin/bench-vs-kafka --cluster N} run, from command-line options and environment
 * variables. Kafka and Strata are measured with the same settings. Immutable.
 *
 * @param nodes                  brokers per cluster; the topics have replication factor 3, so at least 3
 * @param brokers                which clusters to run, in order: "kafka", "strata" or both
 * @param records                records ProducerPerformance sends per throughput case
 * @param warmupRecords          records sent once per cluster before the first case, not measured (0: none)
 * @param recordSizes            record sizes of the throughput cases, in bytes
 * @param partitions             partition counts of the throughput cases
 * @param failoverRuns           how many times the partition leader is killed per cluster
 * @param failoverLeader         where the failover topic's leader is placed: {@value #LEADER_NOT_CONTROLLER} (a
 *                               broker that is not the active controller, so a kill measures partition failover
 *                               alone), {@value #LEADER_CONTROLLER} (the controller: both fail over at once) or
 *                               {@value #LEADER_ANY} (wherever the cluster puts it)
 * @param brokerSessionTimeoutMs {@code broker.session.timeout.ms} of both: how long a silent broker lives on
 * @param probeIntervalMs        the failover producer sends a record every this many ms
 * @param strataCommand          shell command that starts one Strata broker of the cluster, placeholders filled in
 * @param startTimeout           how long a cluster may take until DescribeCluster shows every node
 * @param failoverTimeout        how long a failover may take before the run counts as failed
 * @param toolTimeout            how long one ProducerPerformance run may take
 * @param scratchBase            where the brokers' data go; null for {@code strata.bench.dir} or the system temp dir
 */
record ClusterSettings(int nodes, List<String> brokers, long records, long warmupRecords, List<Integer> recordSizes,
                       List<Integer> partitions, int failoverRuns, String failoverLeader, int brokerSessionTimeoutMs,
                       int probeIntervalMs,
                       String strataCommand, Duration startTimeout, Duration failoverTimeout, Duration toolTimeout,
                       Path kafkaLib, Path toolsLib, Path outputDir, Path scratchBase) {

    static final String CLUSTER_OPTION = "--cluster";
    /** Every topic the run creates has this many replicas and needs this many in sync to take an acks=all write. */
    static final int REPLICATION_FACTOR = 3;
    static final int MIN_IN_SYNC_REPLICAS = 2;

    static final String LEADER_NOT_CONTROLLER = "not-controller";
    static final String LEADER_CONTROLLER = "controller";
    static final String LEADER_ANY = "any";

    static final String DEFAULT_STRATA_COMMAND = "bin/strata-server --override node.id={nodeId}"
            + " --override listeners=PLAINTEXT://127.0.0.1:{port} --override log.dirs={logDir}"
            + " --override cluster.join=tcpip:{clusterMembers} --override cluster.port={clusterPort}"
            + " --override cluster.name={clusterName} --override broker.session.timeout.ms={sessionTimeoutMs}"
            + " --override default.replication.factor=" + REPLICATION_FACTOR
            + " --override min.insync.replicas=" + MIN_IN_SYNC_REPLICAS;
    /** Overrides {@link #DEFAULT_STRATA_COMMAND}; {@code --strata-cluster-cmd} overrides both. */
    static final String STRATA_COMMAND_ENV = "STRATA_BENCH_CLUSTER_CMD";
    /** The placeholders a Strata command cannot do without: each broker needs its own ports, id and data. */
    static final List<String> REQUIRED_PLACEHOLDERS = List.of("{nodeId}", "{port}", "{logDir}", "{clusterPort}",
            "{clusterMembers}");

    /** Bounds that keep a typo from filling the disk, the memory (a JVM of 1 GiB per node) or the afternoon. */
    private static final int NODES_MAX = 5;
    private static final long RECORDS_MAX = 100_000_000L;
    private static final int RECORD_BYTES_MAX = 1_048_576;
    private static final int PARTITIONS_MAX = 1_000;
    private static final int FAILOVER_RUNS_MAX = 20;
    private static final long TIMEOUT_SECONDS_MAX = 3_600;

    static final String USAGE = String.join("\n",
            "Usage: bin/bench-vs-kafka --cluster N [options]",
            "",
            "Starts a cluster of N Apache Kafka brokers (KRaft, each broker and controller, an N-voter quorum),",
            "then one of N Strata brokers (bin/strata-server, clustered over Hazelcast), and against each measures:",
            "- throughput: ProducerPerformance with acks=all on topics of replication factor " + REPLICATION_FACTOR
                    + " and min.insync.replicas=" + MIN_IN_SYNC_REPLICAS + ": records/s, MB/s, p50/p99 latency",
            "  and the CPU-seconds of all brokers per million records;",
            "- failover: while an idempotent acks=all producer writes a record every --probe-interval-ms to a",
            "  topic of one partition, SIGKILL the broker that leads it, and time the first write acknowledged by",
            "  the new leader (its record carries a newer leader epoch); then restart the killed broker and wait",
            "  until it is back in the ISR. --failover-runs times, reported each and as the median.",
            "",
            "Options (defaults in brackets):",
            "  --cluster N           brokers per cluster, at least " + REPLICATION_FACTOR + "             [3]",
            "  --brokers LIST        kafka, strata or both, run in the order given      [kafka,strata]",
            "  --records N           records ProducerPerformance sends per case         [200000]",
            "  --warmup-records N    records sent per cluster before the cases, unmeasured [50000]",
            "  --record-sizes LIST   record sizes in bytes                              [1024,100]",
            "  --partitions LIST     partitions per throughput topic                    [6]",
            "  --failover-runs N     leader kills per cluster (0: none)                 [3]",
            "  --failover-leader P   where the killed leader is placed: not-controller (partition failover alone),",
            "                        controller (the active controller fails over too), any (where the cluster",
            "                        puts it)                                           [not-controller]",
            "  --session-timeout-ms N  broker.session.timeout.ms of both clusters       [3000]",
            "  --probe-interval-ms N the failover producer sends a record every N ms    [1]",
            "  --strata-cluster-cmd CMD  shell command that starts one Strata broker; {nodeId}, {port}, {logDir},",
            "                        {clusterPort}, {clusterMembers} (every broker's host:clusterPort, comma-",
            "                        separated), {clusterName} and {sessionTimeoutMs} are filled in",
            "                        [$" + STRATA_COMMAND_ENV + ", else:",
            "                        " + DEFAULT_STRATA_COMMAND + "]",
            "  --start-timeout-s N   seconds a cluster may take until every broker is in DescribeCluster [180]",
            "  --failover-timeout-s N  seconds from the kill to the new leader's first acknowledgement [60]",
            "  --tool-timeout-s N    seconds one ProducerPerformance run may take       [600]",
            "  --kafka-lib DIR       Kafka broker classpath          [bench/target/kafka-broker-lib]",
            "  --tools-lib DIR       kafka-tools classpath           [bench/target/kafka-tools-lib]",
            "  --out DIR             where reports and logs go       [bench/target/bench-vs-kafka]",
            "  --scratch-dir DIR     where the brokers' data go, deleted at exit  [the system temp dir]");

    ClusterSettings {
        brokers = List.copyOf(brokers);
        recordSizes = List.copyOf(recordSizes);
        partitions = List.copyOf(partitions);
        BenchSettings.requireInRange(CLUSTER_OPTION, nodes, REPLICATION_FACTOR, NODES_MAX);
        List<String> kinds = List.of(BenchSettings.KAFKA, BenchSettings.STRATA);
        if (brokers.isEmpty() || !kinds.containsAll(brokers) || brokers.stream().distinct().count() != brokers.size()) {
            throw new IllegalArgumentException("--brokers with --cluster takes kafka, strata or both, each at most"
                    + " once, comma-separated: " + brokers);
        }
        if (brokers.contains(BenchSettings.STRATA)) {
            for (String placeholder : REQUIRED_PLACEHOLDERS) {
                if (!strataCommand.contains(placeholder)) {
                    throw new IllegalArgumentException("the Strata cluster command must contain " + placeholder
                            + " (every one of " + REQUIRED_PLACEHOLDERS + "): " + strataCommand);
                }
            }
        }
        BenchSettings.requireInRange("--records", records, 1, RECORDS_MAX);
        BenchSettings.requireInRange("--warmup-records", warmupRecords, 0, RECORDS_MAX);
        if (recordSizes.isEmpty() || partitions.isEmpty()) {
            throw new IllegalArgumentException("--record-sizes and --partitions each need at least one value");
        }
        recordSizes.forEach(size -> BenchSettings.requireInRange("--record-sizes", size, 1, RECORD_BYTES_MAX));
        partitions.forEach(count -> BenchSettings.requireInRange("--partitions", count, 1, PARTITIONS_MAX));
        BenchSettings.requireInRange("--failover-runs", failoverRuns, 0, FAILOVER_RUNS_MAX);
        if (!List.of(LEADER_NOT_CONTROLLER, LEADER_CONTROLLER, LEADER_ANY).contains(failoverLeader)) {
            throw new IllegalArgumentException("--failover-leader takes " + LEADER_NOT_CONTROLLER + ", "
                    + LEADER_CONTROLLER + " or " + LEADER_ANY + ": " + failoverLeader);
        }
        // Strata's floor; Kafka's heartbeat interval (a third of it) must stay below it.
        BenchSettings.requireInRange("--session-timeout-ms", brokerSessionTimeoutMs, 2_000, 600_000);
        BenchSettings.requireInRange("--probe-interval-ms", probeIntervalMs, 1, 1_000);
        BenchSettings.requireInRange("--start-timeout-s", startTimeout.toSeconds(), 1, TIMEOUT_SECONDS_MAX);
        BenchSettings.requireInRange("--failover-timeout-s", failoverTimeout.toSeconds(), 1, TIMEOUT_SECONDS_MAX);
        BenchSettings.requireInRange("--tool-timeout-s", toolTimeout.toSeconds(), 1, TIMEOUT_SECONDS_MAX);
    }

    /** Whether {@code args} ask for the cluster run, which {@link ClusterBenchVsKafka} does. */
    static boolean requested(String[] args) {
        return List.of(args).contains(CLUSTER_OPTION);
    }

    /** Parses {@code args}; {@code environment} supplies {@value #STRATA_COMMAND_ENV}. */
    static ClusterSettings parse(String[] args, Map<String, String> environment) {
        int nodes = 3;
        List<String> brokers = List.of(BenchSettings.KAFKA, BenchSettings.STRATA);
        long records = 200_000;
        long warmupRecords = 50_000;
        List<Integer> recordSizes = List.of(1024, 100);
        List<Integer> partitions = List.of(6);
        int failoverRuns = 3;
        String failoverLeader = LEADER_NOT_CONTROLLER;
        int sessionTimeoutMs = 3_000;
        int probeIntervalMs = 1;
        String strataCommand = environment.getOrDefault(STRATA_COMMAND_ENV, DEFAULT_STRATA_COMMAND);
        Duration startTimeout = Duration.ofSeconds(180);
        Duration failoverTimeout = Duration.ofSeconds(60);
        Duration toolTimeout = Duration.ofSeconds(600);
        Path kafkaLib = Path.of("bench/target/kafka-broker-lib");
        Path toolsLib = Path.of("bench/target/kafka-tools-lib");
        Path outputDir = Path.of("bench/target/bench-vs-kafka");
        Path scratchBase = null;

        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("-h") || option.equals("--help")) {
                throw new BenchSettings.UsageRequested();
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value (or is unknown); see"
                        + " --cluster 3 --help");
            }
            String value = args[++i];
            switch (option) {
                case CLUSTER_OPTION -> nodes = Integer.parseInt(value);
                case "--brokers" -> brokers = BenchSettings.strings(value);
                case "--records" -> records = Long.parseLong(value);
                case "--warmup-records" -> warmupRecords = Long.parseLong(value);
                case "--record-sizes" -> recordSizes = BenchSettings.integers(value);
                case "--partitions" -> partitions = BenchSettings.integers(value);
                case "--failover-runs" -> failoverRuns = Integer.parseInt(value);
                case "--failover-leader" -> failoverLeader = value;
                case "--session-timeout-ms" -> sessionTimeoutMs = Integer.parseInt(value);
                case "--probe-interval-ms" -> probeIntervalMs = Integer.parseInt(value);
                case "--strata-cluster-cmd" -> strataCommand = value;
                case "--start-timeout-s" -> startTimeout = Duration.ofSeconds(Long.parseLong(value));
                case "--failover-timeout-s" -> failoverTimeout = Duration.ofSeconds(Long.parseLong(value));
                case "--tool-timeout-s" -> toolTimeout = Duration.ofSeconds(Long.parseLong(value));
                case "--kafka-lib" -> kafkaLib = Path.of(value);
                case "--tools-lib" -> toolsLib = Path.of(value);
                case "--out" -> outputDir = Path.of(value);
                case "--scratch-dir" -> scratchBase = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + option + " with --cluster; see"
                        + " --cluster 3 --help");
            }
        }
        return new ClusterSettings(nodes, brokers, records, warmupRecords, recordSizes, partitions, failoverRuns,
                failoverLeader, sessionTimeoutMs, probeIntervalMs, strataCommand, startTimeout, failoverTimeout,
                toolTimeout, kafkaLib, toolsLib, outputDir, scratchBase);
    }

    /** The throughput cases: every record size with every partition count, record size outermost. */
    List<ClusterCase> cases() {
        return recordSizes.stream().flatMap(bytes -> partitions.stream().map(count -> new ClusterCase(bytes, count)))
                .toList();
    }

    /**
     * The replicas of failover run {@code run}'s partition, its intended leader first, as {@link #failoverLeader}
     * places it; empty for {@value #LEADER_ANY}. Runs take turns over the eligible brokers, so that not the same one
     * is killed every time.
     *
     * @param nodeIds    the cluster's node ids
     * @param controller the active controller's node id, required unless {@value #LEADER_ANY}
     */
    Optional<List<Integer>> failoverReplicas(int run, List<Integer> nodeIds, Optional<Integer> controller) {
        if (failoverLeader.equals(LEADER_ANY)) {
            return Optional.empty();
        }
        int controllerId = controller.orElseThrow(() -> new IllegalStateException("--failover-leader "
                + failoverLeader + " needs the active controller, which the cluster did not name"));
        List<Integer> eligible = failoverLeader.equals(LEADER_CONTROLLER) ? List.of(controllerId)
                : nodeIds.stream().filter(id -> id != controllerId).toList();
        int leader = eligible.get((run - 1) % eligible.size());
        int leaderIndex = nodeIds.indexOf(leader);
        List<Integer> replicas = new ArrayList<>();
        for (int i = 0; i < REPLICATION_FACTOR; i++) {
            replicas.add(nodeIds.get((leaderIndex + i) % nodeIds.size()));
        }
        return Optional.of(replicas);
    }

    /**
     * The Kafka broker's heartbeat interval: a third of the session timeout (Kafka's defaults are 2 s of 9 s), so a
     * live broker is not fenced for one late heartbeat, as Hazelcast sends Strata's every second.
     */
    int kafkaHeartbeatIntervalMs() {
        return Math.max(500, Math.min(2_000, brokerSessionTimeoutMs / 3));
    }
}

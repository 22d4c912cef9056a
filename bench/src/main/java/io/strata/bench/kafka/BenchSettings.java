package io.strata.bench.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The settings of one bench-vs-kafka run, from command-line options and environment variables. Every broker is
 * measured with the same settings. Immutable.
 *
 * @param brokers          which brokers to run, in order: any of "kafka", "strata" (standalone) and "strata-micro"
 *                         (Strata on Payara Micro), each at most once
 * @param records          records ProducerPerformance sends and ConsumerPerformance reads, per case
 * @param latencyRecords   records EndToEndLatency sends one at a time, per case
 * @param warmupRecords    records sent and read once per broker before the first case, not measured (0: none)
 * @param transactionDurationMs {@link BenchCase#NOT_TRANSACTIONAL}, or every case is transactional: its producer
 *                         commits a transaction every this many ms and its consumer reads with read_committed
 * @param consumers        how each case's records are read: classic and KIP-848 consumer groups
 *                         (ConsumerPerformance), share groups (ShareConsumerPerformance with N consumers); every
 *                         case is run once per kind
 * @param producerThroughputMax ProducerPerformance's {@code --throughput}; -1 sends as fast as it can
 * @param strataCommand    shell command that starts Strata standalone; {@code {port}} and {@code {logDir}} are
 *                         filled in
 * @param strataMicroCommand shell command that starts Strata on Payara Micro; {@code {port}}, {@code {logDir}} and
 *                         {@code {httpPort}} (Payara Micro's HTTP port) are filled in
 * @param startTimeout     how long Kafka or Strata standalone may take to answer the Admin client
 * @param strataMicroStartTimeout how long Strata on Payara Micro may take: the container deploys the WAR first, and
 *                         {@code bin/strata-micro} rebuilds it when its sources changed
 * @param scratchBase      where the brokers' scratch directories go; null for {@code strata.bench.dir} or the system
 *                         temporary directory
 */
record BenchSettings(List<String> brokers, long records, int latencyRecords, long warmupRecords,
                     List<Integer> recordSizes, List<String> acks, List<Integer> partitions,
                     int transactionDurationMs, List<GroupConsumer> consumers, int producerThroughputMax,
                     String strataCommand,
                     String strataMicroCommand, Duration startTimeout, Duration strataMicroStartTimeout,
                     Duration toolTimeout,
                     Path kafkaLib, Path toolsLib, Path outputDir, Path scratchBase) {

    static final String KAFKA = "kafka";
    static final String STRATA = "strata";
    static final String STRATA_MICRO = "strata-micro";
    /** Every broker kind {@code --brokers} takes, in the order the default run and the report name them. */
    static final List<String> BROKER_KINDS = List.of(KAFKA, STRATA, STRATA_MICRO);

    /**
     * Like Kafka's generated {@code server.properties} ({@link KafkaLauncher#serverProperties}), no initial rebalance
     * delay: the consumer's group forms as soon as it joins, and the broker's CPU over ConsumerPerformance's run is
     * not counted over three idle seconds more than Kafka's.
     */
    static final String DEFAULT_STRATA_COMMAND = "bin/strata-server --override log.dirs={logDir}"
            + " --override listeners=PLAINTEXT://127.0.0.1:{port} --override group.initial.rebalance.delay.ms=0";
    /** The environment variable that overrides {@link #DEFAULT_STRATA_COMMAND}; {@code --strata-cmd} overrides both. */
    static final String STRATA_COMMAND_ENV = "STRATA_BENCH_SERVER_CMD";

    static final String DEFAULT_STRATA_MICRO_COMMAND = "STRATA_LISTENERS=PLAINTEXT://127.0.0.1:{port}"
            + " STRATA_LOG_DIRS={logDir} STRATA_GROUP_INITIAL_REBALANCE_DELAY_MS=0 bin/strata-micro --port {httpPort}";
    /** Overrides {@link #DEFAULT_STRATA_MICRO_COMMAND}; {@code --strata-micro-cmd} overrides both. */
    static final String STRATA_MICRO_COMMAND_ENV = "STRATA_BENCH_MICRO_CMD";

    private static final Duration START_TIMEOUT_DEFAULT = Duration.ofSeconds(120);
    /** Payara Micro takes 20-30 s to deploy Strata on an idle machine; a rebuild of the WAR takes minutes. */
    private static final Duration STRATA_MICRO_START_TIMEOUT_DEFAULT = Duration.ofSeconds(300);

    /** Bounds that keep a typo from filling the disk or running for a day. */
    private static final long RECORDS_MAX = 100_000_000L;
    private static final int LATENCY_RECORDS_MAX = 1_000_000;
    private static final int RECORD_BYTES_MAX = 1_048_576;
    private static final int PARTITIONS_MAX = 1_000;
    private static final long START_TIMEOUT_SECONDS_MAX = 3_600;
    /**
     * The producer's default {@code transaction.timeout.ms}: a transaction open longer is aborted by the coordinator,
     * so a longer duration would measure aborts, not commits.
     */
    static final int TRANSACTION_DURATION_MS_MAX = 60_000;

    static final String USAGE = String.join("\n",
            "Usage: bin/bench-vs-kafka [options]",
            "",
            "Runs Kafka's own load tools (kafka-tools: ProducerPerformance, ConsumerPerformance,",
            "ShareConsumerPerformance, EndToEndLatency)",
            "against Apache Kafka, Strata standalone and Strata on Payara Micro (those --brokers names), one after",
            "the other with the same settings, and prints per case records/s, MB/s, p50/p99 latencies and broker",
            "CPU-seconds per million records, with ratio rows: strata/kafka when both ran, and strata-micro/strata,",
            "what the container costs, when both ran.",
            "",
            "bin/bench-vs-kafka --cluster 3 measures clusters of 3 replicating brokers instead: acks=all throughput",
            "and the failover time when a partition leader is killed; bin/bench-vs-kafka --cluster 3 --help.",
            "",
            "Options (defaults in brackets):",
            "  --brokers LIST        any of kafka, strata, strata-micro, run in the order given [kafka,strata]",
            "  --records N           records produced, then consumed, per case          [300000]",
            "  --e2e-records N       records EndToEndLatency sends per case             [2000]",
            "  --warmup-records N    records produced and consumed per broker, unmeasured [100000]",
            "  --record-sizes LIST   record sizes in bytes                              [100,1024]",
            "  --acks LIST           producer acks: 1, all or both  [1,all; all with --transaction-duration-ms]",
            "  --partitions LIST     partitions per topic                               [1,12]",
            "  --transaction-duration-ms N  makes every case transactional, N from 1 to " + TRANSACTION_DURATION_MS_MAX
                    + ": ProducerPerformance",
            "                        gets --transactional-id bench-<case> --transaction-duration-ms N (it commits",
            "                        every N ms; acks=all), ConsumerPerformance reads with",
            "                        isolation.level=read_committed, EndToEndLatency is not run (it has no",
            "                        transactional producer); the warm-up is transactional too  [no transactions]",
            "  --consumers LIST      who reads each case's records, each kind a case of its own: classic",
            "                        (ConsumerPerformance, group.protocol=classic), consumer (ConsumerPerformance,",
            "                        group.protocol=consumer, KIP-848), share-N (ShareConsumerPerformance --threads N:",
            "                        N KafkaShareConsumers in one share group, KIP-932, whose",
            "                        share.auto.offset.reset is set to earliest first; no transactions)  [classic]",
            "  --throughput N        ProducerPerformance --throughput; -1: unthrottled  [-1]",
            "  --strata-cmd CMD      shell command that starts Strata standalone; {port} and {logDir} are filled in",
            "                        [$" + STRATA_COMMAND_ENV + ", else:",
            "                        " + DEFAULT_STRATA_COMMAND + "]",
            "  --strata-micro-cmd CMD  shell command that starts Strata on Payara Micro; {port}, {logDir} and",
            "                        {httpPort} (Payara Micro's HTTP port, which it must be given) are filled in",
            "                        [$" + STRATA_MICRO_COMMAND_ENV + ", else:",
            "                        " + DEFAULT_STRATA_MICRO_COMMAND + "]",
            "  --start-timeout-s N   seconds kafka or strata may take to answer the Admin client [120]",
            "  --strata-micro-start-timeout-s N  the same for strata-micro, which deploys a WAR (and",
            "                        bin/strata-micro rebuilds it first if its sources changed) [300]",
            "  --tool-timeout-s N    seconds one tool run may take before it is stopped [600]",
            "  --kafka-lib DIR       Kafka broker classpath          [bench/target/kafka-broker-lib]",
            "  --tools-lib DIR       kafka-tools classpath           [bench/target/kafka-tools-lib]",
            "  --out DIR             where reports and logs go       [bench/target/bench-vs-kafka]",
            "  --scratch-dir DIR     where the brokers' data go, deleted at exit  [the system temp dir]");

    BenchSettings {
        brokers = List.copyOf(brokers);
        recordSizes = List.copyOf(recordSizes);
        acks = List.copyOf(acks);
        partitions = List.copyOf(partitions);
        consumers = List.copyOf(consumers);
        if (brokers.isEmpty() || !BROKER_KINDS.containsAll(brokers)
                || brokers.stream().distinct().count() != brokers.size()) {
            throw new IllegalArgumentException("--brokers takes any of " + String.join(", ", BROKER_KINDS)
                    + ", each at most once, comma-separated: " + brokers);
        }
        // A command that cannot work fails here, not after another broker's run of many minutes.
        if (brokers.contains(STRATA)) {
            StrataLauncher.requirePlaceholders(STRATA, strataCommand);
        }
        if (brokers.contains(STRATA_MICRO)) {
            StrataLauncher.requirePlaceholders(STRATA_MICRO, strataMicroCommand);
        }
        requireInRange("--start-timeout-s", startTimeout.toSeconds(), 1, START_TIMEOUT_SECONDS_MAX);
        requireInRange("--strata-micro-start-timeout-s", strataMicroStartTimeout.toSeconds(), 1,
                START_TIMEOUT_SECONDS_MAX);
        requireInRange("--records", records, 1, RECORDS_MAX);
        requireInRange("--e2e-records", latencyRecords, 1, LATENCY_RECORDS_MAX);
        requireInRange("--warmup-records", warmupRecords, 0, RECORDS_MAX);
        recordSizes.forEach(size -> requireInRange("--record-sizes", size, 1, RECORD_BYTES_MAX));
        partitions.forEach(count -> requireInRange("--partitions", count, 1, PARTITIONS_MAX));
        if (producerThroughputMax == 0 || producerThroughputMax < -1) {
            throw new IllegalArgumentException("--throughput must be -1 (unthrottled) or positive: "
                    + producerThroughputMax);
        }
        if (transactionDurationMs != BenchCase.NOT_TRANSACTIONAL) {
            requireInRange("--transaction-duration-ms", transactionDurationMs, 1, TRANSACTION_DURATION_MS_MAX);
        }
        if (recordSizes.isEmpty() || acks.isEmpty() || partitions.isEmpty() || consumers.isEmpty()) {
            throw new IllegalArgumentException("--record-sizes, --acks, --partitions and --consumers each need at least"
                    + " one value");
        }
        if (consumers.stream().distinct().count() != consumers.size()) {
            throw new IllegalArgumentException("--consumers names a kind twice: " + consumers);
        }
        BenchCase.matrix(recordSizes, acks, partitions, transactionDurationMs, consumers);
    }

    /**
     * Parses {@code args}; {@code environment} supplies {@value #STRATA_COMMAND_ENV} and
     * {@value #STRATA_MICRO_COMMAND_ENV}.
     */
    static BenchSettings parse(String[] args, Map<String, String> environment) {
        List<String> brokers = List.of(KAFKA, STRATA);
        long records = 300_000;
        int latencyRecords = 2_000;
        long warmupRecords = 100_000;
        List<Integer> recordSizes = List.of(100, 1024);
        List<String> acks = null;
        List<Integer> partitions = List.of(1, 12);
        int transactionDurationMs = BenchCase.NOT_TRANSACTIONAL;
        List<GroupConsumer> consumers = List.of(GroupConsumer.CLASSIC_GROUP);
        int throughput = -1;
        String strataCommand = environment.getOrDefault(STRATA_COMMAND_ENV, DEFAULT_STRATA_COMMAND);
        String strataMicroCommand = environment.getOrDefault(STRATA_MICRO_COMMAND_ENV, DEFAULT_STRATA_MICRO_COMMAND);
        Duration startTimeout = START_TIMEOUT_DEFAULT;
        Duration strataMicroStartTimeout = STRATA_MICRO_START_TIMEOUT_DEFAULT;
        Duration toolTimeout = Duration.ofSeconds(600);
        Path kafkaLib = Path.of("bench/target/kafka-broker-lib");
        Path toolsLib = Path.of("bench/target/kafka-tools-lib");
        Path outputDir = Path.of("bench/target/bench-vs-kafka");
        Path scratchBase = null;

        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("-h") || option.equals("--help")) {
                throw new UsageRequested();
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value (or is unknown); see --help");
            }
            String value = args[++i];
            switch (option) {
                case "--brokers" -> brokers = strings(value);
                case "--records" -> records = Long.parseLong(value);
                case "--e2e-records" -> latencyRecords = Integer.parseInt(value);
                case "--warmup-records" -> warmupRecords = Long.parseLong(value);
                case "--record-sizes" -> recordSizes = integers(value);
                case "--acks" -> acks = strings(value);
                case "--partitions" -> partitions = integers(value);
                case "--transaction-duration-ms" -> transactionDurationMs = Integer.parseInt(value);
                case "--consumers" -> consumers = strings(value).stream().map(GroupConsumer::parse).toList();
                case "--throughput" -> throughput = Integer.parseInt(value);
                case "--strata-cmd" -> strataCommand = value;
                case "--strata-micro-cmd" -> strataMicroCommand = value;
                case "--start-timeout-s" -> startTimeout = Duration.ofSeconds(Long.parseLong(value));
                case "--strata-micro-start-timeout-s" ->
                        strataMicroStartTimeout = Duration.ofSeconds(Long.parseLong(value));
                case "--tool-timeout-s" -> toolTimeout = Duration.ofSeconds(Long.parseLong(value));
                case "--kafka-lib" -> kafkaLib = Path.of(value);
                case "--tools-lib" -> toolsLib = Path.of(value);
                case "--out" -> outputDir = Path.of(value);
                case "--scratch-dir" -> scratchBase = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + option + "; see --help");
            }
        }
        if (acks == null) {
            // Transactions take acks=all only, so asking for them must not also need --acks all.
            acks = transactionDurationMs == BenchCase.NOT_TRANSACTIONAL ? List.of("1", "all") : List.of("all");
        }
        return new BenchSettings(brokers, records, latencyRecords, warmupRecords, recordSizes, acks, partitions,
                transactionDurationMs, consumers, throughput, strataCommand, strataMicroCommand, startTimeout,
                strataMicroStartTimeout, toolTimeout, kafkaLib, toolsLib, outputDir, scratchBase);
    }

    List<BenchCase> cases() {
        return BenchCase.matrix(recordSizes, acks, partitions, transactionDurationMs, consumers);
    }

    boolean transactional() {
        return transactionDurationMs != BenchCase.NOT_TRANSACTIONAL;
    }

    /** The shell command that starts {@code broker}, which is "strata" or "strata-micro". */
    String commandOf(String broker) {
        return switch (broker) {
            case STRATA -> strataCommand;
            case STRATA_MICRO -> strataMicroCommand;
            default -> throw new IllegalArgumentException("no start command for broker " + broker
                    + "; Kafka is started from its classpath");
        };
    }

    /** How long {@code broker} may take from its start until it answers the Admin client. */
    Duration startTimeoutOf(String broker) {
        return broker.equals(STRATA_MICRO) ? strataMicroStartTimeout : startTimeout;
    }

    /** Thrown by {@link #parse} for {@code --help}. */
    static final class UsageRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageRequested() {
            super("usage requested", null, false, false);
        }
    }

    static void requireInRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + " must be between " + min + " and " + max + ": " + value);
        }
    }

    static List<String> strings(String value) {
        List<String> values = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                values.add(part.trim().toLowerCase(Locale.ROOT));
            }
        }
        return values;
    }

    static List<Integer> integers(String value) {
        return Arrays.stream(value.split(",")).filter(part -> !part.isBlank())
                .map(part -> Integer.parseInt(part.trim())).toList();
    }
}

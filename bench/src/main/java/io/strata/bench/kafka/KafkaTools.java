package io.strata.bench.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs kafka-tools' ProducerPerformance, ConsumerPerformance and EndToEndLatency, each in a JVM of its own (so its
 * CPU is not the broker's) with the kafka-tools classpath, and parses what they print. Each run's output is kept in
 * the log directory as {@code <name>.out} and {@code <name>.err}. Not thread-safe: runs one tool at a time.
 */
final class KafkaTools {

    /** The heap {@code kafka-producer-perf-test.sh} gives the tools, and a fixed locale for the numbers they print. */
    private static final List<String> TOOL_JVM_OPTIONS = List.of("-Xmx512m", "-XX:+UseG1GC",
            "-Djava.awt.headless=true", "-Duser.language=en", "-Duser.country=US");
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    /** How long ConsumerPerformance waits for the next record before it gives up (its {@code --timeout}). */
    private static final Duration CONSUMER_IDLE_TIMEOUT = Duration.ofSeconds(30);

    /** Warnings and errors of the tools' clients go to standard error, as with Kafka's {@code tools-log4j2.yaml}. */
    private static final String LOG4J_WARN_TO_STDERR = String.join("\n",
            "rootLogger.level = WARN",
            "rootLogger.appenderRef.stderr.ref = STDERR",
            "appender.stderr.type = Console",
            "appender.stderr.name = STDERR",
            "appender.stderr.target = SYSTEM_ERR",
            "appender.stderr.layout.type = PatternLayout",
            "appender.stderr.layout.pattern = [%d] %p %m (%c)%n",
            "");

    private final Path toolsLib;
    private final Path logDir;
    private final Path log4jConfig;
    private final Duration timeout;
    private final Cleanup cleanup;

    KafkaTools(Path toolsLib, Path logDir, Duration timeout, Cleanup cleanup) {
        this.toolsLib = toolsLib;
        this.logDir = logDir;
        this.log4jConfig = logDir.resolve("tools-log4j2.properties");
        this.timeout = timeout;
        this.cleanup = cleanup;
        KafkaLauncher.write(log4jConfig, LOG4J_WARN_TO_STDERR);
    }

    /**
     * Runs ProducerPerformance. With {@code transactions} other than {@link Transactions#NONE} it writes in
     * transactions, as {@code kafka-producer-perf-test.sh --transactional-id ID --transaction-duration-ms N} does;
     * {@code acks} must then be "all", which the tool's producer checks.
     */
    ProducerFigures produce(String bootstrapServers, String topic, long records, int recordBytes, String acks,
                            int throughputMax, Transactions transactions, String logName) {
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-server", bootstrapServers,
                "--topic", topic,
                "--num-records", Long.toString(records),
                "--record-size", Integer.toString(recordBytes),
                "--throughput", Integer.toString(throughputMax),
                "--command-property", "acks=" + acks));
        args.addAll(transactions.producerArguments());
        return ToolOutput.producer(run("org.apache.kafka.tools.ProducerPerformance", args, logName));
    }

    /**
     * Runs ConsumerPerformance; with {@code readCommitted} its consumer reads with
     * {@code isolation.level=read_committed}, so it sees a transaction's records only once the transaction commits.
     */
    ConsumerFigures consume(String bootstrapServers, String topic, long records, String group, boolean readCommitted,
                            String logName) {
        return consume(bootstrapServers, topic, records, group, readCommitted, GroupConsumer.CLASSIC_GROUP, logName);
    }

    /**
     * Reads {@code records} of {@code topic} as {@code consumer} says: ConsumerPerformance with its
     * {@code group.protocol}, or ShareConsumerPerformance with that many share consumers (whose group must start
     * at the earliest offset, which the caller sets: {@code share.auto.offset.reset} is a group config).
     */
    ConsumerFigures consume(String bootstrapServers, String topic, long records, String group, boolean readCommitted,
                            GroupConsumer consumer, String logName) {
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-server", bootstrapServers,
                "--topic", topic,
                "--num-records", Long.toString(records),
                "--group", group,
                "--timeout", Long.toString(CONSUMER_IDLE_TIMEOUT.toMillis())));
        if (consumer.share()) {
            if (readCommitted) {
                throw new IllegalArgumentException("share consumers take their isolation level from the group");
            }
            args.addAll(List.of("--threads", Integer.toString(consumer.threads())));
            return ToolOutput.shareConsumer(run("org.apache.kafka.tools.ShareConsumerPerformance", args, logName));
        }
        args.addAll(List.of("--command-property", "group.protocol=" + consumer.groupProtocol()));
        if (readCommitted) {
            args.addAll(List.of("--command-property", "isolation.level=read_committed"));
        }
        return ToolOutput.consumer(run("org.apache.kafka.tools.ConsumerPerformance", args, logName));
    }

    LatencyFigures endToEnd(String bootstrapServers, String topic, int records, String acks, int recordBytes,
                            String logName) {
        return ToolOutput.endToEnd(run("org.apache.kafka.tools.EndToEndLatency", List.of(
                "--bootstrap-server", bootstrapServers,
                "--topic", topic,
                "--num-records", Integer.toString(records),
                "--producer-acks", acks,
                "--record-size", Integer.toString(recordBytes)), logName));
    }

    /**
     * Whether ProducerPerformance writes in transactions. Immutable.
     *
     * @param transactionalId the producer's {@code transactional.id}; null for a producer without transactions
     * @param durationMs      how long each transaction lasts before it commits
     */
    record Transactions(String transactionalId, int durationMs) {

        static final Transactions NONE = new Transactions(null, BenchCase.NOT_TRANSACTIONAL);

        Transactions {
            if ((transactionalId == null) != (durationMs == BenchCase.NOT_TRANSACTIONAL) || durationMs < 0) {
                throw new IllegalArgumentException("a transactional producer needs both an id and a positive"
                        + " duration, a plain one neither: id " + transactionalId + ", duration " + durationMs + " ms");
            }
        }

        /** The transactions of {@code benchCase}'s producer. */
        static Transactions of(BenchCase benchCase) {
            return benchCase.transactional()
                    ? new Transactions(benchCase.transactionalId(), benchCase.transactionDurationMs()) : NONE;
        }

        List<String> producerArguments() {
            return transactionalId == null ? List.of() : List.of("--transactional-id", transactionalId,
                    "--transaction-duration-ms", Integer.toString(durationMs));
        }
    }

    private String run(String mainClass, List<String> args, String logName) {
        String simpleName = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        ChildProcess tool = ChildProcess.start(simpleName,
                KafkaLauncher.java(toolsLib, log4jConfig, TOOL_JVM_OPTIONS, mainClass, args),
                logDir, Map.of(), logDir.resolve(logName), STOP_GRACE, cleanup);
        try {
            int exit = tool.waitFor(timeout);
            if (exit != 0) {
                throw new IllegalStateException(simpleName + " exited with " + exit + "\n" + tool.tail(20));
            }
            return tool.stdout();
        } finally {
            cleanup.close(tool);
        }
    }
}

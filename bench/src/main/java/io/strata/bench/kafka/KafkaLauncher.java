package io.strata.bench.kafka;

import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts Apache Kafka from the jars in the Kafka broker classpath directory the way {@code kafka-server-start.sh}
 * would: one KRaft node that is both broker and controller, on loopback, storage formatted by
 * {@code kafka.tools.StorageTool format --standalone}, then {@code kafka.Kafka server.properties} in its own JVM with
 * the start script's heap and GC options. The generated {@code server.properties} and {@code log4j2.properties}
 * live in the scratch directory beside the log dir. Thread-safe (stateless).
 */
final class KafkaLauncher {

    /** The heap and GC options of {@code kafka-server-start.sh} and {@code kafka-run-class.sh}. */
    static final List<String> BROKER_JVM_OPTIONS = List.of("-Xms1g", "-Xmx1g", "-server", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");
    private static final Duration FORMAT_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private KafkaLauncher() {
    }

    static BrokerUnderTest start(Path kafkaLib, Path logDir, ProcessCpu cpu, Cleanup cleanup) {
        ScratchDir scratch = ScratchDir.create("strata-bench-kafka-", cleanup);
        List<Integer> ports = FreePorts.pick(2);
        int brokerPort = ports.get(0);
        int controllerPort = ports.get(1);
        Path config = scratch.path().resolve("server.properties");
        Path log4j = scratch.path().resolve("log4j2.properties");
        write(config, serverProperties(scratch.path().resolve("data"), brokerPort, controllerPort));
        write(log4j, LOG4J_INFO_TO_STDOUT);

        ChildProcess format = ChildProcess.start("kafka-storage-format",
                java(kafkaLib, log4j, List.of("-Xmx256m"), "kafka.tools.StorageTool", List.of("format",
                        "--config", config.toString(), "--cluster-id", Uuid.randomUuid().toString(), "--standalone")),
                scratch.path(), Map.of(), logDir.resolve("kafka-storage-format"), STOP_GRACE, cleanup);
        int formatExit = format.waitFor(FORMAT_TIMEOUT);
        cleanup.close(format);
        if (formatExit != 0) {
            throw new IllegalStateException("kafka.tools.StorageTool format exited with " + formatExit + "\n"
                    + format.tail(30));
        }

        ChildProcess broker = ChildProcess.start("kafka", java(kafkaLib, log4j, BROKER_JVM_OPTIONS, "kafka.Kafka",
                List.of(config.toString())), scratch.path(), Map.of(), logDir.resolve("kafka"), STOP_GRACE, cleanup);
        return cleanup.register(new BrokerUnderTest(BenchSettings.KAFKA, "127.0.0.1:" + brokerPort, broker, scratch,
                cpu));
    }

    /**
     * A single combined node, as Kafka's {@code config/server.properties} sets it up, with every internal topic at
     * replication factor 1 and no initial rebalance delay, so that a consumer group forms as soon as its member joins.
     */
    static String serverProperties(Path dataDir, int brokerPort, int controllerPort) {
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + brokerPort,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + dataDir,
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "");
    }

    /** Kafka's INFO log, request logging at WARN as in Kafka's own {@code config/log4j2.yaml}. */
    static final String LOG4J_INFO_TO_STDOUT = String.join("\n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.stdout.ref = STDOUT",
            "appender.stdout.type = Console",
            "appender.stdout.name = STDOUT",
            "appender.stdout.layout.type = PatternLayout",
            "appender.stdout.layout.pattern = [%d] %p %m (%c)%n",
            "logger.request.name = kafka.request.logger",
            "logger.request.level = WARN",
            "");

    static List<String> java(Path classpathDir, Path log4jConfig, List<String> jvmOptions, String mainClass,
                             List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dlog4j2.configurationFile=" + log4jConfig.toAbsolutePath());
        command.add("-cp");
        command.add(classpathDir.toAbsolutePath() + "/*");
        command.add(mainClass);
        command.addAll(args);
        return command;
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}

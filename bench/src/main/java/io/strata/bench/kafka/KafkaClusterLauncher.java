package io.strata.bench.kafka;

import org.apache.kafka.common.Uuid;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Starts a cluster of Apache Kafka brokers from the jars in the Kafka broker classpath directory: N KRaft nodes on
 * loopback, each both broker and controller, with a static N-voter controller quorum
 * ({@code controller.quorum.voters}), each with its own ports and log dir, all formatted by
 * {@code kafka.tools.StorageTool format} with one cluster id, then each {@code kafka.Kafka server-<id>.properties} in
 * its own JVM with the start script's heap and GC options. Config files live in the cluster's scratch directory beside
 * the log dirs. Thread-safe (stateless).
 */
final class KafkaClusterLauncher {

    private static final Duration FORMAT_TIMEOUT = Duration.ofMinutes(2);
    /** A controlled shutdown moves leadership away first; the cluster stops as a whole, so this rarely runs out. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private KafkaClusterLauncher() {
    }

    static BrokerCluster start(ClusterSettings settings, Path logDir, ProcessCpu cpu, Cleanup cleanup) {
        ScratchDir scratch = ScratchDir.create("strata-bench-kafka-cluster-", cleanup);
        int nodes = settings.nodes();
        List<Integer> ports = FreePorts.pick(2 * nodes);
        String voters = IntStream.rangeClosed(1, nodes)
                .mapToObj(id -> id + "@127.0.0.1:" + controllerPort(ports, id)).collect(Collectors.joining(","));
        Path log4j = scratch.path().resolve("log4j2.properties");
        KafkaLauncher.write(log4j, KafkaLauncher.LOG4J_INFO_TO_STDOUT);
        List<Path> configs = new ArrayList<>();
        for (int id = 1; id <= nodes; id++) {
            Path config = scratch.path().resolve("server-" + id + ".properties");
            KafkaLauncher.write(config, serverProperties(id, scratch.path().resolve("data-" + id),
                    brokerPort(ports, id), controllerPort(ports, id), voters, settings));
            configs.add(config);
        }
        format(settings.kafkaLib(), log4j, configs, scratch.path(), logDir, cleanup);

        List<ClusterNode> started = new ArrayList<>();
        for (int id = 1; id <= nodes; id++) {
            Path config = configs.get(id - 1);
            started.add(ClusterNode.start(id, "kafka-node" + id, "127.0.0.1:" + brokerPort(ports, id),
                    logName -> ChildProcess.start(logName, KafkaLauncher.java(settings.kafkaLib(), log4j,
                                    KafkaLauncher.BROKER_JVM_OPTIONS, "kafka.Kafka", List.of(config.toString())),
                            scratch.path(), Map.of(), logDir.resolve(logName), STOP_GRACE, cleanup),
                    cleanup));
        }
        return cleanup.register(new BrokerCluster(BenchSettings.KAFKA, started, scratch, cpu));
    }

    /**
     * One combined node of the cluster. Every internal topic is replicated to 3 with 2 in sync, as the benchmark
     * topics are; {@code broker.session.timeout.ms} is the run's, with the heartbeat at a third of it.
     */
    static String serverProperties(int nodeId, Path dataDir, int brokerPort, int controllerPort, String voters,
                                   ClusterSettings settings) {
        int replicas = ClusterSettings.REPLICATION_FACTOR;
        int minInSync = ClusterSettings.MIN_IN_SYNC_REPLICAS;
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + nodeId,
                "controller.quorum.voters=" + voters,
                "listeners=PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + brokerPort,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + dataDir,
                "num.partitions=1",
                "default.replication.factor=" + replicas,
                "min.insync.replicas=" + minInSync,
                "offsets.topic.replication.factor=" + replicas,
                "transaction.state.log.replication.factor=" + replicas,
                "transaction.state.log.min.isr=" + minInSync,
                "share.coordinator.state.topic.replication.factor=" + replicas,
                "share.coordinator.state.topic.min.isr=" + minInSync,
                "group.initial.rebalance.delay.ms=0",
                "broker.session.timeout.ms=" + settings.brokerSessionTimeoutMs(),
                "broker.heartbeat.interval.ms=" + settings.kafkaHeartbeatIntervalMs(),
                "");
    }

    /** Formats every node's log dir with one cluster id, all side by side: each takes seconds of JVM start. */
    private static void format(Path kafkaLib, Path log4j, List<Path> configs, Path workDir, Path logDir,
                               Cleanup cleanup) {
        String clusterId = Uuid.randomUuid().toString();
        List<ChildProcess> formats = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            String name = "kafka-storage-format-node" + (i + 1);
            formats.add(ChildProcess.start(name, KafkaLauncher.java(kafkaLib, log4j, List.of("-Xmx256m"),
                            "kafka.tools.StorageTool", List.of("format", "--config", configs.get(i).toString(),
                                    "--cluster-id", clusterId)),
                    workDir, Map.of(), logDir.resolve(name), STOP_GRACE, cleanup));
        }
        for (ChildProcess format : formats) {
            int exit = format.waitFor(FORMAT_TIMEOUT);
            cleanup.close(format);
            if (exit != 0) {
                throw new IllegalStateException("kafka.tools.StorageTool format (" + format.name() + ") exited with "
                        + exit + "\n" + format.tail(30));
            }
        }
    }

    private static int brokerPort(List<Integer> ports, int nodeId) {
        return ports.get(2 * (nodeId - 1));
    }

    private static int controllerPort(List<Integer> ports, int nodeId) {
        return ports.get(2 * (nodeId - 1) + 1);
    }
}

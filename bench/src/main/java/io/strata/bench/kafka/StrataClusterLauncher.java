package io.strata.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Starts a cluster of Strata brokers, each with the shell command of {@link ClusterSettings#strataCommand}, run by
 * {@code /bin/sh -c} from the repository root with its placeholders filled in: {@code {nodeId}} (1..N),
 * {@code {port}} (its Kafka listener), {@code {logDir}} (an empty directory of its own), {@code {clusterPort}} (its
 * Hazelcast port), {@code {clusterMembers}} (every broker's {@code 127.0.0.1:clusterPort}), {@code {clusterName}}
 * (new per run, so the brokers never join a stranger's cluster) and {@code {sessionTimeoutMs}}. The first broker is
 * started alone and the others once it listens, so the cluster forms around it. Thread-safe (stateless).
 */
final class StrataClusterLauncher {

    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private StrataClusterLauncher() {
    }

    /**
     * What a broker logs once it is in every CP group: three brokers elect their controller through the CP Subsystem,
     * whose Raft majority survives one failure at a time, so a restarted broker must be back before the next kill.
     */
    private static final String IN_CP_GROUPS = "is in every CP group";

    static BrokerCluster start(ClusterSettings settings, Path logDir, ProcessCpu cpu, Cleanup cleanup) {
        long deadlineNanos = System.nanoTime() + settings.startTimeout().toNanos();
        ScratchDir scratch = ScratchDir.create("strata-bench-strata-cluster-", cleanup);
        int nodes = settings.nodes();
        List<Integer> ports = FreePorts.pick(2 * nodes);
        String members = IntStream.rangeClosed(1, nodes).mapToObj(id -> "127.0.0.1:" + clusterPort(ports, id))
                .collect(Collectors.joining(","));
        String clusterName = "strata-bench-" + UUID.randomUUID().toString().substring(0, 8);
        List<ClusterNode> started = new ArrayList<>();
        for (int id = 1; id <= nodes; id++) {
            Path dataDir = createDirectory(scratch.path().resolve("data-" + id));
            String command = command(settings.strataCommand(), id, brokerPort(ports, id), dataDir,
                    clusterPort(ports, id), members, clusterName, settings.brokerSessionTimeoutMs());
            System.out.println("   strata node " + id + ": " + command);
            started.add(ClusterNode.start(id, "strata-node" + id, "127.0.0.1:" + brokerPort(ports, id),
                    logName -> ChildProcess.start(logName, List.of("/bin/sh", "-c", command),
                            Path.of("").toAbsolutePath(), Map.of(), logDir.resolve(logName), STOP_GRACE, cleanup),
                    cleanup, process -> process.output().contains(IN_CP_GROUPS)));
        }
        // All three started before any is awaited: a first start elects a controller before it listens, and with three
        // members the CP Subsystem elects none until all have joined. Every process is registered with Cleanup, so a
        // failure here leaves nothing behind.
        for (ClusterNode node : started) {
            ClusterAdmin.awaitListening(node, deadlineNanos);
        }
        return cleanup.register(new BrokerCluster(BenchSettings.STRATA, started, scratch, cpu));
    }

    static String command(String template, int nodeId, int port, Path dataDir, int clusterPort, String members,
                          String clusterName, int sessionTimeoutMs) {
        return template.replace("{nodeId}", Integer.toString(nodeId))
                .replace("{port}", Integer.toString(port))
                .replace("{logDir}", dataDir.toString())
                .replace("{clusterPort}", Integer.toString(clusterPort))
                .replace("{clusterMembers}", members)
                .replace("{clusterName}", clusterName)
                .replace("{sessionTimeoutMs}", Integer.toString(sessionTimeoutMs));
    }

    private static Path createDirectory(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    private static int brokerPort(List<Integer> ports, int nodeId) {
        return ports.get(2 * (nodeId - 1));
    }

    private static int clusterPort(List<Integer> ports, int nodeId) {
        return ports.get(2 * (nodeId - 1) + 1);
    }
}

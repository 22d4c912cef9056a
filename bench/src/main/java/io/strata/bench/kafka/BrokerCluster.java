package io.strata.bench.kafka;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A cluster of brokers the tools are pointed at: its nodes and the scratch directory that holds their data. Closing
 * it stops every node's process tree and deletes the scratch directory. Not thread-safe, except {@link #close}.
 */
final class BrokerCluster implements AutoCloseable {

    private final String name;
    private final List<ClusterNode> nodes;
    private final ScratchDir scratch;
    private final ProcessCpu cpu;

    BrokerCluster(String name, List<ClusterNode> nodes, ScratchDir scratch, ProcessCpu cpu) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one node: " + name);
        }
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.scratch = scratch;
        this.cpu = cpu;
    }

    String name() {
        return name;
    }

    List<ClusterNode> nodes() {
        return nodes;
    }

    /** Every node's Kafka listener, comma-separated, for {@code bootstrap.servers}. */
    String bootstrapServers() {
        return nodes.stream().map(ClusterNode::bootstrapServer).collect(Collectors.joining(","));
    }

    ClusterNode node(int nodeId) {
        return nodes.stream().filter(node -> node.nodeId() == nodeId).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " has no node " + nodeId + ": " + nodes));
    }

    /** The nodes whose process has exited, e.g. one that failed to start, for messages. */
    List<ClusterNode> deadNodes() {
        return nodes.stream().filter(node -> !node.isAlive()).toList();
    }

    /** CPU seconds every node's process tree has used since it started (a killed node's no longer counts). */
    double cpuSeconds() {
        return nodes.stream().mapToDouble(node -> cpu.cpuSecondsOfTree(node.process().handle())).sum();
    }

    /** Where every node's output goes, for messages that point a reader at it. */
    String logFiles() {
        return nodes.stream().map(node -> node.process().logFiles()).collect(Collectors.joining("; "));
    }

    /** The last {@code lines} lines of every dead node's output, or of every node's if none died. */
    String logTail(int lines) {
        List<ClusterNode> shown = deadNodes().isEmpty() ? nodes : deadNodes();
        return shown.stream().map(node -> node.process().tail(lines)).collect(Collectors.joining());
    }

    @Override
    public void close() {
        try {
            // All at once: a KRaft node stopped alone waits for its controlled shutdown, which needs the others.
            ChildProcess.closeTogether(nodes.stream().map(ClusterNode::process).toList());
        } finally {
            scratch.close();
        }
    }

    @Override
    public String toString() {
        return name + " cluster of " + nodes.size() + " " + nodes;
    }
}

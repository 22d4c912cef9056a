package io.strata.bench.kafka;

import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One broker of a {@link BrokerCluster}: its node id, its client address and the process it runs in now. The
 * failover measurement kills that process with SIGKILL and starts it again with the same settings and data, each
 * start's output in files of its own ({@code <name>.out}, then {@code <name>-restart1.out}, ...). Every process it
 * starts is registered with {@link Cleanup}; {@link BrokerCluster#close} stops the current one. Not thread-safe.
 */
final class ClusterNode {

    private final int nodeId;
    private final String name;
    private final String bootstrapServer;
    /** Starts the node's process with its output in files named after the argument; registered with Cleanup. */
    private final Function<String, ChildProcess> starter;
    private final Cleanup cleanup;
    /** Whether the node's current process counts toward its cluster's controller quorum. */
    private final Predicate<ChildProcess> inControllerQuorum;
    private volatile ChildProcess process;
    private int restarts;

    private ClusterNode(int nodeId, String name, String bootstrapServer, Function<String, ChildProcess> starter,
                        Cleanup cleanup, Predicate<ChildProcess> inControllerQuorum) {
        this.nodeId = nodeId;
        this.inControllerQuorum = inControllerQuorum;
        this.name = name;
        this.bootstrapServer = bootstrapServer;
        this.starter = starter;
        this.cleanup = cleanup;
    }

    /** Starts the node's first process, with output in {@code <name>.out} and {@code <name>.err}. */
    static ClusterNode start(int nodeId, String name, String bootstrapServer, Function<String, ChildProcess> starter,
                             Cleanup cleanup) {
        return start(nodeId, name, bootstrapServer, starter, cleanup, process -> true);
    }

    /**
     * {@link #start(int, String, String, Function, Cleanup)} for a node that must rejoin its cluster's controller
     * quorum after a restart before the cluster survives another failure, which {@code inControllerQuorum} tells.
     */
    static ClusterNode start(int nodeId, String name, String bootstrapServer, Function<String, ChildProcess> starter,
                             Cleanup cleanup, Predicate<ChildProcess> inControllerQuorum) {
        ClusterNode node = new ClusterNode(nodeId, name, bootstrapServer, starter, cleanup, inControllerQuorum);
        node.process = starter.apply(name);
        return node;
    }

    int nodeId() {
        return nodeId;
    }

    String name() {
        return name;
    }

    /** {@code host:port} of the node's Kafka listener. */
    String bootstrapServer() {
        return bootstrapServer;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Whether the current process counts toward the controller quorum (always, for a node that need not rejoin). */
    boolean inControllerQuorum() {
        return inControllerQuorum.test(process);
    }

    long pid() {
        return process.handle().pid();
    }

    ChildProcess process() {
        return process;
    }

    /** SIGKILLs the node's process tree without waiting; returns {@link System#nanoTime} just before the signal. */
    long kill() {
        return process.kill();
    }

    /** Starts the node again after {@link #kill}, on the same ports and data, once the killed process is gone. */
    void restart() {
        process.awaitExit();
        cleanup.close(process);
        restarts++;
        process = starter.apply(name + "-restart" + restarts);
    }

    @Override
    public String toString() {
        return name + " (node " + nodeId + ", " + bootstrapServer + ", " + process + ", "
                + process.exitDescription() + ")";
    }
}

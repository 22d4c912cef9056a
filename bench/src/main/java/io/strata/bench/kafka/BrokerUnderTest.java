package io.strata.bench.kafka;

/**
 * A running broker the tools are pointed at: its process tree, its address and its scratch directory. Closing it
 * stops the process tree and deletes the scratch directory. Not thread-safe, except {@link #close}.
 */
final class BrokerUnderTest implements AutoCloseable {

    private final String name;
    private final String bootstrapServers;
    private final ChildProcess process;
    private final ScratchDir scratch;
    private final ProcessCpu cpu;

    BrokerUnderTest(String name, String bootstrapServers, ChildProcess process, ScratchDir scratch, ProcessCpu cpu) {
        this.name = name;
        this.bootstrapServers = bootstrapServers;
        this.process = process;
        this.scratch = scratch;
        this.cpu = cpu;
    }

    String name() {
        return name;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.handle().pid();
    }

    /** CPU seconds the broker's process tree has used since it started. */
    double cpuSeconds() {
        return cpu.cpuSecondsOfTree(process.handle());
    }

    String logFiles() {
        return process.logFiles();
    }

    String logTail(int lines) {
        return process.tail(lines);
    }

    @Override
    public void close() {
        try {
            process.close();
        } finally {
            scratch.close();
        }
    }

    @Override
    public String toString() {
        return name + " at " + bootstrapServers + " (" + process + ")";
    }
}

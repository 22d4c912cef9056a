package io.strata.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A process the harness started, with its standard output and error written to files. Closing it stops the whole
 * process tree: SIGTERM to the process and its descendants, then SIGKILL to whatever is still alive after the grace
 * period. Closing twice is harmless. Not thread-safe, except {@link #close}, which the shutdown hook may call.
 */
final class ChildProcess implements AutoCloseable {

    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final Duration stopGrace;
    /** The processes {@link #kill} signalled, for {@link #awaitExit}; empty until then. */
    private volatile List<ProcessHandle> killedTree = List.of();

    private ChildProcess(String name, Process process, Path stdout, Path stderr, Duration stopGrace) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.stopGrace = stopGrace;
    }

    /**
     * Starts {@code command} in {@code workDir} with output going to {@code <logBase>.out} and {@code <logBase>.err},
     * registered with {@code cleanup} so it is stopped even if the harness dies first.
     */
    static ChildProcess start(String name, List<String> command, Path workDir, Map<String, String> environment,
                              Path logBase, Duration stopGrace, Cleanup cleanup) {
        Path stdout = logBase.resolveSibling(logBase.getFileName() + ".out");
        Path stderr = logBase.resolveSibling(logBase.getFileName() + ".err");
        try {
            Files.createDirectories(logBase.toAbsolutePath().getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            builder.environment().putAll(environment);
            return cleanup.register(new ChildProcess(name, builder.start(), stdout, stderr, stopGrace));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
        }
    }

    String name() {
        return name;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to exit and returns its exit code; stops it and throws if it outlives {@code timeout}. */
    int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new IllegalStateException(name + " did not finish within " + timeout.toSeconds()
                        + " s; stopped it. Its output: " + stdout + ", " + stderr);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }

    /**
     * "running", or how the process ended: its exit code, which for a JVM killed by a signal is 128 plus the signal
     * (137 for SIGKILL, 143 for SIGTERM), so a broker that died to someone else's signal can be told from one that
     * failed to start.
     */
    String exitDescription() {
        return process.isAlive() ? "running" : "exit code " + process.exitValue();
    }

    String stdout() {
        return read(stdout);
    }

    /** Everything the process wrote so far, standard output then standard error. */
    String output() {
        return read(stdout) + read(stderr);
    }

    /** Where the process's standard output and error go, for messages that point a reader at them. */
    String logFiles() {
        return stdout + ", " + stderr;
    }

    /** The last {@code lines} lines of standard output and error, for error messages. */
    String tail(int lines) {
        return "--- " + stdout + " (last " + lines + " lines)\n" + lastLines(read(stdout), lines)
                + "--- " + stderr + " (last " + lines + " lines)\n" + lastLines(read(stderr), lines);
    }

    /**
     * SIGKILLs the process tree, the deepest processes first so the broker's JVM (not a shell above it) dies first,
     * and returns at once: the kernel may take a while to tear down a JVM of a gigabyte, during which a failover
     * measurement must already be watching. Returns {@link System#nanoTime} just before the first signal, the moment
     * such a measurement counts from; {@link #awaitExit} waits for the tree to be gone.
     */
    long kill() {
        List<ProcessHandle> tree = new ArrayList<>();
        try (Stream<ProcessHandle> descendants = process.toHandle().descendants()) {
            tree.addAll(descendants.collect(Collectors.toList()));
        }
        Collections.reverse(tree);
        tree.add(process.toHandle());
        long killNanos = System.nanoTime();
        tree.forEach(ProcessHandle::destroyForcibly);
        killedTree = List.copyOf(tree);
        return killNanos;
    }

    /**
     * Waits until the process and every descendant {@link #kill} signalled have exited (once re-parented, those are no
     * longer found by walking the tree); fails if one is still alive after the wait.
     */
    void awaitExit() {
        List<ProcessHandle> tree = killedTree.isEmpty() ? List.of(process.toHandle()) : killedTree;
        if (!awaitExit(tree, KILL_WAIT)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") is still alive "
                    + KILL_WAIT.toSeconds() + " s after it was killed");
        }
    }

    @Override
    public void close() {
        closeTogether(List.of(this));
    }

    /**
     * Stops every one of {@code processes} as {@link #close} stops one, but all at once, so that brokers of one
     * cluster shut down together instead of each waiting for a quorum the others have already left.
     */
    static void closeTogether(List<ChildProcess> processes) {
        List<ProcessHandle> tree = new ArrayList<>();
        Duration grace = Duration.ZERO;
        for (ChildProcess child : processes) {
            tree.add(child.process.toHandle());
            try (Stream<ProcessHandle> descendants = child.process.toHandle().descendants()) {
                tree.addAll(descendants.collect(Collectors.toList()));
            }
            grace = grace.compareTo(child.stopGrace) < 0 ? child.stopGrace : grace;
        }
        tree.forEach(ProcessHandle::destroy);
        if (!awaitExit(tree, grace)) {
            tree.forEach(ProcessHandle::destroyForcibly);
            if (!awaitExit(tree, KILL_WAIT)) {
                System.err.println("bench-vs-kafka: " + processes + " survived SIGKILL");
            }
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }

    private static boolean awaitExit(List<ProcessHandle> tree, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle handle : tree) {
            long leftNanos = deadlineNanos - System.nanoTime();
            try {
                handle.onExit().get(Math.max(leftNanos, 0), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                return !tree.stream().anyMatch(ProcessHandle::isAlive);
            }
        }
        return true;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String lastLines(String text, int lines) {
        List<String> all = text.lines().collect(Collectors.toList());
        return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
                .map(line -> line + "\n").collect(Collectors.joining());
    }
}

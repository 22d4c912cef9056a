package io.strata.bench.kafka;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Starts {@link ArtemisBenchServer} in a JVM of its own, on this JVM's classpath (the bench jar, which holds Artemis),
 * with the heap {@code bin/strata-server} gives Strata, on a free loopback port with its data in a scratch directory,
 * and waits until it prints that it is ready. Thread-safe (stateless).
 */
final class ArtemisLauncher {

    static final String NAME = "artemis";
    /** {@code bin/strata-server}'s default heap, so that neither broker has more memory to work with. */
    static final List<String> JVM_OPTIONS = List.of("-Xms512m", "-Xmx1g");
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

    /** A started broker and the line it announced itself with: its version, journal type and settings. */
    record Started(BrokerUnderTest broker, String description) {
    }

    private ArtemisLauncher() {
    }

    /**
     * Starts the broker; {@code journalBufferTimeoutNanos} overrides Artemis's journal-buffer-timeout when present.
     */
    static Started start(Path logDir, ProcessCpu cpu, Cleanup cleanup, Duration timeout,
                         Optional<Integer> journalBufferTimeoutNanos) {
        ScratchDir scratch = ScratchDir.create("strata-bench-artemis-", cleanup);
        int port = FreePorts.pick(1).get(0);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-cp");
        command.add(absoluteClasspath(System.getProperty("java.class.path")));
        command.add(ArtemisBenchServer.class.getName());
        command.add(Integer.toString(port));
        command.add(scratch.path().resolve("data").toString());
        journalBufferTimeoutNanos.ifPresent(nanos -> command.add(Integer.toString(nanos)));
        System.out.println(NAME + ": " + String.join(" ", command));
        ChildProcess process = ChildProcess.start(NAME, command, scratch.path(), Map.of(), logDir.resolve(NAME),
                STOP_GRACE, cleanup);
        BrokerUnderTest broker = cleanup.register(new BrokerUnderTest(NAME, "127.0.0.1:" + port, process, scratch,
                cpu));
        return new Started(broker, awaitReady(process, timeout));
    }

    /** {@code classpath} with every entry made absolute: the server runs in its scratch directory. */
    static String absoluteClasspath(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator)).filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** The rest of the ready line, once the server printed it; fails if it exits or stays silent past the timeout. */
    private static String awaitReady(ChildProcess process, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<String> ready = readyLine(process.stdout());
            if (ready.isPresent()) {
                return ready.get();
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("Artemis exited (" + process.exitDescription() + ") before it was"
                        + " ready\n" + process.tail(30));
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("Artemis was not ready within " + timeout.toSeconds() + " s\n"
                        + process.tail(30));
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Artemis", e);
            }
        }
    }

    /** What follows {@link ArtemisBenchServer#READY} in {@code stdout}, if the server printed it. */
    static Optional<String> readyLine(String stdout) {
        return stdout.lines().filter(line -> line.startsWith(ArtemisBenchServer.READY))
                .map(line -> line.substring(ArtemisBenchServer.READY.length()).trim()).findFirst();
    }
}

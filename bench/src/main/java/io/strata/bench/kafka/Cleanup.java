package io.strata.bench.kafka;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What must not outlive the harness: child processes and scratch directories. Each is closed by the code that made
 * it once it is done with it; whatever is still open when the JVM exits (normal end, an exception out of main,
 * Ctrl-C or SIGTERM) is closed by a shutdown hook, the newest first. Once the hook has run, anything registered is
 * closed at once and the registration fails, because the main thread keeps running while the JVM shuts down and
 * must not start a process that nothing would stop. Thread-safe.
 */
final class Cleanup {

    private final Deque<AutoCloseable> open = new ArrayDeque<>();
    private boolean shuttingDown;

    private Cleanup() {
    }

    /** A cleanup whose leftovers are closed by a JVM shutdown hook. */
    static Cleanup onExit() {
        Cleanup cleanup = new Cleanup();
        Runtime.getRuntime().addShutdownHook(new Thread(cleanup::shutDown, "bench-vs-kafka-cleanup"));
        return cleanup;
    }

    /** Remembers {@code resource} until {@link #close} is called with it; closes it and throws when shutting down. */
    <T extends AutoCloseable> T register(T resource) {
        synchronized (this) {
            if (!shuttingDown) {
                open.push(resource);
                return resource;
            }
        }
        closeQuietly(resource);
        throw new IllegalStateException("bench-vs-kafka is shutting down; closed " + resource + " at once");
    }

    synchronized boolean shuttingDown() {
        return shuttingDown;
    }

    /** Closes {@code resource} now and forgets it. */
    void close(AutoCloseable resource) {
        synchronized (this) {
            open.remove(resource);
        }
        closeQuietly(resource);
    }

    /** Closes everything still open and everything registered from now on: the shutdown hook. */
    void shutDown() {
        synchronized (this) {
            shuttingDown = true;
        }
        closeAll();
    }

    /** Closes everything still open, the newest first. */
    void closeAll() {
        List<AutoCloseable> toClose;
        synchronized (this) {
            toClose = new ArrayList<>(open);
            open.clear();
        }
        toClose.forEach(Cleanup::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            System.err.println("bench-vs-kafka: could not clean up " + resource + ": " + e);
        }
    }
}

package io.strata.storage.log;

import org.apache.kafka.common.errors.KafkaStorageException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Whether a log directory can still be trusted. The first I/O error on an append, flush, roll, truncation or read of
 * any of its logs takes the whole directory offline, for as long as the process runs: a disk that failed one write
 * may have lost or torn others, and retrying could acknowledge records that are not on disk. From then on every
 * append and read of its logs fails with {@link KafkaStorageException} (KAFKA_STORAGE_ERROR on the wire), so that
 * clients and followers go to another replica; the data already forced to disk is recovered at the next start.
 * Kafka's log directory failure handling works the same way.
 *
 * <p>Listeners hear of the failure once, on the executor given, never on the thread that hit the error (which may hold
 * a log's lock).
 *
 * <p>Thread-safe.
 */
public final class LogDirectoryHealth {

    private static final System.Logger LOG = System.getLogger(LogDirectoryHealth.class.getName());

    /** Why a directory went offline: what was being done, to which file or partition, and the I/O error. */
    public record Failure(Path dir, String operation, IOException cause) {
        public String describe() {
            return "the log directory " + dir + " is offline since " + operation + " failed: " + cause;
        }
    }

    private final Path dir;
    private final Executor notifier;
    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final List<Consumer<Failure>> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param dir      the directory whose health this is
     * @param notifier where listeners are called
     */
    public LogDirectoryHealth(Path dir, Executor notifier) {
        this.dir = dir;
        this.notifier = notifier;
    }

    public Path dir() {
        return dir;
    }

    public boolean isOffline() {
        return failure.get() != null;
    }

    /** The failure that took the directory offline, if it is. */
    public Optional<Failure> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** Calls {@code listener} once when the directory goes offline; at once (on the executor) if it already is. */
    public void onOffline(Consumer<Failure> listener) {
        listeners.add(listener);
        Failure current = failure.get();
        if (current != null && listeners.remove(listener)) {
            notify(listener, current);
        }
    }

    /**
     * Takes the directory offline because {@code operation} failed with {@code cause}, unless it already is, and
     * returns the exception to throw to the caller.
     */
    public KafkaStorageException fail(String operation, IOException cause) {
        Failure candidate = new Failure(dir, operation, cause);
        if (failure.compareAndSet(null, candidate)) {
            LOG.log(Level.ERROR, "Taking the log directory " + dir + " offline: " + operation + " failed; its"
                    + " partitions are no longer served from this broker", cause);
            for (Consumer<Failure> listener : listeners) {
                if (listeners.remove(listener)) {
                    notify(listener, candidate);
                }
            }
        }
        return new KafkaStorageException(operation + " failed: " + cause.getMessage() + "; " + failure.get().dir()
                + " is offline", cause);
    }

    /** As {@link #fail(String, IOException)}, for an I/O error wrapped on its way up. */
    public KafkaStorageException fail(String operation, UncheckedIOException cause) {
        return fail(operation, cause.getCause());
    }

    /** @throws KafkaStorageException if the directory is offline, naming why */
    public void checkOnline() {
        Failure current = failure.get();
        if (current != null) {
            throw new KafkaStorageException(current.describe(), current.cause());
        }
    }

    private void notify(Consumer<Failure> listener, Failure current) {
        Runnable call = () -> {
            try {
                listener.accept(current);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "A listener for the failure of " + dir + " failed", e);
            }
        };
        try {
            notifier.execute(call);
        } catch (RejectedExecutionException e) {
            // Shutting down: the listener still learns of it, on this thread.
            call.run();
        }
    }
}

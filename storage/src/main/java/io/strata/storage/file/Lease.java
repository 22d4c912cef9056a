package io.strata.storage.file;

import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The right to use a file's open channel until {@link #close()}. Positional reads and writes on the channel are safe
 * from several threads; the lease itself is closed once, by whoever holds it. Thread-safe.
 */
public final class Lease implements AutoCloseable {

    private final CachedFile file;
    private final FileChannel channel;
    private final AtomicBoolean released = new AtomicBoolean();

    Lease(CachedFile file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    public FileChannel channel() {
        if (released.get()) {
            throw new IllegalStateException("lease on " + file + " already released");
        }
        return channel;
    }

    public CachedFile file() {
        return file;
    }

    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            file.release();
        }
    }
}

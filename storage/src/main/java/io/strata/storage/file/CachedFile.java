package io.strata.storage.file;

import java.nio.file.Path;

/**
 * One file whose channel {@link FileChannelCache} opens on use and may close when idle. Its path can change while
 * it is in use (a segment renamed to {@code .deleted}); a channel already open keeps working across a rename.
 *
 * <p>Thread-safe; the cache's lock guards the channel and the lease count.
 */
public final class CachedFile {

    private final FileChannelCache cache;
    private volatile Path path;
    // Guarded by the cache's lock.
    java.nio.channels.FileChannel channel;
    int leases;
    boolean closed;

    CachedFile(FileChannelCache cache, Path path) {
        this.cache = cache;
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** Records that the file was renamed to {@code newPath}; the caller has done the rename. */
    public void renamedTo(Path newPath) {
        this.path = newPath;
    }

    /**
     * The open channel, held open until the lease is closed.
     *
     * @throws java.io.UncheckedIOException if the file cannot be opened
     */
    public Lease acquire() {
        return cache.acquire(this);
    }

    /** Closes the channel now, or when the last lease is released; the file cannot be acquired again. */
    public void close() {
        cache.close(this);
    }

    void release() {
        cache.release(this);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}

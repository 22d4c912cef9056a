package io.strata.storage.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Keeps the open file channels of every segment in a store within a bound, so that tens of thousands of mostly idle
 * partitions do not need tens of thousands of file descriptors.
 *
 * <p>A file is opened when first used and stays open while recently used. When more than {@code openFilesMax} files
 * are open, the least recently used ones that nobody holds are closed; they are opened again on their next use.
 * Files held by a {@link Lease} are never closed under their holder, so the bound can be exceeded only by files in
 * use at that moment.
 *
 * <p>Thread-safe: one lock guards the bookkeeping; I/O on the channels happens outside it.
 */
public final class FileChannelCache {

    private static final System.Logger LOG = System.getLogger(FileChannelCache.class.getName());

    private final int openFilesMax;
    private final Opener opener;
    private final Object lock = new Object();
    /** Open files in least-recently-used order. */
    private final LinkedHashMap<CachedFile, CachedFile> open = new LinkedHashMap<>(16, 0.75f, true);
    private long opensTotal;

    /** How a file is opened for reading and writing: {@link FileChannel#open}, or a test's fault injector. */
    @FunctionalInterface
    public interface Opener {
        FileChannel open(Path path) throws IOException;
    }

    public FileChannelCache(int openFilesMax) {
        this(openFilesMax, path -> FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    public FileChannelCache(int openFilesMax, Opener opener) {
        if (openFilesMax < 1) {
            throw new IllegalArgumentException("openFilesMax must be at least 1, was " + openFilesMax);
        }
        this.openFilesMax = openFilesMax;
        this.opener = opener;
    }

    /** A handle on a file at {@code path} that opens on use. Nothing is opened or created yet. */
    public CachedFile file(Path path) {
        return new CachedFile(this, path);
    }

    /** Files open now. */
    public int openFiles() {
        synchronized (lock) {
            return open.size();
        }
    }

    /** How often a file was opened since start: a cache too small for the working set shows as a steady climb. */
    public long opensTotal() {
        synchronized (lock) {
            return opensTotal;
        }
    }

    public int openFilesMax() {
        return openFilesMax;
    }

    Lease acquire(CachedFile file) {
        synchronized (lock) {
            if (file.closed) {
                throw new IllegalStateException("file " + file.path() + " is closed");
            }
            if (file.channel != null && !file.channel.isOpen()) {
                // An interrupted reader closes a FileChannel for everyone; open it again.
                open.remove(file);
                file.channel = null;
            }
            if (file.channel == null) {
                try {
                    file.channel = opener.open(file.path());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open " + file.path(), e);
                }
                opensTotal++;
                open.put(file, file);
            } else {
                open.get(file);
            }
            // Leased before evicting, so the file just opened is never the one closed.
            file.leases++;
            evictIdle();
            return new Lease(file, file.channel);
        }
    }

    void release(CachedFile file) {
        FileChannel toClose = null;
        synchronized (lock) {
            if (file.leases <= 0) {
                throw new IllegalStateException("lease on " + file.path() + " released twice");
            }
            file.leases--;
            if (file.leases == 0 && file.closed && file.channel != null) {
                toClose = file.channel;
                file.channel = null;
                open.remove(file);
            } else if (file.leases == 0) {
                // Files kept open past the bound while leased are closed once they are idle.
                evictIdle();
            }
        }
        closeQuietly(toClose);
    }

    void close(CachedFile file) {
        FileChannel toClose = null;
        synchronized (lock) {
            file.closed = true;
            if (file.leases == 0 && file.channel != null) {
                toClose = file.channel;
                file.channel = null;
                open.remove(file);
            }
        }
        closeQuietly(toClose);
    }

    /** Closes idle files, least recently used first, until the bound holds; called with the lock held. */
    private void evictIdle() {
        Iterator<CachedFile> it = open.keySet().iterator();
        while (open.size() > openFilesMax && it.hasNext()) {
            CachedFile candidate = it.next();
            if (candidate.leases == 0) {
                it.remove();
                closeQuietly(candidate.channel);
                candidate.channel = null;
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing a file channel failed", e);
        }
    }
}

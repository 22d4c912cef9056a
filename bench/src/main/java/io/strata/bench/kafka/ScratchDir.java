package io.strata.bench.kafka;

import io.strata.bench.BenchFiles;

import java.nio.file.Path;

/**
 * A broker's scratch directory (its log dirs and config files) under {@code strata.bench.dir} or the system
 * temporary directory, deleted with everything in it on close. Closing twice is harmless.
 */
final class ScratchDir implements AutoCloseable {

    private final Path path;

    private ScratchDir(Path path) {
        this.path = path;
    }

    static ScratchDir create(String prefix, Cleanup cleanup) {
        return cleanup.register(new ScratchDir(BenchFiles.scratch(prefix)));
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        BenchFiles.delete(path);
    }

    @Override
    public String toString() {
        return "scratch directory " + path;
    }
}

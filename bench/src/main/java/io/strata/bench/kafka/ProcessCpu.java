package io.strata.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * CPU time a process tree has used, from the kernel's own accounting: {@code utime + stime} of
 * {@code /proc/<pid>/stat} (all threads of the process), in clock ticks of {@code getconf CLK_TCK}.
 *
 * <p>The tree is the process and its live descendants, so a broker started through a shell script that forks
 * {@code java} instead of exec-ing it is still counted. A descendant that exits between two samples drops out of
 * the sum; brokers do not fork short-lived children, so that is not corrected for. Thread-safe (no state but the
 * tick rate).
 */
final class ProcessCpu {

    /** Fields of {@code /proc/<pid>/stat} after the ")" that closes the command name: field 3 (state) is index 0. */
    private static final int UTIME_INDEX = 14 - 3;
    private static final int STIME_INDEX = 15 - 3;

    private final long ticksPerSecond;

    private ProcessCpu(long ticksPerSecond) {
        if (ticksPerSecond <= 0) {
            throw new IllegalArgumentException("clock ticks per second must be positive: " + ticksPerSecond);
        }
        this.ticksPerSecond = ticksPerSecond;
    }

    /** The tick rate as {@code getconf CLK_TCK} reports it. */
    static ProcessCpu fromGetconf() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (!getconf.waitFor(10, TimeUnit.SECONDS) || getconf.exitValue() != 0) {
                throw new IllegalStateException("getconf CLK_TCK failed: " + out);
            }
            return new ProcessCpu(Long.parseLong(out));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run getconf CLK_TCK", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running getconf CLK_TCK", e);
        }
    }

    long ticksPerSecond() {
        return ticksPerSecond;
    }

    /** User plus system CPU seconds of {@code root} and its live descendants. */
    double cpuSecondsOfTree(ProcessHandle root) {
        long ticks;
        try (Stream<ProcessHandle> descendants = root.descendants()) {
            ticks = ticksOf(root.pid()) + descendants.mapToLong(child -> ticksOf(child.pid())).sum();
        }
        return (double) ticks / ticksPerSecond;
    }

    /** utime + stime of one process in clock ticks; 0 once it has exited. */
    static long ticksOf(long pid) {
        try {
            Path stat = Path.of("/proc", Long.toString(pid), "stat");
            return ticksOfStat(Files.readString(stat, StandardCharsets.US_ASCII));
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            if (!Files.exists(Path.of("/proc", Long.toString(pid)))) {
                return 0;
            }
            throw new UncheckedIOException("cannot read /proc/" + pid + "/stat", e);
        }
    }

    /**
     * utime + stime from the text of a {@code /proc/<pid>/stat} file. The command name (field 2) is in parentheses
     * and may itself hold spaces and parentheses, so fields are counted from the last ")".
     */
    static long ticksOfStat(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
        }
        String[] fields = stat.substring(close + 1).trim().split(" +");
        if (fields.length <= STIME_INDEX) {
            throw new IllegalArgumentException("too few fields in /proc/<pid>/stat: " + stat);
        }
        return Long.parseLong(fields[UTIME_INDEX]) + Long.parseLong(fields[STIME_INDEX]);
    }
}

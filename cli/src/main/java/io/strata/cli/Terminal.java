package io.strata.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * What a run of the command talks to besides the broker: standard input, output and error, and the environment.
 * The process passes its own; tests pass captured streams and a chosen environment, so a whole command runs
 * in-process exactly as it does from a shell.
 *
 * <p>Immutable; the streams themselves are as thread-safe as the objects given.
 */
public record Terminal(InputStream in, PrintWriter out, PrintWriter err, Map<String, String> env) {

    public Terminal {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        env = Map.copyOf(env);
    }

    /**
     * The process's own streams, in UTF-8. Output is not flushed per line, because consume and perf print many
     * lines; the commands flush after each batch instead.
     */
    public static Terminal system() {
        return new Terminal(
                new FileInputStream(FileDescriptor.in),
                new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                        StandardCharsets.UTF_8), false),
                new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                        StandardCharsets.UTF_8), true),
                System.getenv());
    }
}

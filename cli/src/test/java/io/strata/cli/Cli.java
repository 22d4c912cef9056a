package io.strata.cli;

import io.strata.broker.it.TestBroker;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs the strata command in this JVM the way a shell would, with standard input given as a string and standard
 * output and error captured, through {@link StrataCli#execute}.
 *
 * <p>Stateless; thread-safe.
 */
public final class Cli {

    /** What one run printed and returned. */
    public record Result(int exitCode, String out, String err) {

        public List<String> outLines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
        }

        public List<String> errLines() {
            return err.isEmpty() ? List.of() : Arrays.asList(err.split("\\R"));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
        }
    }

    private Cli() {
    }

    public static Result run(Map<String, String> env, String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Terminal terminal = new Terminal(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), env);
        int exitCode = StrataCli.execute(terminal, args);
        return new Result(exitCode, out.toString(), err.toString());
    }

    /** Runs against {@code broker}, with nothing on standard input. */
    public static Result strata(TestBroker broker, String... args) {
        return strataWithInput(broker, "", args);
    }

    public static Result strataWithInput(TestBroker broker, String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrapServers()));
        all.addAll(List.of(args));
        return run(Map.of(), stdin, all.toArray(String[]::new));
    }
}

package io.strata.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * What every leaf command has: its output streams, the run's {@link ClientSettings}, and a way to reject bad usage
 * with exit code 2. Subclasses implement {@link #run()} and return an exit code; failures are thrown
 * ({@link CliException} for ones worded for the user) and printed by {@link ErrorReporter}.
 *
 * <p>One instance serves one run and is not thread-safe; picocli fills its fields while parsing.
 */
public abstract class StrataCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        return run();
    }

    protected abstract int run() throws Exception;

    protected final StrataCli cli() {
        return (StrataCli) spec.root().userObject();
    }

    protected final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected final PrintWriter err() {
        return spec.commandLine().getErr();
    }

    protected final Terminal terminal() {
        return cli().terminal();
    }

    protected final ClientSettings clients() {
        return cli().clientSettings();
    }

    /** Bad usage that picocli cannot check by itself (ranges, combinations); printed with exit code 2. */
    protected final ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}

package io.strata.cli;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns every failure of a run into one line on standard error, "strata: WHAT WENT WRONG", and an exit code: 2 for
 * bad usage (picocli's and Kafka's tools' convention), 1 for everything else. Known client failures get wording an
 * operator can act on (a timeout names the bootstrap servers it waited for); the rest show the broker's or client's
 * own message. The stack trace follows only with --verbose.
 *
 * <p>Holds the run's {@link StrataCli}; used by one run on one thread.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {

    private final StrataCli cli;

    ErrorReporter(StrataCli cli) {
        this.cli = cli;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        String hint = " (see '" + command.getCommandSpec().qualifiedName() + " --help')";
        printLine(command.getErr(), oneLine(ex.getMessage()) + hint, ex);
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine command, ParseResult parseResult) {
        printLine(command.getErr(), describe(ex), ex);
        return CliException.EXIT_FAILURE;
    }

    private void printLine(PrintWriter err, String message, Exception ex) {
        err.println("strata: " + message);
        if (cli.verbose()) {
            ex.printStackTrace(err);
        }
        err.flush();
    }

    /** The one line for a failure; package-private so the wording can be tested without a broker. */
    String describe(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof CliException) {
            return oneLine(cause.getMessage());
        }
        if (find(cause, TimeoutException.class) != null) {
            return "timed out after " + cli.requestTimeoutMs() + " ms waiting for the broker at "
                    + cli.bootstrapServersForMessages() + "; is it running, and is --bootstrap-server right?";
        }
        ConfigException config = find(cause, ConfigException.class);
        if (config != null) {
            return "invalid client settings (bootstrap.servers=" + cli.bootstrapServersForMessages() + "): "
                    + oneLine(config.getMessage());
        }
        if (cause instanceof ApiException && cause.getMessage() != null) {
            return "the broker answered: " + oneLine(cause.getMessage());
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName()
                : cause.getClass().getSimpleName() + ": " + oneLine(message);
    }

    /** Strips the wrappers that only say "this happened on another thread". */
    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof ExecutionException || current instanceof CompletionException
                || current.getClass() == KafkaException.class && current.getMessage() == null)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        // Bounded: a cause chain longer than this is a cycle or not worth reading.
        Throwable current = failure;
        for (int depth = 0; current != null && depth < 16; depth++, current = current.getCause()) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
        }
        return null;
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}

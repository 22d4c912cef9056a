package io.strata.cli;

/**
 * A failure the user can act on, already worded for them: the message is printed as the one error line
 * ("strata: MESSAGE") and the command exits with a non-zero code. No stack trace is shown unless --verbose.
 *
 * <p>Immutable; thread-safe.
 */
public final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Exit code for failures of the operation itself; 2 is picocli's (and Kafka's tools') code for bad usage. */
    public static final int EXIT_FAILURE = 1;

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code cause} is the broker's answer, kept for --verbose. */
    public static CliException unknownTopic(String topic, Throwable cause) {
        return new CliException("topic '" + topic + "' does not exist", cause);
    }

    public static CliException unknownGroup(String group, Throwable cause) {
        return new CliException("group '" + group + "' does not exist", cause);
    }
}

package io.strata.cli;

import org.apache.kafka.common.KafkaFuture;

import java.util.concurrent.ExecutionException;

/**
 * Waits for the result of an Admin call and hands back the broker's own exception rather than the
 * {@link ExecutionException} around it, so that commands can catch {@code UnknownTopicOrPartitionException} and the
 * like by type. The wait is bounded by the Admin client's {@code default.api.timeout.ms}, which
 * {@link ClientSettings} sets from --request-timeout-ms: every Admin future completes, at the latest with a
 * {@code TimeoutException}.
 *
 * <p>Stateless; thread-safe.
 */
public final class Await {

    private Await() {
    }

    public static <T> T result(KafkaFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for the broker", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new CliException(String.valueOf(cause), cause);
        }
    }
}

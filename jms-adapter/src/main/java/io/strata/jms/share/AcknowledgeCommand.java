package io.strata.jms.share;

import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An explicit acknowledgement a caller waits for: its acknowledgements, the transaction they are made in (null:
 * none), and the future that completes with one {@link AcknowledgementResult} per partition once every partition
 * leader answered (or exceptionally, when it cannot be sent at all: a broker without the transactional extension, the
 * engine closing or failed). The network thread splits it into one piece per leader; {@code deadlineMs} bounds the
 * retries of retriable transactional errors.
 *
 * <p>Not thread-safe: made by a caller, then handed to the network thread, which alone touches it after.
 */
final class AcknowledgeCommand {

    final Acknowledgements acknowledgements;
    final AcknowledgementTransaction transaction;
    final long deadlineMs;
    final CompletableFuture<List<AcknowledgementResult>> future = new CompletableFuture<>();
    private final List<AcknowledgementResult> results = new ArrayList<>();
    private int piecesLeft;

    AcknowledgeCommand(Acknowledgements acknowledgements, AcknowledgementTransaction transaction, long deadlineMs) {
        this.acknowledgements = acknowledgements;
        this.transaction = transaction;
        this.deadlineMs = deadlineMs;
    }

    /** One more leader must answer before the command completes. */
    void expectPiece() {
        piecesLeft++;
    }

    /** A result that needs no leader (the partition has no session to acknowledge in). */
    void result(TopicIdPartition topicPartition, List<Long> offsets, Errors error, String message) {
        results.add(new AcknowledgementResult(topicPartition, offsets, error, message));
    }

    /** One leader answered; completes the command when it was the last. */
    void pieceDone() {
        piecesLeft--;
        completeIfDone();
    }

    void completeIfDone() {
        if (piecesLeft == 0) {
            future.complete(List.copyOf(results));
        }
    }
}

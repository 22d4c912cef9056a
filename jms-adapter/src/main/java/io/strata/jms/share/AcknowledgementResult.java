package io.strata.jms.share;

import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.protocol.Errors;

import java.util.List;

/**
 * What the partition leader answered for the acknowledgements of one partition in one request: {@link Errors#NONE},
 * or the error and the broker's message, for each of {@code offsets} (a share partition answers a request's
 * acknowledgements together). {@link Errors#INVALID_RECORD_STATE} means the records were no longer held by this
 * member (their acquisition lock ran out, or its session was replaced): another member may have them.
 * {@link Errors#NETWORK_EXCEPTION} means the connection broke before the answer: the outcome is unknown, and the
 * records come back if it was lost. Immutable.
 */
public record AcknowledgementResult(TopicIdPartition topicPartition, List<Long> offsets, Errors error,
                                    String message) {

    public AcknowledgementResult {
        offsets = List.copyOf(offsets);
    }

    public boolean succeeded() {
        return error == Errors.NONE;
    }
}

package io.strata.broker.share;

import org.apache.kafka.common.protocol.Errors;

import java.util.List;

/**
 * The outcome of acknowledging a range: {@link Errors#NONE}, or {@link Errors#INVALID_RECORD_STATE} when some offset
 * in it was not acquired by the member (then nothing in the range changed); and the records archived because they
 * reached the delivery limit, by this acknowledgement or by locks that had expired. Immutable.
 */
public record AcknowledgeResult(Errors error, List<OffsetRange> archivedAtDeliveryLimit) {

    public AcknowledgeResult {
        archivedAtDeliveryLimit = List.copyOf(archivedAtDeliveryLimit);
    }
}

package io.strata.broker.share;

import java.util.List;

/**
 * What an acquisition gave a member, and the records that expired locks archived on the way because they had
 * reached the delivery limit (to be dead-lettered by the caller). Immutable.
 */
public record AcquireResult(List<AcquiredRecords> acquired, List<OffsetRange> archivedAtDeliveryLimit) {

    public AcquireResult {
        acquired = List.copyOf(acquired);
        archivedAtDeliveryLimit = List.copyOf(archivedAtDeliveryLimit);
    }

    /** How many offsets were acquired. */
    public long acquiredCount() {
        return acquired.stream().mapToLong(a -> a.lastOffset() - a.firstOffset() + 1).sum();
    }
}

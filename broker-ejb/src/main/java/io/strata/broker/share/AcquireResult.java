package io.strata.broker.share;

import java.util.List;

/**
 * What an acquisition gave a member, the records that expired locks archived on the way because they had reached the
 * delivery limit (to be dead-lettered by the caller), and whether the partition's state must be stored before the
 * acquired records are delivered: true when the acquisition delivers a record at or past the stored delivery bound, or
 * delivers a record again ({@link SharePartition#deliveryBoundOffset()}). Immutable.
 */
public record AcquireResult(List<AcquiredRecords> acquired, List<OffsetRange> archivedAtDeliveryLimit,
                            boolean storeBeforeDelivery) {

    public AcquireResult {
        acquired = List.copyOf(acquired);
        archivedAtDeliveryLimit = List.copyOf(archivedAtDeliveryLimit);
    }

    /** How many offsets were acquired. */
    public long acquiredCount() {
        return acquired.stream().mapToLong(a -> a.lastOffset() - a.firstOffset() + 1).sum();
    }
}

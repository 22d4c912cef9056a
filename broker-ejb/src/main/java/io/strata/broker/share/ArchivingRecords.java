package io.strata.broker.share;

/**
 * Offsets {@code firstOffset..lastOffset} of a share partition in the Archiving state: given up on after
 * {@code deliveryCount} deliveries, because a member rejected them ({@code rejected}) or they reached the delivery
 * limit, and waiting for their dead-letter write (KIP-1191). Immutable.
 */
public record ArchivingRecords(long firstOffset, long lastOffset, int deliveryCount, boolean rejected) {

    public ArchivingRecords {
        if (firstOffset < 0 || lastOffset < firstOffset) {
            throw new IllegalArgumentException("bad archiving range " + firstOffset + ".." + lastOffset);
        }
        if (deliveryCount < 0) {
            throw new IllegalArgumentException("negative delivery count " + deliveryCount);
        }
    }

    /** Why the records are dead-lettered. */
    public DeadLetterReason reason() {
        return rejected ? DeadLetterReason.CLIENT_REJECT : DeadLetterReason.DELIVERY_COUNT_EXCEEDED;
    }
}

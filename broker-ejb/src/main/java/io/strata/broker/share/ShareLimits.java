package io.strata.broker.share;

/**
 * The limits a share partition runs under, with Kafka's names and defaults:
 * <ul>
 * <li>{@code lockDurationMs}: {@code share.record.lock.duration.ms} (group config; broker default
 * {@code group.share.record.lock.duration.ms} = 30000), how long an acquisition holds its records;</li>
 * <li>{@code deliveryCountLimit}: {@code share.delivery.count.limit} (group config; broker default
 * {@code group.share.delivery.count.limit} = 5, valid 2..10), after how many deliveries a record that is released
 * or whose lock expires is archived instead of made available again;</li>
 * <li>{@code maxRecordLocks}: {@code group.share.partition.max.record.locks} (default 2000), the most offsets
 * tracked in flight between the start offset and the end offset, which bounds the partition's memory;</li>
 * <li>{@code deliveryBoundHeadroom} (Strata's own, no Kafka name): how many offsets past the end of an acquisition
 * the store is told may have been delivered ({@link SharePartition#deliveryBoundOffset()}), so that the next
 * acquisitions up to there need no write of their own. More means fewer state writes, and more records that a new
 * leader delivers as possibly delivered before (one delivery counted) though they never were.</li>
 * </ul>
 */
public record ShareLimits(long lockDurationMs, int deliveryCountLimit, int maxRecordLocks,
                          int deliveryBoundHeadroom) {

    /**
     * The default headroom: one fetch of a KafkaShareConsumer ({@code max.poll.records} 500) or of the JMS provider
     * (500 records), so that a consumer acknowledging as it goes never waits for a write of the bound, and one that
     * does not waits for at most one write per 500 records.
     */
    public static final int DELIVERY_BOUND_HEADROOM_DEFAULT = 500;

    public static final ShareLimits DEFAULTS = new ShareLimits(30_000, 5, 2000);

    /**
     * Limits with the default delivery-bound headroom; none with a delivery count limit of 1, where a record counted as
     * possibly delivered is archived by a new leader: only records that were handed out are counted so, at the price
     * of a write per acquisition.
     */
    public ShareLimits(long lockDurationMs, int deliveryCountLimit, int maxRecordLocks) {
        this(lockDurationMs, deliveryCountLimit, maxRecordLocks,
                deliveryCountLimit == 1 ? 0 : DELIVERY_BOUND_HEADROOM_DEFAULT);
    }

    public ShareLimits {
        if (lockDurationMs < 1) {
            throw new IllegalArgumentException("lock duration must be positive, got " + lockDurationMs + " ms");
        }
        if (deliveryCountLimit < 1 || deliveryCountLimit > Short.MAX_VALUE) {
            throw new IllegalArgumentException("delivery count limit out of range: " + deliveryCountLimit);
        }
        if (maxRecordLocks < 1) {
            throw new IllegalArgumentException("max record locks must be positive, got " + maxRecordLocks);
        }
        if (deliveryBoundHeadroom < 0) {
            throw new IllegalArgumentException("delivery bound headroom must not be negative, got "
                    + deliveryBoundHeadroom);
        }
    }
}

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
 * tracked in flight between the start offset and the end offset, which bounds the partition's memory.</li>
 * </ul>
 */
public record ShareLimits(long lockDurationMs, int deliveryCountLimit, int maxRecordLocks) {

    public static final ShareLimits DEFAULTS = new ShareLimits(30_000, 5, 2000);

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
    }
}

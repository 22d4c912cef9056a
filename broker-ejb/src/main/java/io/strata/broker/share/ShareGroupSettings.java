package io.strata.broker.share;

import org.apache.kafka.common.IsolationLevel;

import java.util.Objects;

/**
 * The settings of one share group that the leader of a topic partition needs to serve it, with Kafka's group config
 * names: {@code share.record.lock.duration.ms}, {@code share.delivery.count.limit}, {@code share.auto.offset.reset}
 * and {@code share.isolation.level}. They come from the group coordinator's side (the group's dynamic config, or the
 * broker defaults {@code group.share.*}); the fetch side only reads them. Immutable.
 */
public record ShareGroupSettings(long lockDurationMs, int deliveryCountLimit, AutoOffsetReset autoOffsetReset,
                                 IsolationLevel isolationLevel) {

    /** Kafka's defaults: a 30 s lock, 5 deliveries, start at the log end, read uncommitted. */
    public static final ShareGroupSettings DEFAULTS = new ShareGroupSettings(30_000, 5, AutoOffsetReset.LATEST,
            IsolationLevel.READ_UNCOMMITTED);

    public ShareGroupSettings {
        if (lockDurationMs < 1) {
            throw new IllegalArgumentException("share.record.lock.duration.ms must be positive, got "
                    + lockDurationMs);
        }
        if (deliveryCountLimit < 1 || deliveryCountLimit > Short.MAX_VALUE) {
            throw new IllegalArgumentException("share.delivery.count.limit out of range: " + deliveryCountLimit);
        }
        Objects.requireNonNull(autoOffsetReset, "autoOffsetReset");
        Objects.requireNonNull(isolationLevel, "isolationLevel");
    }

    /** The limits of a share partition of this group, with the broker's bound on in-flight records. */
    public ShareLimits limits(int maxRecordLocks) {
        return new ShareLimits(lockDurationMs, deliveryCountLimit, maxRecordLocks);
    }
}

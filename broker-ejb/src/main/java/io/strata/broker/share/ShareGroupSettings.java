package io.strata.broker.share;

import org.apache.kafka.common.IsolationLevel;

import java.util.Objects;

/**
 * The settings of one share group that the leader of a topic partition needs to serve it, with Kafka's group config
 * names: {@code share.record.lock.duration.ms}, {@code share.delivery.count.limit}, {@code share.auto.offset.reset},
 * {@code share.isolation.level}, and KIP-1191's {@code errors.deadletterqueue.topic.name} (null: the group has no
 * dead-letter topic) and {@code errors.deadletterqueue.copy.record.enable}. They come from the group coordinator's
 * side (the group's dynamic config, or the broker defaults {@code group.share.*}); the fetch side only reads them.
 * Immutable.
 */
public record ShareGroupSettings(long lockDurationMs, int deliveryCountLimit, AutoOffsetReset autoOffsetReset,
                                 IsolationLevel isolationLevel, String deadLetterTopic,
                                 boolean deadLetterCopyRecord) {

    /** Kafka's defaults: a 30 s lock, 5 deliveries, start at the log end, read uncommitted, no dead-letter topic. */
    public static final ShareGroupSettings DEFAULTS = new ShareGroupSettings(30_000, 5, AutoOffsetReset.LATEST,
            IsolationLevel.READ_UNCOMMITTED);

    /** Settings without a dead-letter topic. */
    public ShareGroupSettings(long lockDurationMs, int deliveryCountLimit, AutoOffsetReset autoOffsetReset,
                              IsolationLevel isolationLevel) {
        this(lockDurationMs, deliveryCountLimit, autoOffsetReset, isolationLevel, null, false);
    }

    public ShareGroupSettings {
        if (deadLetterTopic != null && deadLetterTopic.isBlank()) {
            deadLetterTopic = null;
        }
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

    /** Whether records the group gives up on go to a dead-letter topic (KIP-1191). */
    public boolean deadLettering() {
        return deadLetterTopic != null;
    }

    /** The same settings with a dead-letter topic ({@code topic} null or empty: none). */
    public ShareGroupSettings withDeadLetterTopic(String topic, boolean copyRecord) {
        return new ShareGroupSettings(lockDurationMs, deliveryCountLimit, autoOffsetReset, isolationLevel, topic,
                copyRecord);
    }

    /** The limits of a share partition of this group, with the broker's bound on in-flight records. */
    public ShareLimits limits(int maxRecordLocks) {
        return new ShareLimits(lockDurationMs, deliveryCountLimit, maxRecordLocks);
    }
}

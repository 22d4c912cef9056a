package io.strata.broker.share;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.function.LongUnaryOperator;

/**
 * {@code share.auto.offset.reset}: where a share partition with no saved state starts. {@code earliest} is the log
 * start, {@code latest} (Kafka's default) the log end, {@code by_duration:<ISO-8601 duration>} the first record with a
 * timestamp at most that long ago (the log end when there is none). Immutable.
 */
public final class AutoOffsetReset {

    public static final AutoOffsetReset EARLIEST = new AutoOffsetReset("earliest", null);
    public static final AutoOffsetReset LATEST = new AutoOffsetReset("latest", null);

    private static final String BY_DURATION = "by_duration:";

    private final String name;
    private final Duration duration;

    private AutoOffsetReset(String name, Duration duration) {
        this.name = name;
        this.duration = duration;
    }

    /** Resets to the first record at most {@code duration} old. */
    public static AutoOffsetReset byDuration(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("share.auto.offset.reset duration must not be negative: " + duration);
        }
        return new AutoOffsetReset(BY_DURATION + duration, duration);
    }

    /** Parses the config value; throws {@link IllegalArgumentException} naming a value that is none of the three. */
    public static AutoOffsetReset parse(String value) {
        if ("earliest".equals(value)) {
            return EARLIEST;
        }
        if ("latest".equals(value)) {
            return LATEST;
        }
        if (value != null && value.startsWith(BY_DURATION)) {
            try {
                return byDuration(Duration.parse(value.substring(BY_DURATION.length())));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("share.auto.offset.reset has a bad ISO-8601 duration: " + value, e);
            }
        }
        throw new IllegalArgumentException("share.auto.offset.reset must be earliest, latest or"
                + " by_duration:PnDTnHnMn.nS, got " + value);
    }

    /**
     * The start offset for a new share partition.
     *
     * @param offsetForTimestampMs the first offset whose timestamp is at or after the argument, or -1 if none
     */
    public long startOffset(long logStartOffset, long logEndOffset, LongUnaryOperator offsetForTimestampMs,
            long nowMs) {
        if (this == EARLIEST) {
            return logStartOffset;
        }
        if (this == LATEST) {
            return logEndOffset;
        }
        long offset = offsetForTimestampMs.applyAsLong(nowMs - duration.toMillis());
        return offset < 0 ? logEndOffset : Math.max(logStartOffset, Math.min(offset, logEndOffset));
    }

    @Override
    public String toString() {
        return name;
    }
}

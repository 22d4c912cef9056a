package io.strata.bench.kafka;

import java.util.Locale;

/**
 * How a case's records are consumed: by ConsumerPerformance in a classic group ({@code group.protocol=classic}), by
 * ConsumerPerformance in a KIP-848 consumer group ({@code group.protocol=consumer}), or by ShareConsumerPerformance
 * with {@code threads} KafkaShareConsumers in one share group (KIP-932), which acknowledge every record they get
 * (implicit acknowledgement). Immutable.
 *
 * <p>Written on the command line as {@code classic}, {@code consumer} and {@code share-N}.
 *
 * @param kind    {@link #CLASSIC}, {@link #CONSUMER} or {@link #SHARE}
 * @param threads share consumers in the share group; 1 for the other kinds
 */
record GroupConsumer(String kind, int threads) {

    static final String CLASSIC = "classic";
    static final String CONSUMER = "consumer";
    static final String SHARE = "share";
    /** More share consumers than this in one tool JVM would measure the tool, not the broker. */
    static final int SHARE_THREADS_MAX = 64;

    static final GroupConsumer CLASSIC_GROUP = new GroupConsumer(CLASSIC, 1);

    GroupConsumer {
        if (!kind.equals(CLASSIC) && !kind.equals(CONSUMER) && !kind.equals(SHARE)) {
            throw new IllegalArgumentException("consumer kind must be classic, consumer or share-N: " + kind);
        }
        if (threads < 1 || threads > SHARE_THREADS_MAX || (!kind.equals(SHARE) && threads != 1)) {
            throw new IllegalArgumentException("a " + kind + " consumer takes " + (kind.equals(SHARE)
                    ? "1 to " + SHARE_THREADS_MAX + " threads" : "one thread") + ": " + threads);
        }
    }

    /** Parses {@code classic}, {@code consumer} or {@code share-N}. */
    static GroupConsumer parse(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith(SHARE + "-")) {
            try {
                return new GroupConsumer(SHARE, Integer.parseInt(value.substring(SHARE.length() + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("share consumers are written share-N, N a number: " + text);
            }
        }
        if (value.equals(SHARE)) {
            throw new IllegalArgumentException("say how many share consumers: share-1, share-4, ...: " + text);
        }
        return new GroupConsumer(value, 1);
    }

    boolean share() {
        return kind.equals(SHARE);
    }

    /** The name ConsumerPerformance's {@code group.protocol} takes; only for classic and consumer groups. */
    String groupProtocol() {
        if (share()) {
            throw new IllegalStateException("a share group has no group.protocol; it is read by share consumers");
        }
        return kind;
    }

    /** As written on the command line. */
    String id() {
        return share() ? SHARE + "-" + threads : kind;
    }

    /** As the report names it. */
    String label() {
        return switch (kind) {
            case CLASSIC -> "classic group";
            case CONSUMER -> "consumer group (KIP-848)";
            default -> threads + (threads == 1 ? " share consumer" : " share consumers");
        };
    }
}

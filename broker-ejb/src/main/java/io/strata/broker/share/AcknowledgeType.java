package io.strata.broker.share;

/**
 * How a member acknowledges records it acquired, with the ids of ShareFetch/ShareAcknowledge: ACCEPT marks them
 * processed, RELEASE hands them back for redelivery (their delivery count stays), REJECT archives them, and RENEW
 * (KIP-1222, Kafka 4.2) keeps them acquired and restarts their lock for a full lock duration.
 */
public enum AcknowledgeType {
    ACCEPT((byte) 1),
    RELEASE((byte) 2),
    REJECT((byte) 3),
    RENEW((byte) 4);

    /** The id on the wire. */
    public final byte id;

    AcknowledgeType(byte id) {
        this.id = id;
    }

    /** The type with the given wire id; throws {@link IllegalArgumentException} naming an unknown id. */
    public static AcknowledgeType forId(byte id) {
        for (AcknowledgeType type : values()) {
            if (type.id == id) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown acknowledge type id " + id);
    }
}

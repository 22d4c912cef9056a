package io.strata.broker.group;

/**
 * A group of one kind or another, as the group coordinator hosts it in a partition of {@code __consumer_offsets}.
 * Classic groups (Kafka's client-side assignor protocol) are the first kind; consumer-protocol (KIP-848) and share
 * groups (KIP-932) come as kinds beside them. Committed offsets are not part of a group: they live in the
 * coordinator's {@link OffsetStore}, whatever the kind.
 *
 * <p>Implementations are confined to the coordinator runtime's thread.
 */
interface Group {

    /** The kinds of group, named as ListGroups shows them ({@code groupType}). */
    enum Type {
        CLASSIC("classic"),
        CONSUMER("consumer"),
        SHARE("share");

        private final String display;

        Type(String display) {
            this.display = display;
        }

        public String display() {
            return display;
        }
    }

    String groupId();

    Type type();

    /** The state as DescribeGroups and ListGroups name it. */
    String stateName();

    /** Whether the group has no members now. */
    boolean isEmpty();

    /** Whether the group was deleted (or expired) and only waits to be forgotten. */
    boolean isDead();
}

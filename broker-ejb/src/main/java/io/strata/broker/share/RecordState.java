package io.strata.broker.share;

/**
 * The delivery state of a record in a share partition. The ids are Kafka's, as written in {@code __share_group_state}:
 * a record is Available to be acquired, Acquired by one member under a time-limited lock, or finally Acknowledged
 * (processed) or Archived (rejected, or given up after the delivery limit). The last two never change again.
 *
 * <p>Archiving (KIP-1191) is the step before Archived for a record that goes to its group's dead-letter topic: it is
 * never delivered again, but the start offset does not move past it until the dead-letter write is acknowledged, so
 * that a new leader that reads it from the store writes it again rather than losing it.
 */
public enum RecordState {
    AVAILABLE((byte) 0),
    ACQUIRED((byte) 1),
    ACKNOWLEDGED((byte) 2),
    ARCHIVING((byte) 3),
    ARCHIVED((byte) 4);

    /** The id persisted in share state. */
    public final byte id;

    RecordState(byte id) {
        this.id = id;
    }

    /** Whether the record is done with: it is never delivered again, and the start offset may move past it. */
    public boolean isTerminal() {
        return this == ACKNOWLEDGED || this == ARCHIVED;
    }

    /** The state with the given persisted id; throws {@link IllegalArgumentException} naming an unknown id. */
    public static RecordState forId(byte id) {
        for (RecordState state : values()) {
            if (state.id == id) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown record state id " + id);
    }
}

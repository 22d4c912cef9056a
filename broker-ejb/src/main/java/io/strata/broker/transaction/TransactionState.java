package io.strata.broker.transaction;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The states of a transactional id, with Kafka's codes (as stored in {@code __transaction_state}) and names (as
 * DescribeTransactions and ListTransactions show them), and the states each may be entered from.
 *
 * <pre>
 *   Empty, CompleteCommit, CompleteAbort --AddPartitions/AddOffsets--> Ongoing
 *   Ongoing --EndTxn(commit)--> PrepareCommit --markers written--> CompleteCommit
 *   Empty, CompleteCommit, CompleteAbort --EndTxn(abort), transaction version 2--> PrepareAbort (nothing to mark)
 *   Ongoing --EndTxn(abort), timeout, InitProducerId--> PrepareAbort --markers written--> CompleteAbort
 *   Empty, CompleteCommit, CompleteAbort --InitProducerId--> Empty (new epoch)
 *   Empty, CompleteCommit, CompleteAbort --expired--> Dead (the record is deleted)
 *   Ongoing --EndTxn(prepare, Strata's tag 32004)--> Prepared --EndTxn(commit)--> PrepareCommit
 *                                                             --EndTxn(abort)--> PrepareAbort
 * </pre>
 *
 * <p>{@link #PREPARED} is Strata's (docs/protocol-extensions.md, {@code strata.transaction.prepare}): the first phase of
 * a two-phase commit (an XA branch), stored with the code {@value #PREPARED_CODE}, outside Kafka's 0 to 7 so that no
 * state Kafka adds later can take it. Kafka's tools show it as an unknown state.
 *
 * <p>Immutable.
 */
public enum TransactionState {
    EMPTY(0, "Empty"),
    ONGOING(1, "Ongoing"),
    PREPARE_COMMIT(2, "PrepareCommit"),
    PREPARE_ABORT(3, "PrepareAbort"),
    COMPLETE_COMMIT(4, "CompleteCommit"),
    COMPLETE_ABORT(5, "CompleteAbort"),
    DEAD(6, "Dead"),
    PREPARE_EPOCH_FENCE(7, "PrepareEpochFence"),
    /**
     * Strata's: prepared for a two-phase commit. Neither the transaction timeout nor an InitProducerId that does not
     * ask to keep it ends it; only EndTxn commit or abort does.
     */
    PREPARED(TransactionState.PREPARED_CODE, "Prepared");

    /** The code of {@link #PREPARED} in {@code __transaction_state}, far from Kafka's own. */
    static final int PREPARED_CODE = 100;

    private final byte code;
    private final String display;

    TransactionState(int code, String display) {
        this.code = (byte) code;
        this.display = display;
    }

    public byte code() {
        return code;
    }

    /** The name Kafka's tools show, such as {@code PrepareCommit}. */
    public String display() {
        return display;
    }

    public static TransactionState ofCode(byte code) {
        for (TransactionState state : values()) {
            if (state.code == code) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown transaction state code " + code);
    }

    /** The state shown as {@code name} (case-insensitive), or {@code null} if there is none. */
    public static TransactionState ofDisplay(String name) {
        for (TransactionState state : values()) {
            if (state.display.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return state;
            }
        }
        return null;
    }

    /** The states from which this one may be entered. */
    Set<TransactionState> validPrevious() {
        return switch (this) {
            case EMPTY -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case ONGOING -> EnumSet.of(ONGOING, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_COMMIT -> EnumSet.of(ONGOING, PREPARED);
            // Transaction version 2 may abort with nothing added (the client cannot know whether its first produce
            // added a partition), from any idle state.
            case PREPARE_ABORT -> EnumSet.of(ONGOING, PREPARED, PREPARE_EPOCH_FENCE, EMPTY, COMPLETE_COMMIT,
                    COMPLETE_ABORT);
            case COMPLETE_COMMIT -> EnumSet.of(PREPARE_COMMIT);
            case COMPLETE_ABORT -> EnumSet.of(PREPARE_ABORT);
            case DEAD -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_EPOCH_FENCE -> EnumSet.of(ONGOING);
            case PREPARED -> EnumSet.of(ONGOING);
        };
    }

    /** Whether a transaction in this state is being completed: markers are on their way. */
    boolean isPreparing() {
        return this == PREPARE_COMMIT || this == PREPARE_ABORT;
    }

    /** Whether no transaction is open: a new one may begin, the id may expire. */
    boolean isIdle() {
        return this == EMPTY || this == COMPLETE_COMMIT || this == COMPLETE_ABORT;
    }
}

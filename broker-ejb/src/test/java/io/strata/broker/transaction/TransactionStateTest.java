package io.strata.broker.transaction;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The transitions of a transactional id are exactly Kafka's (transaction protocol v1 and 2), plus Strata's Prepared
 * (entered from Ongoing, left for PrepareCommit or PrepareAbort), and no other is allowed.
 */
class TransactionStateTest {

    private static final Map<TransactionState, Set<TransactionState>> ALLOWED = Map.of(
            TransactionState.EMPTY, EnumSet.of(TransactionState.EMPTY, TransactionState.COMPLETE_COMMIT,
                    TransactionState.COMPLETE_ABORT),
            TransactionState.ONGOING, EnumSet.of(TransactionState.ONGOING, TransactionState.EMPTY,
                    TransactionState.COMPLETE_COMMIT, TransactionState.COMPLETE_ABORT),
            TransactionState.PREPARE_COMMIT, EnumSet.of(TransactionState.ONGOING, TransactionState.PREPARED),
            // Kafka 4's transaction version 2 also aborts from the idle states: an abort with nothing added.
            TransactionState.PREPARE_ABORT, EnumSet.of(TransactionState.ONGOING, TransactionState.PREPARED,
                    TransactionState.PREPARE_EPOCH_FENCE, TransactionState.EMPTY, TransactionState.COMPLETE_COMMIT,
                    TransactionState.COMPLETE_ABORT),
            TransactionState.COMPLETE_COMMIT, EnumSet.of(TransactionState.PREPARE_COMMIT),
            TransactionState.COMPLETE_ABORT, EnumSet.of(TransactionState.PREPARE_ABORT),
            TransactionState.DEAD, EnumSet.of(TransactionState.EMPTY, TransactionState.COMPLETE_COMMIT,
                    TransactionState.COMPLETE_ABORT),
            TransactionState.PREPARE_EPOCH_FENCE, EnumSet.of(TransactionState.ONGOING),
            TransactionState.PREPARED, EnumSet.of(TransactionState.ONGOING));

    @Test
    void everyAllowedTransitionIsKafkasAndEveryOtherIsRefused() {
        for (TransactionState target : TransactionState.values()) {
            for (TransactionState from : TransactionState.values()) {
                TransactionMetadata metadata = new TransactionMetadata("tx", 1, (short) 0, 1000, from, 0);
                if (ALLOWED.get(target).contains(from)) {
                    assertThat(metadata.transition(target, 1, (short) 0, 1000, Set.of(), -1, 1).state())
                            .as(from + " -> " + target).isEqualTo(target);
                } else {
                    assertThatThrownBy(() -> metadata.transition(target, 1, (short) 0, 1000, Set.of(), -1, 1))
                            .as(from + " -> " + target).isInstanceOf(IllegalStateException.class);
                }
            }
        }
    }

    @Test
    void aTransitionWhileAnotherIsBeingWrittenIsRefused() {
        TransactionMetadata metadata = new TransactionMetadata("tx", 1, (short) 0, 1000, TransactionState.ONGOING, 0);
        metadata.pending = TransactionState.PREPARE_COMMIT;

        assertThatThrownBy(() -> metadata.transition(TransactionState.PREPARE_ABORT, 1, (short) 1, 1000, Set.of(), 0,
                1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("PREPARE_COMMIT");
    }

    @Test
    void codesAndNamesAreKafkasAndPreparedsIsFarFromThem() {
        assertThat(TransactionState.values()).extracting(TransactionState::code)
                .containsExactly((byte) 0, (byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 5, (byte) 6, (byte) 7,
                        (byte) 100);
        assertThat(TransactionState.ofDisplay("Prepared")).isEqualTo(TransactionState.PREPARED);
        assertThat(TransactionState.ofDisplay("prepareCommit")).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(TransactionState.ofDisplay("Bogus")).isNull();
        assertThat(TransactionState.ofCode((byte) 5)).isEqualTo(TransactionState.COMPLETE_ABORT);
    }
}

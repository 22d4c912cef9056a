package io.strata.broker.transaction;

import io.strata.broker.transaction.TransactionRecords.Stored;
import org.apache.kafka.common.TopicPartition;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the coordinator knows of one transactional id: its producer id and epoch, timeout, state, the partitions of its
 * open transaction and when it began. The fields are those of the last committed record ({@link #apply}); while a
 * change is being written {@link #pending} names its target state, and other changes are refused with
 * CONCURRENT_TRANSACTIONS until it is committed or failed, so that at most one write per id is in flight.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
final class TransactionMetadata {

    final String transactionalId;
    long producerId;
    short producerEpoch;
    /** The epoch before the last InitProducerId bump, so that a retried InitProducerId gets the same answer. */
    short lastProducerEpoch = -1;
    /**
     * The producer id before the last epoch exhaustion under transaction version 2, -1 if none: a retried EndTxn of
     * the transaction that exhausted it still names it.
     */
    long previousProducerId = -1;
    /** The producer id an epoch exhaustion moves to once the markers are written, -1 if none is under way. */
    long nextProducerId = -1;
    /** The client's transaction version: 2 once it ends transactions with KIP-890's epoch bump, else 0. */
    short transactionVersion;
    int timeoutMs;
    TransactionState state;
    final Set<TopicPartition> partitions = new LinkedHashSet<>();
    long startMs = -1;
    long lastUpdateMs;
    /** The state a write in flight leads to, or {@code null}. */
    TransactionState pending;

    TransactionMetadata(String transactionalId, long producerId, short producerEpoch, int timeoutMs,
                        TransactionState state, long nowMs) {
        this.transactionalId = transactionalId;
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.timeoutMs = timeoutMs;
        this.state = state;
        this.lastUpdateMs = nowMs;
    }

    static TransactionMetadata of(String transactionalId, Stored stored) {
        TransactionMetadata metadata = new TransactionMetadata(transactionalId, stored.producerId(),
                stored.producerEpoch(), stored.timeoutMs(), stored.state(), stored.lastUpdateMs());
        metadata.partitions.addAll(stored.partitions());
        metadata.startMs = stored.startMs();
        metadata.previousProducerId = stored.previousProducerId();
        metadata.nextProducerId = stored.nextProducerId();
        metadata.transactionVersion = stored.transactionVersion();
        return metadata;
    }

    Stored stored() {
        return new Stored(producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateMs, startMs,
                previousProducerId, nextProducerId, transactionVersion);
    }

    /**
     * The record of a change to {@code target}; throws IllegalStateException if the state machine does not allow it,
     * a programmer error.
     */
    Stored transition(TransactionState target, long newProducerId, short newEpoch, int newTimeoutMs,
                      Set<TopicPartition> newPartitions, long newStartMs, long nowMs) {
        if (!target.validPrevious().contains(state)) {
            throw new IllegalStateException("transactional id " + transactionalId + " cannot go from " + state
                    + " to " + target);
        }
        if (pending != null) {
            throw new IllegalStateException("transactional id " + transactionalId + " is already going to "
                    + pending + "; it cannot also go to " + target);
        }
        return new Stored(newProducerId, newEpoch, newTimeoutMs, target, newPartitions, nowMs, newStartMs,
                previousProducerId, nextProducerId, transactionVersion);
    }

    /**
     * As {@link #transition(TransactionState, long, short, int, Set, long, long)}, with the fields of transaction
     * version 2 set.
     */
    Stored transition(TransactionState target, long newProducerId, short newEpoch, Set<TopicPartition> newPartitions,
                      long newStartMs, long nowMs, long newPreviousProducerId, long newNextProducerId,
                      short newTransactionVersion) {
        Stored checked = transition(target, newProducerId, newEpoch, timeoutMs, newPartitions, newStartMs, nowMs);
        return new Stored(checked.producerId(), checked.producerEpoch(), checked.timeoutMs(), target,
                checked.partitions(), nowMs, newStartMs, newPreviousProducerId, newNextProducerId,
                newTransactionVersion);
    }

    /** Whether the epoch cannot grow by one more transaction's bump: a new producer id is due (Kafka's rule). */
    boolean isEpochExhausted() {
        return producerEpoch >= Short.MAX_VALUE - 1;
    }

    /** Takes the state of a committed record. */
    void apply(Stored stored) {
        producerId = stored.producerId();
        producerEpoch = stored.producerEpoch();
        timeoutMs = stored.timeoutMs();
        state = stored.state();
        partitions.clear();
        partitions.addAll(stored.partitions());
        startMs = stored.startMs();
        lastUpdateMs = stored.lastUpdateMs();
        previousProducerId = stored.previousProducerId();
        nextProducerId = stored.nextProducerId();
        transactionVersion = stored.transactionVersion();
    }

    boolean hasTimedOut(long nowMs) {
        return state == TransactionState.ONGOING && pending == null && startMs >= 0 && nowMs - startMs > timeoutMs;
    }

    @Override
    public String toString() {
        return "transactional id " + transactionalId + " (producer id " + producerId + ", epoch " + producerEpoch
                + (transactionVersion >= 2 ? ", transaction version 2" : "") + ", " + state.display()
                + (pending == null ? "" : " going to " + pending.display()) + ")";
    }
}

package io.strata.storage.cleaner;

import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Tells, batch by batch in offset order, which batches belong to aborted transactions, from the aborted transactions
 * overlapping the range read (the log's transaction index): a producer's transactional batches from the first offset
 * of one of its aborted transactions up to its marker are aborted. The cleaner neither maps their keys (an aborted
 * record must not shadow the committed value before it) nor keeps them, as Kafka's cleaner.
 *
 * <p>Bounded by the aborted transactions given; not thread-safe: one cleaning pass uses it.
 */
final class AbortedBatches {

    private final Deque<AbortedTransaction> starting;
    private final Set<Long> aborting = new HashSet<>();

    AbortedBatches(List<AbortedTransaction> aborted) {
        this.starting = new ArrayDeque<>(aborted.stream()
                .sorted(Comparator.comparingLong(AbortedTransaction::firstOffset)).toList());
    }

    /** Whether {@code batch}, the next one in offset order, belongs to an aborted transaction. */
    boolean isAborted(RecordBatch batch) {
        while (!starting.isEmpty() && starting.peekFirst().firstOffset() <= batch.baseOffset()) {
            aborting.add(starting.pollFirst().producerId());
        }
        if (!batch.hasProducerId()) {
            return false;
        }
        if (batch.isControlBatch()) {
            // The marker ends the producer's transaction; the marker itself stays.
            aborting.remove(batch.producerId());
            return false;
        }
        return batch.isTransactional() && aborting.contains(batch.producerId());
    }
}

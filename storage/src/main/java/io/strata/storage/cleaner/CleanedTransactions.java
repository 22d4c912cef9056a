package io.strata.storage.cleaner;

import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * What the cleaner knows of transactions while it reads batches in offset order, with Kafka's cleaner's rules:
 *
 * <ul>
 *   <li>a producer's transactional batches from the first offset of one of its aborted transactions (from the
 *   transaction index) up to its ABORT marker are aborted: their keys are not mapped (an aborted record must not
 *   shadow the committed value before it) and they are discarded;</li>
 *   <li>an ABORT marker whose transaction still had batches in this pass is kept, and its transaction goes into the
 *   cleaned segment's transaction index; one whose batches are all gone may be removed;</li>
 *   <li>a COMMIT marker may be removed once no batch of its transaction remains before it.</li>
 * </ul>
 * A marker that may be removed still stays for {@code delete.retention.ms} (the cleaner sets its delete horizon, as
 * for a tombstone), so that a consumer reading the transaction meanwhile still meets it.
 *
 * <p>Bounded by the aborted transactions of the segments read and by the producers writing in them. Not
 * thread-safe: one cleaning pass uses it.
 */
final class CleanedTransactions {

    private final PriorityQueue<AbortedTransaction> starting =
            new PriorityQueue<>((a, b) -> Long.compare(a.firstOffset(), b.firstOffset()));
    /** Producers inside an aborted transaction: the transaction, and whether a batch of it was read. */
    private final Map<Long, AbortedState> aborting = new HashMap<>();
    /** Producers inside a transaction that is not aborted (committed, as it is below the last stable offset). */
    private final Set<Long> committing = new HashSet<>();
    /** Aborted transactions whose marker stays, in marker order: the cleaned segment's transaction index. */
    private final List<AbortedTransaction> retainedAborts = new ArrayList<>();

    private static final class AbortedState {
        final AbortedTransaction transaction;
        boolean batchRead;

        AbortedState(AbortedTransaction transaction) {
            this.transaction = transaction;
        }
    }

    /** The aborted transactions overlapping the next segment to be read. */
    void addAbortedTransactions(List<AbortedTransaction> aborted) {
        starting.addAll(aborted);
    }

    /** For a data batch, the next in offset order: whether it belongs to an aborted transaction. */
    boolean onBatchRead(RecordBatch batch) {
        startTransactionsUpTo(batch.lastOffset());
        if (!batch.isTransactional()) {
            return false;
        }
        AbortedState aborted = aborting.get(batch.producerId());
        if (aborted != null) {
            aborted.batchRead = true;
            return true;
        }
        committing.add(batch.producerId());
        return false;
    }

    /** For a control batch, the next in offset order: whether the marker may be removed (after its horizon). */
    boolean onControlBatchRead(RecordBatch batch) {
        startTransactionsUpTo(batch.lastOffset());
        ControlRecordType type;
        try (CloseableIterator<Record> records = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            if (!records.hasNext()) {
                // Emptied by an earlier cleaning: nothing left to keep.
                return true;
            }
            type = ControlRecordType.parse(records.next().key());
        }
        long producerId = batch.producerId();
        if (type == ControlRecordType.ABORT) {
            AbortedState aborted = aborting.remove(producerId);
            if (aborted != null && aborted.batchRead) {
                retainedAborts.add(aborted.transaction);
                return false;
            }
            return true;
        }
        if (type == ControlRecordType.COMMIT) {
            return !committing.remove(producerId);
        }
        return false;
    }

    /** The aborted transactions whose markers this pass kept, in marker order. */
    List<AbortedTransaction> retainedAborts() {
        return retainedAborts;
    }

    private void startTransactionsUpTo(long offset) {
        while (!starting.isEmpty() && starting.peek().firstOffset() <= offset) {
            AbortedTransaction next = starting.poll();
            aborting.putIfAbsent(next.producerId(), new AbortedState(next));
        }
    }
}

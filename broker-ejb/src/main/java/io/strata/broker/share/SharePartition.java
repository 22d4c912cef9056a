package io.strata.broker.share;

import io.strata.broker.share.InFlightRecords.Range;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongFunction;
import java.util.function.Predicate;

/**
 * The state of one share group on one topic partition (KIP-932): which records its members may still be given, which
 * one of them holds, and which are done with.
 *
 * <p>Offsets below the <em>start offset</em> (Kafka's SPSO) are done with. Offsets from the start offset up to the
 * <em>end offset</em> (exclusive; Kafka's SPEO is the last of them) are in flight, each in one {@link RecordState}
 * with a delivery count, kept as ranges ({@link InFlightRecords}). Offsets at or past the end offset have never been
 * acquired: they are Available with no delivery. The in-flight window never holds more than
 * {@link ShareLimits#maxRecordLocks()} offsets, which bounds memory and how far members run ahead of the slowest
 * record.
 *
 * <p>An acquisition raises the delivery count of what it takes and locks it to the member for
 * {@link ShareLimits#lockDurationMs()}. A record that is released, whose lock expires, or whose member leaves becomes
 * Available again, unless it has been delivered {@link ShareLimits#deliveryCountLimit()} times: then it is Archived,
 * and the operation reports it so the caller can dead-letter it. The start offset moves past every Acknowledged or
 * Archived record at the front of the window.
 *
 * <p>An acknowledgement may be made inside a producer's transaction (a Strata extension, docs/protocol-extensions.md):
 * it is then held <em>pending</em> on the records, which stay Acquired by their member with their lock pinned (it does
 * not expire, and the member leaving does not release them) until the transaction's outcome is known:
 * {@link #completeTransaction} with COMMIT applies it as an ordinary acknowledgement, with ABORT releases the records.
 * The transaction timeout bounds how long they stay pinned: the coordinator aborts a transaction that runs over it.
 * A pending record cannot be acknowledged again. Pending acknowledgements are part of the {@link #snapshot()} (a
 * {@link PendingAcknowledgement} on the batch), so a new leader {@link #rebuild}s them pending, held by no member, and
 * the producer's first marker at or after each one's marker search offset decides them, whether it is found in the
 * log or brought later by WriteTxnMarkers: a marker below that offset ended an earlier transaction and does not count.
 *
 * <p>When the group has a dead-letter topic ({@link #deadLettering}), a record given up on, at the delivery limit or
 * because a member rejected it, becomes Archiving instead (KIP-1191): never delivered again, but holding the start
 * offset back until {@link #completeArchiving} says its dead-letter write was acknowledged. Archiving is stored like
 * any state, so a new leader finds it and writes the record again: at least once, never lost.
 *
 * <p>An acquisition may carry a filter (a JMS message selector, ARCHITECTURE.md decision 10): a record that does not
 * match is skipped for that member, stays Available for others, and its delivery count is not raised.
 *
 * <p>Acquisitions are not stored one by one, but a new leader must not hand out as never delivered a record the old
 * one may have delivered: JMS marks such a message redelivered (JMSRedelivered, JMSXDeliveryCount), and the delivery
 * limit must count a delivery whose broker died. So the partition keeps a <em>delivery bound</em>
 * ({@link #deliveryBoundOffset()}): every offset below it may have been delivered, and the store knows so. An
 * acquisition that delivers a record at or past the bound, or delivers a record again, moves the bound
 * {@link ShareLimits#deliveryBoundHeadroom()} offsets past the end offset and says that the state must be stored
 * before its records go out ({@link AcquireResult#storeBeforeDelivery()}); acquisitions of first deliveries below the
 * bound need no write, so a steady consumer pays at most one write per headroom of records (none when its
 * acknowledgements, which are stored anyway, carry the bound along: {@link #extendDeliveryBound()}). The
 * {@link #snapshot()} stores the bound in Kafka's own terms, as Available records delivered once: from the end offset
 * up to the bound, and the in-flight records never delivered (skipped by a filter). {@link #rebuild} gives every
 * record below the stored end that the store lists as never delivered, or does not list, a delivery count of 1, and
 * a new leader delivers it with a count of 2. Some of those were never delivered (at most the headroom, and those a
 * filter skipped): Jakarta Messaging allows JMSRedelivered on a message that was only likely delivered before, and
 * such a record loses one delivery from its limit (with a limit of 1, at most once, a failover archives it).
 *
 * <p>Cost: an operation makes one or two passes over the ranges, at most one per in-flight offset and usually a
 * handful, so bounded by the record-lock limit. A filtered acquisition also tests every Available offset of the
 * window that lies in the caller's read of the log until it has enough, one record read each: records nobody's filter
 * matches are tested again on every fetch, and hold the start offset back.
 *
 * <p>Time is an argument ({@code nowMs}); expired locks are released at the start of every operation that takes it.
 * Not thread-safe: the coordinator runtime runs one operation at a time per partition.
 */
public final class SharePartition {

    private final ShareLimits limits;
    private final InFlightRecords inFlight = new InFlightRecords();
    private int stateEpoch;
    private long startOffset;
    private long endOffset;
    /** The log's first offset as last told; records below it are gone, and are archived once no member holds them. */
    private long logStartOffset;
    /** No lock ends before this; a lower bound that spares most operations a pass over the ranges. */
    private long earliestLockExpiryMs = Long.MAX_VALUE;
    /** Whether records given up on become Archiving (the group has a dead-letter topic) rather than Archived. */
    private boolean deadLettering;
    /**
     * Every offset below it may have been delivered, and the store says so (once the state that raised it is
     * stored); never below an Acquired offset.
     */
    private long deliveryBoundOffset;

    /** A new share partition with nothing in flight, starting at {@code startOffset} (see {@link AutoOffsetReset}). */
    public SharePartition(ShareLimits limits, int stateEpoch, long startOffset) {
        if (startOffset < 0) {
            throw new IllegalArgumentException("negative start offset " + startOffset);
        }
        this.limits = limits;
        this.stateEpoch = stateEpoch;
        this.startOffset = startOffset;
        this.endOffset = startOffset;
        this.deliveryBoundOffset = startOffset;
    }

    /** A share partition rebuilt from a snapshot, and the records that rebuilding archived. */
    public record Rebuilt(SharePartition partition, List<OffsetRange> archivedAtDeliveryLimit) {
    }

    /**
     * Rebuilds a share partition from its snapshot, as a new leader does. Records that were Acquired lost their
     * member with the old leader: they become Available again with their delivery count (or Archived, and reported,
     * if it reached the limit), so nothing acknowledged is lost and nothing is delivered beyond at-least-once. Records
     * below the last stored offset that the store lists as Available never delivered, or does not list, may have been
     * delivered by the old leader: they get a delivery count of 1 (see the class comment). Records
     * whose acknowledgement was pending in a transaction stay Acquired and pending, held by no member, their lock
     * pinned: {@link #completeTransaction} decides them ({@link #pendingTransactions} says for which producers). The
     * caller then tells it the log start offset ({@link #advanceLogStartOffset}).
     */
    public static Rebuilt rebuild(SharePartitionState state, ShareLimits limits) {
        return rebuild(state, limits, false);
    }

    /**
     * As {@link #rebuild(SharePartitionState, ShareLimits)}, for a group with a dead-letter topic when
     * {@code deadLettering}: records it gives up on become Archiving. Stored Archiving records stay so, their reason
     * taken from their delivery count (the store keeps no reason, as in Kafka): rejected below the delivery limit.
     */
    public static Rebuilt rebuild(SharePartitionState state, ShareLimits limits, boolean deadLettering) {
        return rebuild(state, limits, deadLettering, Long.MAX_VALUE);
    }

    /**
     * As {@link #rebuild(SharePartitionState, ShareLimits, boolean)}, by the leader of a log that ends at
     * {@code logEndOffset}: stored Available records at or past it are left out, as no leader delivered them (they
     * are the headroom of the delivery bound past what the log held), so records appended later are delivered as
     * never delivered before.
     */
    public static Rebuilt rebuild(SharePartitionState state, ShareLimits limits, boolean deadLettering,
                                  long logEndOffset) {
        SharePartition partition = new SharePartition(limits, state.stateEpoch(), state.startOffset());
        partition.deadLettering = deadLettering;
        List<OffsetRange> archived = new ArrayList<>();
        for (SharePartitionState.StateBatch stored : state.stateBatches()) {
            SharePartitionState.StateBatch batch = stored;
            if (batch.state() == RecordState.AVAILABLE && batch.lastOffset() >= logEndOffset) {
                if (batch.firstOffset() >= logEndOffset) {
                    continue;
                }
                batch = batch.over(batch.firstOffset(), logEndOffset - 1);
            }
            partition.appendPossiblyDeliveredUpTo(batch.firstOffset(), archived);
            int deliveryCount = batch.state() == RecordState.AVAILABLE ? Math.max(1, batch.deliveryCount())
                    : batch.deliveryCount();
            Range range = new Range(batch.firstOffset(), batch.lastOffset(), batch.state(), deliveryCount, null, 0);
            PendingAcknowledgement pending = batch.pending();
            if (pending != null) {
                range.holdPending(pending.producerId(), pending.producerEpoch(), pending.type(),
                        pending.markerSearchOffset());
            } else if (range.state == RecordState.ACQUIRED || range.state == RecordState.AVAILABLE) {
                partition.release(range, archived);
            } else if (range.state == RecordState.ARCHIVING) {
                range.archiving(range.deliveryCount < limits.deliveryCountLimit());
            }
            partition.inFlight.append(range);
            partition.endOffset = batch.lastOffset() + 1;
        }
        partition.deliveryBoundOffset = partition.endOffset;
        partition.advanceStartOffset();
        return new Rebuilt(partition, archived);
    }

    /**
     * An exact copy, locks and holders included: what a caller keeps to put the partition back when a change it made
     * could not be persisted, so that memory follows the store.
     */
    public SharePartition copy() {
        SharePartition copy = new SharePartition(limits, stateEpoch, startOffset);
        copy.inFlight.copyFrom(inFlight);
        copy.endOffset = endOffset;
        copy.logStartOffset = logStartOffset;
        copy.earliestLockExpiryMs = earliestLockExpiryMs;
        copy.deadLettering = deadLettering;
        copy.deliveryBoundOffset = deliveryBoundOffset;
        return copy;
    }

    /**
     * Whether records given up on from now on become Archiving, to be dead-lettered, or Archived at once: the group's
     * {@code errors.deadletterqueue.topic.name} is set or not. Records already Archiving stay so.
     */
    public void deadLettering(boolean enabled) {
        deadLettering = enabled;
    }

    public boolean deadLettering() {
        return deadLettering;
    }

    /** The limits this partition runs under. */
    public ShareLimits limits() {
        return limits;
    }

    public int stateEpoch() {
        return stateEpoch;
    }

    /** The share-partition start offset (SPSO): every offset below it is done with. */
    public long startOffset() {
        return startOffset;
    }

    /** One past the last in-flight offset (Kafka's SPEO + 1); nothing at or past it has been acquired. */
    public long endOffset() {
        return endOffset;
    }

    /**
     * The delivery bound: every offset below it may have been delivered, and the stored state says so once the state
     * that raised it is stored. Nothing at or past it has been delivered.
     */
    public long deliveryBoundOffset() {
        return deliveryBoundOffset;
    }

    /**
     * Moves the delivery bound to {@link ShareLimits#deliveryBoundHeadroom()} offsets past the end offset, within the
     * record-lock window, if that is further: what a state about to be stored anyway (an acknowledgement's) can carry
     * at no cost, sparing the next acquisitions a write of their own. Only on a copy that is stored before it is used,
     * or the bound would run ahead of the store.
     */
    public void extendDeliveryBound() {
        long windowEndOffset = windowStartOffset() + limits.maxRecordLocks();
        long headroomEndOffset = Math.min(endOffset + limits.deliveryBoundHeadroom(), windowEndOffset);
        deliveryBoundOffset = Math.max(deliveryBoundOffset, Math.max(endOffset, headroomEndOffset));
    }

    /**
     * Acquires up to {@code maxRecords} Available records below {@code logEndOffset} (the high watermark, or the last
     * stable offset under read_committed) for the member, lowest offsets first.
     */
    public AcquireResult acquire(String memberId, int maxRecords, long logEndOffset, long nowMs) {
        return acquire(memberId, maxRecords, logEndOffset, (RecordLookup) null, null, nowMs);
    }

    /**
     * Acquires up to {@code maxRecords} Available records below {@code logEndOffset} that match {@code filter}. A
     * record that does not match stays Available for other members, its delivery count unchanged; an offset for
     * which {@code records} has no record (compacted away) is archived, since there is nothing to deliver.
     *
     * @param records the record at an offset, or null; read only when there is a filter
     * @param filter  which records this member takes, or null for all
     */
    public AcquireResult acquire(String memberId, int maxRecords, long logEndOffset,
            LongFunction<? extends ShareRecord> records, Predicate<ShareRecord> filter, long nowMs) {
        return acquire(memberId, maxRecords, logEndOffset, records == null ? null : RecordLookup.of(0, records),
                filter, nowMs);
    }

    /**
     * As {@link #acquire(String, int, long, LongFunction, Predicate, long)}, the filter testing only the records
     * read from {@code firstReadOffset} on.
     */
    public AcquireResult acquire(String memberId, int maxRecords, long logEndOffset, long firstReadOffset,
            LongFunction<? extends ShareRecord> records, Predicate<ShareRecord> filter, long nowMs) {
        return acquire(memberId, maxRecords, logEndOffset, RecordLookup.of(firstReadOffset, records), filter,
                nowMs);
    }

    /**
     * Acquires up to {@code maxRecords} Available records below {@code logEndOffset} that match {@code filter}, testing
     * those of one read of the log ({@code records}), in offset order. A record that does not match stays Available
     * for other members, its delivery count unchanged. An Available offset the read does not hold (below it, or past
     * its end, where testing stops) is not tested and stays Available; one it covers without a record is archived.
     * Without a filter {@code records} is not used.
     */
    public AcquireResult acquire(String memberId, int maxRecords, long logEndOffset, RecordLookup records,
            Predicate<ShareRecord> filter, long nowMs) {
        Objects.requireNonNull(memberId, "memberId");
        if (maxRecords < 1) {
            throw new IllegalArgumentException("max records must be positive, got " + maxRecords);
        }
        if (filter != null && records == null) {
            throw new IllegalArgumentException("a filter needs the records to test");
        }
        List<OffsetRange> archived = expireLocks(nowMs);
        long lockExpiryMs = nowMs + limits.lockDurationMs();
        Acquisition acquisition = new Acquisition(memberId, maxRecords, records, filter, lockExpiryMs);
        for (Range range : availableRanges()) {
            if (acquisition.remaining == 0 || acquisition.readExhausted) {
                break;
            }
            if (filter == null) {
                if (range.firstOffset < logEndOffset) {
                    // A rebuilt partition may hold Available records past the end of what may be read now.
                    acquisition.takeFrom(range.firstOffset, Math.min(range.lastOffset, logEndOffset - 1));
                }
            } else if (range.lastOffset >= records.firstOffset() && range.firstOffset < logEndOffset) {
                acquisition.takeFrom(Math.max(range.firstOffset, records.firstOffset()),
                        Math.min(range.lastOffset, logEndOffset - 1));
            }
        }
        long windowEndOffset = Math.min(logEndOffset, windowStartOffset() + limits.maxRecordLocks());
        while (acquisition.remaining > 0 && endOffset < windowEndOffset && !acquisition.readExhausted) {
            acquisition.takeNew(windowEndOffset);
        }
        if (acquisition.remaining < maxRecords) {
            earliestLockExpiryMs = Math.min(earliestLockExpiryMs, acquisition.lockExpiryMs);
        }
        coalesce();
        advanceStartOffset();
        boolean storeBeforeDelivery = acquisition.redelivers || acquisition.lastAcquiredOffset >= deliveryBoundOffset;
        if (storeBeforeDelivery) {
            extendDeliveryBound();
        }
        return new AcquireResult(acquisition.acquired, archived, storeBeforeDelivery);
    }

    /**
     * Acknowledges offsets {@code firstOffset..lastOffset}, all of which the member must hold; otherwise nothing
     * changes and the answer is {@link Errors#INVALID_RECORD_STATE} (also when the lock expired first, or when their
     * acknowledgement is already pending in a transaction).
     */
    public AcknowledgeResult acknowledge(String memberId, long firstOffset, long lastOffset, AcknowledgeType type,
            long nowMs) {
        List<OffsetRange> archived = expireLocks(nowMs);
        if (!heldBy(memberId, firstOffset, lastOffset)) {
            return new AcknowledgeResult(Errors.INVALID_RECORD_STATE, archived);
        }
        for (Range range : inFlight.slice(firstOffset, lastOffset)) {
            switch (type) {
                case ACCEPT -> range.become(RecordState.ACKNOWLEDGED, null, 0);
                case REJECT -> reject(range);
                case RELEASE -> release(range, archived);
                case RENEW -> range.lockExpiryMs = nowMs + limits.lockDurationMs();
                default -> throw new IllegalStateException("unhandled acknowledge type " + type);
            }
        }
        if (type == AcknowledgeType.RENEW) {
            earliestLockExpiryMs = Math.min(earliestLockExpiryMs, nowMs + limits.lockDurationMs());
        }
        coalesce();
        advanceStartOffset();
        return new AcknowledgeResult(Errors.NONE, archived);
    }

    /**
     * Acknowledges offsets {@code firstOffset..lastOffset} inside the transaction of {@code producerId} at
     * {@code producerEpoch}: the member must hold them all, none already pending (else INVALID_RECORD_STATE, nothing
     * changes). They stay Acquired, their lock pinned, until {@link #completeTransaction}. Answers
     * INVALID_PRODUCER_EPOCH when the producer has acknowledgements pending here at a newer epoch (this one is fenced),
     * and CONCURRENT_TRANSACTIONS when it has some at an older epoch whose outcome this partition has not yet heard.
     * Only ACCEPT, RELEASE and REJECT are transactional.
     *
     * @param markerSearchOffset an offset of the topic partition at or below which the transaction's marker will be
     *                           written, and above every marker of the producer's earlier transactions: the
     *                           producer's first marker at or after it decides these acknowledgements
     */
    public AcknowledgeResult acknowledgeInTransaction(String memberId, long firstOffset, long lastOffset,
                                                      AcknowledgeType type, long producerId, short producerEpoch,
                                                      long markerSearchOffset, long nowMs) {
        if (type == AcknowledgeType.RENEW) {
            throw new IllegalArgumentException("a renew is not transactional");
        }
        if (producerId < 0 || producerEpoch < 0 || markerSearchOffset < 0) {
            throw new IllegalArgumentException("bad producer " + producerId + " epoch " + producerEpoch
                    + " or marker search offset " + markerSearchOffset);
        }
        List<OffsetRange> archived = expireLocks(nowMs);
        for (Range range : inFlight.all()) {
            if (range.pendingProducerId == producerId && range.pendingProducerEpoch != producerEpoch) {
                return new AcknowledgeResult(range.pendingProducerEpoch > producerEpoch
                        ? Errors.INVALID_PRODUCER_EPOCH : Errors.CONCURRENT_TRANSACTIONS, archived);
            }
        }
        if (!heldBy(memberId, firstOffset, lastOffset)) {
            return new AcknowledgeResult(Errors.INVALID_RECORD_STATE, archived);
        }
        for (Range range : inFlight.slice(firstOffset, lastOffset)) {
            range.holdPending(producerId, producerEpoch, type, markerSearchOffset);
        }
        coalesce();
        return new AcknowledgeResult(Errors.NONE, archived);
    }

    /** What a transaction's outcome did here: the records it archived at the delivery limit, and what it released. */
    public record TransactionOutcome(boolean changed, boolean released, List<OffsetRange> archivedAtDeliveryLimit) {
        public TransactionOutcome {
            archivedAtDeliveryLimit = List.copyOf(archivedAtDeliveryLimit);
        }
    }

    /**
     * Ends every acknowledgement pending for {@code producerId}, as the marker WriteTxnMarkers has just written does:
     * while acknowledgements are pending for the producer, its next marker written here ends their transaction (the
     * coordinator lets its next transaction add this partition only once that marker is written), wherever it lands.
     */
    public TransactionOutcome completeTransaction(long producerId, boolean commit, long nowMs) {
        return completeTransaction(producerId, commit, Long.MAX_VALUE, nowMs);
    }

    /**
     * Ends the acknowledgements pending for {@code producerId} that its marker at {@code markerOffset} decides, those
     * whose marker search offset is at or below it: a COMMIT applies each as an ordinary acknowledgement of its type,
     * an ABORT releases the records (their delivery count stays, so they come back one delivery higher, or are
     * archived at the limit). Idempotent: a second marker finds nothing pending. Every acknowledgement pending for the
     * producer belongs to the transaction its first marker at or after the search offset ends, whatever the marker's
     * epoch: the coordinator lets the producer's next transaction add this partition only once every marker of the
     * previous one is written (until then it answers CONCURRENT_TRANSACTIONS), and the marker is written here before
     * that; a marker below the search offset ended an earlier transaction and leaves them pending.
     */
    public TransactionOutcome completeTransaction(long producerId, boolean commit, long markerOffset, long nowMs) {
        List<OffsetRange> archived = expireLocks(nowMs);
        boolean changed = false;
        boolean released = false;
        for (Range range : inFlight.all()) {
            if (range.pendingProducerId != producerId || range.pendingMarkerSearchOffset > markerOffset) {
                continue;
            }
            changed = true;
            AcknowledgeType type = commit ? range.pendingType : AcknowledgeType.RELEASE;
            switch (type) {
                case ACCEPT -> range.become(RecordState.ACKNOWLEDGED, null, 0);
                case REJECT -> reject(range);
                case RELEASE -> {
                    release(range, archived);
                    released = true;
                }
                default -> throw new IllegalStateException("pending acknowledge type " + type + " on " + range);
            }
        }
        coalesce();
        advanceStartOffset();
        return new TransactionOutcome(changed, released, archived);
    }

    /**
     * The producers with acknowledgements pending here, each with the lowest marker search offset of its pending
     * ranges: where to look for the marker that decides them. At most one entry per range.
     */
    public Map<Long, Long> pendingTransactions() {
        Map<Long, Long> pending = new TreeMap<>();
        for (Range range : inFlight.all()) {
            if (range.isPending()) {
                pending.merge(range.pendingProducerId, range.pendingMarkerSearchOffset, Math::min);
            }
        }
        return pending;
    }

    /** Whether any acknowledgement waits for the outcome of {@code producerId}'s transaction. */
    public boolean hasPending(long producerId) {
        for (Range range : inFlight.all()) {
            if (range.pendingProducerId == producerId) {
                return true;
            }
        }
        return false;
    }

    /** The producer whose transaction holds the acknowledgement of an offset pending, or -1. */
    public long pendingProducer(long offset) {
        Range range = trackedRange(offset);
        return range == null ? InFlightRecords.NO_PRODUCER : range.pendingProducerId;
    }

    /** A rejected range: Archiving to be dead-lettered when the group has a dead-letter topic, else Archived. */
    private void reject(Range range) {
        if (deadLettering) {
            range.archiving(true);
        } else {
            range.become(RecordState.ARCHIVED, null, 0);
        }
    }

    /**
     * Archives offsets {@code firstOffset..lastOffset} the member holds without dead-lettering them, as for offsets
     * that hold no record (a gap a member acknowledges, records of an aborted transaction): there is nothing to write.
     * Otherwise as {@link #acknowledge}: all must be held by the member, or nothing changes.
     */
    public AcknowledgeResult discard(String memberId, long firstOffset, long lastOffset, long nowMs) {
        List<OffsetRange> archived = expireLocks(nowMs);
        if (!heldBy(memberId, firstOffset, lastOffset)) {
            return new AcknowledgeResult(Errors.INVALID_RECORD_STATE, archived);
        }
        for (Range range : inFlight.slice(firstOffset, lastOffset)) {
            range.become(RecordState.ARCHIVED, null, 0);
        }
        coalesce();
        advanceStartOffset();
        return new AcknowledgeResult(Errors.NONE, archived);
    }

    /** The Archiving records, in offset order: those waiting for their dead-letter write. */
    public List<ArchivingRecords> archiving() {
        List<ArchivingRecords> archiving = new ArrayList<>();
        for (Range range : inFlight.all()) {
            if (range.state == RecordState.ARCHIVING) {
                archiving.add(new ArchivingRecords(range.firstOffset, range.lastOffset, range.deliveryCount,
                        range.rejected));
            }
        }
        return archiving;
    }

    /**
     * Archives the Archiving records among {@code firstOffset..lastOffset}, their dead-letter write acknowledged (or
     * given up, as the group no longer has a usable dead-letter topic); other offsets are left alone, as they may have
     * been moved past meanwhile (AlterShareGroupOffsets). Returns how many offsets were archived.
     */
    public long completeArchiving(long firstOffset, long lastOffset) {
        long first = Math.max(firstOffset, startOffset);
        long last = Math.min(lastOffset, endOffset - 1);
        if (first > last) {
            return 0;
        }
        long archived = 0;
        for (Range range : inFlight.slice(first, last)) {
            if (range.state == RecordState.ARCHIVING) {
                range.become(RecordState.ARCHIVED, null, 0);
                archived += range.count();
            }
        }
        coalesce();
        advanceStartOffset();
        return archived;
    }

    /**
     * Releases every record the member holds, as when it leaves the group or closes its share session. As in Kafka
     * 4.2 (KAFKA-19972) the delivery count raised by the acquisition stays, so a member that crashes on a record
     * cannot have it redelivered forever. Records whose acknowledgement is pending in a transaction stay with it: the
     * transaction's outcome decides them. Returns the records this archived at the delivery limit.
     */
    public List<OffsetRange> releaseMember(String memberId, long nowMs) {
        List<OffsetRange> archived = expireLocks(nowMs);
        for (Range range : inFlight.all()) {
            if (range.state == RecordState.ACQUIRED && memberId.equals(range.memberId) && !range.isPending()) {
                release(range, archived);
            }
        }
        coalesce();
        advanceStartOffset();
        return archived;
    }

    /**
     * Releases every lock that has ended by {@code nowMs}: its records become Available, or Archived when they reached
     * the delivery limit. Returns the archived ones. Every other operation does this first. A lock on records whose
     * acknowledgement is pending in a transaction does not end: the transaction's outcome releases them.
     */
    public List<OffsetRange> expireLocks(long nowMs) {
        List<OffsetRange> archived = new ArrayList<>();
        if (nowMs < earliestLockExpiryMs) {
            return archived;
        }
        long nextExpiryMs = Long.MAX_VALUE;
        for (Range range : inFlight.all()) {
            if (range.state != RecordState.ACQUIRED || range.isPending()) {
                continue;
            }
            if (range.lockExpiryMs <= nowMs) {
                release(range, archived);
            } else {
                nextExpiryMs = Math.min(nextExpiryMs, range.lockExpiryMs);
            }
        }
        earliestLockExpiryMs = nextExpiryMs;
        coalesce();
        advanceStartOffset();
        return archived;
    }

    /**
     * Moves the start offset to {@code newStartOffset} and forgets every in-flight state, as AlterShareGroupOffsets
     * or a reset does; the state epoch goes up. Refused with {@link Errors#NON_EMPTY_GROUP} while a member still holds
     * records: the group coordinator allows this only for a group with no active member. An offset below the log
     * start offset means the log start offset.
     */
    public Errors alterStartOffset(long newStartOffset, long nowMs) {
        if (newStartOffset < 0) {
            throw new IllegalArgumentException("negative start offset " + newStartOffset);
        }
        expireLocks(nowMs);
        for (Range range : inFlight.all()) {
            if (range.state == RecordState.ACQUIRED) {
                return Errors.NON_EMPTY_GROUP;
            }
        }
        inFlight.clear();
        startOffset = Math.max(newStartOffset, logStartOffset);
        endOffset = startOffset;
        deliveryBoundOffset = startOffset;
        stateEpoch++;
        earliestLockExpiryMs = Long.MAX_VALUE;
        return Errors.NONE;
    }

    /**
     * Follows the log start offset when retention or DeleteRecords removed records: Available records below it are
     * archived at once, since there is nothing left to deliver, and Acquired ones when their member is done with
     * them (an acknowledgement is still accepted, a release or an expired lock archives them without report).
     */
    public void advanceLogStartOffset(long newLogStartOffset) {
        if (newLogStartOffset <= logStartOffset) {
            return;
        }
        logStartOffset = newLogStartOffset;
        if (endOffset < logStartOffset) {
            inFlight.append(new Range(endOffset, logStartOffset - 1, RecordState.ARCHIVED, 0, null, 0));
            endOffset = logStartOffset;
        }
        inFlight.splitBefore(logStartOffset);
        for (Range range : inFlight.all()) {
            if (range.firstOffset >= logStartOffset) {
                break;
            }
            if (range.state == RecordState.AVAILABLE) {
                range.become(RecordState.ARCHIVED, null, 0);
            }
        }
        coalesce();
        advanceStartOffset();
    }

    /**
     * The state to persist: every in-flight range, with the acknowledgements pending in transactions, and the
     * delivery bound. Both the in-flight records never delivered and the offsets from the end offset up to the
     * delivery bound are stored as Available records delivered once: they may have been delivered by the time this
     * state is read again (see the class comment).
     */
    public SharePartitionState snapshot() {
        List<SharePartitionState.StateBatch> batches = new ArrayList<>();
        for (Range range : inFlight.all()) {
            boolean neverDelivered = range.state == RecordState.AVAILABLE && range.deliveryCount == 0;
            addJoined(batches, new SharePartitionState.StateBatch(range.firstOffset, range.lastOffset, range.state,
                    neverDelivered ? 1 : range.deliveryCount, range.pending()));
        }
        if (deliveryBoundOffset > endOffset) {
            addJoined(batches, new SharePartitionState.StateBatch(endOffset, deliveryBoundOffset - 1,
                    RecordState.AVAILABLE, 1));
        }
        return new SharePartitionState(stateEpoch, startOffset, batches);
    }

    /** Adds {@code batch} after the last of {@code batches}, joined to it when they hold the same state. */
    private static void addJoined(List<SharePartitionState.StateBatch> batches, SharePartitionState.StateBatch batch) {
        SharePartitionState.StateBatch last = batches.isEmpty() ? null : batches.get(batches.size() - 1);
        if (last != null && last.lastOffset() + 1 == batch.firstOffset() && last.sameStateAs(batch)
                && batch.lastOffset() - last.firstOffset() < Integer.MAX_VALUE) {
            batches.set(batches.size() - 1, last.over(last.firstOffset(), batch.lastOffset()));
        } else {
            batches.add(batch);
        }
    }

    /** The state of an offset at or past the start offset (offsets at or past the end offset are Available). */
    public RecordState stateOf(long offset) {
        Range range = trackedRange(offset);
        return range == null ? RecordState.AVAILABLE : range.state;
    }

    /** How many times an offset at or past the start offset has been delivered. */
    public int deliveryCount(long offset) {
        Range range = trackedRange(offset);
        return range == null ? 0 : range.deliveryCount;
    }

    /** The member holding an offset, or null when it is not Acquired, or is pending as rebuilt (no member holds it). */
    public String holder(long offset) {
        Range range = trackedRange(offset);
        return range == null ? null : range.memberId;
    }

    /**
     * Where the next acquisition without a filter starts: the first Available in-flight offset, or the end offset when
     * none is (expired locks not yet released are not counted; {@link #expireLocks} first).
     */
    public long nextAvailableOffset() {
        for (Range range : inFlight.all()) {
            if (range.state == RecordState.AVAILABLE) {
                return range.firstOffset;
            }
        }
        return endOffset;
    }

    /** How many offsets are Acquired now. */
    public long acquiredCount() {
        long count = 0;
        for (Range range : inFlight.all()) {
            count += range.state == RecordState.ACQUIRED ? range.count() : 0;
        }
        return count;
    }

    /** How many ranges hold the in-flight states: the memory the partition takes. */
    public int rangeCount() {
        return inFlight.size();
    }

    /**
     * Checks the invariants, throwing {@link IllegalStateException} naming the first broken: ranges cover exactly
     * start..end with no gap or overlap, the first is not done with, the window still in the log is within the
     * record-lock limit, Available records are in the log and below the delivery limit, Acquired ones are held by
     * a member (or have an acknowledgement pending, when rebuilt), and only Acquired ones have an acknowledgement
     * pending, of a transactional type.
     */
    public void checkInvariants() {
        long next = startOffset;
        for (Range range : inFlight.all()) {
            check(range.firstOffset == next, range, "does not start at " + next);
            check(range.lastOffset >= range.firstOffset, range, "is empty");
            check(range.state != RecordState.AVAILABLE || range.deliveryCount < limits.deliveryCountLimit(), range,
                    "is Available at the delivery limit");
            check(range.state != RecordState.AVAILABLE || range.firstOffset >= logStartOffset, range,
                    "is Available below the log start offset " + logStartOffset);
            check(range.state == RecordState.ACQUIRED ? range.memberId != null || range.isPending()
                    : range.memberId == null, range, "has a wrong holder");
            check(range.state != RecordState.ACQUIRED || range.deliveryCount >= 1, range, "is Acquired undelivered");
            check(range.state != RecordState.ACQUIRED || range.lastOffset < deliveryBoundOffset, range,
                    "is Acquired at or past the delivery bound " + deliveryBoundOffset);
            check(!range.isPending() || (range.state == RecordState.ACQUIRED && range.pendingType != null
                    && range.pendingType != AcknowledgeType.RENEW), range, "is wrongly pending");
            next = range.lastOffset + 1;
        }
        check(next == endOffset, inFlight.last(), "does not end at end offset " + endOffset);
        check(inFlight.isEmpty() || !inFlight.first().state.isTerminal(), inFlight.first(), "is done with");
        check(endOffset - windowStartOffset() <= limits.maxRecordLocks(), inFlight.first(),
                "window exceeds record locks");
    }

    private static void check(boolean condition, Range range, String problem) {
        if (!condition) {
            throw new IllegalStateException("share partition range " + range + " " + problem);
        }
    }

    private Range trackedRange(long offset) {
        if (offset < startOffset) {
            throw new IllegalArgumentException("offset " + offset + " is below the start offset " + startOffset);
        }
        return offset >= endOffset ? null : inFlight.rangeOf(offset);
    }

    private List<Range> availableRanges() {
        List<Range> available = new ArrayList<>();
        for (Range range : inFlight.all()) {
            if (range.state == RecordState.AVAILABLE) {
                available.add(range);
            }
        }
        return available;
    }

    private boolean heldBy(String memberId, long firstOffset, long lastOffset) {
        if (firstOffset < startOffset || lastOffset >= endOffset || lastOffset < firstOffset) {
            return false;
        }
        for (long offset = firstOffset; offset <= lastOffset; ) {
            Range range = inFlight.rangeOf(offset);
            if (range.state != RecordState.ACQUIRED || !memberId.equals(range.memberId) || range.isPending()) {
                return false;
            }
            offset = range.lastOffset + 1;
        }
        return true;
    }

    /**
     * Hands an Acquired (or rebuilt) range back: Available, or Archived (Archiving when dead-lettering) and reported
     * at the delivery limit, or Archived when the log no longer holds it (ranges never straddle the log start offset).
     */
    private void release(Range range, List<OffsetRange> archived) {
        if (range.lastOffset < logStartOffset) {
            range.become(RecordState.ARCHIVED, null, 0);
        } else if (range.deliveryCount >= limits.deliveryCountLimit()) {
            if (deadLettering) {
                range.archiving(false);
            } else {
                range.become(RecordState.ARCHIVED, null, 0);
            }
            archived.add(new OffsetRange(range.firstOffset, range.lastOffset));
        } else {
            range.become(RecordState.AVAILABLE, null, 0);
        }
    }

    /**
     * Fills a gap the store does not list, below a batch it does, up to {@code offset}: those records may have been
     * delivered (a state written before the delivery bound was stored leaves such gaps), so they count one delivery.
     */
    private void appendPossiblyDeliveredUpTo(long offset, List<OffsetRange> archived) {
        if (offset > endOffset) {
            Range gap = new Range(endOffset, offset - 1, RecordState.AVAILABLE, 1, null, 0);
            release(gap, archived);
            inFlight.append(gap);
            endOffset = offset;
        }
    }

    /** Where the in-flight window counted against the record-lock limit starts: records the log still holds. */
    private long windowStartOffset() {
        return Math.max(startOffset, logStartOffset);
    }

    private void coalesce() {
        inFlight.coalesce(logStartOffset);
    }

    private void advanceStartOffset() {
        while (!inFlight.isEmpty() && inFlight.first().state.isTerminal()) {
            startOffset = inFlight.first().lastOffset + 1;
            inFlight.removeFirst();
        }
        if (inFlight.isEmpty()) {
            startOffset = endOffset;
        }
    }

    /** One acquisition in progress: what it took so far, and how many more it may take. */
    private final class Acquisition {
        final String memberId;
        final RecordLookup records;
        final Predicate<ShareRecord> filter;
        final long lockExpiryMs;
        final List<AcquiredRecords> acquired = new ArrayList<>();
        int remaining;
        /** Whether a record is delivered again, so that its stored delivery count is one short. */
        boolean redelivers;
        /** The highest offset acquired, or -1. */
        long lastAcquiredOffset = -1;
        /** A filtered acquisition reached the end of the read: nothing past it can be tested. */
        boolean readExhausted;

        Acquisition(String memberId, int maxRecords, RecordLookup records,
                Predicate<ShareRecord> filter, long lockExpiryMs) {
            this.memberId = memberId;
            this.remaining = maxRecords;
            this.records = records;
            this.filter = filter;
            this.lockExpiryMs = lockExpiryMs;
        }

        /** Takes from the in-flight Available offsets {@code firstOffset..lastOffset}. */
        void takeFrom(long firstOffset, long lastOffset) {
            if (filter == null) {
                long last = Math.min(lastOffset, firstOffset + remaining - 1);
                inFlight.slice(firstOffset, last).forEach(this::acquire);
                return;
            }
            for (long offset = firstOffset; offset <= lastOffset && remaining > 0; offset++) {
                if (!records.reaches(offset)) {
                    readExhausted = true;
                    return;
                }
                ShareRecord record = records.record(offset);
                if (record == null) {
                    inFlight.slice(offset, offset).get(0).become(RecordState.ARCHIVED, null, 0);
                } else if (filter.test(record)) {
                    acquire(inFlight.slice(offset, offset).get(0));
                }
            }
        }

        /** Takes offsets never acquired before, from the end offset up to at most {@code windowEndOffset}. */
        void takeNew(long windowEndOffset) {
            if (filter == null) {
                long last = Math.min(windowEndOffset, endOffset + remaining) - 1;
                appendAndTake(new Range(endOffset, last, RecordState.AVAILABLE, 0, null, 0));
                return;
            }
            if (!records.reaches(endOffset)) {
                readExhausted = true;
                return;
            }
            ShareRecord record = records.record(endOffset);
            Range range = new Range(endOffset, endOffset, RecordState.AVAILABLE, 0, null, 0);
            if (record == null) {
                range.become(RecordState.ARCHIVED, null, 0);
                inFlight.append(range);
                endOffset++;
            } else if (filter.test(record)) {
                appendAndTake(range);
            } else {
                inFlight.append(range);
                endOffset++;
            }
        }

        private void appendAndTake(Range range) {
            acquire(range);
            inFlight.append(range);
            endOffset = range.lastOffset + 1;
        }

        private void acquire(Range range) {
            range.deliveryCount++;
            range.become(RecordState.ACQUIRED, memberId, lockExpiryMs);
            remaining -= (int) range.count();
            redelivers |= range.deliveryCount > 1;
            lastAcquiredOffset = Math.max(lastAcquiredOffset, range.lastOffset);
            AcquiredRecords last = acquired.isEmpty() ? null : acquired.get(acquired.size() - 1);
            if (last != null && last.lastOffset() + 1 == range.firstOffset
                    && last.deliveryCount() == range.deliveryCount) {
                acquired.set(acquired.size() - 1,
                        new AcquiredRecords(last.firstOffset(), range.lastOffset, range.deliveryCount));
            } else {
                acquired.add(new AcquiredRecords(range.firstOffset, range.lastOffset, range.deliveryCount));
            }
        }
    }
}

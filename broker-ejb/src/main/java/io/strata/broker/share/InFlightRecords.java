package io.strata.broker.share;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The states of a share partition's in-flight offsets as contiguous ranges of equal state, delivery count, owner and
 * lock expiry, keyed by their first offset: a run of 100k offsets acquired together is one entry, and neighbours
 * that come to agree are merged again. Ranges cover an interval without gaps or overlaps; the owning
 * {@link SharePartition} keeps that interval equal to its start and end offsets. Not thread-safe.
 */
final class InFlightRecords {

    /** The pending producer id of a range whose acknowledgement is not pending in a transaction. */
    static final long NO_PRODUCER = -1;

    /** One range of offsets in the same state. Mutable, owned by {@link InFlightRecords}. */
    static final class Range {
        long firstOffset;
        long lastOffset;
        RecordState state;
        int deliveryCount;
        /**
         * The member holding the lock, only while {@link RecordState#ACQUIRED}; null for records rebuilt with an
         * acknowledgement pending, which no member holds.
         */
        String memberId;
        /** When the lock ends, only while {@link RecordState#ACQUIRED}. */
        long lockExpiryMs;
        /**
         * The acknowledgement held pending in a transaction, only while {@link RecordState#ACQUIRED}: the producer
         * whose COMMIT applies it ({@link #NO_PRODUCER} when none), that producer's epoch, the type to apply, and the
         * offset at or after which the producer's marker decides it ({@link PendingAcknowledgement}).
         */
        long pendingProducerId = NO_PRODUCER;
        short pendingProducerEpoch;
        AcknowledgeType pendingType;
        long pendingMarkerSearchOffset;
        /** Whether a member rejected the records, only while {@link RecordState#ARCHIVING}: the dead-letter reason. */
        boolean rejected;

        Range(long firstOffset, long lastOffset, RecordState state, int deliveryCount, String memberId,
                long lockExpiryMs) {
            this.firstOffset = firstOffset;
            this.lastOffset = lastOffset;
            this.state = state;
            this.deliveryCount = deliveryCount;
            this.memberId = memberId;
            this.lockExpiryMs = lockExpiryMs;
        }

        long count() {
            return lastOffset - firstOffset + 1;
        }

        /** Whether an acknowledgement of the range waits for a transaction's outcome. */
        boolean isPending() {
            return pendingProducerId != NO_PRODUCER;
        }

        boolean sameStateAs(Range other) {
            return state == other.state && deliveryCount == other.deliveryCount
                    && Objects.equals(memberId, other.memberId) && lockExpiryMs == other.lockExpiryMs
                    && pendingProducerId == other.pendingProducerId
                    && pendingProducerEpoch == other.pendingProducerEpoch && pendingType == other.pendingType
                    && pendingMarkerSearchOffset == other.pendingMarkerSearchOffset && rejected == other.rejected;
        }

        /**
         * Makes the range Available or Acquired or terminal; owner and lock are kept only for Acquired, and any
         * pending acknowledgement is forgotten.
         */
        void become(RecordState newState, String newMemberId, long newLockExpiryMs) {
            state = newState;
            memberId = newState == RecordState.ACQUIRED ? newMemberId : null;
            lockExpiryMs = newState == RecordState.ACQUIRED ? newLockExpiryMs : 0;
            pendingProducerId = NO_PRODUCER;
            pendingProducerEpoch = 0;
            pendingType = null;
            pendingMarkerSearchOffset = 0;
            rejected = false;
        }

        /** Makes the range Archiving: given up on, waiting for its dead-letter write; {@code byMember} if rejected. */
        void archiving(boolean byMember) {
            become(RecordState.ARCHIVING, null, 0);
            rejected = byMember;
        }

        /**
         * Holds {@code type} pending in the producer's transaction, decided by its first marker at or after
         * {@code markerSearchOffset}; the range stays Acquired (by its member, or by none once rebuilt).
         */
        void holdPending(long producerId, short producerEpoch, AcknowledgeType type, long markerSearchOffset) {
            pendingProducerId = producerId;
            pendingProducerEpoch = producerEpoch;
            pendingType = type;
            pendingMarkerSearchOffset = markerSearchOffset;
        }

        /** The pending acknowledgement as stored, or null when none is pending. */
        PendingAcknowledgement pending() {
            return isPending() ? new PendingAcknowledgement(pendingProducerId, pendingProducerEpoch, pendingType,
                    pendingMarkerSearchOffset) : null;
        }

        /** A copy of this range's state over other offsets. */
        Range copyOver(long newFirstOffset, long newLastOffset) {
            Range copy = new Range(newFirstOffset, newLastOffset, state, deliveryCount, memberId, lockExpiryMs);
            copy.holdPending(pendingProducerId, pendingProducerEpoch, pendingType, pendingMarkerSearchOffset);
            copy.rejected = rejected;
            return copy;
        }

        @Override
        public String toString() {
            return firstOffset + ".." + lastOffset + " " + state + " x" + deliveryCount
                    + (memberId == null ? "" : " by " + memberId + " until " + lockExpiryMs)
                    + (isPending() ? " " + pendingType + " pending for producer " + pendingProducerId + " epoch "
                    + pendingProducerEpoch + " from offset " + pendingMarkerSearchOffset : "")
                    + (rejected ? " rejected" : "");
        }
    }

    private final TreeMap<Long, Range> ranges = new TreeMap<>();

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    int size() {
        return ranges.size();
    }

    Range first() {
        Map.Entry<Long, Range> entry = ranges.firstEntry();
        return entry == null ? null : entry.getValue();
    }

    Range last() {
        Map.Entry<Long, Range> entry = ranges.lastEntry();
        return entry == null ? null : entry.getValue();
    }

    void removeFirst() {
        ranges.pollFirstEntry();
    }

    void clear() {
        ranges.clear();
    }

    /** All ranges, in offset order; a live view whose ranges may be changed in place but not split. */
    Collection<Range> all() {
        return ranges.values();
    }

    /** The range holding the offset, or null. */
    Range rangeOf(long offset) {
        Map.Entry<Long, Range> entry = ranges.floorEntry(offset);
        return entry == null || entry.getValue().lastOffset < offset ? null : entry.getValue();
    }

    /** Adds a range just after the last one, merged into it when they agree. */
    /** Replaces the ranges with copies of {@code other}'s, range for range (none merged). */
    void copyFrom(InFlightRecords other) {
        ranges.clear();
        for (Range range : other.all()) {
            ranges.put(range.firstOffset, range.copyOver(range.firstOffset, range.lastOffset));
        }
    }

    void append(Range range) {
        Range last = last();
        if (last != null && last.lastOffset + 1 != range.firstOffset) {
            throw new IllegalStateException("range " + range + " does not follow " + last);
        }
        if (last != null && last.sameStateAs(range)) {
            last.lastOffset = range.lastOffset;
        } else {
            ranges.put(range.firstOffset, range);
        }
    }

    /**
     * The ranges holding exactly offsets {@code firstOffset..lastOffset}, split at both ends so they can be changed
     * in place; every offset in between must be tracked.
     */
    List<Range> slice(long firstOffset, long lastOffset) {
        splitBefore(firstOffset);
        splitBefore(lastOffset + 1);
        return new ArrayList<>(ranges.subMap(firstOffset, true, lastOffset, true).values());
    }

    /**
     * Merges every pair of neighbours that agree, but never into a range starting at {@code boundaryOffset}; a pass
     * over all ranges.
     */
    void coalesce(long boundaryOffset) {
        Iterator<Range> it = ranges.values().iterator();
        Range previous = null;
        while (it.hasNext()) {
            Range current = it.next();
            if (previous != null && previous.sameStateAs(current) && current.firstOffset != boundaryOffset) {
                previous.lastOffset = current.lastOffset;
                it.remove();
            } else {
                previous = current;
            }
        }
    }

    /** Makes {@code offset} the first offset of its range, splitting the range holding it. */
    void splitBefore(long offset) {
        Range range = rangeOf(offset);
        if (range == null || range.firstOffset == offset) {
            return;
        }
        Range tail = range.copyOver(offset, range.lastOffset);
        range.lastOffset = offset - 1;
        ranges.put(offset, tail);
    }
}

package io.strata.broker.share;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.RepeatedTest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three members acquire (with or without filters), acknowledge, leave and let locks expire in a random order,
 * while the log grows, its start moves, and the partition is now and then rebuilt from its snapshot; after every
 * step the invariants must hold, and no record is ever delivered with a count that forgets one of its deliveries
 * (a rebuild may count one that never happened: a record below the delivery bound may have been delivered). The seed
 * is printed so a failure can be replayed.
 */
class SharePartitionRandomizedTest {

    static final String[] MEMBERS = {"a", "b", "c"};
    static final long LOCK_MS = 100;

    @RepeatedTest(20)
    void interleavedMembersKeepEveryInvariant() {
        long seed = System.nanoTime();
        System.out.println("SharePartitionRandomizedTest seed " + seed);
        Random random = new Random(seed);
        ShareLimits limits = new ShareLimits(LOCK_MS, 2 + random.nextInt(4), 20 + random.nextInt(100));
        SharePartition partition = new SharePartition(limits, 0, 0);
        Model model = new Model();
        long nowMs = 0;
        long logEndOffset = 0;
        long logStartOffset = 0;
        List<Predicate<ShareRecord>> filters = filters();
        for (int step = 0; step < 2000; step++) {
            nowMs += random.nextInt(20);
            logEndOffset += random.nextInt(4);
            String member = MEMBERS[random.nextInt(MEMBERS.length)];
            int action = random.nextInt(10);
            if (action < 4) {
                Predicate<ShareRecord> filter = filters.get(random.nextInt(filters.size()));
                AcquireResult result = partition.acquire(member, 1 + random.nextInt(10), logEndOffset,
                        Record::new, filter, nowMs);
                if (filter != null) {
                    assertThat(offsetsOf(result)).allMatch(offset -> filter.test(new Record(offset)));
                }
                model.acquired(member, result, partition);
                model.archived(result.archivedAtDeliveryLimit(), limits);
            } else if (action < 8) {
                acknowledgeSome(random, partition, model, member, nowMs, limits);
            } else if (action == 8) {
                model.archived(partition.releaseMember(member, nowMs), limits);
                model.held.values().removeIf(member::equals);
            } else if (random.nextInt(20) == 0) {
                logStartOffset = Math.min(logEndOffset, logStartOffset + random.nextInt(10));
                partition.advanceLogStartOffset(logStartOffset);
            } else if (random.nextInt(10) == 0) {
                SharePartition.Rebuilt rebuilt = SharePartition.rebuild(
                        SharePartitionState.decode(partition.snapshot().encode()), limits);
                partition = rebuilt.partition();
                partition.advanceLogStartOffset(logStartOffset);
                model.archived(rebuilt.archivedAtDeliveryLimit(), limits);
                model.held.clear();
                model.rebuilt(partition);
            } else {
                model.archived(partition.expireLocks(nowMs), limits);
            }
            partition.checkInvariants();
            model.check(partition, limits);
        }
    }

    static List<Predicate<ShareRecord>> filters() {
        List<Predicate<ShareRecord>> filters = new ArrayList<>();
        filters.add(null);
        filters.add(r -> r.offset() % 3 == 0);
        filters.add(r -> r.offset() % 3 != 0);
        filters.add(r -> r.offset() % 2 == 1);
        return filters;
    }

    static List<Long> offsetsOf(AcquireResult result) {
        List<Long> offsets = new ArrayList<>();
        for (AcquiredRecords records : result.acquired()) {
            for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                offsets.add(offset);
            }
        }
        return offsets;
    }

    /** A record whose only content is its offset. */
    record Record(long offset) implements ShareRecord {
        @Override
        public long timestampMs() {
            return offset;
        }

        @Override
        public ByteBuffer key() {
            return null;
        }

        @Override
        public Header[] headers() {
            return new Header[0];
        }
    }

    private static void acknowledgeSome(Random random, SharePartition partition, Model model, String member,
            long nowMs, ShareLimits limits) {
        List<Long> mine = new ArrayList<>();
        model.held.forEach((offset, holder) -> {
            if (holder.equals(member)) {
                mine.add(offset);
            }
        });
        if (mine.isEmpty()) {
            return;
        }
        long offset = mine.get(random.nextInt(mine.size()));
        AcknowledgeType type = AcknowledgeType.values()[random.nextInt(AcknowledgeType.values().length)];
        if (random.nextBoolean()) {
            partition.extendDeliveryBound(); // as the manager does before it stores an acknowledgement
        }
        AcknowledgeResult result = partition.acknowledge(member, offset, offset, type, nowMs);
        model.archived(result.archivedAtDeliveryLimit(), limits);
        if (result.error() != Errors.NONE) {
            boolean held = partition.startOffset() <= offset && member.equals(partition.holder(offset));
            assertThat(held).as("acknowledgement of held offset %d refused", offset).isFalse();
            model.held.remove(offset);
            return;
        }
        if (type == AcknowledgeType.ACCEPT) {
            model.acknowledged.add(offset);
        }
        if (type != AcknowledgeType.RENEW) {
            model.held.remove(offset);
        }
    }

    /** What the test remembers: who it believes holds what, and what was acknowledged or archived for good. */
    static final class Model {
        final Map<Long, String> held = new HashMap<>();
        final Set<Long> acknowledged = new HashSet<>();
        final Set<Long> archived = new HashSet<>();
        /** How many times each offset was really delivered. */
        final Map<Long, Integer> deliveries = new HashMap<>();
        /** How many deliveries the partition counts for each offset: more than were made after a rebuild. */
        final Map<Long, Integer> counted = new HashMap<>();

        void acquired(String member, AcquireResult result, SharePartition partition) {
            for (AcquiredRecords records : result.acquired()) {
                for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                    assertThat(acknowledged).as("acknowledged offset %d redelivered", offset).doesNotContain(offset);
                    assertThat(archived).as("archived offset %d redelivered", offset).doesNotContain(offset);
                    int previous = counted.getOrDefault(offset, 0);
                    assertThat(records.deliveryCount()).as("delivery count of %d", offset).isEqualTo(previous + 1);
                    int made = deliveries.merge(offset, 1, Integer::sum);
                    assertThat((int) records.deliveryCount()).as("delivery count of %d, delivered %d times", offset,
                            made).isGreaterThanOrEqualTo(made);
                    counted.put(offset, records.deliveryCount());
                    held.put(offset, member);
                }
            }
        }

        void archived(List<OffsetRange> ranges, ShareLimits limits) {
            for (OffsetRange range : ranges) {
                for (long offset = range.firstOffset(); offset <= range.lastOffset(); offset++) {
                    assertThat(counted.get(offset)).isGreaterThanOrEqualTo(limits.deliveryCountLimit());
                    assertThat(archived.add(offset)).as("offset %d archived twice", offset).isTrue();
                    held.remove(offset);
                }
            }
        }

        /**
         * After a rebuild: every record ever delivered lies below the rebuilt end offset, counted at least as often as
         * it was delivered, and at most once more (a record below the delivery bound that was never delivered).
         */
        void rebuilt(SharePartition partition) {
            deliveries.forEach((offset, made) -> assertThat(offset).as("offset %d delivered %d times", offset, made)
                    .isLessThan(partition.endOffset()));
            for (long offset = partition.startOffset(); offset < partition.endOffset(); offset++) {
                int made = deliveries.getOrDefault(offset, 0);
                int count = partition.deliveryCount(offset);
                assertThat(count).as("rebuilt delivery count of %d, delivered %d times", offset, made)
                        .isGreaterThanOrEqualTo(made);
                if (partition.stateOf(offset) == RecordState.AVAILABLE) {
                    assertThat(count).as("rebuilt delivery count of %d", offset)
                            .isEqualTo(Math.max(counted.getOrDefault(offset, 0), 1));
                }
                counted.put(offset, count);
            }
        }

        void check(SharePartition partition, ShareLimits limits) {
            for (long offset = partition.startOffset(); offset < partition.endOffset(); offset++) {
                RecordState state = partition.stateOf(offset);
                assertThat(partition.deliveryCount(offset)).isLessThanOrEqualTo(limits.deliveryCountLimit());
                if (acknowledged.contains(offset)) {
                    assertThat(state).as("offset %d", offset).isEqualTo(RecordState.ACKNOWLEDGED);
                }
                if (state == RecordState.ACQUIRED) {
                    assertThat(held).as("offset %d held", offset).containsEntry(offset, partition.holder(offset));
                }
            }
        }
    }
}

package io.strata.broker.share.coordinator;

import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.HandCoordinatorContext;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.coordinator.ShareCoordinatorShard.ReadResult;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShareCoordinatorShardTest {

    private static final ShareStateKey KEY = new ShareStateKey("orders", Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ"), 3);

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final List<Long> prunedBefore = new java.util.ArrayList<>();
    private final ShareCoordinatorShard shard = shardOn(context, prunedBefore);

    /** A shard on {@code on}, whose records' offsets are their places in its log, pending writes after the log. */
    private static ShareCoordinatorShard shardOn(HandCoordinatorContext on, List<Long> prunedBefore) {
        return new ShareCoordinatorShard(on, 3, () -> on.log.size()
                + on.pending.stream().mapToLong(write -> write.records().size()).sum(), prunedBefore::add, 60_000);
    }

    private static StateBatch batch(long first, long last, RecordState state, int count) {
        return new StateBatch(first, last, state, count);
    }

    private <T> T committed(CompletableFuture<T> result) {
        context.commitAll();
        assertTrue(result.isDone(), "answered once committed");
        return result.join();
    }

    private void initialized() {
        assertEquals(Errors.NONE, committed(shard.initialize(KEY, 1, 100)));
    }

    @Test
    void writeBatchesReplaceTheStateOfTheirOffsets() {
        initialized();
        committed(shard.write(KEY, 5, 1, 100, List.of(batch(100, 109, RecordState.ACQUIRED, 1))));
        committed(shard.write(KEY, 5, 1, 100, List.of(batch(103, 104, RecordState.ACKNOWLEDGED, 1))));

        assertEquals(List.of(batch(100, 102, RecordState.ACQUIRED, 1), batch(103, 104, RecordState.ACKNOWLEDGED, 1),
                batch(105, 109, RecordState.ACQUIRED, 1)), committed(shard.read(KEY, 5)).state().stateBatches());
    }

    @Test
    void batchesBelowTheStartOffsetAreDroppedAndOneAcrossItIsCut() {
        initialized();
        committed(shard.write(KEY, 5, 1, 100, List.of(batch(100, 104, RecordState.ARCHIVED, 2),
                batch(105, 120, RecordState.AVAILABLE, 1))));
        committed(shard.write(KEY, 5, 1, 110, List.of()));

        SharePartitionState state = committed(shard.read(KEY, 5)).state();
        assertEquals(110, state.startOffset());
        assertEquals(List.of(batch(110, 120, RecordState.AVAILABLE, 1)), state.stateBatches());
    }

    @Test
    void theSummaryCountsTheOffsetsPastTheStartThatAreDoneWithForTheLag() {
        initialized();
        committed(shard.write(KEY, 5, 1, 100, List.of(batch(100, 101, RecordState.ACQUIRED, 1),
                batch(102, 104, RecordState.ACKNOWLEDGED, 1), batch(105, 105, RecordState.ARCHIVING, 5),
                batch(106, 107, RecordState.ARCHIVED, 5))));

        assertEquals(5, shard.summary(KEY).deliveryCompleteCount());
        assertEquals(100, shard.summary(KEY).startOffset());
    }

    @Test
    void aSnapshotIsWrittenAfterTheConfiguredNumberOfUpdates() {
        initialized();
        for (int i = 0; i < 7; i++) {
            committed(shard.write(KEY, 5, 1, 100 + i, List.of(batch(100 + i, 100 + i, RecordState.ACQUIRED, 1))));
        }
        // initialize: snapshot; then 3 updates, a snapshot, 3 updates, a snapshot
        List<Short> types = context.log.stream().map(record -> ShareStateRecords.decode(record).type()).toList();
        assertEquals(List.of((short) 0, (short) 1, (short) 1, (short) 1, (short) 0, (short) 1, (short) 1, (short) 1),
                types);
    }

    @Test
    void replayRebuildsExactlyTheLiveState() {
        initialized();
        for (int i = 0; i < 9; i++) {
            committed(shard.write(KEY, 5 + i / 4, 1, 100 + 2L * i,
                    List.of(batch(100 + 3L * i, 101 + 3L * i, i % 2 == 0 ? RecordState.ACQUIRED
                            : RecordState.ACKNOWLEDGED, i + 1))));
        }
        ShareCoordinatorShard replayed = replayOf(context.log);
        assertEquals(shard.stored(KEY), replayed.stored(KEY));
    }

    @Test
    void aLowerLeaderEpochIsFencedForReadsAndWrites() {
        initialized();
        committed(shard.read(KEY, 7));

        assertEquals(Errors.FENCED_LEADER_EPOCH, committed(shard.read(KEY, 6)).error());
        assertEquals(Errors.FENCED_LEADER_EPOCH, committed(shard.write(KEY, 6, 1, 100, List.of())));
        assertEquals(Errors.NONE, committed(shard.write(KEY, 7, 1, 100, List.of())));
    }

    @Test
    void aReadWithAHigherLeaderEpochIsDurableBeforeItIsAnswered() {
        initialized();
        CompletableFuture<ReadResult> read = shard.read(KEY, 9);
        assertFalse(read.isDone(), "waits for its leader epoch to be written");
        context.commitAll();
        assertEquals(9, read.join().leaderEpoch());
        assertEquals(Errors.FENCED_LEADER_EPOCH, committed(replayOf(context.log).read(KEY, 8)).error());
    }

    @Test
    void aWriteOfAnotherStateEpochIsFenced() {
        initialized();
        assertEquals(Errors.FENCED_STATE_EPOCH, committed(shard.write(KEY, 5, 0, 100, List.of())));
        assertEquals(Errors.FENCED_STATE_EPOCH, committed(shard.write(KEY, 5, 2, 100, List.of())));
    }

    @Test
    void initializeNeedsAHigherStateEpochAndKeepsTheLeaderEpoch() {
        initialized();
        committed(shard.write(KEY, 5, 1, 100, List.of(batch(100, 101, RecordState.ACKNOWLEDGED, 1))));
        assertEquals(Errors.FENCED_STATE_EPOCH, committed(shard.initialize(KEY, 1, 0)));

        assertEquals(Errors.NONE, committed(shard.initialize(KEY, 2, 50)));
        ReadResult read = committed(shard.read(KEY, 5));
        assertEquals(new SharePartitionState(2, 50, List.of()), read.state());
        assertEquals(Errors.FENCED_LEADER_EPOCH, committed(shard.write(KEY, 4, 2, 50, List.of())));
    }

    @Test
    void deleteWritesTombstonesAndTheStateIsGoneAfterReplayToo() {
        initialized();
        committed(shard.write(KEY, 5, 1, 100, List.of(batch(100, 101, RecordState.ACKNOWLEDGED, 1))));
        assertEquals(Errors.NONE, committed(shard.delete(KEY)));

        CoordinatorRecord last = context.log.get(context.log.size() - 1);
        assertNull(last.value(), "a tombstone");
        assertNull(committed(shard.read(KEY, 5)).state());
        assertEquals(-1, shard.summary(KEY).startOffset());
        assertNull(replayOf(context.log).stored(KEY));
    }

    @Test
    void aFailedWriteChangesNothing() {
        initialized();
        CompletableFuture<Errors> write = shard.write(KEY, 5, 1, 120, List.of());
        context.failAll(Errors.NOT_COORDINATOR);
        assertEquals(Errors.NOT_COORDINATOR, write.join());
        assertEquals(100, shard.summary(KEY).startOffset());
    }

    @Test
    void operationsOnOneSharePartitionRunOneAfterAnother() {
        initialized();
        CompletableFuture<Errors> first = shard.write(KEY, 5, 1, 100, List.of(batch(100, 100, RecordState.ACKNOWLEDGED, 1)));
        CompletableFuture<Errors> second = shard.initialize(KEY, 2, 0);
        assertEquals(1, context.pending.size(), "the second waits for the first");
        context.commitAll();
        assertEquals(Errors.NONE, first.join());
        assertEquals(Errors.NONE, second.join());
        assertEquals(2, shard.summary(KEY).stateEpoch());
    }

    @Test
    void operationsStillWaitingWhenTheShardIsUnloadedAreAnsweredNotCoordinator() {
        initialized();
        CompletableFuture<Errors> writing = shard.write(KEY, 5, 1, 100, List.of());
        CompletableFuture<Errors> next = shard.write(KEY, 5, 1, 101, List.of());
        CompletableFuture<Errors> last = shard.write(KEY, 5, 1, 102, List.of());

        // The runtime fails the write in flight when it unloads; the next operation starts and writes meanwhile.
        context.pending.remove(0).onFailed().accept(Errors.NOT_COORDINATOR);
        shard.onUnloaded();
        context.failAll(Errors.NOT_COORDINATOR); // the write the next one started meanwhile

        assertEquals(Errors.NOT_COORDINATOR, writing.join());
        assertEquals(Errors.NOT_COORDINATOR, next.join());
        assertTrue(last.isCompletedExceptionally(), "answered, not left hanging");
    }

    @Test
    void theLogIsPrunedUpToTheOldestSnapshotReplayStillNeeds() {
        ShareStateKey other = new ShareStateKey("billing", KEY.topicId(), 0);
        initialized();                                                  // offset 0: snapshot of KEY
        assertEquals(Errors.NONE, committed(shard.initialize(other, 1, 0))); // offset 1: snapshot of other
        for (int i = 0; i < 4; i++) {                                   // offsets 2-4 updates, 5 a snapshot of KEY
            committed(shard.write(KEY, 5, 1, 100 + i, List.of()));
        }
        shard.onLoaded();
        context.advance(60_000);
        assertEquals(List.of(1L), prunedBefore, "other's only snapshot is the oldest one needed");

        committed(shard.delete(other));                                 // offsets 6-7: tombstones
        CompletableFuture<Errors> inFlight = shard.write(KEY, 5, 1, 110, List.of()); // offset 8, not committed
        context.advance(60_000);
        assertEquals(5L, prunedBefore.get(1), "KEY's latest snapshot");

        context.commitAll();
        assertEquals(Errors.NONE, inFlight.join());
        committed(shard.delete(KEY));
        context.advance(60_000);
        assertEquals(context.log.size(), prunedBefore.get(2), "nothing left to replay");

        ShareCoordinatorShard replayedFromPrunePoint = shardOn(new HandCoordinatorContext(), new java.util.ArrayList<>());
        for (int i = 5; i < context.log.size(); i++) {
            replayedFromPrunePoint.replay(i, context.log.get(i));
        }
        assertNull(replayedFromPrunePoint.stored(KEY));
    }

    @Test
    void aWriteInFlightHoldsThePrunePointUntilItIsCommitted() {
        shard.onLoaded();
        CompletableFuture<Errors> pending = shard.initialize(KEY, 1, 0); // offset 0, appended, not committed
        context.advance(60_000);
        assertEquals(0L, prunedBefore.get(0), "not past the write in flight, though the log ends after it");

        context.commitAll();
        assertEquals(Errors.NONE, pending.join());
        CompletableFuture<Errors> failing = shard.write(KEY, 5, 1, 3, List.of()); // offset 1, then failed
        context.failAll(Errors.COORDINATOR_NOT_AVAILABLE);
        assertEquals(Errors.COORDINATOR_NOT_AVAILABLE, failing.join());
        context.advance(60_000);
        assertEquals(0L, prunedBefore.get(1), "the state's snapshot");
    }

    @Test
    void recordsHaveKafkasLayout() {
        CoordinatorRecord record = ShareStateRecords.snapshot(KEY, new ShareStateRecords.Snapshot(2, 3, 4, 5, 6, 7,
                List.of(batch(5, 9, RecordState.ACKNOWLEDGED, 1))));
        // key: int16 type 0, string "orders", uuid, int32 partition
        assertEquals(2 + 2 + 6 + 16 + 4, record.key().length);
        // value: int16 version, 3 x int32, 3 x int64, varint 2, one batch (8+8+1+2+1), tagged fields (1)
        assertEquals(2 + 12 + 24 + 1 + 20 + 1, record.value().length);
        ShareStateRecords.Decoded decoded = ShareStateRecords.decode(record);
        assertEquals(KEY, decoded.key());
        assertEquals(4, decoded.snapshot().leaderEpoch());
    }

    private ShareCoordinatorShard replayOf(List<CoordinatorRecord> log) {
        ShareCoordinatorShard replayed = shardOn(new HandCoordinatorContext(), new java.util.ArrayList<>());
        for (int i = 0; i < log.size(); i++) {
            replayed.replay(i, log.get(i));
        }
        replayed.onLoaded();
        return replayed;
    }
}

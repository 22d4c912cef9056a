package io.strata.broker.share;

import io.strata.broker.share.DeadLetterWriter.DeadLetter;
import io.strata.broker.share.SharePartitionManager.AcknowledgementBatch;
import io.strata.broker.share.SharePartitionManager.LeaderLog;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The path of a record a share group gives up on when the group has a dead-letter topic (KIP-1191): Archiving and
 * stored so, handed to the {@link DeadLetterWriter} (a test double at that seam), Archived and stored so once the
 * write is done; again after a failed write, a full writer, or a new leader; at once without a dead-letter topic.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SharePartitionManagerDeadLetterTest {

    private static final Uuid TOPIC = Uuid.randomUuid();
    private static final TopicIdPartition TP = new TopicIdPartition(TOPIC, 0, "orders");
    private static final String GROUP = "workers";
    private static final Duration AT_MOST = Duration.ofSeconds(10);

    private final InMemorySharePersister persister = new InMemorySharePersister();
    private final Map<TopicIdPartition, LeaderLog> led = new ConcurrentHashMap<>();
    private final List<SharePartitionManager> managers = new ArrayList<>();
    private volatile ShareGroupSettings settings = new ShareGroupSettings(60_000, 3, AutoOffsetReset.EARLIEST,
            IsolationLevel.READ_UNCOMMITTED, "dlq.orders", false);

    /** A writer whose writes complete when the test says; it can also refuse (full) a number of times. */
    static final class HeldWriter implements DeadLetterWriter {
        final List<DeadLetter> letters = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> writes = new CopyOnWriteArrayList<>();
        final AtomicInteger refusals = new AtomicInteger();

        @Override
        public CompletableFuture<Void> write(DeadLetter letter) {
            if (refusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return null;
            }
            CompletableFuture<Void> write = new CompletableFuture<>();
            letters.add(letter);
            writes.add(write);
            return write;
        }

        void completeAll() {
            writes.forEach(write -> write.complete(null));
        }
    }

    @AfterEach
    void closeManagers() {
        managers.forEach(SharePartitionManager::close);
    }

    @Test
    void aRejectedRecordIsStoredArchivingUntilItsDeadLetterWriteIsDoneThenArchived() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 2);

        assertThat(acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 1,
                List.of(AcknowledgeType.REJECT.id, AcknowledgeType.ACCEPT.id)))).error()).isEqualTo(Errors.NONE);

        assertThat(stored().stateBatches()).contains(new SharePartitionState.StateBatch(0, 0, RecordState.ARCHIVING,
                1));
        assertThat(stored().startOffset()).isZero();
        await().atMost(AT_MOST).until(() -> writer.letters.size() == 1);
        assertThat(writer.letters).containsExactly(new DeadLetter(GROUP, TP, 0, 1, DeadLetterReason.CLIENT_REJECT));

        writer.completeAll();

        await().atMost(AT_MOST).until(() -> stored().startOffset() == 2);
        assertThat(stored().stateBatches()).extracting(SharePartitionState.StateBatch::state)
                .doesNotContain(RecordState.ARCHIVING);
        assertThat(writer.letters).as("written once").hasSize(1);
    }

    @Test
    void aRecordReleasedAtTheDeliveryLimitIsDeadLetteredWithItsDeliveryCount() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        SharePartitionManager manager = manager(writer);
        for (int delivery = 1; delivery <= 3; delivery++) {
            acquire(manager, "m1", 1);
            assertThat(acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 0,
                    List.of(AcknowledgeType.RELEASE.id)))).error()).isEqualTo(Errors.NONE);
        }
        await().atMost(AT_MOST).until(() -> writer.letters.size() == 1);
        assertThat(writer.letters).containsExactly(new DeadLetter(GROUP, TP, 0, 3,
                DeadLetterReason.DELIVERY_COUNT_EXCEEDED));
        writer.completeAll();
        await().atMost(AT_MOST).until(() -> stored().startOffset() == 1);
    }

    @Test
    void aFailedWriteLeavesTheRecordArchivingAndItIsOfferedAgain() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 1);
        acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 0, List.of(AcknowledgeType.REJECT.id))));
        await().atMost(AT_MOST).until(() -> writer.letters.size() == 1);

        writer.writes.get(0).completeExceptionally(new IllegalStateException("the writer is closed"));

        await().atMost(AT_MOST).until(() -> writer.letters.size() == 2);
        assertThat(stored().startOffset()).isZero();
        writer.writes.get(1).complete(null);
        await().atMost(AT_MOST).until(() -> stored().startOffset() == 1);
    }

    @Test
    void aFullWriterIsAskedAgainLater() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        writer.refusals.set(3);
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 1);
        acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 0, List.of(AcknowledgeType.REJECT.id))));

        await().atMost(AT_MOST).until(() -> writer.letters.size() == 1);
        assertThat(writer.refusals.get()).isZero();
        writer.completeAll();
        await().atMost(AT_MOST).until(() -> stored().startOffset() == 1);
    }

    @Test
    void aPartitionItsMembersLeftWhileAWriteIsPendingStillArchivesTheRecordWhenTheWriteEnds() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 1);
        acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 0, List.of(AcknowledgeType.REJECT.id))));
        await().atMost(AT_MOST).until(() -> writer.letters.size() == 1);

        manager.releaseMember(GROUP, "m1", TP).join();
        manager.reloadWhenIdle(GROUP, TP);
        writer.completeAll();

        await().atMost(AT_MOST).until(() -> stored().startOffset() == 1);
        assertThat(writer.letters).hasSize(1);
    }

    @Test
    void aRecordWhoseWriteIsDoneIsNotWrittenAgainByAnOperationQueuedBeforeItIsArchived() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 2);
        acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 0, List.of(AcknowledgeType.REJECT.id))));
        await().atMost(AT_MOST).until(() -> writer.letters.size() == 1);

        persister.holdWrites();
        CompletableFuture<SharePartitionManager.Acknowledgement> queuedFirst = manager.acknowledge(GROUP, "m1", TP,
                List.of(new AcknowledgementBatch(1, 1, List.of(AcknowledgeType.ACCEPT.id))));
        writer.completeAll();
        persister.releaseHeldWrites();
        assertThat(queuedFirst.join().error()).isEqualTo(Errors.NONE);

        await().atMost(AT_MOST).until(() -> stored().startOffset() == 2);
        assertThat(writer.letters).as("written once").hasSize(1);
    }

    @Test
    void aNewLeaderWritesAgainWhatTheOldOneLeftArchiving() {
        lead(1, 3);
        HeldWriter oldWriter = new HeldWriter();
        SharePartitionManager old = manager(oldWriter);
        acquire(old, "m1", 3);
        acknowledge(old, "m1", List.of(new AcknowledgementBatch(0, 2, List.of(AcknowledgeType.REJECT.id,
                AcknowledgeType.ACCEPT.id, AcknowledgeType.REJECT.id))));
        await().atMost(AT_MOST).until(() -> oldWriter.letters.size() == 2);
        // The old leader dies with its writes in flight, never acknowledged.

        lead(2, 3);
        HeldWriter newWriter = new HeldWriter();
        SharePartitionManager successor = manager(newWriter);
        assertThat(acquire(successor, "m2", 10).records()).as("nothing left to deliver").isEmpty();

        await().atMost(AT_MOST).until(() -> newWriter.letters.size() == 2);
        assertThat(newWriter.letters).extracting(DeadLetter::offset).containsExactlyInAnyOrder(0L, 2L);
        assertThat(newWriter.letters).extracting(DeadLetter::reason).containsOnly(DeadLetterReason.CLIENT_REJECT);
        newWriter.completeAll();
        await().atMost(AT_MOST).until(() -> stored().startOffset() == 3);
        oldWriter.completeAll();
        assertThat(successor.partitionForTest(GROUP, TP).startOffset()).isEqualTo(3);
    }

    @Test
    void aGroupWithoutADeadLetterTopicArchivesAtOnceAndWritesNothing() {
        settings = new ShareGroupSettings(60_000, 3, AutoOffsetReset.EARLIEST, IsolationLevel.READ_UNCOMMITTED);
        lead(1);
        HeldWriter writer = new HeldWriter();
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 2);
        acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 1, List.of(AcknowledgeType.REJECT.id))));

        assertThat(stored().startOffset()).isEqualTo(2);
        assertThat(writer.letters).isEmpty();
    }

    @Test
    void gapsAreArchivedWithoutDeadLettering() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 2);
        acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 1, List.of((byte) 0))));

        assertThat(stored().startOffset()).isEqualTo(2);
        assertThat(writer.letters).isEmpty();
    }

    @Test
    void removingTheDeadLetterTopicArchivesWhatWasWaitingForIt() {
        lead(1);
        HeldWriter writer = new HeldWriter();
        writer.refusals.set(Integer.MAX_VALUE);
        SharePartitionManager manager = manager(writer);
        acquire(manager, "m1", 1);
        acknowledge(manager, "m1", List.of(new AcknowledgementBatch(0, 0, List.of(AcknowledgeType.REJECT.id))));
        assertThat(stored().startOffset()).isZero();

        settings = new ShareGroupSettings(60_000, 3, AutoOffsetReset.EARLIEST, IsolationLevel.READ_UNCOMMITTED);

        await().atMost(AT_MOST).until(() -> manager.partitionForTest(GROUP, TP).archiving().isEmpty());
        assertThat(manager.partitionForTest(GROUP, TP).startOffset()).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void lead(int leaderEpoch) {
        lead(leaderEpoch, 10);
    }

    private void lead(int leaderEpoch, long highWatermark) {
        led.put(TP, new LeaderLog(leaderEpoch, 0, highWatermark, highWatermark, ts -> -1));
    }

    private SharePartitionManager manager(DeadLetterWriter writer) {
        SharePartitionManager manager = new SharePartitionManager(persister, led::get, group -> settings, 100,
                Clock.systemUTC(), tp -> { }, (group, tp, ranges) -> { }, writer, Executors.defaultThreadFactory(),
                10);
        managers.add(manager);
        return manager;
    }

    private SharePartitionState stored() {
        return persister.state(GROUP, TOPIC, 0);
    }

    private static SharePartitionManager.Acquisition acquire(SharePartitionManager manager, String member,
                                                             int maxRecords) {
        return manager.acquire(GROUP, member, TP, maxRecords, Long.MAX_VALUE).join();
    }

    private static SharePartitionManager.Acknowledgement acknowledge(SharePartitionManager manager, String member,
                                                                     List<AcknowledgementBatch> batches) {
        return manager.acknowledge(GROUP, member, TP, batches).join();
    }
}

package io.strata.broker.partition;

import io.strata.broker.metadata.PartitionAssignment;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A partition's side of transactions: the last stable offset, markers written as leader and taken as follower, the
 * aborted-transaction index, and the state after a restart.
 */
class PartitionTransactionsTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    private static final long PRODUCER = 4000L;
    private static final long OTHER = 5000L;
    private static final short EPOCH = 2;

    @TempDir
    Path root;

    private LogDirectory directory;

    private final Partition.Listener listener = new Partition.Listener() {
        @Override
        public void onHighWatermark(TopicPartition partition, long bytes) {
        }

        @Override
        public void requestIsrChange(Partition partition, PartitionAssignment basedOn, List<Integer> newIsr) {
        }

        @Override
        public boolean isLive(int brokerId) {
            return true;
        }
    };

    @BeforeEach
    void open() {
        directory = openDirectory(root.resolve("leader"));
    }

    @AfterEach
    void close() {
        directory.close();
    }

    private static LogDirectory openDirectory(Path dir) {
        return LogDirectory.open(LogDirectoryConfig.forDirectory(dir), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), Clock.systemUTC());
    }

    private Partition partition(LogDirectory in, int brokerId, PartitionAssignment assignment) {
        return new Partition(ORDERS_0, TOPIC_ID, brokerId, assignment, in.getOrCreate(ORDERS_0, LogConfig.defaults()),
                listener, System.currentTimeMillis());
    }

    private Partition soleLeader() {
        return partition(directory, 1, new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0));
    }

    private static AppendResult transactional(Partition leader, long producerId, int sequence, String... values) {
        SimpleRecord[] records = Stream.of(values).map(v -> new SimpleRecord(v.getBytes())).toArray(SimpleRecord[]::new);
        return leader.appendAsLeader(MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, EPOCH,
                sequence, records), (short) -1, AppendOrigin.CLIENT);
    }

    private static void plain(Partition leader, String value) {
        leader.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes())),
                (short) 1, AppendOrigin.CLIENT);
    }

    /**
     * What the produce path asks before a transactional batch: only a transaction open at the batch's epoch spares the
     * coordinator's confirmation. Transaction version 2 bumps the epoch at every end, so a batch of the next epoch
     * while the marker at that epoch has not come yet begins another transaction, not this one.
     */
    @Test
    void anOpenTransactionCountsOnlyForTheEpochItWasOpenedAtAndEndsWithTheBumpedMarker() {
        Partition leader = soleLeader();
        assertThat(leader.hasOngoingTransaction(PRODUCER, EPOCH)).isFalse();
        transactional(leader, PRODUCER, 0, "a");

        assertThat(leader.hasOngoingTransaction(PRODUCER, EPOCH)).isTrue();
        assertThat(leader.hasOngoingTransaction(PRODUCER, (short) (EPOCH + 1))).isFalse();
        assertThat(leader.hasOngoingTransaction(OTHER, EPOCH)).isFalse();

        leader.appendTransactionMarker(PRODUCER, (short) (EPOCH + 1), 0, true, System.currentTimeMillis());

        assertThat(leader.hasOngoingTransaction(PRODUCER, EPOCH)).isFalse();
        assertThat(leader.hasOngoingTransaction(PRODUCER, (short) (EPOCH + 1))).isFalse();
        assertThat(leader.lastStableOffset()).as("the marker at the bumped epoch ended it").isEqualTo(2);
    }

    /**
     * KIP-890's guard: a batch the coordinator confirmed is refused if a marker of its producer was written between
     * the confirmation and the append, since it would open a transaction no coordinator knows of; the refusal is
     * retriable, since the marker may as well have ended the previous transaction (the client's retry is verified
     * again). Without a marker in between the batch is taken, and the guard with it.
     */
    @Test
    void aVerifiedBatchIsRefusedIfAMarkerOfItsProducerCameBetweenTheVerificationAndTheAppend() {
        Partition leader = soleLeader();
        Object raced = leader.startTransactionVerification(PRODUCER);
        leader.appendTransactionMarker(PRODUCER, EPOCH, 0, false, System.currentTimeMillis());

        assertThatThrownBy(() -> leader.appendAsLeader(MemoryRecords.withTransactionalRecords(Compression.NONE,
                PRODUCER, EPOCH, 0, new SimpleRecord("late".getBytes())), (short) 1, AppendOrigin.CLIENT, raced))
                .isInstanceOf(NotEnoughReplicasException.class).hasMessageContaining("verify it again");
        assertThat(leader.hasOngoingTransaction(PRODUCER, EPOCH)).isFalse();

        Object guard = leader.startTransactionVerification(PRODUCER);
        assertThat(guard).as("a new guard after the marker").isNotSameAs(raced);
        leader.appendAsLeader(MemoryRecords.withTransactionalRecords(Compression.NONE, PRODUCER, EPOCH, 0,
                new SimpleRecord("verified".getBytes())), (short) 1, AppendOrigin.CLIENT, guard);
        assertThat(leader.hasOngoingTransaction(PRODUCER, EPOCH)).isTrue();
    }

    @Test
    void theLastStableOffsetStopsAtAnOpenTransactionAndPassesItOnceCommitted() {
        Partition leader = soleLeader();
        plain(leader, "before");
        transactional(leader, PRODUCER, 0, "a", "b");
        plain(leader, "after");

        assertThat(leader.highWatermark()).isEqualTo(4);
        assertThat(leader.lastStableOffset()).isEqualTo(1);

        AppendResult marker = leader.appendTransactionMarker(PRODUCER, EPOCH, 0, true, System.currentTimeMillis());

        assertThat(marker.firstOffset()).isEqualTo(4);
        assertThat(leader.highWatermark()).isEqualTo(5);
        assertThat(leader.lastStableOffset()).isEqualTo(5);
        assertThat(leader.abortedTransactions(0, 5)).isEmpty();
    }

    @Test
    void anOpenTransactionWhoseFirstRecordsWereDeletedHoldsTheLastStableOffsetAtTheLogStart() {
        Partition leader = soleLeader();
        transactional(leader, PRODUCER, 0, "a", "b");
        plain(leader, "c");
        plain(leader, "d");

        leader.log().deleteRecordsBefore(3);

        assertThat(leader.lastStableOffset()).isEqualTo(3);
    }

    @Test
    void aCommittedTransactionStaysUnstableUntilTheFollowersHaveItsMarker() {
        Partition leader = partition(directory, 1, new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        transactional(leader, PRODUCER, 0, "a", "b");
        leader.recordFollowerFetch(2, 2, System.currentTimeMillis());
        assertThat(leader.lastStableOffset()).isZero();

        leader.appendTransactionMarker(PRODUCER, EPOCH, 0, true, System.currentTimeMillis());
        leader.recordFollowerFetch(2, 2, System.currentTimeMillis());
        assertThat(leader.highWatermark()).isEqualTo(2);
        assertThat(leader.lastStableOffset()).as("the marker at 2 is not replicated").isZero();

        leader.recordFollowerFetch(2, 3, System.currentTimeMillis());
        assertThat(leader.lastStableOffset()).isEqualTo(3);
    }

    @Test
    void anAbortIsIndexedWithTheTransactionsRangeAndFoundByAReadOfIt() {
        Partition leader = soleLeader();
        transactional(leader, PRODUCER, 0, "a", "b");
        transactional(leader, OTHER, 0, "x");
        leader.appendTransactionMarker(PRODUCER, EPOCH, 0, false, System.currentTimeMillis());
        assertThat(leader.lastStableOffset()).as("OTHER's transaction from 2 is open").isEqualTo(2);
        leader.appendTransactionMarker(OTHER, EPOCH, 0, true, System.currentTimeMillis());

        assertThat(leader.lastStableOffset()).isEqualTo(5);
        assertThat(leader.abortedTransactions(0, 5)).containsExactly(new AbortedTransaction(PRODUCER, 0, 3, 2));
        assertThat(leader.abortedTransactions(4, 5)).isEmpty();
    }

    @Test
    void markersFromAFencedCoordinatorOrAnOldProducerEpochAreRefusedAndNotWritten() {
        Partition leader = soleLeader();
        transactional(leader, PRODUCER, 0, "a");
        leader.appendTransactionMarker(PRODUCER, EPOCH, 7, true, System.currentTimeMillis());
        transactional(leader, PRODUCER, 1, "b");
        long end = leader.log().logEndOffset();

        assertThatThrownBy(() -> leader.appendTransactionMarker(PRODUCER, EPOCH, 6, false, 0))
                .isInstanceOf(TransactionCoordinatorFencedException.class);
        assertThatThrownBy(() -> leader.appendTransactionMarker(PRODUCER, (short) (EPOCH - 1), 7, false, 0))
                .isInstanceOf(InvalidProducerEpochException.class);

        assertThat(leader.log().logEndOffset()).isEqualTo(end);
        assertThat(leader.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(2);
    }

    @Test
    void aFollowerDoesNotWriteMarkers() {
        Partition follower = partition(directory, 2, new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));

        assertThatThrownBy(() -> follower.appendTransactionMarker(PRODUCER, EPOCH, 0, true, 0))
                .isInstanceOf(NotLeaderOrFollowerException.class);
    }

    @Test
    void aFollowerTakesTheLeadersTransactionsAndAbortsFromTheBatchesItFetches() throws IOException {
        Partition leader = soleLeader();
        transactional(leader, PRODUCER, 0, "a", "b");
        transactional(leader, OTHER, 0, "x");
        leader.appendTransactionMarker(PRODUCER, EPOCH, 3, false, System.currentTimeMillis());
        LogDirectory followerDirectory = openDirectory(root.resolve("follower"));
        try {
            Partition follower = partition(followerDirectory, 2,
                    new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
            try (LogReadResult read = leader.readForFollower(0, 1 << 20, true)) {
                follower.appendAsFollower(MemoryRecords.readableRecords(read.records().readAll()), 1, 0);
            }

            assertThat(follower.ongoingTransactionFirstOffset(OTHER)).isEqualTo(2);
            assertThat(follower.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(-1);
            assertThat(follower.abortedTransactions(0, 4)).containsExactly(new AbortedTransaction(PRODUCER, 0, 3, 2));
        } finally {
            followerDirectory.close();
        }
    }

    @Test
    void openTransactionsAndAbortsAreTheSameAfterARestart() {
        Partition leader = soleLeader();
        transactional(leader, PRODUCER, 0, "a", "b");
        leader.appendTransactionMarker(PRODUCER, EPOCH, 0, false, System.currentTimeMillis());
        transactional(leader, OTHER, 0, "x");
        leader.snapshotProducerState();
        directory.close();

        directory = openDirectory(root.resolve("leader"));
        Partition restarted = soleLeader();

        assertThat(restarted.ongoingTransactionFirstOffset(OTHER)).isEqualTo(3);
        assertThat(restarted.lastStableOffset()).isEqualTo(3);
        assertThat(restarted.abortedTransactions(0, 4)).containsExactly(new AbortedTransaction(PRODUCER, 0, 2, 3));
        restarted.appendTransactionMarker(OTHER, EPOCH, 0, true, System.currentTimeMillis());
        assertThat(restarted.lastStableOffset()).isEqualTo(5);
    }

    @Test
    void withoutSnapshotsOrTransactionIndexTheStateIsRebuiltFromTheLogMarkersIncluded() throws IOException {
        Partition leader = soleLeader();
        transactional(leader, PRODUCER, 0, "a", "b");
        leader.appendTransactionMarker(PRODUCER, EPOCH, 4, false, System.currentTimeMillis());
        transactional(leader, OTHER, 0, "x");
        Path logDir = leader.log().dir();
        directory.close();
        try (Stream<Path> files = Files.list(logDir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".snapshot") || name.endsWith(".txnindex")) {
                    Files.delete(file);
                }
            }
        }

        directory = openDirectory(root.resolve("leader"));
        Partition restarted = soleLeader();

        assertThat(restarted.ongoingTransactionFirstOffset(OTHER)).isEqualTo(3);
        assertThat(restarted.lastStableOffset()).isEqualTo(3);
        assertThat(restarted.abortedTransactions(0, 4)).containsExactly(new AbortedTransaction(PRODUCER, 0, 2, 3));
        assertThatThrownBy(() -> restarted.appendTransactionMarker(PRODUCER, EPOCH, 3, true, 0))
                .as("the coordinator epoch of the replayed marker").isInstanceOf(TransactionCoordinatorFencedException.class);
    }
}

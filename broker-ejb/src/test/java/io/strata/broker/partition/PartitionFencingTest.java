package io.strata.broker.partition;

import io.strata.broker.metadata.PartitionAssignment;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A partition on broker 1 whose role changes under writes already on their way: a fetch response from a leader that
 * is no longer the leader, or one that lands after this broker was elected, and a produce that passed the leader
 * check just before this broker was demoted. None of them may change the log.
 */
class PartitionFencingTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    /** Broker 2 leads at epoch 1; broker 1 follows. */
    private static final PartitionAssignment FOLLOWING_2 =
            new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 2, 1, 1);

    @TempDir
    Path dir;

    private LogDirectory directory;
    private volatile IntPredicate live = id -> true;

    private final Partition.Listener listener = new Partition.Listener() {
        @Override
        public void onHighWatermark(TopicPartition partition, long bytes) {
        }

        @Override
        public void requestIsrChange(Partition partition, PartitionAssignment basedOn, List<Integer> newIsr) {
        }

        @Override
        public boolean isLive(int brokerId) {
            return live.test(brokerId);
        }
    };

    @BeforeEach
    void open() {
        directory = LogDirectory.open(LogDirectoryConfig.forDirectory(dir), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        directory.close();
    }

    private Partition partition(PartitionAssignment assignment) {
        return new Partition(ORDERS_0, TOPIC_ID, 1, assignment, directory.getOrCreate(ORDERS_0, LogConfig.defaults()),
                listener, System.currentTimeMillis());
    }

    /** A batch as a leader at {@code leaderEpoch} sends it: offsets from {@code baseOffset}, stamped with the epoch. */
    private static MemoryRecords fetched(long baseOffset, int leaderEpoch, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(values[i].getBytes());
        }
        return MemoryRecords.withRecords(baseOffset, Compression.NONE, leaderEpoch, records);
    }

    private static void elect(Partition partition, int leader, int leaderEpoch) {
        PartitionAssignment current = partition.assignment();
        partition.update(TOPIC_ID, new PartitionAssignment(current.replicas(), current.isr(), leader, leaderEpoch,
                current.partitionEpoch() + 1), LogConfig.defaults(), System.currentTimeMillis());
    }

    @Test
    void aFollowerAppendFetchedUnderAnEarlierLeaderEpochIsRefused() {
        Partition follower = partition(FOLLOWING_2);
        follower.appendAsFollower(fetched(0, 1, "a", "b"), 2, 1);
        elect(follower, 3, 2);

        assertThatThrownBy(() -> follower.appendAsFollower(fetched(2, 1, "late"), 2, 1))
                .isInstanceOf(FencedLeaderEpochException.class);
        assertThat(follower.log().logEndOffset()).isEqualTo(2);
        // The new leader's batches are taken.
        follower.appendAsFollower(fetched(2, 2, "c"), 3, 2);
        assertThat(follower.log().logEndOffset()).isEqualTo(3);
    }

    @Test
    void aTruncationFetchedUnderAnEarlierLeaderEpochIsRefused() {
        Partition follower = partition(FOLLOWING_2);
        follower.appendAsFollower(fetched(0, 1, "a", "b", "c", "d"), 2, 1);
        elect(follower, 3, 2);

        assertThatThrownBy(() -> follower.truncateTo(1, 2, 1)).isInstanceOf(FencedLeaderEpochException.class);
        assertThatThrownBy(() -> follower.truncateFullyAndStartAt(100, 2, 1))
                .isInstanceOf(FencedLeaderEpochException.class);
        assertThat(follower.log().logStartOffset()).isZero();
        assertThat(follower.log().logEndOffset()).isEqualTo(4);
    }

    @Test
    void aFetchResponseLandingAfterThisBrokerWasElectedIsRefused() {
        Partition follower = partition(FOLLOWING_2);
        follower.appendAsFollower(fetched(0, 1, "a", "b"), 2, 1);
        elect(follower, 1, 2);
        follower.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("mine".getBytes())),
                (short) 1, AppendOrigin.CLIENT);

        // A batch that would fit at the log end, so only the role can refuse it.
        assertThatThrownBy(() -> follower.appendAsFollower(fetched(3, 1, "late"), 2, 1))
                .isInstanceOf(NotLeaderOrFollowerException.class);
        assertThatThrownBy(() -> follower.truncateTo(2, 2, 1)).isInstanceOf(NotLeaderOrFollowerException.class);
        assertThatThrownBy(() -> follower.truncateFullyAndStartAt(100, 2, 1))
                .isInstanceOf(NotLeaderOrFollowerException.class);
        assertThat(follower.log().logEndOffset()).as("the leader's own record is kept").isEqualTo(3);
        assertThat(follower.leaderEpochCache().latestEpoch()).hasValue(2);
    }

    @Test
    void aLeaderAppendRacingWithADemotionIsRefusedNotLeaderOrFollower() throws Exception {
        Partition leader = partition(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        CountDownLatch checkingLiveness = new CountDownLatch(1);
        CountDownLatch demoted = new CountDownLatch(1);
        // acks=all asks whether the ISR is live after the leader check and before the write: hold it there.
        live = id -> {
            checkingLiveness.countDown();
            try {
                return demoted.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        };
        CompletableFuture<AppendResult> produce = CompletableFuture.supplyAsync(() -> leader.appendAsLeader(
                MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("in flight".getBytes())), (short) -1,
                AppendOrigin.CLIENT));
        assertThat(checkingLiveness.await(10, TimeUnit.SECONDS)).isTrue();

        elect(leader, 2, 1);
        demoted.countDown();

        assertThatThrownBy(() -> produce.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(NotLeaderOrFollowerException.class);
        assertThat(leader.log().logEndOffset()).isZero();
    }
}

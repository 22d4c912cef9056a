package io.strata.broker.partition;

import io.strata.broker.metadata.PartitionAssignment;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader partition on its own, its followers' fetches reported by hand: where the high watermark may go while the
 * ISR is changing, and what the produces waiting for it may do when they complete.
 */
class PartitionHighWatermarkTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();

    @TempDir
    Path dir;

    private LogDirectory directory;
    /** The ISR changes the leader asked the controller for, which stay pending: no answer comes. */
    private final List<List<Integer>> isrRequests = new CopyOnWriteArrayList<>();

    private final Partition.Listener listener = new Partition.Listener() {
        @Override
        public void onHighWatermark(TopicPartition partition, long bytes) {
        }

        @Override
        public void requestIsrChange(Partition partition, PartitionAssignment basedOn, List<Integer> newIsr) {
            isrRequests.add(newIsr);
        }

        @Override
        public boolean isLive(int brokerId) {
            return true;
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

    private Partition leaderOf(PartitionAssignment assignment) {
        return new Partition(ORDERS_0, TOPIC_ID, 1, assignment, directory.getOrCreate(ORDERS_0, LogConfig.defaults()),
                listener, System.currentTimeMillis());
    }

    private static long append(Partition leader, short acks, String... values) {
        long last = -1;
        for (String value : values) {
            last = leader.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes())),
                    acks, AppendOrigin.CLIENT).lastOffset();
        }
        return last;
    }

    @Test
    void theHighWatermarkDoesNotPassAFollowerWhoseJoiningTheIsrIsPending() {
        Partition leader = leaderOf(new PartitionAssignment(List.of(1, 2), List.of(1), 1, 0, 0));
        append(leader, (short) 1, "a", "b", "c", "d", "e");
        assertThat(leader.highWatermark()).as("the ISR is the leader alone").isEqualTo(5);

        leader.recordFollowerFetch(2, 5, System.currentTimeMillis());
        assertThat(isrRequests).as("follower 2 caught up").containsExactly(List.of(1, 2));

        long last = append(leader, (short) -1, "f", "g", "h", "i", "j");
        CompletableFuture<Void> replicated = leader.awaitReplication(last);

        // The controller may commit [1, 2] any moment and elect 2, which has only offsets below 5.
        assertThat(leader.highWatermark()).isEqualTo(5);
        assertThat(replicated).isNotDone();

        leader.recordFollowerFetch(2, 10, System.currentTimeMillis());
        assertThat(leader.highWatermark()).isEqualTo(10);
        assertThat(replicated).isCompleted();
    }

    @Test
    void aRefusedIsrExpansionNoLongerHoldsTheHighWatermarkBack() {
        PartitionAssignment alone = new PartitionAssignment(List.of(1, 2), List.of(1), 1, 0, 0);
        Partition leader = leaderOf(alone);
        append(leader, (short) 1, "a");
        leader.recordFollowerFetch(2, 1, System.currentTimeMillis());
        append(leader, (short) 1, "b");
        assertThat(leader.highWatermark()).isEqualTo(1);

        leader.isrChangeFailed(alone, List.of(1, 2));

        assertThat(leader.highWatermark()).as("the committed ISR is the leader alone").isEqualTo(2);
    }

    @Test
    void aRefusedIsrExpansionIsAskedForAgainOnlyAfterAPause() {
        PartitionAssignment alone = new PartitionAssignment(List.of(1, 2), List.of(1), 1, 0, 0);
        Partition leader = leaderOf(alone);
        append(leader, (short) 1, "a");
        leader.recordFollowerFetch(2, 1, System.currentTimeMillis());
        assertThat(isrRequests).containsExactly(List.of(1, 2));

        leader.isrChangeFailed(alone, List.of(1, 2));
        for (int fetch = 0; fetch < 50; fetch++) {
            leader.recordFollowerFetch(2, 1, System.currentTimeMillis());
        }
        assertThat(isrRequests).as("fetches right after the refusal do not ask again").hasSize(1);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            leader.recordFollowerFetch(2, 1, System.currentTimeMillis());
            assertThat(isrRequests).as("asked again after the pause").hasSize(2);
        });
    }

    @Test
    void aPendingIsrShrinkStillWaitsForTheFollowerItRemoves() {
        Partition leader = leaderOf(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        leader.recordFollowerFetch(2, 0, 0);
        append(leader, (short) 1, "a");

        leader.maybeShrinkIsr(System.currentTimeMillis() + 60_000, 1_000);

        assertThat(isrRequests).containsExactly(List.of(1));
        assertThat(leader.highWatermark()).as("2 is in the ISR until the controller says otherwise").isZero();
    }

    @Test
    void aProduceCompletedByTheHighWatermarkMayAppendAndWaitAgainFromItsCallback() {
        Partition leader = leaderOf(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        CompletableFuture<Void> first = leader.awaitReplication(append(leader, (short) -1, "first"));
        CompletableFuture<CompletableFuture<Void>> second = new CompletableFuture<>();
        // As a coordinator does: the next write goes out once the previous one is committed.
        first.thenRun(() -> second.complete(leader.awaitReplication(append(leader, (short) -1, "second"))));

        leader.recordFollowerFetch(2, 1, System.currentTimeMillis());

        assertThat(first).isCompleted();
        assertThat(second).isCompleted();
        assertThat(second.join()).isNotDone();
        leader.recordFollowerFetch(2, 2, System.currentTimeMillis());
        assertThat(second.join()).isCompleted();
    }
}

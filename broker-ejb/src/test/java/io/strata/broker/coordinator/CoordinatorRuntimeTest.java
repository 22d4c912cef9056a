package io.strata.broker.coordinator;

import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The coordinator runtime over a real replica manager and partition logs, without sockets: operations run on the
 * runtime's thread, writes complete only once the in-sync replicas have them, shards are rebuilt by replay when this
 * broker becomes leader and dropped when it stops, and timers die with their shard.
 */
@Timeout(60)
class CoordinatorRuntimeTest {

    private static final String TOPIC = "__test_state";
    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    private static final TopicPartition STATE_0 = new TopicPartition(TOPIC, 0);

    @TempDir
    Path dir;

    private LogDirectory directory;
    private ReplicaManager replicas;
    private CoordinatorRuntime<KeyValueShard> runtime;
    private MetadataImage image = MetadataImage.EMPTY;
    private final Set<Integer> live = ConcurrentHashMap.newKeySet();
    private final List<KeyValueShard> shards = new CopyOnWriteArrayList<>();

    /** A shard that keeps the committed value of each key; what a group's offsets are, in small. */
    static final class KeyValueShard implements CoordinatorShard {
        final CoordinatorContext context;
        final Map<String, String> committed = new HashMap<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        volatile boolean loaded;
        volatile boolean unloaded;
        volatile int timerRuns;
        /** How many replays of the next shards fail, to test a load that breaks part way. */
        static volatile int failReplays;

        KeyValueShard(CoordinatorContext context) {
            this.context = context;
        }

        @Override
        public void replay(long offset, CoordinatorRecord record) {
            if (failReplays > 0) {
                failReplays--;
                throw new IllegalStateException("replay failed (the test asked for it)");
            }
            String key = new String(record.key(), StandardCharsets.UTF_8);
            if (record.value() == null) {
                committed.remove(key);
            } else {
                committed.put(key, new String(record.value(), StandardCharsets.UTF_8));
            }
        }

        @Override
        public void onLoaded() {
            loaded = true;
        }

        @Override
        public void onUnloaded() {
            unloaded = true;
        }

        CompletableFuture<Errors> put(String key, String value) {
            threads.add(Thread.currentThread().getName());
            CompletableFuture<Errors> done = new CompletableFuture<>();
            context.write(List.of(new CoordinatorRecord(key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8))), () -> {
                        threads.add(Thread.currentThread().getName());
                        committed.put(key, value);
                        done.complete(Errors.NONE);
                    }, done::complete);
            return done;
        }
    }

    @BeforeEach
    void start() {
        directory = LogDirectory.open(LogDirectoryConfig.forDirectory(dir), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), Clock.systemUTC());
        replicas = new ReplicaManager(1, List.of(directory), LogConfig::of, Clock.systemUTC());
        replicas.joinCluster(new ReplicaManager.Followers() {
            @Override
            public void follow(TopicPartition tp, int leaderId, int leaderEpoch) {
            }

            @Override
            public void unfollow(TopicPartition tp) {
            }
        }, changes -> java.util.Collections.nCopies(changes.size(), Errors.NONE), Runnable::run,
                live::contains);
        live.addAll(List.of(1, 2, 3));
        runtime = newRuntime(2_000);
    }

    private CoordinatorRuntime<KeyValueShard> newRuntime(long writeTimeoutMs) {
        return new CoordinatorRuntime<>(TOPIC, replicas, context -> {
            KeyValueShard shard = new KeyValueShard(context);
            shards.add(shard);
            return shard;
        }, Executors.defaultThreadFactory(), Clock.systemUTC(), writeTimeoutMs, 1000);
    }

    @AfterEach
    void stop() {
        KeyValueShard.failReplays = 0;
        runtime.close();
        replicas.close();
        directory.close();
    }

    private void assign(PartitionAssignment assignment) {
        MetadataImage next = image.withTopic(new TopicImage(TOPIC, TOPIC_ID, List.of(assignment),
                Map.of("min.insync.replicas", "1"), true));
        replicas.onMetadataUpdate(image, next);
        image = next;
        runtime.onLeadershipChanged();
    }

    private KeyValueShard awaitServing() {
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.status(0) == Errors.NONE);
        return shards.get(shards.size() - 1);
    }

    @Test
    void aWriteCompletesOnlyOnceEveryInSyncReplicaHasIt() throws Exception {
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        KeyValueShard shard = awaitServing();

        CompletableFuture<Errors> put = runtime.submit("put", 0, s -> s.put("k", "v1"));

        await().atMost(Duration.ofSeconds(5)).until(() -> replicas.partition(STATE_0).log().logEndOffset() == 1);
        assertThat(put).as("follower 2 has not fetched the record").isNotDone();
        assertThat(runtime.call("get", 0, s -> s.committed.get("k")).get(5, TimeUnit.SECONDS))
                .as("not visible before it is committed").isNull();

        replicas.partition(STATE_0).recordFollowerFetch(2, 1, System.currentTimeMillis());

        assertThat(put.get(5, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
        assertThat(runtime.call("get", 0, s -> s.committed.get("k")).get(5, TimeUnit.SECONDS)).isEqualTo("v1");
        assertThat(shard.threads).containsOnly("strata-coordinator-" + TOPIC);
    }

    @Test
    void theStateIsRebuiltFromThePartitionWhenThisBrokerBecomesLeaderAgain() throws Exception {
        assign(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0));
        awaitServing();
        runtime.submit("put", 0, s -> s.put("a", "1")).get(5, TimeUnit.SECONDS);
        runtime.submit("put", 0, s -> s.put("b", "2")).get(5, TimeUnit.SECONDS);
        runtime.submit("put", 0, s -> s.put("a", "3")).get(5, TimeUnit.SECONDS);

        // Another broker leads for a term, then this one again: a new shard, loaded from the log.
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 2, 1, 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> shards.get(0).unloaded);
        assertThat(runtime.status(0)).isEqualTo(Errors.NOT_COORDINATOR);
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 2, 2));
        KeyValueShard reloaded = awaitServing();

        assertThat(reloaded).isNotSameAs(shards.get(0));
        assertThat(reloaded.loaded).isTrue();
        assertThat(runtime.call("get", 0, s -> Map.copyOf(s.committed)).get(5, TimeUnit.SECONDS))
                .isEqualTo(Map.of("a", "3", "b", "2"));
    }

    @Test
    void operationsForAPartitionThisBrokerDoesNotLeadAreAnsweredNotCoordinator() {
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 2, 0, 0));

        assertThat(runtime.status(0)).isEqualTo(Errors.NOT_COORDINATOR);
        assertThatThrownBy(() -> runtime.call("get", 0, s -> s.committed.get("k")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(NotCoordinatorException.class);
        assertThatThrownBy(() -> runtime.call("get", 7, s -> s.committed.get("k")).get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(NotCoordinatorException.class);
    }

    @Test
    void aWriteWaitingForReplicationFailsNotCoordinatorWhenLeadershipMovesAndIsNeverApplied() throws Exception {
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        KeyValueShard shard = awaitServing();
        CompletableFuture<Errors> put = runtime.submit("put", 0, s -> s.put("k", "lost"));
        await().atMost(Duration.ofSeconds(5)).until(() -> replicas.partition(STATE_0).log().logEndOffset() == 1);

        assign(new PartitionAssignment(List.of(1, 2), List.of(2), 2, 1, 1));

        assertThat(put.get(5, TimeUnit.SECONDS)).isEqualTo(Errors.NOT_COORDINATOR);
        await().atMost(Duration.ofSeconds(5)).until(() -> shard.unloaded);
    }

    @Test
    void aWriteTheLogRefusesFailsCoordinatorNotAvailableWithoutWaiting() throws Exception {
        MetadataImage next = image.withTopic(new TopicImage(TOPIC, TOPIC_ID,
                List.of(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0)),
                Map.of("min.insync.replicas", "2"), true));
        replicas.onMetadataUpdate(image, next);
        image = next;
        runtime.onLeadershipChanged();
        awaitServing();
        live.removeAll(List.of(2, 3));

        CompletableFuture<Errors> put = runtime.submit("put", 0, s -> s.put("k", "v"));

        assertThat(put.get(5, TimeUnit.SECONDS)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(replicas.partition(STATE_0).log().logEndOffset()).isZero();
    }

    @Test
    void aWriteNotReplicatedInTimeFailsCoordinatorNotAvailable() throws Exception {
        runtime.close();
        runtime = newRuntime(200);
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        awaitServing();

        CompletableFuture<Errors> put = runtime.submit("put", 0, s -> s.put("k", "slow"));

        assertThat(put.get(5, TimeUnit.SECONDS)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
    }

    @Test
    void timersRunOnTheRuntimeThreadAndDieWithTheirShard() {
        assign(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0));
        KeyValueShard shard = awaitServing();
        List<String> ran = new CopyOnWriteArrayList<>();
        runtime.call("schedule", 0, s -> {
            s.context.schedule("tick", 10, () -> ran.add(Thread.currentThread().getName()));
            s.context.schedule("cancelled", 10, () -> ran.add("cancelled"));
            s.context.cancel("cancelled");
            s.context.schedule("late", 60_000, () -> ran.add("late"));
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> !ran.isEmpty());
        assertThat(ran).containsExactly("strata-coordinator-" + TOPIC);

        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 2, 1, 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> shard.unloaded);
        assertThat(ran).containsExactly("strata-coordinator-" + TOPIC);
    }

    @Test
    void aShardIsUsedOnlyOnTheRuntimeThread() {
        assign(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0));
        KeyValueShard shard = awaitServing();

        assertThatThrownBy(() -> shard.context.write(List.of(), () -> { }, error -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("used only on");
    }

    @Test
    void submissionsBeyondTheQueueBoundAreRefusedAtOnce() throws Exception {
        assign(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0));
        awaitServing();
        CompletableFuture<Void> blocker = new CompletableFuture<>();
        runtime.call("block", 0, s -> blocker.join());
        List<CompletableFuture<String>> queued = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            queued.add(runtime.call("get", 0, s -> "ok"));
        }
        blocker.complete(null);

        assertThatThrownBy(() -> queued.get(1099).get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOf(CoordinatorNotAvailableException.class).hasMessageContaining("operations waiting");
        assertThat(queued.get(0).get(5, TimeUnit.SECONDS)).isEqualTo("ok");
    }

    @Test
    void aWriteAnsweredAfterItsDeadlineIsStillAppliedWhenTheReplicasTakeIt() throws Exception {
        runtime.close();
        runtime = newRuntime(200);
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        awaitServing();

        CompletableFuture<Errors> put = runtime.submit("put", 0, s -> s.put("k", "late"));
        assertThat(put.get(5, TimeUnit.SECONDS)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(runtime.call("get", 0, s -> s.committed.get("k")).get(5, TimeUnit.SECONDS)).isNull();

        // The follower catches up after all: the record is committed, so the state must show it, as a reload would.
        replicas.partition(STATE_0).recordFollowerFetch(2, 1, System.currentTimeMillis());

        await().atMost(Duration.ofSeconds(5)).until(() ->
                "late".equals(runtime.call("get", 0, s -> s.committed.get("k")).get(5, TimeUnit.SECONDS)));
    }

    @Test
    void aLoadThatFailsPartWayIsRetriedAndNeverServedHalf() throws Exception {
        assign(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0));
        awaitServing();
        runtime.submit("put", 0, s -> s.put("a", "1")).get(5, TimeUnit.SECONDS);
        runtime.submit("put", 0, s -> s.put("b", "2")).get(5, TimeUnit.SECONDS);
        KeyValueShard.failReplays = 1;

        // A new term: the first load breaks at its first record.
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 1, 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> shards.size() >= 2);
        assertThat(runtime.status(0)).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);

        awaitServing();
        assertThat(shards).hasSizeGreaterThanOrEqualTo(3);
        assertThat(runtime.call("get", 0, s -> Map.copyOf(s.committed)).get(5, TimeUnit.SECONDS))
                .isEqualTo(Map.of("a", "1", "b", "2"));
    }

    @Test
    void aPartitionWhoseLogDirectoryFailedIsNoLongerServed() throws Exception {
        assign(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0));
        KeyValueShard shard = awaitServing();

        replicas.partition(STATE_0).log().health().fail("Flushing " + STATE_0,
                new java.io.IOException("Input/output error (injected)"));
        runtime.onLeadershipChanged();

        await().atMost(Duration.ofSeconds(5)).until(() -> shard.unloaded);
        assertThat(runtime.status(0)).isEqualTo(Errors.NOT_COORDINATOR);
    }
}

package io.strata.broker.partition;

import io.strata.broker.metadata.IsrChange;
import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A leader's replica manager on its own, fed metadata images by hand as the controller would send them: what becomes
 * of acks=all produces when the partition moves away, and when followers are known to be gone.
 */
class ReplicaManagerTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();

    @TempDir
    Path dir;

    private LogDirectory directory;
    private ReplicaManager manager;
    private final Set<Integer> live = ConcurrentHashMap.newKeySet();
    /** Whom the fetchers were told to follow, per partition: "leader/epoch". */
    private final Map<TopicPartition, String> following = new ConcurrentHashMap<>();
    /** Whether this broker already led each partition when its fetching was stopped. */
    private final Map<TopicPartition, Boolean> ledWhenUnfollowed = new ConcurrentHashMap<>();
    /** Partitions whose fetcher hand-over fails, as a broken fetcher thread factory would. */
    private final Set<TopicPartition> brokenFetchers = ConcurrentHashMap.newKeySet();
    private MetadataImage image = MetadataImage.EMPTY;
    private ReplicaManager.Followers fetchers;

    @BeforeEach
    void start() {
        directory = LogDirectory.open(LogDirectoryConfig.forDirectory(dir), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), Clock.systemUTC());
        manager = new ReplicaManager(1, List.of(directory), LogConfig::of, Clock.systemUTC());
        fetchers = new ReplicaManager.Followers() {
            @Override
            public void follow(TopicPartition tp, int leaderId, int leaderEpoch) {
                if (brokenFetchers.contains(tp)) {
                    throw new IllegalStateException("no fetcher thread for " + tp);
                }
                following.put(tp, leaderId + "/" + leaderEpoch);
            }

            @Override
            public void unfollow(TopicPartition tp) {
                Partition partition = manager.partition(tp);
                if (partition != null && following.containsKey(tp)) {
                    ledWhenUnfollowed.put(tp, partition.isLeader());
                }
                following.remove(tp);
            }
        };
        manager.joinCluster(fetchers, changes ->
                java.util.Collections.nCopies(changes.size(), org.apache.kafka.common.protocol.Errors.NONE), Runnable::run, live::contains);
        live.addAll(List.of(1, 2, 3));
    }

    @AfterEach
    void stop() {
        manager.close();
        directory.close();
    }

    private void assign(PartitionAssignment assignment) {
        Map<String, String> configs = new HashMap<>(Map.of("min.insync.replicas", "2"));
        MetadataImage next = image.withTopic(new TopicImage("orders", TOPIC_ID, List.of(assignment), configs,
                false));
        manager.onMetadataUpdate(image, next);
        image = next;
    }

    private void assignTopic(List<PartitionAssignment> partitions) {
        MetadataImage next = image.withTopic(new TopicImage("orders", TOPIC_ID, partitions,
                Map.of("min.insync.replicas", "2"), false));
        manager.onMetadataUpdate(image, next);
        image = next;
    }

    private static MemoryRecords record(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes()));
    }

    /**
     * A restarted broker's metadata may still name it leader from its previous run, whose records it may have lost: it
     * leads nothing until the controller has acknowledged this run, and then only what the metadata says at that time.
     */
    @Test
    void aBrokerLeadsOnlyOnceTheControllerAcknowledgedThisRunOfIt() {
        manager.leadOnlyWhen(metadata -> "this-run".equals(metadata.incarnationOf(1)));
        image = image.withIncarnation(1, "previous-run");
        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 4, 7));
        Partition partition = manager.partition(ORDERS_0);
        assertThat(partition.isLeader()).as("led under the previous run's assignment").isFalse();
        assertThat(following).as("follows no one either").doesNotContainKey(ORDERS_0);

        // The controller acknowledges this run; had it moved the leadership, this broker would follow instead.
        MetadataImage acknowledged = image.withIncarnation(1, "this-run");
        manager.onMetadataUpdate(image, acknowledged);
        image = acknowledged;
        assertThat(manager.partition(ORDERS_0).isLeader()).isTrue();
        assertThat(manager.partition(ORDERS_0).leaderEpoch()).isEqualTo(4);
    }

    /**
     * A broker is lost to every partition at once: the shrinks asked for while the first request is with the
     * controller go together in the next one, and each partition still gets its own answer.
     */
    @Test
    void isrChangesAskedForWhileOneIsInFlightGoTogetherInTheNextRequest() throws Exception {
        assignTopic(java.util.Collections.nCopies(31,
                new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0)));
        List<List<IsrChange>> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch firstAnswered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService isrExecutor = Executors.newSingleThreadExecutor();
        manager.joinCluster(fetchers, changes -> {
            requests.add(List.copyOf(changes));
            if (requests.size() == 1 && !awaitQuietly(firstAnswered)) {
                throw new IllegalStateException("the test never let the first request be answered");
            }
            // orders-7 is refused (a newer leader epoch at the controller); the others are made.
            return changes.stream().map(change -> change.partition() == 7 ? Errors.FENCED_LEADER_EPOCH
                    : Errors.NONE).toList();
        }, isrExecutor, live::contains);
        long lagging = System.currentTimeMillis() + 60_000;
        try {
            manager.partition(new TopicPartition("orders", 0)).maybeShrinkIsr(lagging, 10_000);
            await().atMost(Duration.ofSeconds(10)).until(() -> requests.size() == 1);
            for (int p = 1; p < 31; p++) {
                manager.partition(new TopicPartition("orders", p)).maybeShrinkIsr(lagging, 10_000);
            }
            firstAnswered.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> requests.size() >= 2);

            assertThat(requests.get(0)).extracting(IsrChange::partition).containsExactly(0);
            assertThat(requests.get(1)).as("the 30 shrinks queued behind the first, in one request").hasSize(30)
                    .allSatisfy(change -> assertThat(change.isr()).containsExactly(1));
            assertThat(requests.get(1)).extracting(IsrChange::partition)
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(1, 31).boxed().toList());

            // Only the refused partition may ask again; the others wait for the metadata with their change in it.
            for (int p = 0; p < 31; p++) {
                manager.partition(new TopicPartition("orders", p)).maybeShrinkIsr(lagging, 10_000);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> requests.size() >= 3);
            assertThat(requests).hasSize(3);
            assertThat(requests.get(2)).extracting(IsrChange::partition).containsExactly(7);
        } finally {
            firstAnswered.countDown();
            isrExecutor.shutdown();
        }
    }

    private static boolean awaitQuietly(java.util.concurrent.CountDownLatch latch) {
        try {
            return latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void aProduceWaitingForTheIsrIsToldNotLeaderWhenThePartitionMovesAway() throws Exception {
        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0));
        Partition leader = manager.partition(ORDERS_0);
        AppendResult appended = leader.appendAsLeader(record("waits for 2 and 3"), (short) -1, AppendOrigin.CLIENT);
        CompletableFuture<Void> replicated = leader.awaitReplication(appended.lastOffset());
        assertThat(replicated).isNotDone();

        // A reassignment moved the partition to brokers 2, 3 and 4, led by 2.
        assign(new PartitionAssignment(List.of(2, 3, 4), List.of(2, 3, 4), 2, 1, 1));

        assertThat(manager.partition(ORDERS_0)).isNull();
        assertThatThrownBy(() -> replicated.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(NotLeaderOrFollowerException.class)
                .hasMessageContaining("no longer holds a replica of orders-0");
    }

    @Test
    void acksAllIsRefusedWhenTooFewOfTheIsrAreLive() {
        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0));
        Partition leader = manager.partition(ORDERS_0);
        live.removeAll(List.of(2, 3));

        assertThatThrownBy(() -> leader.appendAsLeader(record("nobody to copy it"), (short) -1, AppendOrigin.CLIENT))
                .isInstanceOf(NotEnoughReplicasException.class).hasMessageContaining("min.isr");
        assertThat(leader.log().logEndOffset()).as("nothing written").isZero();
        // acks=1 does not wait for followers.
        assertThat(leader.appendAsLeader(record("leader only"), (short) 1, AppendOrigin.CLIENT).lastOffset()).isZero();

        live.add(3);
        assertThat(leader.appendAsLeader(record("3 is back"), (short) -1, AppendOrigin.CLIENT).lastOffset())
                .isEqualTo(1);
    }

    @Test
    void replicasAddedWithinALeadersTermAreTrackedAndRemovedOnesAreNotWaitedFor() throws Exception {
        assign(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0));
        Partition leader = manager.partition(ORDERS_0);
        AppendResult appended = leader.appendAsLeader(record("r"), (short) -1, AppendOrigin.CLIENT);
        CompletableFuture<Void> replicated = leader.awaitReplication(appended.lastOffset());
        long end = appended.lastOffset() + 1;

        // A reassignment replaces broker 2 by 3 within the leader's term: first 3 is added and copies the log...
        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2), 1, 0, 1, List.of(3), List.of()));
        leader.recordFollowerFetch(3, end, System.currentTimeMillis());
        assertThat(replicated).as("broker 2, still in the ISR, has not fetched").isNotDone();

        // ...then 2 is removed, and the ISR is 1 and 3, which both have the record.
        assign(new PartitionAssignment(List.of(1, 3), List.of(1, 3), 1, 0, 2));
        replicated.get(5, TimeUnit.SECONDS);
        assertThat(leader.highWatermark()).isEqualTo(end);
    }

    @Test
    void aLeaderChangeFailsEveryWaitingProduceAndFollowsTheNewLeaderEvenWhenTheProducesCancelThemselves()
            throws Exception {
        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0));
        Partition leader = manager.partition(ORDERS_0);
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AppendResult appended = leader.appendAsLeader(record("r" + i), (short) -1, AppendOrigin.CLIENT);
            CompletableFuture<Void> done = leader.awaitReplication(appended.lastOffset());
            // As the produce path does: on failure it abandons its waiter, on the thread that failed it.
            done.whenComplete((ignored, error) -> leader.cancelWaiter(done));
            waiting.add(done);
        }

        // Broker 2 is elected: this broker follows it now.
        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 2, 1, 1));

        for (CompletableFuture<Void> done : waiting) {
            assertThatThrownBy(() -> done.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(NotLeaderOrFollowerException.class);
        }
        assertThat(following).containsEntry(ORDERS_0, "2/1");
        assertThat(leader.isLeader()).isFalse();
    }

    @Test
    void aPartitionWhoseUpdateFailsDoesNotStopTheOthersFromBeingApplied() {
        TopicPartition orders1 = new TopicPartition("orders", 1);
        brokenFetchers.add(ORDERS_0);

        assignTopic(List.of(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 2, 0, 0),
                new PartitionAssignment(List.of(1, 2), List.of(1, 2), 2, 0, 0)));

        assertThat(following).as("orders-1 follows broker 2 although orders-0 failed before it")
                .containsEntry(orders1, "2/0").doesNotContainKey(ORDERS_0);
        assertThat(manager.partition(orders1)).isNotNull();
    }

    @Test
    void aTornPartitionMetadataFileIsReplacedWholeAndNoTemporaryFileStays() throws Exception {
        Path partitionDir = directory.getOrCreate(ORDERS_0, LogConfig.defaults()).dir();
        Path metadata = partitionDir.resolve("partition.metadata");
        // A write cut short by a crash: the topic id is unreadable, so the file is written again.
        Files.writeString(metadata, "version: 0\ntopic_");
        Object tornFile = Files.readAttributes(metadata, BasicFileAttributes.class).fileKey();

        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0));

        assertThat(Files.readString(metadata)).isEqualTo("version: 0\ntopic_id: " + TOPIC_ID + "\n");
        assertThat(Files.readAttributes(metadata, BasicFileAttributes.class).fileKey())
                .as("a complete file moved over the old one, not the old one rewritten in place").isNotEqualTo(tornFile);
        try (Stream<Path> files = Files.list(partitionDir)) {
            assertThat(files.map(file -> file.getFileName().toString())).noneMatch(name -> name.endsWith(".tmp"));
        }
    }

    @Test
    void fetchingStopsBeforeThisBrokerLeads() {
        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 2, 0, 0));
        assertThat(following).containsEntry(ORDERS_0, "2/0");

        assign(new PartitionAssignment(List.of(1, 2, 3), List.of(1, 2, 3), 1, 1, 1));

        assertThat(following).doesNotContainKey(ORDERS_0);
        assertThat(ledWhenUnfollowed).as("a fetch answered after the election must find a follower")
                .containsEntry(ORDERS_0, false);
        assertThat(manager.partition(ORDERS_0).isLeader()).isTrue();
    }

    @Test
    void aMetadataChangeAppliesOnlyTheTopicsItChanged() {
        java.util.concurrent.atomic.AtomicInteger topicsApplied = new java.util.concurrent.atomic.AtomicInteger();
        ReplicaManager counting = new ReplicaManager(1, List.of(directory), overrides -> {
            topicsApplied.incrementAndGet();
            return LogConfig.of(overrides);
        }, Clock.systemUTC());
        TopicImage quiet = new TopicImage("quiet", Uuid.randomUuid(),
                List.of(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0)), Map.of(), false);
        TopicImage busy = new TopicImage("busy", Uuid.randomUuid(),
                List.of(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0)), Map.of(), false);
        MetadataImage first = MetadataImage.EMPTY.withTopic(quiet).withTopic(busy);
        counting.onMetadataUpdate(MetadataImage.EMPTY, first);
        assertThat(topicsApplied).hasValue(2);

        MetadataImage second = first.withTopic(busy.withConfigs(Map.of("retention.ms", "1000")));
        counting.onMetadataUpdate(first, second);

        assertThat(topicsApplied).as("only the changed topic").hasValue(3);
        assertThat(counting.partition(new TopicPartition("busy", 0)).log().config().retentionMs).isEqualTo(1000);
        assertThat(counting.partition(new TopicPartition("quiet", 0))).isNotNull();
    }

    @Test
    void aMetadataChangeThisManagerNeverHeardOfIsStillApplied() {
        ReplicaManager late = new ReplicaManager(1, List.of(directory), LogConfig::of, Clock.systemUTC());
        TopicImage first = new TopicImage("first", Uuid.randomUuid(),
                List.of(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0)), Map.of(), false);
        TopicImage second = new TopicImage("second", Uuid.randomUuid(),
                List.of(new PartitionAssignment(List.of(1), List.of(1), 1, 0, 0)), Map.of(), false);
        MetadataImage one = MetadataImage.EMPTY.withTopic(first);
        MetadataImage two = one.withTopic(second);
        MetadataImage three = two.withoutTopic("first");
        late.onMetadataUpdate(MetadataImage.EMPTY, one);

        // The update from one to two was lost (the manager was not listening yet); the next one still says "from two".
        late.onMetadataUpdate(two, three);

        assertThat(late.partition(new TopicPartition("second", 0))).as("created though its update was missed")
                .isNotNull();
        assertThat(late.partition(new TopicPartition("first", 0))).as("deleted").isNull();
    }
}

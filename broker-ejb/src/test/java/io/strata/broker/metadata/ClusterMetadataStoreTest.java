package io.strata.broker.metadata;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.transaction.TransactionContext;
import com.hazelcast.transaction.TransactionalMap;
import io.strata.broker.cluster.ControllerElection;
import org.apache.kafka.common.errors.NotControllerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The shared metadata over two real Hazelcast members: every broker applies what the controller commits, a change
 * from an older controller epoch never replaces one from a newer, and a broker that was away publishes nothing older
 * than the cluster has but takes everything newer.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterMetadataStoreTest {

    @TempDir
    Path dir;

    private HazelcastInstance first;
    private HazelcastInstance second;

    @BeforeEach
    void startMembers() {
        String name = "metadata-" + UUID.randomUUID();
        int firstPort = freePort();
        int secondPort = freePort();
        first = Hazelcast.newHazelcastInstance(config(name, firstPort, secondPort));
        second = Hazelcast.newHazelcastInstance(config(name, secondPort, firstPort));
        await().atMost(Duration.ofSeconds(30)).until(() -> first.getCluster().getMembers().size() == 2);
    }

    private static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Config config(String name, int port, int otherPort) {
        Config config = new Config();
        config.setClusterName(name);
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        // The second member joins within a second, as a broker's does, not after Hazelcast's default of five that the
        // first member, as master, waits for more members to ask: each test starts a pair of members.
        config.setProperty("hazelcast.wait.seconds.before.join", "1");
        config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true)
                .addMember("127.0.0.1:" + port).addMember("127.0.0.1:" + otherPort);
        return config;
    }

    @AfterEach
    void stopMembers() {
        second.shutdown();
        first.shutdown();
    }

    private ClusterMetadataStore store(String name, HazelcastInstance member) {
        ClusterMetadataStore store = new ClusterMetadataStore(localStore(name), member);
        store.start();
        return store;
    }

    /** A broker none of whose Hazelcast events arrive: only its own catch-up can bring it the cluster's changes. */
    private ClusterMetadataStore deafStore(String name, HazelcastInstance member, long catchUpIntervalMs) {
        ClusterMetadataStore store = new ClusterMetadataStore(localStore(name), member,
                Executors.defaultThreadFactory(), catchUpIntervalMs, false);
        store.start();
        return store;
    }

    private LocalMetadataStore localStore(String name) {
        return new LocalMetadataStore(MetadataLog.open(dir.resolve(name), Executors.defaultThreadFactory(),
                Clock.systemUTC()));
    }

    /** What the election does for a new term: sets the shared epoch (under the lock commits take), then writes. */
    private void elect(ClusterMetadataStore store, int epoch, IntPredicate stillController) {
        setSharedEpoch(epoch);
        store.becomeWriter(epoch, stillController);
    }

    private void setSharedEpoch(int epoch) {
        TransactionContext transaction = second.newTransactionContext();
        transaction.beginTransaction();
        TransactionalMap<String, String> map = transaction.getMap(ControllerElection.CONTROLLER_MAP);
        map.getForUpdate(ControllerElection.EPOCH_KEY);
        map.set(ControllerElection.EPOCH_KEY, String.valueOf(epoch));
        transaction.commitTransaction();
    }

    private static Map<String, byte[]> clusterId(String id) {
        return VersionedRecords.single(MetadataRecords.CLUSTER_KEY, MetadataRecords.encodeClusterId(id));
    }

    @Test
    void aStaleControllerCannotOverwriteItsSuccessor() {
        try (ClusterMetadataStore old = store("a", first); ClusterMetadataStore current = store("b", second)) {
            elect(old, 1, epoch -> true);
            old.commit(clusterId("from-epoch-1"));
            await().atMost(Duration.ofSeconds(10)).until(() -> "from-epoch-1".equals(current.image().clusterId()));

            elect(current, 2, epoch -> true);
            current.commit(clusterId("from-epoch-2"));
            await().atMost(Duration.ofSeconds(10)).until(() -> "from-epoch-2".equals(old.image().clusterId()));

            // The deposed controller still believes it may write: the shared map refuses, and nobody applies it.
            assertThatThrownBy(() -> old.commit(clusterId("stale"))).isInstanceOf(NotControllerException.class)
                    .hasMessageContaining("newer controller");
            assertThat(current.image().clusterId()).isEqualTo("from-epoch-2");
            assertThat(old.image().clusterId()).isEqualTo("from-epoch-2");
            String shared = first.<String, String>getMap(ClusterMetadataStore.METADATA_MAP)
                    .get(MetadataRecords.CLUSTER_KEY);
            assertThat(shared).contains("from-epoch-2");
        }
    }

    @Test
    void theClusterRefusesADeposedControllerEvenWhereItsSuccessorWroteNothing() {
        try (ClusterMetadataStore old = store("f", first); ClusterMetadataStore other = store("g", second)) {
            elect(old, 4, epoch -> true);
            old.commit(clusterId("from-epoch-4"));

            // A new term begins; its controller has committed nothing yet. The old one has not noticed.
            setSharedEpoch(5);
            Map<String, byte[]> topic = VersionedRecords.single(MetadataRecords.PRODUCER_IDS_KEY,
                    MetadataRecords.encodeNextProducerId(1000));
            assertThatThrownBy(() -> old.commit(topic)).isInstanceOf(NotControllerException.class)
                    .hasMessageContaining("epoch 5").hasMessageContaining("refuses");
            assertThat(first.getMap(ClusterMetadataStore.METADATA_MAP).containsKey(MetadataRecords.PRODUCER_IDS_KEY))
                    .isFalse();
            await().atMost(Duration.ofSeconds(10)).until(() -> "from-epoch-4".equals(other.image().clusterId()));
            assertThat(old.image().nextProducerId()).isEqualTo(other.image().nextProducerId()).isNotEqualTo(1000);
        }
    }

    @Test
    void aNewTermWaitsForTheCommitInFlightAndEveryLaterOneIsRefused() throws Exception {
        try (ClusterMetadataStore old = store("h", first); ClusterMetadataStore other = store("i", second)) {
            AtomicReference<CompletableFuture<Void>> election = new AtomicReference<>();
            AtomicBoolean electedDuringCommit = new AtomicBoolean();
            elect(old, 7, epoch -> {
                if (election.get() == null) {
                    // While the first commit holds the epoch, another thread starts a new term: it has to wait.
                    election.set(CompletableFuture.runAsync(() -> setSharedEpoch(8)));
                    try {
                        election.get().get(2, TimeUnit.SECONDS);
                        electedDuringCommit.set(true);
                    } catch (TimeoutException expected) {
                        // Still waiting, as it should.
                    } catch (InterruptedException | ExecutionException e) {
                        throw new AssertionError(e);
                    }
                }
                return true;
            });
            old.commit(clusterId("in-flight"));
            assertThat(electedDuringCommit).as("a new term began while a commit held the epoch").isFalse();
            election.get().get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> "in-flight".equals(other.image().clusterId()));
            assertThatThrownBy(() -> old.commit(clusterId("after"))).isInstanceOf(NotControllerException.class)
                    .hasMessageContaining("epoch 8");
            assertThat(other.image().clusterId()).isEqualTo("in-flight");
        }
    }

    @Test
    void onlyTheControllerCommits() {
        try (ClusterMetadataStore follower = store("c", first)) {
            assertThatThrownBy(() -> follower.commit(clusterId("x"))).isInstanceOf(NotControllerException.class);
            follower.becomeWriter(3, epoch -> false);
            assertThatThrownBy(() -> follower.commit(clusterId("x"))).isInstanceOf(NotControllerException.class);
        }
    }

    @Test
    void aReturningBrokerCatchesUpAndRepublishesWhatTheClusterLost() {
        try (ClusterMetadataStore controller = store("d", first)) {
            elect(controller, 1, epoch -> true);
            controller.commit(clusterId("kept"));
        }
        // The whole cluster restarts: the shared map is empty, the broker's own log still has the record.
        first.getMap(ClusterMetadataStore.METADATA_MAP).clear();
        try (ClusterMetadataStore returning = store("d", first); ClusterMetadataStore fresh = store("e", second)) {
            assertThat(returning.image().clusterId()).isEqualTo("kept");
            await().atMost(Duration.ofSeconds(10)).until(() -> "kept".equals(fresh.image().clusterId()));
            assertThat(returning.storedEpoch()).isEqualTo(1);
            assertThat(new String(VersionedRecords.encode(1L << 32, "x".getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8)).startsWith("v=" + (1L << 32));
        }
    }

    @Test
    void aBrokerWhoseEventsAreLostConvergesWithinTheCatchUpInterval() {
        try (ClusterMetadataStore controller = store("j", first); ClusterMetadataStore deaf = deafStore("k", second,
                100)) {
            elect(controller, 1, epoch -> true);
            controller.commit(clusterId("first"));
            await().atMost(Duration.ofSeconds(5)).until(() -> "first".equals(deaf.image().clusterId()));

            controller.commit(clusterId("second"));
            controller.commit(VersionedRecords.single(MetadataRecords.PRODUCER_IDS_KEY,
                    MetadataRecords.encodeNextProducerId(5000)));

            await().atMost(Duration.ofSeconds(5)).until(() -> deaf.image().nextProducerId() == 5000);
            assertThat(deaf.image().clusterId()).isEqualTo("second");
        }
    }

    @Test
    void aRecordWhoseEventWasLostIsFoundByThePeriodicFullCatchUpEvenWhenNewerOnesArrived() {
        try (ClusterMetadataStore controller = store("l", first); ClusterMetadataStore deaf = deafStore("m", second,
                20)) {
            elect(controller, 2, epoch -> true);
            controller.commit(clusterId("newest"));
            await().atMost(Duration.ofSeconds(5)).until(() -> "newest".equals(deaf.image().clusterId()));
            // A record of an older version that this broker never saw, while its newest version equals the cluster's.
            long older = (2L << 32) - 1;
            first.<String, String>getMap(ClusterMetadataStore.METADATA_MAP).put(MetadataRecords.PRODUCER_IDS_KEY,
                    new String(VersionedRecords.encode(older, MetadataRecords.encodeNextProducerId(7000)),
                            StandardCharsets.UTF_8));

            await().atMost(Duration.ofSeconds(10)).until(() -> deaf.image().nextProducerId() == 7000);
        }
    }

    @Test
    void changesAreAppliedOffHazelcastsEventThreads() {
        try (ClusterMetadataStore controller = store("n", first); ClusterMetadataStore other = store("o", second)) {
            AtomicReference<String> appliedOn = new AtomicReference<>();
            other.addListener((previous, current) -> appliedOn.set(Thread.currentThread().getName()));
            elect(controller, 1, epoch -> true);

            controller.commit(clusterId("off-thread"));

            await().atMost(Duration.ofSeconds(10)).until(() -> "off-thread".equals(other.image().clusterId()));
            assertThat(appliedOn.get()).isEqualTo("strata-metadata-applier");
        }
    }
}

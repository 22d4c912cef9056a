package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.SharePersister;
import io.strata.broker.share.coordinator.ShareCoordinator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The share persister of a broker that does not lead the state's {@code __share_group_state} partition reaches the
 * one that does over the network, and the state it writes is what every broker's persister reads back.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SharePersisterClusterTest {

    /** One cluster for both tests, each on a topic and group of its own: neither stops a broker. */
    @TempDir
    static Path dir;
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.start(dir, 3, Map.of(BrokerConfig.SHARE_STATE_TOPIC_NUM_PARTITIONS, 1));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aStateWrittenThroughAnotherBrokerRoundTripsThroughTheNetwork() throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("tasks", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            Uuid topicId = admin.describeTopics(List.of("tasks")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("tasks").topicId();
            SharePersister first = cluster.broker(1).server().sharePersister();
            SharePartitionState initial = new SharePartitionState(1, 100, List.of());
            // The first call in the cluster creates __share_group_state; the persister retries until its leader has
            // loaded it.
            assertThat(first.initialize("workers", topicId, 0, initial).get(60, TimeUnit.SECONDS))
                    .isEqualTo(Errors.NONE);
            int coordinator = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    leaderOf(admin), leader -> leader > 0);
            int other = coordinator % 3 + 1;
            SharePersister remote = cluster.broker(other).server().sharePersister();
            SharePersister local = cluster.broker(coordinator).server().sharePersister();

            SharePartitionState written = new SharePartitionState(1, 100, List.of(
                    new StateBatch(100, 104, RecordState.ACKNOWLEDGED, 1),
                    new StateBatch(105, 109, RecordState.ACQUIRED, 2),
                    new StateBatch(110, 110, RecordState.ARCHIVED, 5)));
            assertThat(remote.write("workers", topicId, 0, 4, written).get(60, TimeUnit.SECONDS))
                    .isEqualTo(Errors.NONE);

            SharePersister.ReadResult overTheNetwork = remote.read("workers", topicId, 0, 4).get(60, TimeUnit.SECONDS);
            assertThat(overTheNetwork.error()).isEqualTo(Errors.NONE);
            assertThat(overTheNetwork.state()).isEqualTo(written);
            SharePersister.ReadResult here = local.read("workers", topicId, 0, 4).get(60, TimeUnit.SECONDS);
            assertThat(here.state()).isEqualTo(written);

            assertThat(remote.write("workers", topicId, 0, 3, written).get(60, TimeUnit.SECONDS))
                    .as("a stale leader epoch, over the network").isEqualTo(Errors.FENCED_LEADER_EPOCH);
            SharePersister.Summary summary = remote.readSummary("workers", topicId, 0).get(60, TimeUnit.SECONDS);
            assertThat(summary).as("6 offsets done with, counted for the lag")
                    .isEqualTo(new SharePersister.Summary(Errors.NONE, 1, 100, 6));
            assertThat(remote.delete("workers", topicId, 0).get(60, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
            assertThat(local.read("workers", topicId, 0, 4).get(60, TimeUnit.SECONDS).state())
                    .as("deleted").isNull();
        }
    }

    @Test
    void writesOfManySharePartitionsQueuedTogetherShareRequests() throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("bulk", 40, (short) 1))).all().get(30, TimeUnit.SECONDS);
            Uuid topicId = admin.describeTopics(List.of("bulk")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("bulk").topicId();
            SharePartitionState initial = new SharePartitionState(1, 0, List.of());
            assertThat(cluster.broker(1).server().sharePersister().initialize("bulk-readers", topicId, 0, initial)
                    .get(60, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
            int coordinator = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    leaderOf(admin), leader -> leader > 0);
            io.strata.broker.share.coordinator.ShareCoordinatorPersister remote =
                    cluster.broker(coordinator % 3 + 1).server().sharePersister();
            long requestsBefore = remote.requestsSent();

            List<java.util.concurrent.CompletableFuture<Errors>> writes = new java.util.ArrayList<>();
            for (int partition = 0; partition < 40; partition++) {
                writes.add(remote.write("bulk-readers", topicId, partition, 0, new SharePartitionState(1, partition,
                        List.of(new StateBatch(partition, partition + 9, RecordState.ACQUIRED, 1)))));
            }
            for (java.util.concurrent.CompletableFuture<Errors> write : writes) {
                assertThat(write.get(60, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
            }
            assertThat(remote.requestsSent() - requestsBefore).as("40 writes, batched").isLessThan(40);
            for (int partition = 0; partition < 40; partition += 13) {
                assertThat(remote.read("bulk-readers", topicId, partition, 0).get(60, TimeUnit.SECONDS).state()
                        .startOffset()).isEqualTo(partition);
            }
        }
    }

    private static int leaderOf(Admin admin) throws Exception {
        TopicDescription state = admin.describeTopics(List.of(ShareCoordinator.STATE_TOPIC)).allTopicNames()
                .get(10, TimeUnit.SECONDS).get(ShareCoordinator.STATE_TOPIC);
        return state.partitions().get(0).leader() == null ? -1 : state.partitions().get(0).leader().id();
    }
}

package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.SharePersister;
import io.strata.broker.share.coordinator.ShareCoordinator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
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
 * {@code __share_group_state} keeps only what replay needs: the coordinator deletes the records before the oldest
 * latest snapshot, and a broker restarted after that rebuilds every share partition's state from what is left.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShareStatePruningTest {

    @TempDir
    Path dir;

    @Test
    void prunedStateTopicStillRebuildsEveryStateAfterARestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of(
                BrokerConfig.SHARE_STATE_TOPIC_NUM_PARTITIONS, 1,
                BrokerConfig.SHARE_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT, 2,
                BrokerConfig.SHARE_STATE_TOPIC_PRUNE_INTERVAL_MS, 200L))) {
            broker.createTopic("events", 2, Map.of());
            Uuid topicId;
            try (Admin admin = broker.admin()) {
                topicId = admin.describeTopics(List.of("events")).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get("events").topicId();
            }
            SharePersister persister = broker.server().sharePersister();
            SharePartitionState quiet = new SharePartitionState(1, 3, List.of(
                    new StateBatch(3, 4, RecordState.ARCHIVED, 5)));
            assertThat(persister.write("auditors", topicId, 1, 0, quiet).get(30, TimeUnit.SECONDS))
                    .isEqualTo(Errors.NONE);
            SharePartitionState busy = null;
            for (int round = 0; round < 10; round++) {
                busy = new SharePartitionState(1, round * 10L, List.of(
                        new StateBatch(round * 10L, round * 10L + 4, RecordState.ACKNOWLEDGED, 1),
                        new StateBatch(round * 10L + 5, round * 10L + 9, RecordState.ACQUIRED, 1)));
                assertThat(persister.write("auditors", topicId, 0, 0, busy).get(30, TimeUnit.SECONDS))
                        .isEqualTo(Errors.NONE);
            }
            for (int update = 0; update < 3; update++) { // two updates, then a snapshot past the busy one's early records
                assertThat(persister.write("auditors", topicId, 1, 0, quiet).get(30, TimeUnit.SECONDS))
                        .isEqualTo(Errors.NONE);
            }

            TopicPartition state = new TopicPartition(ShareCoordinator.STATE_TOPIC, 0);
            try (Admin admin = broker.admin()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> admin.listOffsets(Map.of(state,
                        OffsetSpec.earliest())).partitionResult(state).get(10, TimeUnit.SECONDS).offset() > 0);
            }

            broker.restart();

            SharePersister restarted = broker.server().sharePersister();
            assertThat(restarted.read("auditors", topicId, 0, 0).get(60, TimeUnit.SECONDS).state()).isEqualTo(busy);
            assertThat(restarted.read("auditors", topicId, 1, 0).get(60, TimeUnit.SECONDS).state()).isEqualTo(quiet);
        }
    }
}

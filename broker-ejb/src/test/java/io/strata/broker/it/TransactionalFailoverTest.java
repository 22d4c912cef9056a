package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
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
 * The log's side of transactions across a change of leader: followers take the transactional batches and markers
 * they fetch into their own producer state and aborted-transaction index, so a new leader answers read_committed
 * consumers as the old one did, and ends the transaction still open when the coordinator's marker comes.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TransactionalFailoverTest {

    private static final String TOPIC = "ledger";
    private static final TopicPartition LEDGER_0 = new TopicPartition(TOPIC, 0);

    @TempDir
    Path dir;

    @Test
    void aNewLeaderKeepsTheOpenTransactionAndTheAbortsItsReplicaTook() throws Exception {
        // The writer plays the coordinator itself: the leaders must not ask the real one (KIP-890's verification).
        try (TestCluster cluster = TestCluster.start(dir, 3, Map.of(
                BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false))) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3)
                        .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
            }
            int oldLeader = awaitLeader(cluster, -1);
            try (TransactionWriter writer = new TransactionWriter(cluster.broker(oldLeader).bootstrapServers(),
                    LEDGER_0, 1)) {
                writer.produceTransactional(1001L, "c1", "c2");                  // 0, 1
                writer.produceTransactional(1002L, "a1", "a2");                  // 2, 3
                assertThat(writer.marker(1001L, true)).isEqualTo(Errors.NONE);   // 4
                assertThat(writer.marker(1002L, false)).isEqualTo(Errors.NONE);  // 5
                writer.produceTransactional(1003L, "open1");                     // 6
                writer.producePlain("after-open");                               // 7
            }
            assertThat(TransactionalReadsTest.read(cluster.bootstrapServers(), "read_committed", 6))
                    .containsExactly("c1", "c2");

            cluster.broker(oldLeader).stop();
            int newLeader = awaitLeader(cluster, oldLeader);

            assertThat(TransactionalReadsTest.read(cluster.bootstrapServers(), "read_committed", 6))
                    .as("from the new leader, broker " + newLeader).containsExactly("c1", "c2");
            try (TransactionWriter writer = new TransactionWriter(cluster.broker(newLeader).bootstrapServers(),
                    LEDGER_0, 1)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> writer.marker(1003L, true) == Errors.NONE);
            }
            assertThat(TransactionalReadsTest.read(cluster.bootstrapServers(), "read_committed", 9))
                    .containsExactly("c1", "c2", "open1", "after-open");
            cluster.broker(oldLeader).start();
        }
    }

    /** Waits until ledger-0 has a leader other than {@code not} (-1: any), and returns it. */
    private static int awaitLeader(TestCluster cluster, int not) throws Exception {
        int[] leader = {-1};
        try (Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                TopicPartitionInfo info = admin.describeTopics(List.of(TOPIC)).allTopicNames()
                        .get(10, TimeUnit.SECONDS).get(TOPIC).partitions().get(0);
                leader[0] = info.leader() == null ? -1 : info.leader().id();
                return leader[0] > 0 && leader[0] != not;
            });
        }
        return leader[0];
    }
}

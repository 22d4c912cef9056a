package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.it.TwoPhaseCommitTest.Prepared;
import org.apache.kafka.clients.admin.Admin;
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
 * A prepared transaction moves with the leadership of its {@code __transaction_state} partition: in a cluster of three
 * brokers, the coordinator's broker stops after the prepare, and the broker that takes the partition over finds the
 * transaction Prepared (ListTransactions), and commits it when asked, its records then read exactly once.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TwoPhaseCommitFailoverTest {

    private static final String TX = "strata-xa:4660:6661696c6f766572:01";

    @TempDir
    Path dir;

    @Test
    void theNewCoordinatorOfAPreparedTransactionCompletesIt() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, 3, Map.of(
                BrokerConfig.TRANSACTION_STATE_LOG_REPLICATION_FACTOR, (short) 3,
                BrokerConfig.TRANSACTION_STATE_LOG_MIN_ISR, 2,
                BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 3,
                BrokerConfig.DEFAULT_REPLICATION_FACTOR, 3))) {
            int coordinator;
            try (Admin admin = cluster.admin()) {
                TwoPhaseCommitTest.createTopic(admin, 3);
                // The coordinator is known once the producer's first InitProducerId created __transaction_state.
                try (var producer = TwoPhaseCommitTest.transactionalProducer(cluster.bootstrapServers(), TX)) {
                    producer.initTransactions();
                }
                coordinator = coordinatorOf(admin);
            }
            Prepared prepared = TwoPhaseCommitTest.sendAndPrepare(cluster.bootstrapServers(), TX,
                    cluster.broker(coordinator).bootstrapServers());

            cluster.broker(coordinator).stop();

            int successor;
            try (Admin admin = cluster.admin()) {
                await("another coordinator").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> coordinatorOf(admin) != coordinator);
                successor = coordinatorOf(admin);
            }
            try (RawRequests raw = new RawRequests(cluster.broker(successor).bootstrapServers())) {
                await("the successor loaded the transaction").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> TwoPhaseCommitTest.listPrepared(raw).contains(TX));
                assertThat(TwoPhaseCommitTest.end(raw, TX, prepared, true)).isEqualTo(Errors.NONE);
            }
            assertThat(TwoPhaseCommitTest.readCommitted(cluster.bootstrapServers(), 5))
                    .containsExactly("order-0", "order-1", "order-2", "order-3", "order-4");
            cluster.restoreStoppedBrokers();
        }
    }

    private static int coordinatorOf(Admin admin) throws Exception {
        return admin.describeTransactions(List.of(TX)).description(TX).get(10, TimeUnit.SECONDS).coordinatorId();
    }
}

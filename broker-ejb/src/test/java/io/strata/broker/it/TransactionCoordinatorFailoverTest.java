package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.replication.BrokerChannel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transactions outlive their coordinator's broker in a 3-broker cluster: another broker becomes the leader of their
 * {@code __transaction_state} partition, rebuilds them from it and finishes them.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class TransactionCoordinatorFailoverTest {

    @TempDir
    Path dir;

    /**
     * The broker coordinating two open transactions is stopped: the one whose producer commits after the failover is
     * committed, the one whose producer is gone is aborted when it times out.
     */
    @Test
    void anotherBrokerTakesOverOpenTransactionsAndCompletesThem() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, 3, Map.of(
                BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 1,
                BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 500L))) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic("orders", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(new TopicPartition("orders", 0),
                    new OffsetAndMetadata(7));
            KafkaProducer<String, String> committing = transactional(cluster, "committing-tx", 120_000);
            KafkaProducer<String, String> abandoned = transactional(cluster, "abandoned-tx", 15_000);
            try {
                committing.initTransactions();
                committing.beginTransaction();
                committing.sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata("failover-group"));
                abandoned.initTransactions();
                abandoned.beginTransaction();
                abandoned.sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata("abandoned-group"));

                int coordinator;
                int abandonedEpoch;
                try (Admin admin = cluster.admin()) {
                    TransactionDescription open = describe(admin, "committing-tx");
                    assertThat(open.state()).isEqualTo(TransactionState.ONGOING);
                    coordinator = open.coordinatorId();
                    TransactionDescription left = describe(admin, "abandoned-tx");
                    assertThat(left.coordinatorId()).as("one partition: one coordinator").isEqualTo(coordinator);
                    abandonedEpoch = left.producerEpoch();
                }
                abandoned.close(Duration.ZERO); // its transaction stays open, as after a crash

                cluster.broker(coordinator).stop();

                committing.commitTransaction(); // finds the new coordinator, which loaded the open transaction
                try (Admin admin = cluster.admin()) {
                    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                        TransactionDescription committed = describe(admin, "committing-tx");
                        assertThat(committed.coordinatorId()).isNotEqualTo(coordinator);
                        assertThat(committed.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
                    });
                    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                        TransactionDescription aborted = describe(admin, "abandoned-tx");
                        assertThat(aborted.state()).isEqualTo(TransactionState.COMPLETE_ABORT);
                        assertThat(aborted.producerEpoch()).as("bumped twice by the abort of a transaction of"
                                + " version 2, so that its producer's EndTxn is fenced").isEqualTo(abandonedEpoch + 2);
                    });
                }
            } finally {
                committing.close(Duration.ofSeconds(5));
                abandoned.close(Duration.ZERO);
            }
        }
    }

    /**
     * A commit is prepared while the leader of its only partition is down, so its marker cannot be written; the
     * leadership of {@code __transaction_state} then moves to another broker, which loads the prepared transaction
     * and sends its marker again, and once the partition's leader is back the commit completes.
     */
    @Test
    void aPreparedCommitMovesWithItsCoordinatorAndCompletesOnceItsPartitionIsBack() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, 3, Map.of(
                BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 1));
             Admin admin = cluster.admin()) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try {
                    describe(admin, "handover-tx"); // looks for the coordinator, which creates __transaction_state
                } catch (ExecutionException notFoundYet) {
                    // TRANSACTIONAL_ID_NOT_FOUND once the coordinator is there
                }
                return admin.describeTopics(List.of("__transaction_state")).allTopicNames()
                        .get(10, TimeUnit.SECONDS).get("__transaction_state").partitions().get(0).leader() != null;
            });
            int coordinator = leaderOf(admin, "__transaction_state");
            int dataLeader = coordinator % 3 + 1;
            int successor = dataLeader % 3 + 1;
            admin.createTopics(List.of(new NewTopic("cold", Map.of(0, List.of(dataLeader))))).all()
                    .get(30, TimeUnit.SECONDS);

            try (BrokerChannel channel = new BrokerChannel(
                    "handover-test", 10_000)) {
                String[] address = cluster.broker(coordinator).bootstrapServers().split(":");
                channel.target(address[0], Integer.parseInt(address[1]));
                InitProducerIdResponseData producer =
                        ((InitProducerIdResponse) channel.send(
                                new InitProducerIdRequest.Builder(
                                        new InitProducerIdRequestData()
                                                .setTransactionalId("handover-tx").setTransactionTimeoutMs(120_000))
                                        .build((short) 4))).data();
                assertThat(Errors.forCode(producer.errorCode()))
                        .isEqualTo(Errors.NONE);
                channel.send(AddPartitionsToTxnRequest.Builder.forClient(
                        "handover-tx", producer.producerId(), producer.producerEpoch(),
                        List.of(new TopicPartition("cold", 0))).build((short) 3));

                cluster.broker(dataLeader).stop();
                EndTxnResponse ended =
                        (EndTxnResponse) channel.send(
                                new EndTxnRequest.Builder(
                                        new EndTxnRequestData()
                                                .setTransactionalId("handover-tx")
                                                .setProducerId(producer.producerId())
                                                .setProducerEpoch(producer.producerEpoch()).setCommitted(true), false)
                                        .build((short) 3));
                assertThat(Errors.forCode(ended.data().errorCode()))
                        .isEqualTo(Errors.NONE);
            }
            assertThat(describe(admin, "handover-tx").state()).isEqualTo(TransactionState.PREPARE_COMMIT);

            // The successor becomes the preferred, then the elected, leader of __transaction_state-0 (on the two
            // live brokers: a reassignment may not name a stopped one).
            TopicPartition state = new TopicPartition("__transaction_state", 0);
            admin.alterPartitionReassignments(Map.of(state, Optional.of(
                    new NewPartitionReassignment(List.of(successor, coordinator)))))
                    .all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                admin.electLeaders(ElectionType.PREFERRED, Set.of(state)).all()
                        .get(10, TimeUnit.SECONDS);
                TransactionDescription moved = describe(admin, "handover-tx");
                assertThat(moved.coordinatorId()).isEqualTo(successor);
                assertThat(moved.state()).as("its marker still cannot be written")
                        .isEqualTo(TransactionState.PREPARE_COMMIT);
            });

            cluster.broker(dataLeader).start();

            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                TransactionDescription completed = describe(admin, "handover-tx");
                assertThat(completed.coordinatorId()).isEqualTo(successor);
                assertThat(completed.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
            });
        }
    }

    private static int leaderOf(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                .partitions().get(0).leader().id();
    }

    private static KafkaProducer<String, String> transactional(TestCluster cluster, String transactionalId,
                                                               int timeoutMs) {
        return cluster.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 90_000));
    }

    private static TransactionDescription describe(Admin admin, String transactionalId) throws Exception {
        return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                .get(15, TimeUnit.SECONDS);
    }
}

package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.replication.BrokerChannel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Transaction protocol version 2 (KIP-890) with kafka-clients 4 against one real broker: the client reads {@code
 * transaction.version} 2 among the finalized features and ends every transaction with an epoch bump (which only
 * version 2 does), adds partitions and offsets through its produce and TxnOffsetCommit requests alone, commits and
 * aborts with read_committed seeing only what was committed, and is fenced as a zombie. Requests of version 1 sent
 * by hand show the server-side defence: a transactional batch to a partition the producer never added is refused.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TransactionsV2Test {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 3));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static KafkaProducer<String, String> transactional(String transactionalId) {
        return broker.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000));
    }

    private static TransactionDescription describe(Admin admin, String transactionalId) throws Exception {
        return TransactionReads.describe(admin, transactionalId);
    }

    private static List<String> readAll(String topic, String isolation) {
        return TransactionReads.readAll(broker, topic, isolation);
    }

    @Test
    void theClientSeesTransactionVersion2AndEveryCommitOrAbortBumpsTheProducerEpoch() throws Exception {
        broker.createTopic("bumps", 1, Map.of());
        try (Admin admin = broker.admin();
             KafkaProducer<String, String> producer = transactional("bumps-tx")) {
            FeatureMetadata features = admin.describeFeatures().featureMetadata().get(15, TimeUnit.SECONDS);
            assertThat(features.finalizedFeatures().get("transaction.version").maxVersionLevel())
                    .isEqualTo((short) 2);
            producer.initTransactions();
            int initial = describe(admin, "bumps-tx").producerEpoch();

            for (int transaction = 1; transaction <= 3; transaction++) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("bumps", "value-" + transaction));
                if (transaction == 2) {
                    producer.flush(); // written before the abort, which would otherwise drop the unsent batch
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
                assertThat((int) describe(admin, "bumps-tx").producerEpoch()).as("after transaction " + transaction)
                        .isEqualTo(initial + transaction);
            }
        }
        assertThat(readAll("bumps", "read_committed")).containsExactly("value-1", "value-3");
        assertThat(readAll("bumps", "read_uncommitted")).containsExactly("value-1", "value-2", "value-3");
    }

    @Test
    void readCommittedSeesOnlyCommittedTransactionsAndStopsAtAnOpenOne() throws Exception {
        broker.createTopic("isolated-v2", 1, Map.of());
        try (KafkaProducer<String, String> producer = transactional("isolated-v2-tx")) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("isolated-v2", "committed-1"));
            producer.send(new ProducerRecord<>("isolated-v2", "committed-2"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("isolated-v2", "aborted-1"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("isolated-v2", "open-1")).get(15, TimeUnit.SECONDS);

            assertThat(readAll("isolated-v2", "read_committed")).containsExactly("committed-1", "committed-2");

            producer.commitTransaction();
            assertThat(readAll("isolated-v2", "read_committed"))
                    .containsExactly("committed-1", "committed-2", "open-1");
        }
    }

    @Test
    void offsetsSentToATransactionAreAddedWithoutAddOffsetsToTxnAndCommittedWithIt() throws Exception {
        broker.createTopic("offsets-v2", 1, Map.of());
        TopicPartition input = new TopicPartition("offsets-v2", 0);
        try (KafkaProducer<String, String> producer = transactional("offsets-v2-tx");
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(17)),
                    new ConsumerGroupMetadata("offsets-v2-group"));
            producer.commitTransaction();

            // In v2 EndTxn is answered once the commit is decided, before its markers are written: the offset is
            // visible once the marker reaches __consumer_offsets.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("offsets-v2-group")
                        .partitionsToOffsetAndMetadata().get(15, TimeUnit.SECONDS);
                assertThat(committed.get(input)).isNotNull().extracting(OffsetAndMetadata::offset).isEqualTo(17L);
            });
        }
    }

    @Test
    void aNewProducerFencesTheOldOneWhoseLateWritesAreRefused() throws Exception {
        broker.createTopic("zombies-v2", 1, Map.of());
        try (KafkaProducer<String, String> zombie = transactional("zombie-v2-tx");
             KafkaProducer<String, String> successor = transactional("zombie-v2-tx")) {
            zombie.initTransactions();
            zombie.beginTransaction();
            zombie.send(new ProducerRecord<>("zombies-v2", "zombie-1")).get(15, TimeUnit.SECONDS);

            successor.initTransactions();
            successor.beginTransaction();
            successor.send(new ProducerRecord<>("zombies-v2", "successor-1"));
            successor.commitTransaction();

            assertThatThrownBy(() -> {
                zombie.send(new ProducerRecord<>("zombies-v2", "zombie-2")).get(15, TimeUnit.SECONDS);
                zombie.commitTransaction();
            }).satisfiesAnyOf(
                    thrown -> assertThat(thrown).hasRootCauseInstanceOf(ProducerFencedException.class),
                    thrown -> assertThat(thrown).hasRootCauseInstanceOf(InvalidProducerEpochException.class),
                    thrown -> assertThat(thrown).isInstanceOf(KafkaException.class));
        }
        assertThat(readAll("zombies-v2", "read_committed")).containsExactly("successor-1");
    }

    @Test
    void aBatchOfTheEpochBeforeACommitIsRefusedOnceTheMarkerIsWritten() throws Exception {
        broker.createTopic("late-v2", 1, Map.of());
        try (Admin admin = broker.admin();
             KafkaProducer<String, String> producer = transactional("late-v2-tx");
             BrokerChannel channel = channel()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("late-v2", "committed"));
            producer.commitTransaction();
            TransactionDescription before = describe(admin, "late-v2-tx");
            short previousEpoch = (short) (before.producerEpoch() - 1);

            Errors late = produceTransactional(channel, "late-v2-tx", before.producerId(), previousEpoch, "late-v2",
                    (short) 12, 1);

            assertThat(late).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
        }
        assertThat(readAll("late-v2", "read_uncommitted")).containsExactly("committed");
    }

    @Test
    void aVersion1ProduceToAPartitionNeverAddedToTheTransactionIsRefused() throws Exception {
        broker.createTopic("unadded", 1, Map.of());
        try (BrokerChannel channel = channel()) {
            InitProducerIdResponseData producer = awaitInitProducerId(channel, "unadded-tx");

            Errors error = produceTransactional(channel, "unadded-tx", producer.producerId(),
                    producer.producerEpoch(), "unadded", (short) 11, 0);

            assertThat(error).isEqualTo(Errors.INVALID_TXN_STATE);
        }
        assertThat(readAll("unadded", "read_uncommitted")).isEmpty();
    }

    private static BrokerChannel channel() {
        BrokerChannel channel = new BrokerChannel("transactions-v2-test", 15_000);
        String[] hostAndPort = broker.bootstrapServers().split(",")[0].split(":");
        channel.target(hostAndPort[0], Integer.parseInt(hostAndPort[1]));
        return channel;
    }

    private static InitProducerIdResponseData awaitInitProducerId(BrokerChannel channel, String transactionalId) {
        InitProducerIdResponseData[] answer = new InitProducerIdResponseData[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            // As a producer does: looking for the coordinator creates __transaction_state.
            channel.send(new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                    .setKeyType(FindCoordinatorRequest.CoordinatorType.TRANSACTION.id())
                    .setCoordinatorKeys(List.of(transactionalId))).build());
            answer[0] = ((InitProducerIdResponse) channel.send(new InitProducerIdRequest.Builder(
                    new InitProducerIdRequestData().setTransactionalId(transactionalId)
                            .setTransactionTimeoutMs(60_000)).build())).data();
            return answer[0].errorCode() == Errors.NONE.code();
        });
        return answer[0];
    }

    private static Errors produceTransactional(BrokerChannel channel, String transactionalId, long producerId,
                                               short epoch, String topic, short version, int sequence)
            throws Exception {
        MemoryRecords records = MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, sequence,
                new SimpleRecord("k".getBytes(), "v".getBytes()));
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000)
                .setTransactionalId(transactionalId);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        ProduceResponse response = (ProduceResponse) channel.send(new ProduceRequest.Builder(version, version, data)
                .build(version));
        return Errors.forCode(response.data().responses().iterator().next().partitionResponses().get(0)
                .errorCode());
    }
}

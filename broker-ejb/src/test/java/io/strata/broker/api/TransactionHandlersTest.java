package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.GroupCoordinator;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddOffsetsToTxnResponse;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.DescribeTransactionsResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.requests.ListTransactionsResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest.CommittedOffset;
import org.apache.kafka.common.requests.TxnOffsetCommitResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transaction APIs through the real handlers, transaction and group coordinators, without sockets. Markers cannot
 * reach this broker (it has no listener, and it advertises a closed port so that no other process on the machine gets
 * them), so transactions stay in PrepareCommit or PrepareAbort here; their completion is tested where a broker
 * listens.
 */
@Timeout(60)
class TransactionHandlersTest {

    private static final String TX = "payments-tx";
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir, Map.of(BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:1"));
        broker.createTopic("orders", 2);
        broker.awaitTransactionCoordinator(TX);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private InitProducerIdResponseData init() throws Exception {
        InitProducerIdResponseData response = broker.send(new InitProducerIdRequest.Builder(
                new InitProducerIdRequestData().setTransactionalId(TX).setTransactionTimeoutMs(60_000)),
                InitProducerIdResponse.class).data();
        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.NONE);
        return response;
    }

    private Map<TopicPartition, Errors> addPartitions(InitProducerIdResponseData producer, short version,
                                                      TopicPartition... partitions) throws Exception {
        return broker.send(AddPartitionsToTxnRequest.Builder.forClient(TX, producer.producerId(),
                producer.producerEpoch(), List.of(partitions)), version, AddPartitionsToTxnResponse.class)
                .errors().get(AddPartitionsToTxnResponse.V3_AND_BELOW_TXN_ID);
    }

    /** AddOffsetsToTxn, which a producer of transaction protocol version 1 sends before TxnOffsetCommit. */
    private void addOffsets(InitProducerIdResponseData producer, String group) throws Exception {
        AddOffsetsToTxnResponse response = broker.send(new AddOffsetsToTxnRequest.Builder(
                new AddOffsetsToTxnRequestData().setTransactionalId(TX).setProducerId(producer.producerId())
                        .setProducerEpoch(producer.producerEpoch()).setGroupId(group)), AddOffsetsToTxnResponse.class);
        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
    }

    private DescribeTransactionsResponseData.TransactionState describe() throws Exception {
        return broker.send(new DescribeTransactionsRequest.Builder(new DescribeTransactionsRequestData()
                .setTransactionalIds(List.of(TX))), DescribeTransactionsResponse.class).data().transactionStates()
                .get(0);
    }

    @Test
    void addPartitionsToTxnOpensTheTransactionAndDescribeShowsIt() throws Exception {
        InitProducerIdResponseData producer = init();

        assertThat(addPartitions(producer, (short) 3, ORDERS_0)).containsExactly(Map.entry(ORDERS_0, Errors.NONE));

        DescribeTransactionsResponseData.TransactionState described = describe();
        assertThat(Errors.forCode(described.errorCode())).isEqualTo(Errors.NONE);
        assertThat(described.transactionState()).isEqualTo("Ongoing");
        assertThat(described.producerId()).isEqualTo(producer.producerId());
        assertThat(described.transactionTimeoutMs()).isEqualTo(60_000);
        assertThat(described.transactionStartTimeMs()).isPositive();
        assertThat(described.topics()).singleElement().satisfies(topic -> {
            assertThat(topic.topic()).isEqualTo("orders");
            assertThat(topic.partitions()).containsExactly(0);
        });
    }

    @Test
    void anUnknownPartitionFailsTheWholeAddAndTheOthersAreNotAttempted() throws Exception {
        InitProducerIdResponseData producer = init();
        TopicPartition missing = new TopicPartition("missing", 0);

        Map<TopicPartition, Errors> errors = addPartitions(producer, (short) 3, ORDERS_0, missing);

        assertThat(errors).containsEntry(missing, Errors.UNKNOWN_TOPIC_OR_PARTITION)
                .containsEntry(ORDERS_0, Errors.OPERATION_NOT_ATTEMPTED);
        assertThat(describe().transactionState()).isEqualTo("Empty");
    }

    @Test
    void aFencedProducerIsToldInTheWordsOfItsVersion() throws Exception {
        InitProducerIdResponseData zombie = init();
        init();

        assertThat(addPartitions(zombie, (short) 1, ORDERS_0)).containsValue(Errors.INVALID_PRODUCER_EPOCH);
        assertThat(addPartitions(zombie, (short) 2, ORDERS_0)).containsValue(Errors.PRODUCER_FENCED);
    }

    @Test
    void addOffsetsToTxnAddsTheGroupsOffsetsPartition() throws Exception {
        InitProducerIdResponseData producer = init();

        AddOffsetsToTxnResponse response = broker.send(new AddOffsetsToTxnRequest.Builder(
                new AddOffsetsToTxnRequestData().setTransactionalId(TX).setProducerId(producer.producerId())
                        .setProducerEpoch(producer.producerEpoch()).setGroupId("payments")),
                AddOffsetsToTxnResponse.class);

        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
        assertThat(describe().topics()).singleElement().satisfies(topic -> {
            assertThat(topic.topic()).isEqualTo(GroupCoordinator.OFFSETS_TOPIC);
            assertThat(topic.partitions()).containsExactly(0);
        });
    }

    @Test
    void endTxnIsAnsweredOncePrepareCommitIsWrittenWhileMarkersAreStillOnTheirWay() throws Exception {
        InitProducerIdResponseData producer = init();
        addPartitions(producer, (short) 3, ORDERS_0);

        EndTxnResponse ended = broker.send(new EndTxnRequest.Builder(new EndTxnRequestData().setTransactionalId(TX)
                .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setCommitted(true),
                false), EndTxnResponse.class);
        EndTxnResponse again = broker.send(new EndTxnRequest.Builder(new EndTxnRequestData().setTransactionalId(TX)
                .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setCommitted(false),
                false), EndTxnResponse.class);

        assertThat(Errors.forCode(ended.data().errorCode())).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(again.data().errorCode())).as("an abort of a committing transaction")
                .isEqualTo(Errors.INVALID_TXN_STATE);
        DescribeTransactionsResponseData.TransactionState described = describe();
        assertThat(described.transactionState()).isEqualTo("PrepareCommit");
        assertThat(described.topics()).as("the partition still waiting for its marker").hasSize(1);
    }

    @Test
    void transactionalOffsetsAreUnstableUntilTheMarkerMakesThemCommitted() throws Exception {
        InitProducerIdResponseData producer = init();
        addOffsets(producer, "payments");
        TxnOffsetCommitResponse committed = broker.send(new TxnOffsetCommitRequest.Builder(TX, "payments",
                producer.producerId(), producer.producerEpoch(), Map.of(ORDERS_0, new CommittedOffset(42, "",
                        Optional.empty())), "", -1, Optional.empty(), false), TxnOffsetCommitResponse.class);
        assertThat(committed.errors()).containsExactly(Map.entry(ORDERS_0, Errors.NONE));

        OffsetFetchResponseData.OffsetFetchResponsePartitions stable = fetch(true);
        OffsetFetchResponseData.OffsetFetchResponsePartitions uncommitted = fetch(false);

        assertThat(Errors.forCode(stable.errorCode())).isEqualTo(Errors.UNSTABLE_OFFSET_COMMIT);
        assertThat(Errors.forCode(uncommitted.errorCode())).isEqualTo(Errors.NONE);
        assertThat(uncommitted.committedOffset()).as("not committed before the marker").isEqualTo(-1);

        // What the WriteTxnMarkers handler does once it has written the commit marker to __consumer_offsets-0.
        assertThat(broker.groupCoordinator().completeTransaction(0, producer.producerId(), true)
                .get(15, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);

        OffsetFetchResponseData.OffsetFetchResponsePartitions after = fetch(true);
        assertThat(Errors.forCode(after.errorCode())).isEqualTo(Errors.NONE);
        assertThat(after.committedOffset()).isEqualTo(42);
        assertThat(broker.groupCoordinator().completeTransaction(7, producer.producerId(), true)
                .get(15, TimeUnit.SECONDS)).as("a partition not coordinated here: the marker is sent again")
                .isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void aFetchOfAllTheGroupsOffsetsShowsAPartitionWithOnlyAPendingOffsetAsUnstable() throws Exception {
        InitProducerIdResponseData producer = init();
        addOffsets(producer, "fresh-group");
        broker.send(new TxnOffsetCommitRequest.Builder(TX, "fresh-group", producer.producerId(),
                producer.producerEpoch(), Map.of(ORDERS_0, new CommittedOffset(7, "", Optional.empty())), false),
                TxnOffsetCommitResponse.class);

        OffsetFetchRequestData data = new OffsetFetchRequestData().setRequireStable(true)
                .setGroups(List.of(new OffsetFetchRequestGroup().setGroupId("fresh-group").setTopics(null)));
        OffsetFetchResponse response = broker.send(OffsetFetchRequest.Builder.forTopicNames(data, true),
                OffsetFetchResponse.class);

        assertThat(response.data().groups().get(0).topics()).singleElement().satisfies(topic -> {
            assertThat(topic.name()).isEqualTo("orders");
            assertThat(topic.partitions()).singleElement().satisfies(partition -> {
                assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.UNSTABLE_OFFSET_COMMIT);
                assertThat(partition.committedOffset()).isEqualTo(-1);
            });
        });
    }

    private OffsetFetchResponseData.OffsetFetchResponsePartitions fetch(boolean requireStable) throws Exception {
        OffsetFetchRequestData data = new OffsetFetchRequestData().setRequireStable(requireStable)
                .setGroups(List.of(new OffsetFetchRequestGroup().setGroupId("payments").setTopics(List.of(
                        new OffsetFetchRequestTopics().setName("orders").setPartitionIndexes(List.of(0))))));
        OffsetFetchResponse response = broker.send(OffsetFetchRequest.Builder.forTopicNames(data, requireStable),
                OffsetFetchResponse.class);
        return response.data().groups().get(0).topics().get(0).partitions().get(0);
    }

    @Test
    void listTransactionsFiltersAndNamesTheStatesItDoesNotKnow() throws Exception {
        InitProducerIdResponseData producer = init();
        addPartitions(producer, (short) 3, ORDERS_0);

        ListTransactionsResponseData ongoing = list(new ListTransactionsRequestData()
                .setStateFilters(List.of("Ongoing", "Bogus")));
        ListTransactionsResponseData empty = list(new ListTransactionsRequestData().setStateFilters(List.of("Empty")));
        ListTransactionsResponseData byPattern = list(new ListTransactionsRequestData()
                .setTransactionalIdPattern("pay.*"));
        ListTransactionsResponseData otherProducer = list(new ListTransactionsRequestData()
                .setProducerIdFilters(List.of(producer.producerId() + 1)));
        ListTransactionsResponseData longRunning = list(new ListTransactionsRequestData()
                .setDurationFilter(3_600_000));
        ListTransactionsResponseData badPattern = list(new ListTransactionsRequestData()
                .setTransactionalIdPattern("(unclosed"));

        assertThat(ongoing.unknownStateFilters()).containsExactly("Bogus");
        assertThat(ongoing.transactionStates()).singleElement().satisfies(state -> {
            assertThat(state.transactionalId()).isEqualTo(TX);
            assertThat(state.transactionState()).isEqualTo("Ongoing");
            assertThat(state.producerId()).isEqualTo(producer.producerId());
        });
        assertThat(empty.transactionStates()).isEmpty();
        assertThat(byPattern.transactionStates()).hasSize(1);
        assertThat(otherProducer.transactionStates()).isEmpty();
        assertThat(longRunning.transactionStates()).isEmpty();
        assertThat(Errors.forCode(badPattern.errorCode())).isEqualTo(Errors.INVALID_REGULAR_EXPRESSION);
    }

    private ListTransactionsResponseData list(ListTransactionsRequestData data) throws Exception {
        return broker.send(new ListTransactionsRequest.Builder(data), ListTransactionsResponse.class).data();
    }

    @Test
    void apiVersionsAdvertisesTransactionProtocolVersionTwo() throws Exception {
        ApiVersionsResponseData versions = broker.send(new ApiVersionsRequest.Builder(), ApiVersionsResponse.class)
                .data();

        assertThat(versions.apiKeys().find(ApiKeys.ADD_PARTITIONS_TO_TXN.id).maxVersion())
                .isEqualTo(ApiKeys.ADD_PARTITIONS_TO_TXN.latestVersion());
        assertThat(versions.apiKeys().find(ApiKeys.END_TXN.id).maxVersion()).isGreaterThanOrEqualTo((short) 5);
        assertThat(versions.apiKeys().find(ApiKeys.TXN_OFFSET_COMMIT.id).maxVersion())
                .isGreaterThanOrEqualTo((short) 5);
        assertThat(versions.finalizedFeatures().find("transaction.version")).satisfies(feature -> {
            assertThat(feature.minVersionLevel()).isEqualTo((short) 2);
            assertThat(feature.maxVersionLevel()).isEqualTo((short) 2);
        });
        assertThat(versions.supportedFeatures().find("transaction.version").maxVersion()).isEqualTo((short) 2);
        assertThat(versions.finalizedFeaturesEpoch()).isNotNegative();
    }

    @Test
    void endTxnVersion5BumpsTheEpochAndAnswersIt() throws Exception {
        InitProducerIdResponseData producer = init();
        broker.send(TxnOffsetCommitRequestV5.of(TX, producer), TxnOffsetCommitResponse.class);

        EndTxnResponse ended = broker.send(new EndTxnRequest.Builder(new EndTxnRequestData().setTransactionalId(TX)
                .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setCommitted(true),
                true), (short) 5, EndTxnResponse.class);

        assertThat(Errors.forCode(ended.data().errorCode())).isEqualTo(Errors.NONE);
        assertThat(ended.data().producerId()).isEqualTo(producer.producerId());
        assertThat(ended.data().producerEpoch()).isEqualTo((short) (producer.producerEpoch() + 1));
        assertThat(describe().producerEpoch()).isEqualTo((short) (producer.producerEpoch() + 1));
    }

    @Test
    void txnOffsetCommitVersion5AddsTheOffsetsPartitionItselfAndEarlierVersionsAreVerified() throws Exception {
        InitProducerIdResponseData producer = init();
        TxnOffsetCommitResponse v4 = broker.send(new TxnOffsetCommitRequest.Builder(TX, "payments",
                producer.producerId(), producer.producerEpoch(), Map.of(ORDERS_0, new CommittedOffset(42, "",
                        Optional.empty())), false), (short) 4, TxnOffsetCommitResponse.class);
        assertThat(v4.errors()).as("version 1 must add the offsets with AddOffsetsToTxn")
                .containsExactly(Map.entry(ORDERS_0, Errors.INVALID_TXN_STATE));

        TxnOffsetCommitResponse v5 = broker.send(TxnOffsetCommitRequestV5.of(TX, producer),
                TxnOffsetCommitResponse.class);

        assertThat(v5.errors()).containsExactly(Map.entry(ORDERS_0, Errors.NONE));
        assertThat(describe().topics()).singleElement().satisfies(topic ->
                assertThat(topic.topic()).isEqualTo(GroupCoordinator.OFFSETS_TOPIC));
    }

    @Test
    void theBrokersAddPartitionsToTxnVerifiesOrAddsForEachTransaction() throws Exception {
        InitProducerIdResponseData producer = init();
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection transactions =
                new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection();
        transactions.add(transaction(producer, true));
        AddPartitionsToTxnResponse verified = broker.send(AddPartitionsToTxnRequest.Builder.forBroker(transactions),
                (short) 4, AddPartitionsToTxnResponse.class);
        transactions.clear();
        transactions.add(transaction(producer, false));
        AddPartitionsToTxnResponse added = broker.send(AddPartitionsToTxnRequest.Builder.forBroker(transactions),
                (short) 5, AddPartitionsToTxnResponse.class);

        assertThat(verified.errors().get(TX)).containsExactly(Map.entry(ORDERS_0, Errors.INVALID_TXN_STATE));
        assertThat(added.errors().get(TX)).containsExactly(Map.entry(ORDERS_0, Errors.NONE));
        assertThat(describe().transactionState()).isEqualTo("Ongoing");
    }

    private static AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction transaction(
            InitProducerIdResponseData producer, boolean verifyOnly) {
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics =
                new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
        topics.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(ORDERS_0.topic())
                .setPartitions(List.of(ORDERS_0.partition())));
        return new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction().setTransactionalId(TX)
                .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch())
                .setVerifyOnly(verifyOnly).setTopics(topics);
    }

    @Test
    void aTransactionalBatchToAPartitionNotInTheTransactionIsRefusedForVersion1AndAddedForVersion2()
            throws Exception {
        InitProducerIdResponseData producer = init();

        assertThat(produceTransactional(producer, (short) 11)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(describe().transactionState()).isEqualTo("Empty");

        assertThat(produceTransactional(producer, (short) 12)).isEqualTo(Errors.NONE);
        assertThat(describe().transactionState()).isEqualTo("Ongoing");
        assertThat(describe().topics()).singleElement().satisfies(topic ->
                assertThat(topic.topic()).isEqualTo("orders"));
    }

    private Errors produceTransactional(InitProducerIdResponseData producer, short version) throws Exception {
        MemoryRecords records = MemoryRecords.withTransactionalRecords(Compression.NONE, producer.producerId(),
                producer.producerEpoch(), 0, new SimpleRecord("k".getBytes(), "v".getBytes()));
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000)
                .setTransactionalId(TX);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName("orders").setPartitionData(List.of(
                        new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        ProduceResponse response = broker.send(new ProduceRequest.Builder(version, version, data), version,
                ProduceResponse.class);
        return Errors.forCode(response.data().responses().iterator().next().partitionResponses().get(0)
                .errorCode());
    }

    /** TxnOffsetCommit version 5 of a producer of transaction protocol version 2, for offset 42 of orders-0. */
    private static final class TxnOffsetCommitRequestV5 {
        static TxnOffsetCommitRequest of(String transactionalId, InitProducerIdResponseData producer) {
            return new TxnOffsetCommitRequest.Builder(transactionalId, "payments", producer.producerId(),
                    producer.producerEpoch(), Map.of(ORDERS_0, new CommittedOffset(42, "", Optional.empty())), true)
                    .build((short) 5);
        }
    }
}

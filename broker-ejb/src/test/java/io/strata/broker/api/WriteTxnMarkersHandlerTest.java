package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.network.InProcessConnection;
import io.strata.broker.network.RequestChannel;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData.AbortedTransaction;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The log side of transactions through the real handlers, without sockets: transactional produce, WriteTxnMarkers,
 * and Fetch and ListOffsets at both isolation levels. The test writes the markers itself, in place of a transaction
 * coordinator, so the leader's verification of transactional batches with the coordinator is turned off.
 */
@Timeout(60)
class WriteTxnMarkersHandlerTest {

    private static final short BY_NAME = 12;
    /** Produce of transaction protocol version 1, whose batches the leader does not ask the coordinator to add. */
    private static final short PRODUCE_V1 = 11;
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final long PRODUCER = 3100L;
    private static final long OTHER = 3200L;
    private static final short EPOCH = 0;

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        // These producers have no transaction coordinator behind them: the leader must not verify their batches
        // with one (KIP-890), as Kafka's transaction.partition.verification.enable=false lets it.
        broker = HandlerFixture.start(dir, Map.of(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false));
        broker.createTopic("orders", 1);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void writeTxnMarkersIsAdvertisedOverEveryVersionKafkaClientsParses() {
        assertThat(SupportedApis.isSupported(ApiKeys.WRITE_TXN_MARKERS, ApiKeys.WRITE_TXN_MARKERS.oldestVersion()))
                .isTrue();
        assertThat(SupportedApis.isSupported(ApiKeys.WRITE_TXN_MARKERS, ApiKeys.WRITE_TXN_MARKERS.latestVersion()))
                .isTrue();
    }

    @Test
    void aCommitMarkerIsWrittenAsAControlBatchAndAnsweredOnceReplicated() throws Exception {
        produceTransactional(PRODUCER, 0, "a", "b");

        for (short version = ApiKeys.WRITE_TXN_MARKERS.oldestVersion();
             version <= ApiKeys.WRITE_TXN_MARKERS.latestVersion(); version++) {
            WritableTxnMarkerPartitionResult result = marker(PRODUCER, EPOCH, 4, true, "orders", 0, version);
            assertThat(Errors.forCode(result.errorCode())).as("version " + version).isEqualTo(Errors.NONE);
        }

        PartitionData uncommitted = fetch(0, IsolationLevel.READ_UNCOMMITTED);
        List<RecordBatch> batches = new ArrayList<>();
        ((MemoryRecords) uncommitted.records()).batches().forEach(batches::add);
        RecordBatch marker = batches.get(1);
        assertThat(marker.isControlBatch()).isTrue();
        assertThat(marker.isTransactional()).isTrue();
        assertThat(marker.producerId()).isEqualTo(PRODUCER);
        assertThat(marker.baseOffset()).isEqualTo(2);
        Record record = marker.iterator().next();
        assertThat(EndTransactionMarker.deserialize(record))
                .isEqualTo(new EndTransactionMarker(ControlRecordType.COMMIT, 4));
        assertThat(uncommitted.lastStableOffset()).isEqualTo(uncommitted.highWatermark());
    }

    @Test
    void partitionErrorsAreAnsweredAsKafkaAnswersThem() throws Exception {
        produceTransactional(PRODUCER, 0, "a");
        assertThat(Errors.forCode(marker(PRODUCER, EPOCH, 5, true, "orders", 0).errorCode())).isEqualTo(Errors.NONE);
        produceTransactional(PRODUCER, 1, "b");

        assertThat(Errors.forCode(marker(PRODUCER, EPOCH, 5, false, "no-such-topic", 0).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(Errors.forCode(marker(PRODUCER, EPOCH, 5, false, "orders", 9).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(Errors.forCode(marker(PRODUCER, EPOCH, 4, false, "orders", 0).errorCode()))
                .isEqualTo(Errors.TRANSACTION_COORDINATOR_FENCED);
        produceTransactional(OTHER, 0, "x");
        produceTransactionalAtEpoch(OTHER, (short) 3, 0, "y");
        assertThat(Errors.forCode(marker(OTHER, (short) 2, 5, false, "orders", 0).errorCode()))
                .isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
    }

    @Test
    void readCommittedStopsAtAnOpenTransactionThenSkipsAbortedRecordsByTheAbortedList() throws Exception {
        produceTransactional(PRODUCER, 0, "aborted-1", "aborted-2");
        produceTransactional(OTHER, 0, "committed");

        PartitionData open = fetch(0, IsolationLevel.READ_COMMITTED);
        assertThat(open.highWatermark()).isEqualTo(3);
        assertThat(open.lastStableOffset()).isZero();
        assertThat(values(open)).isEmpty();
        assertThat(latestOffset(IsolationLevel.READ_COMMITTED)).isZero();
        assertThat(latestOffset(IsolationLevel.READ_UNCOMMITTED)).isEqualTo(3);

        marker(PRODUCER, EPOCH, 0, false, "orders", 0);
        marker(OTHER, EPOCH, 0, true, "orders", 0);

        PartitionData committed = fetch(0, IsolationLevel.READ_COMMITTED);
        assertThat(committed.lastStableOffset()).isEqualTo(5);
        assertThat(committed.abortedTransactions()).containsExactly(
                new AbortedTransaction().setProducerId(PRODUCER).setFirstOffset(0));
        assertThat(values(committed)).contains("0:aborted-1", "2:committed");
        assertThat(latestOffset(IsolationLevel.READ_COMMITTED)).isEqualTo(5);

        PartitionData fromMarker = fetch(3, IsolationLevel.READ_COMMITTED);
        assertThat(fromMarker.abortedTransactions()).as("the read holds the ABORT marker at 3").hasSize(1);
        PartitionData afterAbort = fetch(4, IsolationLevel.READ_COMMITTED);
        assertThat(afterAbort.abortedTransactions()).as("the abort ended at 3, before this read").isEmpty();
        PartitionData uncommitted = fetch(0, IsolationLevel.READ_UNCOMMITTED);
        assertThat(uncommitted.abortedTransactions()).isNull();
        assertThat(uncommitted.lastStableOffset()).isEqualTo(5);
    }

    @Test
    void aWaitingReadCommittedFetchIsNotAnsweredForRecordsBehindAnOpenTransactionButForItsCommit() throws Exception {
        produceTransactional(PRODUCER, 0, "in-transaction");
        Map<TopicPartition, FetchRequest.PartitionData> wanted = new LinkedHashMap<>();
        wanted.put(ORDERS_0, new FetchRequest.PartitionData(Uuid.ZERO_UUID, 0, -1, 1 << 20, Optional.empty()));
        InProcessConnection consumer = broker.newConnection();
        broker.dispatchOn(consumer, new FetchRequest.Builder(BY_NAME, BY_NAME, -1, -1, 30_000, 1, wanted)
                .isolationLevel(IsolationLevel.READ_COMMITTED));

        produceTransactional(OTHER, 0, "also-open");
        // The high watermark moved twice, the last stable offset not at all: nothing to answer with yet.
        assertThat(consumer.hasPendingOutcome()).isFalse();

        marker(PRODUCER, EPOCH, 0, true, "orders", 0);

        // Answered long before max.wait.ms (30 s): the commit moved the last stable offset.
        FetchResponse response = HandlerFixture.awaitResponse(consumer, FetchResponse.class);
        PartitionData partition = response.data().responses().get(0).partitions().get(0);
        assertThat(values(partition)).containsExactly("0:in-transaction");
        assertThat(partition.lastStableOffset()).isEqualTo(1);
    }

    @Test
    void aReadCommittedFetchWaitingForMinBytesIsAnsweredWhenACommitReleasesRecordsWrittenBeforeItWaited()
            throws Exception {
        produceTransactional(PRODUCER, 0, "x".repeat(2_000));
        InProcessConnection consumer = broker.newConnection();
        broker.dispatchOn(consumer, readCommittedFetch(1_000, 30_000));
        assertThat(consumer.hasPendingOutcome()).as("nothing is readable below the open transaction").isFalse();

        // The marker itself is far smaller than min.bytes; what it makes readable is not.
        marker(PRODUCER, EPOCH, 0, true, "orders", 0);

        // Answered long before max.wait.ms (30 s).
        FetchResponse response = HandlerFixture.awaitResponse(consumer, FetchResponse.class);
        PartitionData partition = response.data().responses().get(0).partitions().get(0);
        assertThat(values(partition)).hasSize(1);
        assertThat(partition.lastStableOffset()).isEqualTo(2);
    }

    @Test
    void aReadCommittedFetchWaitingForMinBytesIsAnsweredWhenACommitReleasesRecordsWrittenWhileItWaited()
            throws Exception {
        InProcessConnection consumer = broker.newConnection();
        broker.dispatchOn(consumer, readCommittedFetch(1_000, 30_000));

        produceTransactional(PRODUCER, 0, "x".repeat(2_000));
        assertThat(consumer.hasPendingOutcome()).as("more than min.bytes appended, none of it committed").isFalse();
        marker(PRODUCER, EPOCH, 0, true, "orders", 0);

        FetchResponse response = HandlerFixture.awaitResponse(consumer, FetchResponse.class);
        assertThat(values(response.data().responses().get(0).partitions().get(0))).hasSize(1);
    }

    @Test
    void aReadCommittedFetchWaitingForMinBytesIsNotAnsweredByACommitReleasingFewer() throws Exception {
        InProcessConnection consumer = broker.newConnection();
        broker.dispatchOn(consumer, readCommittedFetch(10_000, 1_000));

        produceTransactional(PRODUCER, 0, "small");
        marker(PRODUCER, EPOCH, 0, true, "orders", 0);
        assertThat(consumer.hasPendingOutcome()).as("fewer than min.bytes became readable").isFalse();

        // max.wait.ms passes: answered with what there is.
        FetchResponse response = HandlerFixture.awaitResponse(consumer, FetchResponse.class);
        assertThat(values(response.data().responses().get(0).partitions().get(0))).containsExactly("0:small");
    }

    private static FetchRequest.Builder readCommittedFetch(int minBytes, int maxWaitMs) {
        Map<TopicPartition, FetchRequest.PartitionData> wanted = new LinkedHashMap<>();
        wanted.put(ORDERS_0, new FetchRequest.PartitionData(Uuid.ZERO_UUID, 0, -1, 1 << 20, Optional.empty()));
        return new FetchRequest.Builder(BY_NAME, BY_NAME, -1, -1, maxWaitMs, minBytes, wanted)
                .isolationLevel(IsolationLevel.READ_COMMITTED);
    }

    @Test
    void aMarkerIsReportedOnceWrittenToTheComponentKeepingItsPartitionsStateWhichAnswersForIt() throws Exception {
        produceTransactional(PRODUCER, 0, "in-transaction");
        List<String> heard = new ArrayList<>();
        WriteTxnMarkersHandler handler = new WriteTxnMarkersHandler(new RequestChannel(16), broker.controller(),
                broker.replicaManager(), java.time.Clock.systemUTC(), (tp, producerId, commit) -> {
                    heard.add(tp + " " + producerId + " " + commit + " at log end "
                            + broker.replicaManager().partition(tp).log().logEndOffset());
                    return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
                });
        WriteTxnMarkersRequest request = new WriteTxnMarkersRequest.Builder(new WriteTxnMarkersRequestData()
                .setMarkers(List.of(new WritableTxnMarker().setProducerId(PRODUCER).setProducerEpoch(EPOCH)
                        .setCoordinatorEpoch(2).setTransactionResult(true).setTopics(List.of(
                                new WritableTxnMarkerTopic().setName("orders").setPartitionIndexes(List.of(0)))))))
                .build(ApiKeys.WRITE_TXN_MARKERS.latestVersion());
        InProcessConnection connection = broker.newConnection();

        handler.handle(connection.request(request, request.version()), request);

        WriteTxnMarkersResponse response = HandlerFixture.awaitResponse(connection, WriteTxnMarkersResponse.class);
        assertThat(heard).as("told after the marker was written").containsExactly("orders-0 " + PRODUCER
                + " true at log end 2");
        assertThat(Errors.forCode(response.data().markers().get(0).topics().get(0).partitions().get(0).errorCode()))
                .as("what the listener answered").isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void theAbortedListHoldsOnlyTransactionsOverlappingWhatTheFetchReturned() throws Exception {
        produceTransactional(PRODUCER, 0, "early-1", "early-2");      // 0, 1
        marker(PRODUCER, EPOCH, 0, false, "orders", 0);              // 2
        produceTransactional(OTHER, 0, "late");                      // 3
        marker(OTHER, EPOCH, 0, false, "orders", 0);                 // 4

        Map<TopicPartition, FetchRequest.PartitionData> wanted = new LinkedHashMap<>();
        wanted.put(ORDERS_0, new FetchRequest.PartitionData(Uuid.ZERO_UUID, 0, -1, 1, Optional.empty()));
        FetchResponse response = broker.send(new FetchRequest.Builder(BY_NAME, BY_NAME, -1, -1, 0, 1, wanted)
                .isolationLevel(IsolationLevel.READ_COMMITTED), FetchResponse.class);
        PartitionData firstBatchOnly = response.data().responses().get(0).partitions().get(0);

        assertThat(values(firstBatchOnly)).containsExactly("0:early-1", "1:early-2");
        assertThat(firstBatchOnly.abortedTransactions()).containsExactly(
                new AbortedTransaction().setProducerId(PRODUCER).setFirstOffset(0));
        assertThat(fetch(0, IsolationLevel.READ_COMMITTED).abortedTransactions()).containsExactly(
                new AbortedTransaction().setProducerId(PRODUCER).setFirstOffset(0),
                new AbortedTransaction().setProducerId(OTHER).setFirstOffset(3));
    }

    @Test
    void aProduceWithATransactionalIdIsAccepted() throws Exception {
        ProduceRequestData data = request(MemoryRecords.withTransactionalRecords(Compression.NONE, PRODUCER, EPOCH,
                0, new SimpleRecord("v".getBytes()))).setTransactionalId("payments");

        ProduceResponse response = broker.send(new ProduceRequest.Builder(PRODUCE_V1, PRODUCE_V1, data),
                ProduceResponse.class);

        assertThat(response.data().responses().iterator().next().partitionResponses().get(0).errorCode())
                .isEqualTo(Errors.NONE.code());
        assertThat(broker.replicaManager().partition(ORDERS_0).ongoingTransactionFirstOffset(PRODUCER)).isZero();
    }

    private void produceTransactional(long producerId, int sequence, String... values) throws Exception {
        produceTransactionalAtEpoch(producerId, EPOCH, sequence, values);
    }

    private void produceTransactionalAtEpoch(long producerId, short epoch, int sequence, String... values)
            throws Exception {
        SimpleRecord[] records = Stream.of(values).map(v -> new SimpleRecord(v.getBytes()))
                .toArray(SimpleRecord[]::new);
        ProduceRequestData data = request(MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch,
                sequence, records)).setTransactionalId("txn-" + producerId);
        ProduceResponse response = broker.send(new ProduceRequest.Builder(PRODUCE_V1, PRODUCE_V1, data),
                ProduceResponse.class);
        assertThat(response.data().responses().iterator().next().partitionResponses().get(0).errorCode())
                .isEqualTo(Errors.NONE.code());
    }

    private static ProduceRequestData request(MemoryRecords records) {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName("orders").setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        return data;
    }

    private WritableTxnMarkerPartitionResult marker(long producerId, short epoch, int coordinatorEpoch,
                                                    boolean commit, String topic, int partition) throws Exception {
        return marker(producerId, epoch, coordinatorEpoch, commit, topic, partition,
                ApiKeys.WRITE_TXN_MARKERS.latestVersion());
    }

    private WritableTxnMarkerPartitionResult marker(long producerId, short epoch, int coordinatorEpoch,
                                                    boolean commit, String topic, int partition, short version)
            throws Exception {
        WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData().setMarkers(List.of(new WritableTxnMarker()
                .setProducerId(producerId).setProducerEpoch(epoch).setCoordinatorEpoch(coordinatorEpoch)
                .setTransactionResult(commit).setTopics(List.of(new WritableTxnMarkerTopic().setName(topic)
                        .setPartitionIndexes(List.of(partition))))));
        WriteTxnMarkersResponse response = broker.send(new WriteTxnMarkersRequest.Builder(data), version,
                WriteTxnMarkersResponse.class);
        assertThat(response.data().markers()).hasSize(1);
        assertThat(response.data().markers().get(0).producerId()).isEqualTo(producerId);
        return response.data().markers().get(0).topics().get(0).partitions().get(0);
    }

    private PartitionData fetch(long offset, IsolationLevel isolation) throws Exception {
        Map<TopicPartition, FetchRequest.PartitionData> wanted = new LinkedHashMap<>();
        wanted.put(ORDERS_0, new FetchRequest.PartitionData(Uuid.ZERO_UUID, offset, -1, 1 << 20, Optional.empty()));
        FetchResponse response = broker.send(new FetchRequest.Builder(BY_NAME, BY_NAME, -1, -1, 0, 1, wanted)
                .isolationLevel(isolation), FetchResponse.class);
        PartitionData partition = response.data().responses().get(0).partitions().get(0);
        assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NONE);
        return partition;
    }

    private long latestOffset(IsolationLevel isolation) throws Exception {
        ListOffsetsRequest.Builder request = ListOffsetsRequest.Builder.forConsumer(true, isolation)
                .setTargetTimes(List.of(new ListOffsetsTopic().setName("orders").setPartitions(List.of(
                        new ListOffsetsPartition().setPartitionIndex(0)
                                .setTimestamp(ListOffsetsRequest.LATEST_TIMESTAMP)))));
        ListOffsetsResponse response = broker.send(request, ListOffsetsResponse.class);
        return response.data().topics().get(0).partitions().get(0).offset();
    }

    /** The data records fetched, as "offset:value"; control batches are left out. */
    private static List<String> values(PartitionData partition) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : ((MemoryRecords) partition.records()).batches()) {
            if (batch.isControlBatch()) {
                continue;
            }
            for (Record record : batch) {
                values.add(record.offset() + ":" + StandardCharsets.UTF_8.decode(record.value()));
            }
        }
        return values;
    }
}

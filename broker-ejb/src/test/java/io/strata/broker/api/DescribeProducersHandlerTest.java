package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.network.InProcessConnection;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.ReplicaManager;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.kafka.common.requests.DescribeProducersResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** DescribeProducers through the real handler and partitions, without sockets. */
@Timeout(60)
class DescribeProducersHandlerTest {

    private static final long PRODUCER = 4100L;
    private static final short EPOCH = 2;

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        // This producer has no transaction coordinator behind it (the test writes the markers): the leader must not
        // verify its batches with one, as Kafka's transaction.partition.verification.enable=false lets it.
        broker = HandlerFixture.start(dir, Map.of(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false));
        broker.createTopic("orders", 2);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void describeProducersIsAdvertisedOverEveryVersionKafkaClientsParses() {
        assertThat(SupportedApis.isSupported(ApiKeys.DESCRIBE_PRODUCERS, ApiKeys.DESCRIBE_PRODUCERS.oldestVersion()))
                .isTrue();
        assertThat(SupportedApis.isSupported(ApiKeys.DESCRIBE_PRODUCERS, ApiKeys.DESCRIBE_PRODUCERS.latestVersion()))
                .isTrue();
    }

    @Test
    void anOpenTransactionShowsItsStartOffsetAndAnEndedOneNone() throws Exception {
        produce(0, MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("plain".getBytes())));
        produce(0, MemoryRecords.withTransactionalRecords(Compression.NONE, PRODUCER, EPOCH, 0,
                new SimpleRecord(1_000L, "a".getBytes()), new SimpleRecord(2_000L, "b".getBytes())));

        ProducerState open = onlyProducer(describe(0));
        assertThat(open).isEqualTo(new ProducerState().setProducerId(PRODUCER).setProducerEpoch(EPOCH)
                .setLastSequence(1).setLastTimestamp(2_000L).setCoordinatorEpoch(-1).setCurrentTxnStartOffset(1));

        writeMarker(7, 0);

        ProducerState committed = onlyProducer(describe(0));
        // As in Kafka, the marker's timestamp (the time it was written) is the producer's last one.
        assertThat(committed.lastTimestamp()).isGreaterThan(open.lastTimestamp());
        assertThat(committed).isEqualTo(new ProducerState().setProducerId(PRODUCER).setProducerEpoch(EPOCH)
                .setLastSequence(1).setLastTimestamp(committed.lastTimestamp()).setCoordinatorEpoch(7)
                .setCurrentTxnStartOffset(-1));
        assertThat(describe(1).activeProducers()).as("another partition's producers").isEmpty();
    }

    @Test
    void anUnknownTopicOrPartitionIsAnsweredUnknownTopicOrPartition() throws Exception {
        DescribeProducersResponse response = broker.send(request("no-such-topic", 0), DescribeProducersResponse.class);
        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);

        response = broker.send(request("orders", 9), DescribeProducersResponse.class);
        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void aPartitionThisBrokerHoldsNoReplicaOfIsAnsweredNotLeaderOrFollower() throws Exception {
        // A broker that knows the topic from the metadata but holds none of its replicas.
        DescribeProducersHandler handler = new DescribeProducersHandler(new RequestChannel(16), broker.controller(),
                new ReplicaManager(2, List.of(), configs -> null, Clock.systemUTC()));
        DescribeProducersRequest request = request("orders", 0).build(ApiKeys.DESCRIBE_PRODUCERS.latestVersion());
        InProcessConnection connection = broker.newConnection();

        handler.handle(connection.request(request, request.version()), request);

        DescribeProducersResponse response = HandlerFixture.awaitResponse(connection, DescribeProducersResponse.class);
        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    private PartitionResponse describe(int partition) throws Exception {
        PartitionResponse response = onlyPartition(broker.send(request("orders", partition),
                DescribeProducersResponse.class));
        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.NONE);
        return response;
    }

    private static DescribeProducersRequest.Builder request(String topic, int partition) {
        return new DescribeProducersRequest.Builder(new DescribeProducersRequestData().setTopics(List.of(
                new DescribeProducersRequestData.TopicRequest().setName(topic)
                        .setPartitionIndexes(List.of(partition)))));
    }

    private static PartitionResponse onlyPartition(DescribeProducersResponse response) {
        assertThat(response.data().topics()).hasSize(1);
        assertThat(response.data().topics().get(0).partitions()).hasSize(1);
        return response.data().topics().get(0).partitions().get(0);
    }

    private static ProducerState onlyProducer(PartitionResponse partition) {
        assertThat(partition.activeProducers()).hasSize(1);
        return partition.activeProducers().get(0);
    }

    private void produce(int partition, MemoryRecords records) throws Exception {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000)
                .setTransactionalId("txn-" + PRODUCER);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName("orders").setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records))));
        // Produce v11, transaction protocol version 1: v12 would have the leader add the partition through the
        // coordinator, which this producer does not have.
        ProduceResponse response = broker.send(new ProduceRequest.Builder((short) 11, (short) 11, data),
                ProduceResponse.class);
        assertThat(response.data().responses().iterator().next().partitionResponses().get(0).errorCode())
                .isEqualTo(Errors.NONE.code());
    }

    private void writeMarker(int coordinatorEpoch, int partition) throws Exception {
        WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData().setMarkers(List.of(new WritableTxnMarker()
                .setProducerId(PRODUCER).setProducerEpoch(EPOCH).setCoordinatorEpoch(coordinatorEpoch)
                .setTransactionResult(true).setTopics(List.of(new WritableTxnMarkerTopic().setName("orders")
                        .setPartitionIndexes(List.of(partition))))));
        WriteTxnMarkersResponse response = broker.send(new WriteTxnMarkersRequest.Builder(data),
                WriteTxnMarkersResponse.class);
        assertThat(Errors.forCode(response.data().markers().get(0).topics().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.NONE);
    }
}

package io.strata.broker.api;

import io.strata.broker.network.InProcessConnection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
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

import static org.assertj.core.api.Assertions.assertThat;

/** Consumer fetches through the real handler, purgatory and log, without sockets. */
@Timeout(60)
class FetchHandlerTest {

    private static final short BY_NAME = 12;
    private static final short BY_ID = 13;
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void aFetchFromTheStartReturnsEveryRecordBelowTheHighWatermark() throws Exception {
        produce("a", "b", "c");

        PartitionData partition = fetch(ORDERS_0, 0, 0);

        assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NONE);
        assertThat(partition.highWatermark()).isEqualTo(3);
        assertThat(partition.logStartOffset()).isZero();
        assertThat(values(partition)).containsExactly("0:a", "1:b", "2:c");
    }

    @Test
    void aFetchFromTheMiddleStartsWithTheBatchHoldingThatOffset() throws Exception {
        produce("a", "b");
        produce("c");

        PartitionData partition = fetch(ORDERS_0, 2, 0);

        assertThat(values(partition)).containsExactly("2:c");
    }

    @Test
    void aFetchAtTheHighWatermarkReturnsNoRecordsAndNoError() throws Exception {
        produce("a", "b");

        PartitionData partition = fetch(ORDERS_0, 2, 0);

        assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NONE);
        assertThat(partition.highWatermark()).isEqualTo(2);
        assertThat(values(partition)).isEmpty();
    }

    @Test
    void theFirstBatchIsReturnedWholeEvenWhenLargerThanThePartitionLimit() throws Exception {
        produce("a rather longer value than one byte", "and another");
        Map<TopicPartition, FetchRequest.PartitionData> wanted = Map.of(ORDERS_0,
                new FetchRequest.PartitionData(Uuid.ZERO_UUID, 0, -1, 1, Optional.empty()));

        FetchResponse response = broker.send(new FetchRequest.Builder(BY_NAME, BY_NAME, -1, -1, 0, 1, wanted)
                .setMaxBytes(1), FetchResponse.class);

        assertThat(values(onlyPartition(response))).containsExactly("0:a rather longer value than one byte",
                "1:and another");
    }

    @Test
    void aFetchPastTheLogEndIsAnsweredWithOffsetOutOfRange() throws Exception {
        produce("a", "b");

        PartitionData partition = fetch(ORDERS_0, 100, 0);

        assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.OFFSET_OUT_OF_RANGE);
        assertThat(partition.highWatermark()).isEqualTo(2);
    }

    @Test
    void aFetchBelowTheLogStartIsAnsweredWithOffsetOutOfRangeAndTheLogStart() throws Exception {
        produce("a", "b");
        produce("c");
        broker.replicaManager().partition(ORDERS_0).log().deleteRecordsBefore(2);

        PartitionData partition = fetch(ORDERS_0, 0, 0);

        assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.OFFSET_OUT_OF_RANGE);
        assertThat(partition.logStartOffset()).isEqualTo(2);
    }

    @Test
    void aConsumerThatKnowsANewerLeaderEpochIsToldUnknownLeaderEpoch() throws Exception {
        produce("a");
        Map<TopicPartition, FetchRequest.PartitionData> wanted = Map.of(ORDERS_0,
                new FetchRequest.PartitionData(Uuid.ZERO_UUID, 0, -1, 1 << 20, Optional.of(5)));

        FetchResponse response = broker.send(new FetchRequest.Builder(BY_NAME, BY_NAME, -1, -1, 0, 1, wanted),
                FetchResponse.class);

        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.UNKNOWN_LEADER_EPOCH);
        assertThat(values(onlyPartition(response))).isEmpty();
    }

    @Test
    void aFetchOfAnUnknownTopicIsAnsweredWithUnknownTopicOrPartition() throws Exception {
        PartitionData partition = fetch(new TopicPartition("no-such-topic", 0), 0, 0);

        assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void aFetchByAnUnknownTopicIdIsAnsweredWithUnknownTopicId() throws Exception {
        Map<TopicPartition, FetchRequest.PartitionData> wanted = Map.of(ORDERS_0,
                new FetchRequest.PartitionData(Uuid.randomUuid(), 0, 0, 1 << 20, Optional.empty()));
        FetchRequest.Builder request = new FetchRequest.Builder(BY_ID, BY_ID, -1, -1, 0, 1, wanted);

        FetchResponse response = broker.send(request, FetchResponse.class);

        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_ID);
    }

    @Test
    void aFetchByTopicIdReturnsTheRecordsUnderThatId() throws Exception {
        produce("a");
        Uuid id = broker.controller().image().topic("orders").id();
        Map<TopicPartition, FetchRequest.PartitionData> wanted = Map.of(ORDERS_0,
                new FetchRequest.PartitionData(id, 0, 0, 1 << 20, Optional.empty()));

        FetchResponse response = broker.send(new FetchRequest.Builder(BY_ID, BY_ID, -1, -1, 0, 1, wanted),
                FetchResponse.class);

        assertThat(response.data().responses().get(0).topicId()).isEqualTo(id);
        assertThat(values(onlyPartition(response))).containsExactly("0:a");
    }

    @Test
    void aFetchInASessionTheBrokerDoesNotKeepIsAnsweredWithFetchSessionIdNotFound() throws Exception {
        FetchRequest.Builder request = builder(ORDERS_0, 0, 0).metadata(new FetchMetadata(42, 1));

        FetchResponse response = broker.send(request, FetchResponse.class);

        assertThat(response.error()).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND);
    }

    @Test
    void aFetchWaitingForMinBytesIsAnsweredAsSoonAsRecordsArrive() throws Exception {
        InProcessConnection consumer = broker.newConnection();
        broker.dispatchOn(consumer, builder(ORDERS_0, 0, 30_000));
        assertThat(consumer.hasPendingOutcome()).as("answered before any record arrived").isFalse();

        produce("late");

        // The wait for an answer (15 s) ends long before max.wait.ms (30 s): an answer at all means the append woke it.
        FetchResponse response = HandlerFixture.awaitResponse(consumer, FetchResponse.class);
        assertThat(values(onlyPartition(response))).containsExactly("0:late");
    }

    @Test
    void aFetchWaitingForMinBytesIsAnsweredEmptyWhenMaxWaitPasses() throws Exception {
        InProcessConnection consumer = broker.newConnection();
        broker.dispatchOn(consumer, builder(ORDERS_0, 0, 200));

        FetchResponse response = HandlerFixture.awaitResponse(consumer, FetchResponse.class);

        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.NONE);
        assertThat(values(onlyPartition(response))).isEmpty();
    }

    private void produce(String... values) throws Exception {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName("orders").setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(ProduceHandlerUnitTest.records(values)))));
        ProduceResponse response = broker.send(new ProduceRequest.Builder(BY_NAME, BY_NAME, data),
                ProduceResponse.class);
        assertThat(response.data().responses().iterator().next().partitionResponses().get(0).errorCode())
                .isEqualTo(Errors.NONE.code());
    }

    private PartitionData fetch(TopicPartition tp, long offset, int maxWaitMs) throws Exception {
        return onlyPartition(broker.send(builder(tp, offset, maxWaitMs), FetchResponse.class));
    }

    private static FetchRequest.Builder builder(TopicPartition tp, long offset, int maxWaitMs) {
        Map<TopicPartition, FetchRequest.PartitionData> wanted = new LinkedHashMap<>();
        wanted.put(tp, new FetchRequest.PartitionData(Uuid.ZERO_UUID, offset, -1, 1 << 20, Optional.empty()));
        return new FetchRequest.Builder(BY_NAME, BY_NAME, -1, -1, maxWaitMs, 1, wanted);
    }

    private static PartitionData onlyPartition(FetchResponse response) {
        assertThat(response.data().responses()).hasSize(1);
        assertThat(response.data().responses().get(0).partitions()).hasSize(1);
        return response.data().responses().get(0).partitions().get(0);
    }

    /** The records fetched, as "offset:value". */
    private static List<String> values(PartitionData partition) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : ((MemoryRecords) partition.records()).batches()) {
            for (Record record : batch) {
                values.add(record.offset() + ":" + StandardCharsets.UTF_8.decode(record.value()));
            }
        }
        return values;
    }
}

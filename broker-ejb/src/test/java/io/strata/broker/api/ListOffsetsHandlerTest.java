package io.strata.broker.api;

import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** ListOffsets through the real handler and log, without sockets: earliest, latest, and by timestamp. */
@Timeout(60)
class ListOffsetsHandlerTest {

    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
        // Offsets 0..2 at T0, T0+1000, T0+2000; offsets 3..4 at T0+3000, T0+4000.
        produce(T0, T0 + 1_000, T0 + 2_000);
        produce(T0 + 3_000, T0 + 4_000);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void earliestIsTheLogStartOffset() throws Exception {
        assertThat(listOffset("orders", ListOffsetsRequest.EARLIEST_TIMESTAMP).offset()).isZero();

        broker.replicaManager().partition(new TopicPartition("orders", 0)).log().deleteRecordsBefore(3);

        assertThat(listOffset("orders", ListOffsetsRequest.EARLIEST_TIMESTAMP).offset()).isEqualTo(3);
    }

    @Test
    void latestIsTheHighWatermark() throws Exception {
        ListOffsetsPartitionResponse latest = listOffset("orders", ListOffsetsRequest.LATEST_TIMESTAMP);

        assertThat(Errors.forCode(latest.errorCode())).isEqualTo(Errors.NONE);
        assertThat(latest.offset()).isEqualTo(5);
        assertThat(latest.leaderEpoch()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aTimestampFindsTheFirstRecordAtOrAfterIt() throws Exception {
        ListOffsetsPartitionResponse exact = listOffset("orders", T0 + 3_000);
        ListOffsetsPartitionResponse between = listOffset("orders", T0 + 1_500);

        assertThat(exact.offset()).isEqualTo(3);
        assertThat(exact.timestamp()).isEqualTo(T0 + 3_000);
        assertThat(between.offset()).isEqualTo(2);
        assertThat(between.timestamp()).isEqualTo(T0 + 2_000);
    }

    @Test
    void aTimestampAfterEveryRecordFindsNoOffset() throws Exception {
        ListOffsetsPartitionResponse after = listOffset("orders", T0 + 60_000);

        assertThat(Errors.forCode(after.errorCode())).isEqualTo(Errors.NONE);
        assertThat(after.offset()).isEqualTo(-1);
        assertThat(after.timestamp()).isEqualTo(-1);
    }

    @Test
    void maxTimestampFindsTheRecordWithTheLargestTimestamp() throws Exception {
        ListOffsetsPartitionResponse max = listOffset("orders", ListOffsetsRequest.MAX_TIMESTAMP);

        assertThat(max.offset()).isEqualTo(4);
        assertThat(max.timestamp()).isEqualTo(T0 + 4_000);
    }

    @Test
    void aConsumerThatKnowsANewerLeaderEpochIsToldUnknownLeaderEpoch() throws Exception {
        ListOffsetsRequest.Builder request = ListOffsetsRequest.Builder.forConsumer(true,
                IsolationLevel.READ_UNCOMMITTED).setTargetTimes(List.of(new ListOffsetsTopic().setName("orders")
                .setPartitions(List.of(new ListOffsetsPartition().setPartitionIndex(0).setCurrentLeaderEpoch(5)
                        .setTimestamp(ListOffsetsRequest.LATEST_TIMESTAMP)))));

        ListOffsetsResponse response = broker.send(request, ListOffsetsResponse.class);

        ListOffsetsPartitionResponse partition = response.data().topics().get(0).partitions().get(0);
        assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.UNKNOWN_LEADER_EPOCH);
        assertThat(partition.offset()).isEqualTo(-1);
    }

    @Test
    void theTieredStorageSentinelsFindNoOffsetWhereNothingIsTiered() throws Exception {
        for (long sentinel : new long[] {ListOffsetsRequest.LATEST_TIERED_TIMESTAMP,
                ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP}) {
            ListOffsetsPartitionResponse answer = listOffset("orders", sentinel);

            assertThat(Errors.forCode(answer.errorCode())).as("timestamp %d", sentinel).isEqualTo(Errors.NONE);
            assertThat(answer.offset()).as("timestamp %d", sentinel).isEqualTo(-1);
        }
    }

    @Test
    void aNegativeTimestampThatIsNoSentinelIsAnInvalidRequest() throws Exception {
        ListOffsetsPartitionResponse answer = listOffset("orders", -7);

        assertThat(Errors.forCode(answer.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
    }

    @Test
    void anUnknownTopicIsAnsweredWithUnknownTopicOrPartition() throws Exception {
        ListOffsetsPartitionResponse unknown = listOffset("no-such-topic", ListOffsetsRequest.LATEST_TIMESTAMP);

        assertThat(Errors.forCode(unknown.errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(unknown.offset()).isEqualTo(-1);
    }

    private ListOffsetsPartitionResponse listOffset(String topic, long timestamp) throws Exception {
        ListOffsetsRequest.Builder request = ListOffsetsRequest.Builder.forConsumer(true,
                IsolationLevel.READ_UNCOMMITTED).setTargetTimes(List.of(new ListOffsetsTopic().setName(topic)
                .setPartitions(List.of(new ListOffsetsPartition().setPartitionIndex(0).setTimestamp(timestamp)))));
        ListOffsetsResponse response = broker.send(request, ListOffsetsResponse.class);
        assertThat(response.data().topics()).hasSize(1);
        assertThat(response.data().topics().get(0).partitions()).hasSize(1);
        return response.data().topics().get(0).partitions().get(0);
    }

    private void produce(long... timestamps) throws Exception {
        SimpleRecord[] records = new SimpleRecord[timestamps.length];
        for (int i = 0; i < timestamps.length; i++) {
            records[i] = new SimpleRecord(timestamps[i], null, ("at " + timestamps[i]).getBytes());
        }
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName("orders").setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(MemoryRecords.withRecords(Compression.NONE, records)))));
        ProduceResponse response = broker.send(new ProduceRequest.Builder((short) 12, (short) 12, data),
                ProduceResponse.class);
        assertThat(response.data().responses().iterator().next().partitionResponses().get(0).errorCode())
                .isEqualTo(Errors.NONE.code());
    }
}

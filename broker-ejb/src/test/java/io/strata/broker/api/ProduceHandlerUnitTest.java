package io.strata.broker.api;

import io.strata.broker.network.InProcessConnection.Closed;
import io.strata.broker.network.InProcessConnection.NotAnswered;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Produce through the real handler and replica manager, without sockets: offsets, acks, and the errors clients act on. */
@Timeout(60)
class ProduceHandlerUnitTest {

    private static final short BY_NAME = 12;
    private static final short BY_ID = 13;

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
    void batchesAreAnsweredWithTheOffsetTheyWereWrittenAt() throws Exception {
        PartitionProduceResponse first = produce("orders", (short) 1, records("a", "b"));
        PartitionProduceResponse second = produce("orders", (short) 1, records("c"));

        assertThat(Errors.forCode(first.errorCode())).isEqualTo(Errors.NONE);
        assertThat(first.baseOffset()).isZero();
        assertThat(second.baseOffset()).isEqualTo(2);
        assertThat(second.logStartOffset()).isZero();
    }

    @Test
    void acksAllOnABrokerThatIsTheWholeIsrIsAnsweredOnceTheHighWatermarkPassesTheBatch() throws Exception {
        PartitionProduceResponse response = produce("orders", (short) -1, records("a", "b", "c"));

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.NONE);
        assertThat(response.baseOffset()).isZero();
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).highWatermark()).isEqualTo(3);
    }

    @Test
    void aProduceToAnUnknownTopicIsAnsweredWithUnknownTopicOrPartition() throws Exception {
        PartitionProduceResponse response = produce("no-such-topic", (short) 1, records("a"));

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(response.baseOffset()).isEqualTo(-1);
    }

    @Test
    void aProduceToAPartitionTheTopicDoesNotHaveIsAnsweredWithUnknownTopicOrPartition() throws Exception {
        ProduceRequestData data = request((short) 1, "orders", 7, records("a"));

        ProduceResponse response = broker.send(new ProduceRequest.Builder(BY_NAME, BY_NAME, data), ProduceResponse.class);

        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void aProduceByAnUnknownTopicIdIsAnsweredWithUnknownTopicId() throws Exception {
        ProduceRequestData data = request((short) 1, "", 0, records("a"));
        data.topicData().iterator().next().setTopicId(Uuid.randomUuid());

        ProduceResponse response = broker.send(new ProduceRequest.Builder(BY_ID, BY_ID, data), ProduceResponse.class);

        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_ID);
    }

    @Test
    void acksZeroIsNotAnsweredButTheRecordsAreWritten() throws Exception {
        ProduceRequestData data = request((short) 0, "orders", 0, records("a", "b"));

        assertThat(broker.dispatch(new ProduceRequest.Builder(BY_NAME, BY_NAME, data))).isInstanceOf(NotAnswered.class);
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).highWatermark()).isEqualTo(2);
    }

    @Test
    void acksZeroToAnUnknownTopicClosesTheConnectionSinceThereIsNoResponseToCarryTheError() throws Exception {
        ProduceRequestData data = request((short) 0, "no-such-topic", 0, records("a"));

        assertThat(broker.dispatch(new ProduceRequest.Builder(BY_NAME, BY_NAME, data))).isInstanceOf(Closed.class);
    }

    @Test
    void acksOtherThanZeroOneOrAllIsAnsweredWithInvalidRequiredAcks() throws Exception {
        PartitionProduceResponse response = produce("orders", (short) 2, records("a"));

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.INVALID_REQUIRED_ACKS);
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).log().logEndOffset()).isZero();
    }

    @Test
    void twoBatchesForOnePartitionAreRefusedWithInvalidRecordAndNothingIsWritten() throws Exception {
        MemoryRecords first = records("a");
        MemoryRecords second = records("b");
        ByteBuffer both = ByteBuffer.allocate(first.sizeInBytes() + second.sizeInBytes());
        both.put(first.buffer().duplicate()).put(second.buffer().duplicate()).flip();

        ProduceRequestData data = request((short) 1, "orders", 0, MemoryRecords.readableRecords(both));

        // Built without the client's builder, which refuses to send this.
        PartitionProduceResponse response = onlyPartition(broker.send(new ProduceRequest(data, BY_NAME),
                ProduceResponse.class));

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.INVALID_RECORD);
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).log().logEndOffset()).isZero();
    }

    @Test
    void aProduceByTopicIdIsWrittenAndAnsweredUnderThatId() throws Exception {
        Uuid id = broker.controller().image().topic("orders").id();
        ProduceRequestData data = request((short) 1, "", 0, records("a"));
        data.topicData().iterator().next().setTopicId(id);

        ProduceResponse response = broker.send(new ProduceRequest.Builder(BY_ID, BY_ID, data), ProduceResponse.class);

        assertThat(response.data().responses().iterator().next().topicId()).isEqualTo(id);
        assertThat(Errors.forCode(onlyPartition(response).errorCode())).isEqualTo(Errors.NONE);
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).log().logEndOffset())
                .isEqualTo(1);
    }

    @Test
    void anIdempotentProducersRetryIsAnsweredWithTheFirstOffsetAndNotWrittenTwice() throws Exception {
        PartitionProduceResponse first = produce("orders", (short) -1, idempotent(0, "once"));
        PartitionProduceResponse retry = produce("orders", (short) -1, idempotent(0, "once"));

        assertThat(Errors.forCode(retry.errorCode())).isEqualTo(Errors.NONE);
        assertThat(retry.baseOffset()).isEqualTo(first.baseOffset());
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).log().logEndOffset())
                .isEqualTo(1);
    }

    @Test
    void anIdempotentProducersSequenceGapIsAnsweredWithOutOfOrderSequenceNumber() throws Exception {
        produce("orders", (short) -1, idempotent(0, "first"));

        PartitionProduceResponse gap = produce("orders", (short) -1, idempotent(5, "sixth"));

        assertThat(Errors.forCode(gap.errorCode())).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).log().logEndOffset())
                .isEqualTo(1);
    }

    @Test
    void aTransactionalBatchWithoutATransactionalIdIsRefusedWithTransactionalIdAuthorizationFailed()
            throws Exception {
        MemoryRecords transactional = MemoryRecords.withTransactionalRecords(Compression.NONE, 4_242L, (short) 0, 0,
                new SimpleRecord("in a transaction".getBytes()));

        PartitionProduceResponse response = produce("orders", (short) -1, transactional);

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        assertThat(broker.replicaManager().partition(new TopicPartition("orders", 0)).log().logEndOffset()).isZero();
    }

    @Test
    void aClientCannotWriteToTheOffsetsTopic() throws Exception {
        PartitionProduceResponse response = produce("__consumer_offsets", (short) 1, records("forged commit"));

        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.INVALID_TOPIC_EXCEPTION);
    }

    /** Batch {@code sequence} of idempotent producer 9999 at epoch 0, holding one record. */
    private static MemoryRecords idempotent(int sequence, String value) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, 9_999L, (short) 0, sequence,
                new SimpleRecord(1_700_000_000_000L, "k".getBytes(), value.getBytes()));
    }

    private PartitionProduceResponse produce(String topic, short acks, MemoryRecords records) throws Exception {
        ProduceRequestData data = request(acks, topic, 0, records);
        return onlyPartition(broker.send(new ProduceRequest.Builder(BY_NAME, BY_NAME, data), ProduceResponse.class));
    }

    private static ProduceRequestData request(short acks, String topic, int partition, MemoryRecords records) {
        ProduceRequestData data = new ProduceRequestData().setAcks(acks).setTimeoutMs(10_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records))));
        return data;
    }

    private static PartitionProduceResponse onlyPartition(ProduceResponse response) {
        assertThat(response.data().responses()).hasSize(1);
        List<PartitionProduceResponse> partitions = response.data().responses().iterator().next()
                .partitionResponses();
        assertThat(partitions).hasSize(1);
        return partitions.get(0);
    }

    static MemoryRecords records(String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(1_700_000_000_000L + i, ("k" + i).getBytes(), values[i].getBytes());
        }
        return MemoryRecords.withRecords(Compression.NONE, records);
    }
}

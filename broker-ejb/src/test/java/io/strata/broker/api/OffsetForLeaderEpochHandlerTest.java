package io.strata.broker.api;

import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
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

/** OffsetForLeaderEpoch through the real handler and epoch cache, without sockets, as a consumer asks it. */
@Timeout(60)
class OffsetForLeaderEpochHandlerTest {

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName("orders").setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(ProduceHandlerUnitTest.records("a", "b", "c")))));
        ProduceResponse produced = broker.send(new ProduceRequest.Builder((short) 12, (short) 12, data),
                ProduceResponse.class);
        assertThat(produced.data().responses().iterator().next().partitionResponses().get(0).errorCode())
                .isEqualTo(Errors.NONE.code());
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void theCurrentEpochEndsAtTheLogEnd() throws Exception {
        EpochEndOffset end = offsetForLeaderEpoch("orders", 0, 0);

        assertThat(Errors.forCode(end.errorCode())).isEqualTo(Errors.NONE);
        assertThat(end.leaderEpoch()).isZero();
        assertThat(end.endOffset()).isEqualTo(3);
    }

    @Test
    void aClientThatKnowsANewerLeaderEpochIsToldUnknownLeaderEpoch() throws Exception {
        EpochEndOffset end = offsetForLeaderEpoch("orders", 0, 5);

        assertThat(Errors.forCode(end.errorCode())).isEqualTo(Errors.UNKNOWN_LEADER_EPOCH);
        assertThat(end.endOffset()).isEqualTo(OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH_OFFSET);
    }

    @Test
    void anUnknownTopicIsAnsweredWithUnknownTopicOrPartition() throws Exception {
        EpochEndOffset end = offsetForLeaderEpoch("no-such-topic", 0, 0);

        assertThat(Errors.forCode(end.errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    private EpochEndOffset offsetForLeaderEpoch(String topic, int leaderEpoch, int currentLeaderEpoch)
            throws Exception {
        OffsetForLeaderTopicCollection topics = new OffsetForLeaderTopicCollection();
        topics.add(new OffsetForLeaderTopic().setTopic(topic).setPartitions(List.of(new OffsetForLeaderPartition()
                .setPartition(0).setLeaderEpoch(leaderEpoch).setCurrentLeaderEpoch(currentLeaderEpoch))));
        OffsetsForLeaderEpochResponse response = broker.send(OffsetsForLeaderEpochRequest.Builder.forConsumer(topics),
                OffsetsForLeaderEpochResponse.class);
        assertThat(response.data().topics()).hasSize(1);
        assertThat(response.data().topics().iterator().next().partitions()).hasSize(1);
        return response.data().topics().iterator().next().partitions().get(0);
    }
}

package io.strata.broker.api;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicCollection;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** CreateTopics, DeleteTopics and CreatePartitions through the real handlers and controller, without sockets. */
@Timeout(60)
class AdminHandlersTest {

    @TempDir
    Path dir;
    HandlerFixture broker;

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void createTopicsCreatesTheTopicLedByThisBrokerAndAnswersItsId() throws Exception {
        broker = HandlerFixture.start(dir);

        CreatableTopicResult result = createTopic("orders", 3, (short) 1, false);

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.NONE);
        assertThat(result.numPartitions()).isEqualTo(3);
        assertThat(result.replicationFactor()).isEqualTo((short) 1);
        assertThat(result.topicId()).isEqualTo(broker.controller().image().topic("orders").id());
        broker.awaitLeader(new TopicPartition("orders", 2));
    }

    @Test
    void aTopicThatExistsIsAnsweredWithTopicAlreadyExists() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
        Uuid id = broker.controller().image().topic("orders").id();

        CreatableTopicResult again = createTopic("orders", 3, (short) 1, false);

        assertThat(Errors.forCode(again.errorCode())).isEqualTo(Errors.TOPIC_ALREADY_EXISTS);
        assertThat(broker.controller().image().topic("orders").id()).isEqualTo(id);
        assertThat(broker.controller().image().topic("orders").partitionCount()).isEqualTo(1);
    }

    @Test
    void zeroPartitionsIsAnsweredWithInvalidPartitions() throws Exception {
        broker = HandlerFixture.start(dir);

        CreatableTopicResult result = createTopic("orders", 0, (short) 1, false);

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.INVALID_PARTITIONS);
        assertThat(broker.controller().image().topic("orders")).isNull();
    }

    @Test
    void moreReplicasThanBrokersIsAnsweredWithInvalidReplicationFactor() throws Exception {
        broker = HandlerFixture.start(dir);

        CreatableTopicResult result = createTopic("orders", 1, (short) 3, false);

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.INVALID_REPLICATION_FACTOR);
        assertThat(broker.controller().image().topic("orders")).isNull();
    }

    @Test
    void anInvalidTopicNameIsAnsweredWithInvalidTopicException() throws Exception {
        broker = HandlerFixture.start(dir);

        CreatableTopicResult result = createTopic("no/slashes", 1, (short) 1, false);

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.INVALID_TOPIC_EXCEPTION);
    }

    @Test
    void validateOnlyAnswersAsACreateWouldButCreatesNothing() throws Exception {
        broker = HandlerFixture.start(dir);

        CreatableTopicResult result = createTopic("orders", 2, (short) 1, true);

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.NONE);
        assertThat(result.numPartitions()).isEqualTo(2);
        assertThat(broker.controller().image().topic("orders")).isNull();
    }

    @Test
    void deleteTopicsByNameRemovesTheTopic() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);

        DeletableTopicResult result = deleteTopic(new DeleteTopicState().setName("orders"));

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.NONE);
        assertThat(broker.controller().image().topic("orders")).isNull();
    }

    @Test
    void deleteTopicsByIdRemovesTheTopicAndNamesIt() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
        Uuid id = broker.controller().image().topic("orders").id();

        DeletableTopicResult result = deleteTopic(new DeleteTopicState().setTopicId(id));

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.NONE);
        assertThat(result.name()).isEqualTo("orders");
        assertThat(broker.controller().image().topic(id)).isNull();
    }

    @Test
    void deletingAnUnknownTopicIsAnsweredWithUnknownTopicOrPartitionOrUnknownTopicId() throws Exception {
        broker = HandlerFixture.start(dir);

        assertThat(Errors.forCode(deleteTopic(new DeleteTopicState().setName("no-such-topic")).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(Errors.forCode(deleteTopic(new DeleteTopicState().setTopicId(Uuid.randomUuid())).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_ID);
    }

    @Test
    void deletingWhileTopicDeletionIsDisabledIsAnsweredWithTopicDeletionDisabled() throws Exception {
        broker = HandlerFixture.start(dir, Map.of("delete.topic.enable", false));
        broker.createTopic("orders", 1);

        DeletableTopicResult result = deleteTopic(new DeleteTopicState().setName("orders"));

        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.TOPIC_DELETION_DISABLED);
        assertThat(broker.controller().image().topic("orders")).isNotNull();
    }

    @Test
    void createPartitionsGrowsATopicButNeverShrinksIt() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 2);

        assertThat(createPartitions("orders", 4)).isEqualTo(Errors.NONE);
        broker.awaitLeader(new TopicPartition("orders", 3));
        assertThat(createPartitions("orders", 1)).isEqualTo(Errors.INVALID_PARTITIONS);
        assertThat(broker.controller().image().topic("orders").partitionCount()).isEqualTo(4);
        assertThat(createPartitions("no-such-topic", 4)).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void deleteRecordsMovesTheLogStartUpToTheHighWatermarkButNotPastIt() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
        TopicPartition orders0 = new TopicPartition("orders", 0);
        broker.replicaManager().partition(orders0).appendAsLeader(ProduceHandlerUnitTest.records("a", "b", "c"),
                (short) 1, io.strata.storage.batch.AppendOrigin.CLIENT);

        DeleteRecordsPartitionResult moved = deleteRecords("orders", 2);
        DeleteRecordsPartitionResult tooFar = deleteRecords("orders", 10);

        assertThat(Errors.forCode(moved.errorCode())).isEqualTo(Errors.NONE);
        assertThat(moved.lowWatermark()).isEqualTo(2);
        assertThat(broker.replicaManager().partition(orders0).log().logStartOffset()).isEqualTo(2);
        assertThat(Errors.forCode(tooFar.errorCode())).isEqualTo(Errors.OFFSET_OUT_OF_RANGE);
        assertThat(Errors.forCode(deleteRecords("no-such-topic", 0).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    private DeleteRecordsPartitionResult deleteRecords(String topic, long beforeOffset) throws Exception {
        DeleteRecordsResponse response = broker.send(new DeleteRecordsRequest.Builder(new DeleteRecordsRequestData()
                .setTimeoutMs(10_000).setTopics(List.of(new DeleteRecordsTopic().setName(topic).setPartitions(List.of(
                        new DeleteRecordsPartition().setPartitionIndex(0).setOffset(beforeOffset)))))),
                DeleteRecordsResponse.class);
        return response.data().topics().iterator().next().partitions().iterator().next();
    }

    private CreatableTopicResult createTopic(String name, int partitions, short replicationFactor,
                                             boolean validateOnly) throws Exception {
        CreatableTopicCollection topics = new CreatableTopicCollection();
        topics.add(new CreatableTopic().setName(name).setNumPartitions(partitions)
                .setReplicationFactor(replicationFactor));
        CreateTopicsResponse response = broker.send(new CreateTopicsRequest.Builder(new CreateTopicsRequestData()
                .setTopics(topics).setTimeoutMs(10_000).setValidateOnly(validateOnly)), CreateTopicsResponse.class);
        assertThat(response.data().topics()).hasSize(1);
        return response.data().topics().iterator().next();
    }

    private DeletableTopicResult deleteTopic(DeleteTopicState topic) throws Exception {
        DeleteTopicsResponse response = broker.send(new DeleteTopicsRequest.Builder(new DeleteTopicsRequestData()
                .setTopics(List.of(topic)).setTimeoutMs(10_000)), DeleteTopicsResponse.class);
        assertThat(response.data().responses()).hasSize(1);
        return response.data().responses().iterator().next();
    }

    private Errors createPartitions(String topic, int count) throws Exception {
        CreatePartitionsRequestData.CreatePartitionsTopicCollection topics =
                new CreatePartitionsRequestData.CreatePartitionsTopicCollection();
        topics.add(new CreatePartitionsTopic().setName(topic).setCount(count).setAssignments(null));
        CreatePartitionsResponse response = broker.send(new CreatePartitionsRequest.Builder(
                new CreatePartitionsRequestData().setTopics(topics).setTimeoutMs(10_000)),
                CreatePartitionsResponse.class);
        assertThat(response.data().results()).hasSize(1);
        return Errors.forCode(response.data().results().get(0).errorCode());
    }
}

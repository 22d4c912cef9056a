package io.strata.broker.api;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AlterShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.AlterShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.AlterShareGroupOffsetsResponse;
import org.apache.kafka.common.requests.DeleteShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DeleteShareGroupOffsetsResponse;
import org.apache.kafka.common.requests.DescribeShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DescribeShareGroupOffsetsResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The share-group offsets APIs as raw requests, for the answers Admin hides or checks before sending: a negative
 * start offset, an unknown topic, a group with members, a group id missing.
 */
class ShareOffsetsHandlersTest {

    private static final String GROUP = "reports";

    @TempDir
    Path dir;
    private HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir);
        broker.createTopic("daily", 1);
        assertThat(broker.groupCoordinator().coordinatorFor(GROUP)).as("creates __consumer_offsets").isEqualTo(1);
        await().atMost(HandlerFixture.ANSWER_TIMEOUT).until(() ->
                broker.groupCoordinator().coordinatorError(GROUP) == Errors.NONE);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private AlterShareGroupOffsetsResponseData alter(String group, String topic, long startOffset) throws Exception {
        AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopicCollection topics =
                new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopicCollection();
        topics.add(new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic().setTopicName(topic)
                .setPartitions(List.of(new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestPartition()
                        .setPartitionIndex(0).setStartOffset(startOffset))));
        return broker.send(new AlterShareGroupOffsetsRequest.Builder(new AlterShareGroupOffsetsRequestData()
                .setGroupId(group).setTopics(topics)), AlterShareGroupOffsetsResponse.class).data();
    }

    private DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup describe(
            List<DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic> topics) throws Exception {
        return broker.send(new DescribeShareGroupOffsetsRequest.Builder(new DescribeShareGroupOffsetsRequestData()
                        .setGroups(List.of(new DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup()
                                .setGroupId(GROUP).setTopics(topics)))), DescribeShareGroupOffsetsResponse.class)
                .data().groups().get(0);
    }

    @Test
    void aNegativeStartOffsetIsAnInvalidRequest() throws Exception {
        AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponsePartition answer =
                alter(GROUP, "daily", -3).responses().iterator().next().partitions().get(0);
        assertThat(Errors.forCode(answer.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(answer.errorMessage()).contains("-3");
    }

    @Test
    void anUnknownTopicIsUnknownTopicOrPartition() throws Exception {
        assertThat(Errors.forCode(alter(GROUP, "weekly", 0).responses().iterator().next().partitions().get(0)
                .errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition described = describe(
                List.of(new DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic()
                        .setTopicName("weekly").setPartitions(List.of(0)))).topics().get(0).partitions().get(0);
        assertThat(Errors.forCode(described.errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void aGroupWithMembersIsNotChangedAndAnEmptyOneIs() throws Exception {
        broker.shareGroupsWithMembers.add(GROUP);
        AlterShareGroupOffsetsResponseData refused = alter(GROUP, "daily", 5);
        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(refused.errorMessage()).contains(GROUP);
        DeleteShareGroupOffsetsResponse notDeleted = broker.send(new DeleteShareGroupOffsetsRequest.Builder(
                new DeleteShareGroupOffsetsRequestData().setGroupId(GROUP).setTopics(List.of(
                        new DeleteShareGroupOffsetsRequestData.DeleteShareGroupOffsetsRequestTopic()
                                .setTopicName("daily")))), DeleteShareGroupOffsetsResponse.class);
        assertThat(Errors.forCode(notDeleted.data().errorCode())).isEqualTo(Errors.NON_EMPTY_GROUP);

        broker.shareGroupsWithMembers.remove(GROUP);
        assertThat(Errors.forCode(alter(GROUP, "daily", 5).errorCode())).isEqualTo(Errors.NONE);
        broker.shareGroupPartitions.put(GROUP, java.util.Set.of(new TopicPartition("daily", 0)));
        DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition described =
                describe(null).topics().get(0).partitions().get(0);
        assertThat(described.startOffset()).isEqualTo(5);
    }

    @Test
    void aMissingGroupIdIsInvalid() throws Exception {
        assertThat(Errors.forCode(alter("", "daily", 0).errorCode())).isEqualTo(Errors.INVALID_GROUP_ID);
    }
}

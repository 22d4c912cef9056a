package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.share.coordinator.ShareCoordinator;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteShareGroupStateRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryResponseData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.message.WriteShareGroupStateResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DeleteShareGroupStateRequest;
import org.apache.kafka.common.requests.DeleteShareGroupStateResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.InitializeShareGroupStateRequest;
import org.apache.kafka.common.requests.InitializeShareGroupStateResponse;
import org.apache.kafka.common.requests.ReadShareGroupStateRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateResponse;
import org.apache.kafka.common.requests.ReadShareGroupStateSummaryRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateSummaryResponse;
import org.apache.kafka.common.requests.WriteShareGroupStateRequest;
import org.apache.kafka.common.requests.WriteShareGroupStateResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The share coordinator's inter-broker APIs on one broker: what a leader writes is read back merged, FindCoordinator
 * of key type SHARE names this broker, and bad input is answered with Kafka's error codes and a message.
 */
class ShareStateHandlersTest {

    private static final String GROUP = "jobs";

    @TempDir
    Path dir;
    private HandlerFixture broker;
    private Uuid topicId;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir, Map.of(BrokerConfig.SHARE_STATE_TOPIC_NUM_PARTITIONS, 2));
        broker.createTopic("work", 2);
        topicId = broker.controller().image().topic("work").id();
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private FindCoordinatorResponseData.Coordinator findShareCoordinator(String key) throws Exception {
        FindCoordinatorResponse response = broker.send(new FindCoordinatorRequest.Builder(
                new FindCoordinatorRequestData().setKeyType(FindCoordinatorRequest.CoordinatorType.SHARE.id())
                        .setCoordinatorKeys(List.of(key))), FindCoordinatorResponse.class);
        return response.data().coordinators().get(0);
    }

    /** Finds the coordinator (which creates __share_group_state) and waits until it serves. */
    private void awaitShareCoordinator() throws Exception {
        assertThat(Errors.forCode(findShareCoordinator(GROUP + ":" + topicId + ":0").errorCode()))
                .isEqualTo(Errors.NONE);
        broker.awaitLeader(new org.apache.kafka.common.TopicPartition(ShareCoordinator.STATE_TOPIC, 0));
        broker.awaitLeader(new org.apache.kafka.common.TopicPartition(ShareCoordinator.STATE_TOPIC, 1));
        org.awaitility.Awaitility.await().atMost(HandlerFixture.ANSWER_TIMEOUT).until(() ->
                broker.shareCoordinator().coordinatorError(
                        new io.strata.broker.share.coordinator.ShareStateKey(GROUP, topicId, 0)) == Errors.NONE
                        && broker.shareCoordinator().coordinatorError(
                        new io.strata.broker.share.coordinator.ShareStateKey(GROUP, topicId, 1)) == Errors.NONE);
    }

    private Errors initialize(Uuid topic, int partition, int stateEpoch, long startOffset) throws Exception {
        InitializeShareGroupStateResponse response = broker.send(new InitializeShareGroupStateRequest.Builder(
                new InitializeShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                        new InitializeShareGroupStateRequestData.InitializeStateData().setTopicId(topic)
                                .setPartitions(List.of(new InitializeShareGroupStateRequestData.PartitionData()
                                        .setPartition(partition).setStateEpoch(stateEpoch)
                                        .setStartOffset(startOffset)))))), InitializeShareGroupStateResponse.class);
        return Errors.forCode(response.data().results().get(0).partitions().get(0).errorCode());
    }

    private WriteShareGroupStateResponseData.PartitionResult write(
            Uuid topic, int partition, int leaderEpoch, int stateEpoch, long startOffset,
            List<WriteShareGroupStateRequestData.StateBatch> batches) throws Exception {
        WriteShareGroupStateResponse response = broker.send(new WriteShareGroupStateRequest.Builder(
                new WriteShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                        new WriteShareGroupStateRequestData.WriteStateData().setTopicId(topic)
                                .setPartitions(List.of(new WriteShareGroupStateRequestData.PartitionData()
                                        .setPartition(partition).setLeaderEpoch(leaderEpoch)
                                        .setStateEpoch(stateEpoch).setStartOffset(startOffset)
                                        .setStateBatches(batches)))))), WriteShareGroupStateResponse.class);
        return response.data().results().get(0).partitions().get(0);
    }

    private ReadShareGroupStateResponseData.PartitionResult read(int partition, int leaderEpoch) throws Exception {
        ReadShareGroupStateResponse response = broker.send(new ReadShareGroupStateRequest.Builder(
                new ReadShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                        new ReadShareGroupStateRequestData.ReadStateData().setTopicId(topicId)
                                .setPartitions(List.of(new ReadShareGroupStateRequestData.PartitionData()
                                        .setPartition(partition).setLeaderEpoch(leaderEpoch)))))),
                ReadShareGroupStateResponse.class);
        return response.data().results().get(0).partitions().get(0);
    }

    private static WriteShareGroupStateRequestData.StateBatch batch(long first, long last, int state, int count) {
        return new WriteShareGroupStateRequestData.StateBatch().setFirstOffset(first).setLastOffset(last)
                .setDeliveryState((byte) state).setDeliveryCount((short) count);
    }

    @Test
    void aWrittenStateIsReadBackMergedAndItsSummaryShowsTheStartOffset() throws Exception {
        awaitShareCoordinator();
        assertThat(initialize(topicId, 1, 1, 10)).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(write(topicId, 1, 3, 1, 10, List.of(batch(10, 19, 0, 1))).errorCode()))
                .isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(write(topicId, 1, 3, 1, 12, List.of(batch(14, 15, 2, 1))).errorCode()))
                .isEqualTo(Errors.NONE);

        ReadShareGroupStateResponseData.PartitionResult state = read(1, 3);
        assertThat(Errors.forCode(state.errorCode())).isEqualTo(Errors.NONE);
        assertThat(state.stateEpoch()).isEqualTo(1);
        assertThat(state.startOffset()).isEqualTo(12);
        assertThat(state.stateBatches()).extracting(b -> b.firstOffset() + ".." + b.lastOffset() + ":"
                + b.deliveryState()).containsExactly("12..13:0", "14..15:2", "16..19:0");

        ReadShareGroupStateSummaryResponse summary = broker.send(new ReadShareGroupStateSummaryRequest.Builder(
                new ReadShareGroupStateSummaryRequestData().setGroupId(GROUP).setTopics(List.of(
                        new ReadShareGroupStateSummaryRequestData.ReadStateSummaryData().setTopicId(topicId)
                                .setPartitions(List.of(new ReadShareGroupStateSummaryRequestData.PartitionData()
                                        .setPartition(1)))))), ReadShareGroupStateSummaryResponse.class);
        ReadShareGroupStateSummaryResponseData.PartitionResult result =
                summary.data().results().get(0).partitions().get(0);
        assertThat(result.startOffset()).isEqualTo(12);
        assertThat(result.leaderEpoch()).isEqualTo(3);
    }

    @Test
    void aStaleLeaderIsFencedAndAReinitializedStateFencesOldWrites() throws Exception {
        awaitShareCoordinator();
        assertThat(initialize(topicId, 0, 1, 0)).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(read(0, 5).errorCode())).isEqualTo(Errors.NONE);

        assertThat(Errors.forCode(write(topicId, 0, 4, 1, 0, List.of()).errorCode()))
                .isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(initialize(topicId, 0, 2, 7)).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(write(topicId, 0, 5, 1, 0, List.of()).errorCode()))
                .isEqualTo(Errors.FENCED_STATE_EPOCH);
        assertThat(initialize(topicId, 0, 2, 9)).as("not above the stored state epoch")
                .isEqualTo(Errors.FENCED_STATE_EPOCH);
    }

    @Test
    void deletedStateIsReadAsNeverInitialized() throws Exception {
        awaitShareCoordinator();
        assertThat(initialize(topicId, 0, 1, 4)).isEqualTo(Errors.NONE);
        DeleteShareGroupStateResponse deleted = broker.send(new DeleteShareGroupStateRequest.Builder(
                new DeleteShareGroupStateRequestData().setGroupId(GROUP).setTopics(List.of(
                        new DeleteShareGroupStateRequestData.DeleteStateData().setTopicId(topicId)
                                .setPartitions(List.of(new DeleteShareGroupStateRequestData.PartitionData()
                                        .setPartition(0)))))), DeleteShareGroupStateResponse.class);
        assertThat(Errors.forCode(deleted.data().results().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.NONE);
        assertThat(read(0, 1).startOffset()).isEqualTo(-1);
    }

    @Test
    void aPendingAcknowledgementIsStoredAndReadBackOnItsBatchAndAMalformedOneIsRefused() throws Exception {
        awaitShareCoordinator();
        assertThat(initialize(topicId, 0, 1, 0)).isEqualTo(Errors.NONE);
        io.strata.broker.share.PendingAcknowledgement pending = new io.strata.broker.share.PendingAcknowledgement(
                77, (short) 2, io.strata.broker.share.AcknowledgeType.ACCEPT, 40);
        WriteShareGroupStateRequestData.StateBatch held = batch(0, 3, 1, 1);
        held.unknownTaggedFields().addAll(
                io.strata.broker.share.coordinator.PendingAcknowledgementTag.fields(pending));
        assertThat(Errors.forCode(write(topicId, 0, 1, 1, 0, List.of(held, batch(4, 5, 1, 1))).errorCode()))
                .isEqualTo(Errors.NONE);

        ReadShareGroupStateResponseData.PartitionResult state = read(0, 1);
        assertThat(state.stateBatches()).hasSize(2);
        assertThat(io.strata.broker.share.coordinator.PendingAcknowledgementTag.find(
                state.stateBatches().get(0).unknownTaggedFields())).isEqualTo(pending);
        assertThat(state.stateBatches().get(1).unknownTaggedFields()).isEmpty();

        WriteShareGroupStateRequestData.StateBatch malformed = batch(6, 6, 1, 1);
        malformed.unknownTaggedFields().add(new org.apache.kafka.common.protocol.types.RawTaggedField(
                io.strata.broker.share.coordinator.PendingAcknowledgementTag.TAG, new byte[] {1, 2, 3}));
        WriteShareGroupStateResponseData.PartitionResult refused = write(topicId, 0, 1, 1, 0, List.of(malformed));
        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(refused.errorMessage()).contains("6..6").contains("tag 32003").contains("3 bytes");
        assertThat(read(0, 1).stateBatches()).hasSize(2);
    }

    @Test
    void badInputIsRefusedWithKafkasErrorCodes() throws Exception {
        awaitShareCoordinator();
        assertThat(initialize(Uuid.randomUuid(), 0, 1, 0)).as("unknown topic id")
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(initialize(topicId, 2, 1, 0)).as("no such partition").isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(initialize(topicId, 0, 1, -5)).as("negative start offset").isEqualTo(Errors.INVALID_REQUEST);
        assertThat(initialize(topicId, 0, 1, 0)).isEqualTo(Errors.NONE);

        WriteShareGroupStateResponseData.PartitionResult negative = write(topicId, 0, 1, 1, -2, List.of());
        assertThat(Errors.forCode(negative.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(negative.errorMessage()).contains("-2");
        WriteShareGroupStateResponseData.PartitionResult reversed = write(topicId, 0, 1, 1, 0,
                List.of(batch(9, 3, 0, 1)));
        assertThat(Errors.forCode(reversed.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(reversed.errorMessage()).contains("9..3");
        WriteShareGroupStateResponseData.PartitionResult overlapping = write(topicId, 0, 1, 1, 0,
                List.of(batch(0, 5, 0, 1), batch(5, 8, 2, 1)));
        assertThat(Errors.forCode(overlapping.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(overlapping.errorMessage()).contains("overlap");
        assertThat(Errors.forCode(write(topicId, 0, 1, 1, 0, List.of(batch(0, 5, 7, 1))).errorCode()))
                .as("unknown delivery state").isEqualTo(Errors.INVALID_REQUEST);
        assertThat(Errors.forCode(write(topicId, 0, 1, 1, 0, List.of(batch(0, 5, 0, -1))).errorCode()))
                .as("negative delivery count").isEqualTo(Errors.INVALID_REQUEST);

        FindCoordinatorResponseData.Coordinator malformed = findShareCoordinator("jobs-without-partition");
        assertThat(Errors.forCode(malformed.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(malformed.errorMessage()).contains("groupId:topicId:partition");
    }

    @Test
    void findCoordinatorOfKeyTypeShareNamesTheLeaderOfTheStatePartition() throws Exception {
        FindCoordinatorResponseData.Coordinator found = findShareCoordinator(GROUP + ":" + topicId + ":1");
        assertThat(Errors.forCode(found.errorCode())).isEqualTo(Errors.NONE);
        assertThat(found.nodeId()).isEqualTo(1);
        assertThat(broker.controller().image().topic(ShareCoordinator.STATE_TOPIC).partitionCount()).isEqualTo(2);
        assertThat(broker.controller().image().topic(ShareCoordinator.STATE_TOPIC).configs())
                .containsEntry("cleanup.policy", "delete");
    }
}

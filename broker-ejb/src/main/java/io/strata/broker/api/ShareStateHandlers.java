package io.strata.broker.api;

import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.ShareStateFormatException;
import io.strata.broker.share.coordinator.PendingAcknowledgementTag;
import io.strata.broker.share.coordinator.ShareCoordinator;
import io.strata.broker.share.coordinator.ShareStateKey;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteShareGroupStateRequestData;
import org.apache.kafka.common.message.DeleteShareGroupStateResponseData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.InitializeShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryResponseData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.message.WriteShareGroupStateResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.DeleteShareGroupStateRequest;
import org.apache.kafka.common.requests.DeleteShareGroupStateResponse;
import org.apache.kafka.common.requests.InitializeShareGroupStateRequest;
import org.apache.kafka.common.requests.InitializeShareGroupStateResponse;
import org.apache.kafka.common.requests.ReadShareGroupStateRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateResponse;
import org.apache.kafka.common.requests.ReadShareGroupStateSummaryRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateSummaryResponse;
import org.apache.kafka.common.requests.WriteShareGroupStateRequest;
import org.apache.kafka.common.requests.WriteShareGroupStateResponse;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The share coordinator's inter-broker APIs (KIP-932), answered by the broker leading the state's
 * {@code __share_group_state} partition (NOT_COORDINATOR, or COORDINATOR_LOAD_IN_PROGRESS, elsewhere):
 * InitializeShareGroupState, ReadShareGroupState, WriteShareGroupState, DeleteShareGroupState and
 * ReadShareGroupStateSummary. Each share partition of a request is checked (a group id, a known topic id and
 * partition, offsets and batches that make sense: INVALID_REQUEST or UNKNOWN_TOPIC_OR_PARTITION with a message saying
 * what is wrong) and handed to the {@link ShareCoordinator}; the response is sent once every one is answered.
 *
 * <p>Stateless apart from its collaborators; thread-safe.
 */
final class ShareStateHandlers {

    /** What a check of one share partition found: NONE, or the error and why. */
    private record Check(Errors error, String message) {
        static final Check OK = new Check(Errors.NONE, null);

        boolean ok() {
            return error == Errors.NONE;
        }
    }

    private final RequestChannel requestChannel;
    private final ShareCoordinator coordinator;
    private final Controller controller;

    ShareStateHandlers(RequestChannel requestChannel, ShareCoordinator coordinator, Controller controller) {
        this.requestChannel = requestChannel;
        this.coordinator = coordinator;
        this.controller = controller;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, this::initialize)
                .register(ApiKeys.READ_SHARE_GROUP_STATE, this::read)
                .register(ApiKeys.WRITE_SHARE_GROUP_STATE, this::write)
                .register(ApiKeys.DELETE_SHARE_GROUP_STATE, this::delete)
                .register(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY, this::readSummary);
    }

    /** Checks the group, topic and partition of one share partition, and that this broker coordinates its state. */
    private Check check(String groupId, Uuid topicId, int partition) {
        if (groupId == null || groupId.isEmpty()) {
            return new Check(Errors.INVALID_REQUEST, "A group id is required");
        }
        if (topicId == null || Uuid.ZERO_UUID.equals(topicId)) {
            return new Check(Errors.INVALID_REQUEST, "A topic id is required");
        }
        if (partition < 0) {
            return new Check(Errors.INVALID_REQUEST, "Partition " + partition + " is negative");
        }
        TopicImage topic = controller.image().topic(topicId);
        if (topic == null || partition >= topic.partitionCount()) {
            return new Check(Errors.UNKNOWN_TOPIC_OR_PARTITION, "No partition " + partition + " of a topic with id "
                    + topicId);
        }
        Errors coordinatorError = coordinator.coordinatorError(new ShareStateKey(groupId, topicId, partition));
        return coordinatorError == Errors.NONE ? Check.OK : new Check(coordinatorError, null);
    }

    // ---------------------------------------------------------------------------------------------------- initialize

    private void initialize(Request request, AbstractRequest body) {
        InitializeShareGroupStateRequestData data = ((InitializeShareGroupStateRequest) body).data();
        List<CompletableFuture<?>> answers = new ArrayList<>();
        InitializeShareGroupStateResponseData response = new InitializeShareGroupStateResponseData();
        for (InitializeShareGroupStateRequestData.InitializeStateData topic : data.topics()) {
            InitializeShareGroupStateResponseData.InitializeStateResult result =
                    new InitializeShareGroupStateResponseData.InitializeStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (InitializeShareGroupStateRequestData.PartitionData partition : topic.partitions()) {
                InitializeShareGroupStateResponseData.PartitionResult answer =
                        new InitializeShareGroupStateResponseData.PartitionResult()
                                .setPartition(partition.partition());
                result.partitions().add(answer);
                Check check = check(data.groupId(), topic.topicId(), partition.partition());
                if (check.ok() && partition.startOffset() < 0) {
                    check = new Check(Errors.INVALID_REQUEST, "Start offset " + partition.startOffset()
                            + " is negative");
                }
                if (!check.ok()) {
                    answer.setErrorCode(check.error().code()).setErrorMessage(check.message());
                    continue;
                }
                answers.add(coordinator.initialize(new ShareStateKey(data.groupId(), topic.topicId(),
                                partition.partition()), partition.stateEpoch(), partition.startOffset())
                        .thenAccept(error -> answer.setErrorCode(error.code()).setErrorMessage(message(error))));
            }
        }
        whenAll(answers, () -> requestChannel.sendResponse(request, new InitializeShareGroupStateResponse(response)));
    }

    // ---------------------------------------------------------------------------------------------------- read

    private void read(Request request, AbstractRequest body) {
        ReadShareGroupStateRequestData data = ((ReadShareGroupStateRequest) body).data();
        List<CompletableFuture<?>> answers = new ArrayList<>();
        ReadShareGroupStateResponseData response = new ReadShareGroupStateResponseData();
        for (ReadShareGroupStateRequestData.ReadStateData topic : data.topics()) {
            ReadShareGroupStateResponseData.ReadStateResult result =
                    new ReadShareGroupStateResponseData.ReadStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (ReadShareGroupStateRequestData.PartitionData partition : topic.partitions()) {
                ReadShareGroupStateResponseData.PartitionResult answer =
                        new ReadShareGroupStateResponseData.PartitionResult().setPartition(partition.partition())
                                .setStartOffset(-1).setStateEpoch(0);
                result.partitions().add(answer);
                Check check = check(data.groupId(), topic.topicId(), partition.partition());
                if (!check.ok()) {
                    answer.setErrorCode(check.error().code()).setErrorMessage(check.message());
                    continue;
                }
                answers.add(coordinator.read(new ShareStateKey(data.groupId(), topic.topicId(),
                        partition.partition()), partition.leaderEpoch()).thenAccept(read -> {
                            answer.setErrorCode(read.error().code()).setErrorMessage(message(read.error()));
                            if (read.error() == Errors.NONE && read.state() != null) {
                                answer.setStateEpoch(read.state().stateEpoch())
                                        .setStartOffset(read.state().startOffset());
                                for (StateBatch batch : read.state().stateBatches()) {
                                    ReadShareGroupStateResponseData.StateBatch answered =
                                            new ReadShareGroupStateResponseData.StateBatch()
                                                    .setFirstOffset(batch.firstOffset())
                                                    .setLastOffset(batch.lastOffset())
                                                    .setDeliveryState(batch.state().id)
                                                    .setDeliveryCount((short) batch.deliveryCount());
                                    answered.unknownTaggedFields().addAll(
                                            PendingAcknowledgementTag.fields(batch.pending()));
                                    answer.stateBatches().add(answered);
                                }
                            }
                        }));
            }
        }
        whenAll(answers, () -> requestChannel.sendResponse(request, new ReadShareGroupStateResponse(response)));
    }

    // ---------------------------------------------------------------------------------------------------- write

    private void write(Request request, AbstractRequest body) {
        WriteShareGroupStateRequestData data = ((WriteShareGroupStateRequest) body).data();
        List<CompletableFuture<?>> answers = new ArrayList<>();
        WriteShareGroupStateResponseData response = new WriteShareGroupStateResponseData();
        for (WriteShareGroupStateRequestData.WriteStateData topic : data.topics()) {
            WriteShareGroupStateResponseData.WriteStateResult result =
                    new WriteShareGroupStateResponseData.WriteStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (WriteShareGroupStateRequestData.PartitionData partition : topic.partitions()) {
                WriteShareGroupStateResponseData.PartitionResult answer =
                        new WriteShareGroupStateResponseData.PartitionResult().setPartition(partition.partition());
                result.partitions().add(answer);
                Check check = check(data.groupId(), topic.topicId(), partition.partition());
                List<StateBatch> batches = new ArrayList<>();
                if (check.ok()) {
                    check = batches(partition, batches);
                }
                if (!check.ok()) {
                    answer.setErrorCode(check.error().code()).setErrorMessage(check.message());
                    continue;
                }
                answers.add(coordinator.write(new ShareStateKey(data.groupId(), topic.topicId(),
                                partition.partition()), partition.leaderEpoch(), partition.stateEpoch(),
                        partition.startOffset(), batches)
                        .thenAccept(error -> answer.setErrorCode(error.code()).setErrorMessage(message(error))));
            }
        }
        whenAll(answers, () -> requestChannel.sendResponse(request, new WriteShareGroupStateResponse(response)));
    }

    /**
     * Reads a write's start offset and batches into {@code into}, sorted; INVALID_REQUEST saying what is wrong with a
     * negative start offset (other than -1, "unchanged"), a batch with negative or reversed offsets, an unknown
     * delivery state, a negative delivery count, a malformed pending acknowledgement (tag
     * {@link PendingAcknowledgementTag#TAG}, or one on records that are not Acquired), or batches that overlap.
     */
    private static Check batches(WriteShareGroupStateRequestData.PartitionData partition, List<StateBatch> into) {
        if (partition.startOffset() < -1) {
            return new Check(Errors.INVALID_REQUEST, "Start offset " + partition.startOffset() + " is negative");
        }
        for (WriteShareGroupStateRequestData.StateBatch batch : partition.stateBatches()) {
            try {
                into.add(new StateBatch(batch.firstOffset(), batch.lastOffset(),
                        RecordState.forId(batch.deliveryState()), batch.deliveryCount(),
                        PendingAcknowledgementTag.find(batch.unknownTaggedFields())));
            } catch (IllegalArgumentException | ShareStateFormatException e) {
                return new Check(Errors.INVALID_REQUEST, "State batch " + batch.firstOffset() + ".."
                        + batch.lastOffset() + " is malformed: " + e.getMessage());
            }
        }
        into.sort(Comparator.comparingLong(StateBatch::firstOffset));
        for (int i = 1; i < into.size(); i++) {
            if (into.get(i).firstOffset() <= into.get(i - 1).lastOffset()) {
                return new Check(Errors.INVALID_REQUEST, "State batches " + into.get(i - 1).firstOffset() + ".."
                        + into.get(i - 1).lastOffset() + " and " + into.get(i).firstOffset() + ".."
                        + into.get(i).lastOffset() + " overlap");
            }
        }
        return Check.OK;
    }

    // ---------------------------------------------------------------------------------------------------- delete

    private void delete(Request request, AbstractRequest body) {
        DeleteShareGroupStateRequestData data = ((DeleteShareGroupStateRequest) body).data();
        List<CompletableFuture<?>> answers = new ArrayList<>();
        DeleteShareGroupStateResponseData response = new DeleteShareGroupStateResponseData();
        for (DeleteShareGroupStateRequestData.DeleteStateData topic : data.topics()) {
            DeleteShareGroupStateResponseData.DeleteStateResult result =
                    new DeleteShareGroupStateResponseData.DeleteStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (DeleteShareGroupStateRequestData.PartitionData partition : topic.partitions()) {
                DeleteShareGroupStateResponseData.PartitionResult answer =
                        new DeleteShareGroupStateResponseData.PartitionResult().setPartition(partition.partition());
                result.partitions().add(answer);
                Check check = checkAllowingDeletedTopic(data.groupId(), topic.topicId(), partition.partition());
                if (!check.ok()) {
                    answer.setErrorCode(check.error().code()).setErrorMessage(check.message());
                    continue;
                }
                answers.add(coordinator.delete(new ShareStateKey(data.groupId(), topic.topicId(),
                                partition.partition()))
                        .thenAccept(error -> answer.setErrorCode(error.code()).setErrorMessage(message(error))));
            }
        }
        whenAll(answers, () -> requestChannel.sendResponse(request, new DeleteShareGroupStateResponse(response)));
    }

    /** As {@link #check}, but the state of a topic deleted since may still be deleted. */
    private Check checkAllowingDeletedTopic(String groupId, Uuid topicId, int partition) {
        Check check = check(groupId, topicId, partition);
        if (check.error() != Errors.UNKNOWN_TOPIC_OR_PARTITION) {
            return check;
        }
        Errors coordinatorError = coordinator.coordinatorError(new ShareStateKey(groupId, topicId, partition));
        return coordinatorError == Errors.NONE ? Check.OK : new Check(coordinatorError, null);
    }

    // ---------------------------------------------------------------------------------------------------- summary

    private void readSummary(Request request, AbstractRequest body) {
        ReadShareGroupStateSummaryRequestData data = ((ReadShareGroupStateSummaryRequest) body).data();
        List<CompletableFuture<?>> answers = new ArrayList<>();
        ReadShareGroupStateSummaryResponseData response = new ReadShareGroupStateSummaryResponseData();
        for (ReadShareGroupStateSummaryRequestData.ReadStateSummaryData topic : data.topics()) {
            ReadShareGroupStateSummaryResponseData.ReadStateSummaryResult result =
                    new ReadShareGroupStateSummaryResponseData.ReadStateSummaryResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (ReadShareGroupStateSummaryRequestData.PartitionData partition : topic.partitions()) {
                ReadShareGroupStateSummaryResponseData.PartitionResult answer =
                        new ReadShareGroupStateSummaryResponseData.PartitionResult()
                                .setPartition(partition.partition()).setStartOffset(-1).setLeaderEpoch(-1);
                result.partitions().add(answer);
                Check check = check(data.groupId(), topic.topicId(), partition.partition());
                if (!check.ok()) {
                    answer.setErrorCode(check.error().code()).setErrorMessage(check.message());
                    continue;
                }
                answers.add(coordinator.summary(new ShareStateKey(data.groupId(), topic.topicId(),
                        partition.partition())).thenAccept(summary -> answer.setErrorCode(summary.error().code())
                        .setErrorMessage(message(summary.error())).setStateEpoch(summary.stateEpoch())
                        .setLeaderEpoch(summary.leaderEpoch()).setStartOffset(summary.startOffset())
                        .setDeliveryCompleteCount(summary.deliveryCompleteCount())));
            }
        }
        whenAll(answers, () -> requestChannel.sendResponse(request,
                new ReadShareGroupStateSummaryResponse(response)));
    }

    // ---------------------------------------------------------------------------------------------------- helpers

    private static String message(Errors error) {
        return error == Errors.NONE ? null : error.message();
    }

    /** Runs {@code then} once every answer is in (they never fail: errors are codes in them). */
    private static void whenAll(List<CompletableFuture<?>> answers, Runnable then) {
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, failure) ->
                then.run());
    }
}

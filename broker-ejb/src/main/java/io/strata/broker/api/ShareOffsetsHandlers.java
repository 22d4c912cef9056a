package io.strata.broker.api;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePersister;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.AlterShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AlterShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.AlterShareGroupOffsetsResponse;
import org.apache.kafka.common.requests.DeleteShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DeleteShareGroupOffsetsResponse;
import org.apache.kafka.common.requests.DescribeShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DescribeShareGroupOffsetsResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The admin side of share-group offsets (KIP-932), answered by the share group's coordinator (the broker leading its
 * {@code __consumer_offsets} partition, as Kafka routes them; NOT_COORDINATOR elsewhere): DescribeShareGroupOffsets
 * reads each share partition's start offset through the {@link SharePersister}'s summary; AlterShareGroupOffsets
 * initializes the state again at the next state epoch with the new start offset, which fences the leader's in-flight
 * state (it reads the new state before it serves again); DeleteShareGroupOffsets deletes the state of every partition
 * of the named topics. Alter and delete are refused NON_EMPTY_GROUP while the group has members, as Kafka refuses
 * them: a member would go on with the state it has.
 *
 * <p>Lag (KIP-1226) is the partition's high watermark, as this broker's replica has it, less the start offset and the
 * offsets past it that are done with (the share coordinator's delivery complete count): the records the group has
 * still to deliver or finish. It is -1 (unknown, which Admin shows as such) when this broker holds no replica of the
 * partition or the state was never initialized. The leader epoch is not reported (the summary does not carry it).
 *
 * <p>Stateless apart from its collaborators; thread-safe.
 */
final class ShareOffsetsHandlers {

    private final RequestChannel requestChannel;
    private final GroupCoordinator groups;
    private final Controller controller;
    private final SharePersister persister;
    private final Predicate<String> shareGroupHasMembers;
    private final Function<String, Set<TopicPartition>> shareGroupPartitions;
    private final java.util.function.ToLongFunction<TopicPartition> highWatermarks;

    /**
     * @param shareGroupHasMembers whether a share group has members now
     * @param shareGroupPartitions the topic partitions a share group has state for or is subscribed to: what
     *                             DescribeShareGroupOffsets without topics describes
     */
    ShareOffsetsHandlers(RequestChannel requestChannel, GroupCoordinator groups, Controller controller,
                         SharePersister persister, Predicate<String> shareGroupHasMembers,
                         Function<String, Set<TopicPartition>> shareGroupPartitions,
                         java.util.function.ToLongFunction<TopicPartition> highWatermarks) {
        this.requestChannel = requestChannel;
        this.groups = groups;
        this.controller = controller;
        this.persister = persister;
        this.shareGroupHasMembers = shareGroupHasMembers;
        this.shareGroupPartitions = shareGroupPartitions;
        this.highWatermarks = highWatermarks;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, this::describe)
                .register(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, this::alter)
                .register(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, this::delete);
    }

    /** NONE if this broker coordinates the group, else INVALID_GROUP_ID or the error a client retries on. */
    private Errors groupError(String groupId) {
        return groupId == null || groupId.isEmpty() ? Errors.INVALID_GROUP_ID : groups.coordinatorError(groupId);
    }

    private static String message(Errors error) {
        return error == Errors.NONE ? null : error.message();
    }

    // ---------------------------------------------------------------------------------------------------- describe

    private void describe(Request request, AbstractRequest body) {
        DescribeShareGroupOffsetsRequestData data = ((DescribeShareGroupOffsetsRequest) body).data();
        DescribeShareGroupOffsetsResponseData response = new DescribeShareGroupOffsetsResponseData();
        List<CompletableFuture<?>> answers = new ArrayList<>();
        for (DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup group : data.groups()) {
            DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup answer =
                    new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup()
                            .setGroupId(group.groupId());
            response.groups().add(answer);
            Errors error = groupError(group.groupId());
            if (error != Errors.NONE) {
                answer.setErrorCode(error.code()).setErrorMessage(message(error));
                continue;
            }
            for (Map.Entry<String, List<Integer>> topic : requested(group).entrySet()) {
                answers.addAll(describeTopic(group.groupId(), topic.getKey(), topic.getValue(), answer));
            }
        }
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, failure) ->
                requestChannel.sendResponse(request, new DescribeShareGroupOffsetsResponse(response)));
    }

    /** The partitions to describe by topic name: those named, or all the group has (sorted, for a stable answer). */
    private Map<String, List<Integer>> requested(
            DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup group) {
        Map<String, List<Integer>> byTopic = new TreeMap<>();
        if (group.topics() == null) {
            for (TopicPartition tp : shareGroupPartitions.apply(group.groupId())) {
                byTopic.computeIfAbsent(tp.topic(), name -> new ArrayList<>()).add(tp.partition());
            }
            byTopic.values().forEach(partitions -> partitions.sort(Integer::compare));
        } else {
            for (DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic topic : group.topics()) {
                byTopic.computeIfAbsent(topic.topicName(), name -> new ArrayList<>()).addAll(topic.partitions());
            }
        }
        return byTopic;
    }

    private List<CompletableFuture<?>> describeTopic(
            String groupId, String name, List<Integer> partitions,
            DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup into) {
        TopicImage topic = controller.image().topic(name);
        DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseTopic answer =
                new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseTopic().setTopicName(name)
                        .setTopicId(topic == null ? Uuid.ZERO_UUID : topic.id());
        into.topics().add(answer);
        List<CompletableFuture<?>> answers = new ArrayList<>();
        for (int partition : partitions) {
            DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition result =
                    new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition()
                            .setPartitionIndex(partition).setStartOffset(-1).setLeaderEpoch(-1).setLag(-1);
            answer.partitions().add(result);
            if (topic == null || partition < 0 || partition >= topic.partitionCount()) {
                result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("No partition " + partition + " of topic " + name);
                continue;
            }
            answers.add(persister.readSummary(groupId, topic.id(), partition).thenAccept(summary -> {
                result.setErrorCode(summary.error().code()).setErrorMessage(message(summary.error()));
                if (summary.error() == Errors.NONE) {
                    result.setStartOffset(summary.startOffset());
                    result.setLag(lag(new TopicPartition(name, partition), summary));
                }
            }));
        }
        return answers;
    }

    /** The records still to deliver or finish, or -1 when unknown here. */
    private long lag(TopicPartition partition, SharePersister.Summary summary) {
        long highWatermark = highWatermarks.applyAsLong(partition);
        if (highWatermark < 0 || summary.startOffset() < 0 || summary.deliveryCompleteCount() < 0) {
            return -1;
        }
        return Math.max(0, highWatermark - summary.startOffset() - summary.deliveryCompleteCount());
    }

    // ---------------------------------------------------------------------------------------------------- alter

    private void alter(Request request, AbstractRequest body) {
        AlterShareGroupOffsetsRequestData data = ((AlterShareGroupOffsetsRequest) body).data();
        AlterShareGroupOffsetsResponseData response = new AlterShareGroupOffsetsResponseData();
        Errors error = groupError(data.groupId());
        String errorMessage = message(error);
        if (error == Errors.NONE && shareGroupHasMembers.test(data.groupId())) {
            error = Errors.NON_EMPTY_GROUP;
            errorMessage = "Share group " + data.groupId() + " has members; its offsets can be altered only while it"
                    + " has none: stop its consumers first";
        }
        List<CompletableFuture<?>> answers = new ArrayList<>();
        for (AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic requested : data.topics()) {
            TopicImage topic = controller.image().topic(requested.topicName());
            AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponseTopic answer =
                    new AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponseTopic()
                            .setTopicName(requested.topicName())
                            .setTopicId(topic == null ? Uuid.ZERO_UUID : topic.id());
            response.responses().add(answer);
            for (AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestPartition partition
                    : requested.partitions()) {
                AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponsePartition result =
                        new AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponsePartition()
                                .setPartitionIndex(partition.partitionIndex());
                answer.partitions().add(result);
                if (error != Errors.NONE) {
                    result.setErrorCode(error.code()).setErrorMessage(errorMessage);
                } else if (topic == null || partition.partitionIndex() < 0
                        || partition.partitionIndex() >= topic.partitionCount()) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()).setErrorMessage("No partition "
                            + partition.partitionIndex() + " of topic " + requested.topicName());
                } else if (partition.startOffset() < 0) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("Start offset "
                            + partition.startOffset() + " of " + requested.topicName() + "-"
                            + partition.partitionIndex() + " is negative");
                } else {
                    answers.add(reinitialize(data.groupId(), topic.id(), partition.partitionIndex(),
                            partition.startOffset()).thenAccept(outcome -> result.setErrorCode(outcome.code())
                            .setErrorMessage(message(outcome))));
                }
            }
        }
        response.setErrorCode(error.code()).setErrorMessage(errorMessage);
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, failure) ->
                requestChannel.sendResponse(request, new AlterShareGroupOffsetsResponse(response)));
    }

    /** Initializes the state again at the next state epoch, starting at {@code startOffset}. */
    private CompletableFuture<Errors> reinitialize(String groupId, Uuid topicId, int partition, long startOffset) {
        return persister.readSummary(groupId, topicId, partition).thenCompose(summary -> summary.error() != Errors.NONE
                ? CompletableFuture.completedFuture(summary.error())
                : persister.initialize(groupId, topicId, partition,
                        new SharePartitionState(summary.stateEpoch() + 1, startOffset, List.of())));
    }

    // ---------------------------------------------------------------------------------------------------- delete

    private void delete(Request request, AbstractRequest body) {
        DeleteShareGroupOffsetsRequestData data = ((DeleteShareGroupOffsetsRequest) body).data();
        DeleteShareGroupOffsetsResponseData response = new DeleteShareGroupOffsetsResponseData();
        Errors error = groupError(data.groupId());
        String errorMessage = message(error);
        if (error == Errors.NONE && shareGroupHasMembers.test(data.groupId())) {
            error = Errors.NON_EMPTY_GROUP;
            errorMessage = "Share group " + data.groupId() + " has members; its offsets can be deleted only while it"
                    + " has none: stop its consumers first";
        }
        response.setErrorCode(error.code()).setErrorMessage(errorMessage);
        if (error != Errors.NONE) {
            requestChannel.sendResponse(request, new DeleteShareGroupOffsetsResponse(response));
            return;
        }
        List<CompletableFuture<?>> answers = new ArrayList<>();
        for (DeleteShareGroupOffsetsRequestData.DeleteShareGroupOffsetsRequestTopic requested : data.topics()) {
            TopicImage topic = controller.image().topic(requested.topicName());
            DeleteShareGroupOffsetsResponseData.DeleteShareGroupOffsetsResponseTopic answer =
                    new DeleteShareGroupOffsetsResponseData.DeleteShareGroupOffsetsResponseTopic()
                            .setTopicName(requested.topicName())
                            .setTopicId(topic == null ? Uuid.ZERO_UUID : topic.id());
            response.responses().add(answer);
            if (topic == null) {
                answer.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("No topic " + requested.topicName());
                continue;
            }
            List<CompletableFuture<Errors>> partitions = new ArrayList<>();
            for (int partition = 0; partition < topic.partitionCount(); partition++) {
                partitions.add(persister.delete(data.groupId(), topic.id(), partition));
            }
            answers.add(CompletableFuture.allOf(partitions.toArray(new CompletableFuture<?>[0])).thenRun(() -> {
                Errors first = partitions.stream().map(CompletableFuture::join).filter(e -> e != Errors.NONE)
                        .findFirst().orElse(Errors.NONE);
                answer.setErrorCode(first.code()).setErrorMessage(message(first));
            }));
        }
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, failure) ->
                requestChannel.sendResponse(request, new DeleteShareGroupOffsetsResponse(response)));
    }
}

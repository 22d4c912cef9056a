package io.strata.broker.api;

import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.Controller.PartitionRef;
import io.strata.broker.metadata.Controller.PartitionResult;
import io.strata.broker.metadata.Controller.Reassignment;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsResponse;
import org.apache.kafka.common.requests.ElectLeadersRequest;
import org.apache.kafka.common.requests.ElectLeadersResponse;
import org.apache.kafka.common.requests.ListPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.ListPartitionReassignmentsResponse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The administrative APIs that move partitions between brokers: ElectLeaders (preferred or unclean leader election),
 * AlterPartitionReassignments (start, replace or cancel moving a partition's replicas) and ListPartitionReassignments
 * (the moves under way). Changes go through the {@link Controller}, so any broker may take them; the list is read from
 * this broker's metadata image. A controller that cannot be reached is answered with the request's own error response
 * (NOT_CONTROLLER), which clients retry.
 *
 * <p>Stateless apart from its collaborators; thread-safe.
 */
final class PartitionAdminHandlers {

    private final RequestChannel requestChannel;
    private final Controller controller;

    PartitionAdminHandlers(RequestChannel requestChannel, Controller controller) {
        this.requestChannel = requestChannel;
        this.controller = controller;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.ELECT_LEADERS, this::electLeaders)
                .register(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, this::alterPartitionReassignments)
                .register(ApiKeys.LIST_PARTITION_REASSIGNMENTS, this::listPartitionReassignments);
    }

    private void electLeaders(Request request, AbstractRequest body) {
        ElectLeadersRequest elect = (ElectLeadersRequest) body;
        ElectLeadersRequestData data = elect.data();
        List<PartitionRef> partitions = null;
        if (data.topicPartitions() != null) {
            partitions = new ArrayList<>();
            for (ElectLeadersRequestData.TopicPartitions topic : data.topicPartitions()) {
                for (int partition : topic.partitions()) {
                    partitions.add(new PartitionRef(topic.topic(), partition));
                }
            }
        }
        ElectionType type;
        try {
            type = elect.electionType();
        } catch (IllegalArgumentException e) {
            requestChannel.sendResponse(request, body.getErrorResponse(
                    new InvalidRequestException("Unknown election type "
                            + data.electionType() + "; 0 is PREFERRED, 1 is UNCLEAN")));
            return;
        }
        List<PartitionResult> results;
        try {
            results = controller.electLeaders(type, partitions);
        } catch (ApiException e) {
            requestChannel.sendResponse(request, body.getErrorResponse(e));
            return;
        }
        Map<String, ReplicaElectionResult> byTopic = new LinkedHashMap<>();
        for (PartitionResult result : results) {
            byTopic.computeIfAbsent(result.topic(), topic -> new ReplicaElectionResult().setTopic(topic))
                    .partitionResult().add(new ElectLeadersResponseData.PartitionResult()
                            .setPartitionId(result.partition())
                            .setErrorCode(result.error().error().code())
                            .setErrorMessage(result.error().error() == Errors.NONE ? null : result.error().message()));
        }
        requestChannel.sendResponse(request, new ElectLeadersResponse(0, Errors.NONE.code(),
                new ArrayList<>(byTopic.values()), request.context().apiVersion()));
    }

    private void alterPartitionReassignments(Request request, AbstractRequest body) {
        AlterPartitionReassignmentsRequestData data = ((AlterPartitionReassignmentsRequest) body).data();
        List<Reassignment> reassignments = new ArrayList<>();
        for (AlterPartitionReassignmentsRequestData.ReassignableTopic topic : data.topics()) {
            for (AlterPartitionReassignmentsRequestData.ReassignablePartition partition : topic.partitions()) {
                reassignments.add(new Reassignment(topic.name(), partition.partitionIndex(), partition.replicas()));
            }
        }
        List<PartitionResult> results;
        try {
            results = controller.alterPartitionReassignments(reassignments, data.allowReplicationFactorChange());
        } catch (ApiException e) {
            requestChannel.sendResponse(request, body.getErrorResponse(e));
            return;
        }
        Map<String, ReassignableTopicResponse> byTopic = new LinkedHashMap<>();
        for (PartitionResult result : results) {
            byTopic.computeIfAbsent(result.topic(), topic -> new ReassignableTopicResponse().setName(topic))
                    .partitions().add(new ReassignablePartitionResponse()
                            .setPartitionIndex(result.partition())
                            .setErrorCode(result.error().error().code())
                            .setErrorMessage(result.error().error() == Errors.NONE ? null : result.error().message()));
        }
        requestChannel.sendResponse(request, new AlterPartitionReassignmentsResponse(
                new AlterPartitionReassignmentsResponseData()
                        .setErrorMessage(null)
                        .setAllowReplicationFactorChange(data.allowReplicationFactorChange())
                        .setResponses(new ArrayList<>(byTopic.values()))));
    }

    /** The reassignments under way, of the partitions asked for (unknown ones are left out, as Kafka does) or all. */
    private void listPartitionReassignments(Request request, AbstractRequest body) {
        ListPartitionReassignmentsRequestData data = ((ListPartitionReassignmentsRequest) body).data();
        ListPartitionReassignmentsResponseData response = new ListPartitionReassignmentsResponseData()
                .setErrorMessage(null);
        if (data.topics() == null) {
            for (TopicImage topic : controller.image().topicsByName().values()) {
                List<Integer> all = new ArrayList<>();
                for (int p = 0; p < topic.partitionCount(); p++) {
                    all.add(p);
                }
                addOngoing(response, topic, all);
            }
        } else {
            for (ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics wanted : data.topics()) {
                TopicImage topic = controller.image().topic(wanted.name());
                if (topic != null) {
                    addOngoing(response, topic, wanted.partitionIndexes());
                }
            }
        }
        requestChannel.sendResponse(request, new ListPartitionReassignmentsResponse(response));
    }

    private static void addOngoing(ListPartitionReassignmentsResponseData response, TopicImage topic,
                                   List<Integer> partitions) {
        OngoingTopicReassignment ongoing = new OngoingTopicReassignment().setName(topic.name());
        for (int p : partitions) {
            PartitionAssignment assignment = topic.partition(p);
            if (assignment != null && assignment.isReassigning()) {
                ongoing.partitions().add(new OngoingPartitionReassignment()
                        .setPartitionIndex(p)
                        .setReplicas(new ArrayList<>(assignment.replicas()))
                        .setAddingReplicas(new ArrayList<>(assignment.addingReplicas()))
                        .setRemovingReplicas(new ArrayList<>(assignment.removingReplicas())));
            }
        }
        if (!ongoing.partitions().isEmpty()) {
            response.topics().add(ongoing);
        }
    }
}

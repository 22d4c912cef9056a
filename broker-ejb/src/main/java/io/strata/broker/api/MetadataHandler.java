package io.strata.broker.api;

import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.ClusterMembership;
import io.strata.broker.config.Endpoint;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.NewTopic;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.metadata.TopicResult;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBrokerCollection;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopicCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Metadata: the live brokers (as advertised on the listener the client came on), the controller, and the topics
 * asked for with their ids, partitions, leaders, leader epochs, replicas and in-sync replicas. Topics asked for that
 * do not exist are created first when the client allows it and {@code auto.create.topics.enable} is on.
 */
final class MetadataHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ClusterMembership membership;
    private final boolean autoCreateTopics;

    MetadataHandler(RequestChannel requestChannel, Controller controller, ClusterMembership membership,
                    boolean autoCreateTopics) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.membership = membership;
        this.autoCreateTopics = autoCreateTopics;
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        MetadataRequestData data = ((MetadataRequest) body).data();
        short version = request.context().apiVersion();
        String listener = request.context().listenerName();
        MetadataImage image = controller.image();
        MetadataResponseTopicCollection topics = new MetadataResponseTopicCollection();
        if (data.topics() == null) {
            for (TopicImage topic : image.topicsByName().values()) {
                topics.add(describe(topic, image));
            }
        } else {
            List<NewTopic> toCreate = new ArrayList<>();
            for (MetadataRequestData.MetadataRequestTopic wanted : data.topics()) {
                if (wanted.topicId() != null && !Uuid.ZERO_UUID.equals(wanted.topicId())) {
                    TopicImage topic = image.topic(wanted.topicId());
                    topics.add(topic != null ? describe(topic, image)
                            : new MetadataResponseTopic().setTopicId(wanted.topicId())
                                    .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                    continue;
                }
                String name = wanted.name();
                TopicImage topic = image.topic(name);
                if (topic != null) {
                    topics.add(describe(topic, image));
                } else if (!Topic.isValid(name)) {
                    topics.add(new MetadataResponseTopic().setName(name)
                            .setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code()));
                } else if (data.allowAutoTopicCreation() && autoCreateTopics && !Topic.isInternal(name)) {
                    toCreate.add(NewTopic.of(name, -1, (short) -1));
                } else {
                    topics.add(new MetadataResponseTopic().setName(name)
                            .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
                }
            }
            if (!toCreate.isEmpty()) {
                for (TopicResult created : controller.createTopics(toCreate, false)) {
                    TopicImage topic = controller.image().topic(created.name());
                    if (topic != null) {
                        topics.add(describe(topic, controller.image()));
                    } else {
                        Errors error = created.error().error() == Errors.TOPIC_ALREADY_EXISTS
                                ? Errors.LEADER_NOT_AVAILABLE : created.error().error();
                        topics.add(new MetadataResponseTopic().setName(created.name()).setErrorCode(error.code()));
                    }
                }
            }
        }
        MetadataResponseData response = new MetadataResponseData()
                .setBrokers(brokers(membership.brokersForClients(), listener))
                .setClusterId(image.clusterId())
                .setControllerId(membership.controllerId())
                .setTopics(topics);
        requestChannel.sendResponse(request, new MetadataResponse(response, version));
    }

    static MetadataResponseBrokerCollection brokers(List<BrokerInfo> live, String listener) {
        MetadataResponseBrokerCollection brokers = new MetadataResponseBrokerCollection();
        for (BrokerInfo broker : live) {
            Endpoint endpoint = broker.endpoint(listener);
            if (endpoint != null) {
                brokers.add(new MetadataResponseBroker().setNodeId(broker.id()).setHost(endpoint.host())
                        .setPort(endpoint.port()).setRack(broker.rack()));
            }
        }
        return brokers;
    }

    private MetadataResponseTopic describe(TopicImage topic, MetadataImage image) {
        Set<Integer> live = membership.liveBrokers().stream().map(BrokerInfo::id).collect(Collectors.toSet());
        List<MetadataResponsePartition> partitions = new ArrayList<>(topic.partitionCount());
        for (int p = 0; p < topic.partitionCount(); p++) {
            PartitionAssignment assignment = topic.partitions().get(p);
            boolean leaderAlive = live.contains(assignment.leader());
            partitions.add(new MetadataResponsePartition()
                    .setPartitionIndex(p)
                    .setErrorCode(leaderAlive ? Errors.NONE.code() : Errors.LEADER_NOT_AVAILABLE.code())
                    .setLeaderId(leaderAlive ? assignment.leader() : -1)
                    .setLeaderEpoch(assignment.leaderEpoch())
                    .setReplicaNodes(assignment.replicas())
                    .setIsrNodes(assignment.isr())
                    .setOfflineReplicas(assignment.replicas().stream().filter(r -> !live.contains(r)).toList()));
        }
        return new MetadataResponseTopic()
                .setName(topic.name())
                .setTopicId(topic.id())
                .setIsInternal(topic.internal())
                .setPartitions(partitions);
    }

}

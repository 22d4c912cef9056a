package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.GroupConfigs;
import io.strata.broker.metadata.ClusterController;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.Controller.NewPartitions;
import io.strata.broker.metadata.Controller.TopicRef;
import io.strata.broker.metadata.NewTopic;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.metadata.TopicResult;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.config.LogConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The administrative APIs: CreateTopics, DeleteTopics, CreatePartitions and DeleteRecords change topics through the
 * {@link Controller}; DescribeConfigs, AlterConfigs and IncrementalAlterConfigs read and change topic settings (broker
 * settings are static: they are described, and changing them is refused with a message saying so), and
 * DescribeConfigs and IncrementalAlterConfigs a group's dynamic group configs ({@code share.*}, {@code consumer.*}). One broker
 * "setting" is an action instead: {@value #CP_RESET_CONFIG}, the request of {@code strata cluster cp-reset}.
 */
final class AdminHandlers {

    /** The BROKER setting whose SET asks for a CP Subsystem reset: see {@link #resetCpSubsystem}. */
    static final String CP_RESET_CONFIG = "strata.cluster.cp.reset";

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ReplicaManager replicas;
    private final ConfigDescriber describer;
    private final int nodeId;
    private final BrokerConfig config;

    AdminHandlers(RequestChannel requestChannel, Controller controller, ReplicaManager replicas, BrokerConfig config) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.replicas = replicas;
        this.describer = new ConfigDescriber(config);
        this.nodeId = config.nodeId;
        this.config = config;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.CREATE_TOPICS, this::createTopics)
                .register(ApiKeys.DELETE_TOPICS, this::deleteTopics)
                .register(ApiKeys.CREATE_PARTITIONS, this::createPartitions)
                .register(ApiKeys.DELETE_RECORDS, this::deleteRecords)
                .register(ApiKeys.DESCRIBE_CONFIGS, this::describeConfigs)
                .register(ApiKeys.ALTER_CONFIGS, this::alterConfigs)
                .register(ApiKeys.INCREMENTAL_ALTER_CONFIGS, this::incrementalAlterConfigs);
    }

    // ---------------------------------------------------------------------------------------------------- topics

    private void createTopics(Request request, AbstractRequest body) {
        CreateTopicsRequestData data = ((CreateTopicsRequest) body).data();
        short version = request.context().apiVersion();
        List<NewTopic> topics = new ArrayList<>();
        for (CreateTopicsRequestData.CreatableTopic topic : data.topics()) {
            Map<Integer, List<Integer>> assignments = new TreeMap<>();
            for (CreateTopicsRequestData.CreatableReplicaAssignment assignment : topic.assignments()) {
                assignments.put(assignment.partitionIndex(), assignment.brokerIds());
            }
            Map<String, String> configs = new TreeMap<>();
            for (CreateTopicsRequestData.CreatableTopicConfig config : topic.configs()) {
                configs.put(config.name(), config.value());
            }
            topics.add(new NewTopic(topic.name(), topic.numPartitions(), topic.replicationFactor(), assignments,
                    configs));
        }
        CreateTopicsResponseData response = new CreateTopicsResponseData();
        for (TopicResult result : controller.createTopics(topics, data.validateOnly())) {
            CreateTopicsResponseData.CreatableTopicResult topicResult = new CreateTopicsResponseData.CreatableTopicResult()
                    .setName(result.name())
                    .setErrorCode(result.error().error().code())
                    .setErrorMessage(result.error().message())
                    .setNumPartitions(-1)
                    .setReplicationFactor((short) -1)
                    .setTopicId(result.topicId());
            if (result.isSuccess()) {
                TopicImage topic = result.topic();
                topicResult.setNumPartitions(topic.partitionCount())
                        .setReplicationFactor((short) topic.partitions().get(0).replicas().size())
                        .setErrorMessage(null);
                if (version >= 5) {
                    for (DescribeConfigsResponseData.DescribeConfigsResourceResult config
                            : describer.describeTopic(topic.configs(), null, false, false)) {
                        topicResult.configs().add(new CreateTopicsResponseData.CreatableTopicConfigs()
                                .setName(config.name()).setValue(config.value()).setReadOnly(config.readOnly())
                                .setConfigSource(config.configSource()).setIsSensitive(config.isSensitive()));
                    }
                }
            }
            response.topics().add(topicResult);
        }
        requestChannel.sendResponse(request, new CreateTopicsResponse(response));
    }

    private void deleteTopics(Request request, AbstractRequest body) {
        DeleteTopicsRequest delete = (DeleteTopicsRequest) body;
        List<TopicRef> refs = new ArrayList<>();
        for (DeleteTopicsRequestData.DeleteTopicState topic : delete.topics()) {
            boolean byId = topic.name() == null && topic.topicId() != null && !Uuid.ZERO_UUID.equals(topic.topicId());
            refs.add(new TopicRef(byId ? null : topic.name(), byId ? topic.topicId() : null));
        }
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        for (TopicResult result : controller.deleteTopics(refs)) {
            response.responses().add(new DeleteTopicsResponseData.DeletableTopicResult()
                    .setName(result.name())
                    .setTopicId(result.topicId() == null ? Uuid.ZERO_UUID : result.topicId())
                    .setErrorCode(result.error().error().code())
                    .setErrorMessage(result.error().message()));
        }
        requestChannel.sendResponse(request, new DeleteTopicsResponse(response));
    }

    private void createPartitions(Request request, AbstractRequest body) {
        CreatePartitionsRequestData data = ((CreatePartitionsRequest) body).data();
        List<NewPartitions> requests = new ArrayList<>();
        for (CreatePartitionsRequestData.CreatePartitionsTopic topic : data.topics()) {
            List<List<Integer>> assignments = null;
            if (topic.assignments() != null) {
                assignments = new ArrayList<>();
                for (CreatePartitionsRequestData.CreatePartitionsAssignment assignment : topic.assignments()) {
                    assignments.add(assignment.brokerIds());
                }
            }
            requests.add(new NewPartitions(topic.name(), topic.count(), assignments));
        }
        CreatePartitionsResponseData response = new CreatePartitionsResponseData();
        for (TopicResult result : controller.createPartitions(requests, data.validateOnly())) {
            response.results().add(new CreatePartitionsResponseData.CreatePartitionsTopicResult()
                    .setName(result.name())
                    .setErrorCode(result.error().error().code())
                    .setErrorMessage(result.error().message()));
        }
        requestChannel.sendResponse(request, new CreatePartitionsResponse(response));
    }

    /** DeleteRecords: moves a partition's log start offset up to the given offset (-1: the high watermark). */
    private void deleteRecords(Request request, AbstractRequest body) {
        DeleteRecordsRequestData data = ((DeleteRecordsRequest) body).data();
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        for (DeleteRecordsRequestData.DeleteRecordsTopic topic : data.topics()) {
            DeleteRecordsResponseData.DeleteRecordsTopicResult topicResult =
                    new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(topic.name());
            for (DeleteRecordsRequestData.DeleteRecordsPartition wanted : topic.partitions()) {
                topicResult.partitions().add(deleteRecords(topic.name(), wanted));
            }
            response.topics().add(topicResult);
        }
        requestChannel.sendResponse(request, new DeleteRecordsResponse(response));
    }

    private DeleteRecordsResponseData.DeleteRecordsPartitionResult deleteRecords(
            String topicName, DeleteRecordsRequestData.DeleteRecordsPartition wanted) {
        DeleteRecordsResponseData.DeleteRecordsPartitionResult result =
                new DeleteRecordsResponseData.DeleteRecordsPartitionResult()
                        .setPartitionIndex(wanted.partitionIndex()).setLowWatermark(-1);
        TopicImage topic = controller.image().topic(topicName);
        if (topic == null || topic.partition(wanted.partitionIndex()) == null) {
            return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        if (topic.internal()) {
            return result.setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
        }
        Partition partition = replicas.partition(new TopicPartition(topicName, wanted.partitionIndex()));
        if (partition == null || !partition.isLeader()) {
            return result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
        }
        long highWatermark = partition.highWatermark();
        long offset = wanted.offset() == -1 ? highWatermark : wanted.offset();
        if (offset < 0 || offset > highWatermark) {
            return result.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
        }
        try {
            return result.setLowWatermark(partition.log().deleteRecordsBefore(offset))
                    .setErrorCode(Errors.NONE.code());
        } catch (ApiException e) {
            return result.setErrorCode(Errors.forException(e).code());
        }
    }

    // ---------------------------------------------------------------------------------------------------- configs

    private void describeConfigs(Request request, AbstractRequest body) {
        DescribeConfigsRequestData data = ((DescribeConfigsRequest) body).data();
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsRequestData.DescribeConfigsResource resource : data.resources()) {
            DescribeConfigsResponseData.DescribeConfigsResult result = new DescribeConfigsResponseData.DescribeConfigsResult()
                    .setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName());
            ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
            if (type == ConfigResource.Type.TOPIC) {
                TopicImage topic = controller.image().topic(resource.resourceName());
                if (topic == null) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("Topic " + resource.resourceName() + " does not exist");
                } else {
                    result.setConfigs(describer.describeTopic(topic.configs(), resource.configurationKeys(),
                            data.includeSynonyms(), data.includeDocumentation()));
                }
            } else if (type == ConfigResource.Type.BROKER) {
                if (!resource.resourceName().isEmpty() && !resource.resourceName().equals(String.valueOf(nodeId))) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code())
                            .setErrorMessage("This is broker " + nodeId + ", not " + resource.resourceName());
                } else {
                    result.setConfigs(describer.describeBroker(resource.configurationKeys(), data.includeSynonyms(),
                            data.includeDocumentation()));
                }
            } else if (type == ConfigResource.Type.GROUP) {
                result.setConfigs(describer.describeGroup(controller.image().groupConfigs(resource.resourceName()),
                        resource.configurationKeys(), data.includeSynonyms(), data.includeDocumentation()));
            } else {
                result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Strata describes TOPIC, BROKER and GROUP resources, not " + type);
            }
            response.results().add(result);
        }
        requestChannel.sendResponse(request, new DescribeConfigsResponse(response));
    }

    /** AlterConfigs (the older API): replaces every override of a topic with the given settings. */
    private void alterConfigs(Request request, AbstractRequest body) {
        AlterConfigsRequestData data = ((AlterConfigsRequest) body).data();
        AlterConfigsResponseData response = new AlterConfigsResponseData();
        for (AlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
            Map<String, String> overrides = new TreeMap<>();
            for (AlterConfigsRequestData.AlterableConfig config : resource.configs()) {
                overrides.put(config.name(), config.value());
            }
            ApiError error = alter(resource.resourceType(), resource.resourceName(), topic -> overrides,
                    data.validateOnly());
            response.responses().add(new AlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName())
                    .setErrorCode(error.error().code()).setErrorMessage(error.message()));
        }
        requestChannel.sendResponse(request, new AlterConfigsResponse(response));
    }

    /** IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on single topic settings. */
    private void incrementalAlterConfigs(Request request, AbstractRequest body) {
        IncrementalAlterConfigsRequestData data = ((IncrementalAlterConfigsRequest) body).data();
        if (asksForCpReset(data)) {
            resetCpSubsystem(request, data);
            return;
        }
        IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
            ApiError error = resource.resourceType() == ConfigResource.Type.GROUP.id()
                    ? alterGroup(resource.resourceName(), resource.configs(), data.validateOnly())
                    : alter(resource.resourceType(), resource.resourceName(),
                    topic -> applyOperations(topic.configs(), resource.configs()), data.validateOnly());
            response.responses().add(new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName())
                    .setErrorCode(error.error().code()).setErrorMessage(error.message()));
        }
        requestChannel.sendResponse(request, new IncrementalAlterConfigsResponse(response));
    }

    /**
     * Whether the request sets {@value #CP_RESET_CONFIG} on a BROKER resource: {@code strata cluster cp-reset}, which
     * speaks only the Kafka protocol, asks for a CP Subsystem reset that way (as Kafka's tools change cluster-wide
     * broker settings through the BROKER resource).
     */
    private static boolean asksForCpReset(IncrementalAlterConfigsRequestData data) {
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
            if (resource.resourceType() == ConfigResource.Type.BROKER.id()) {
                for (IncrementalAlterConfigsRequestData.AlterableConfig config : resource.configs()) {
                    if (config.name().equals(CP_RESET_CONFIG)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Resets the CP Subsystem that elects the controller, or with {@code validateOnly} checks that there is one; the
     * answer is sent once the reset is done (up to a minute), from the thread that waited for it, not a request
     * thread. Only this one setting, alone in the request, is accepted, so that it never rides along with others.
     */
    private void resetCpSubsystem(Request request, IncrementalAlterConfigsRequestData data) {
        IncrementalAlterConfigsRequestData.AlterConfigsResource resource = data.resources().iterator().next();
        CompletableFuture<String> reset;
        if (data.resources().size() != 1 || resource.configs().size() != 1
                || resource.configs().iterator().next().configOperation() != AlterConfigOp.OpType.SET.id()
                || !"true".equals(resource.configs().iterator().next().value())) {
            reset = CompletableFuture.failedFuture(new IllegalArgumentException(
                    CP_RESET_CONFIG + " is an action, not a setting: SET it to true alone, on one BROKER resource"));
        } else if (controller instanceof ClusterController cluster) {
            reset = cluster.resetCpSubsystem(data.validateOnly());
        } else {
            reset = CompletableFuture.failedFuture(new IllegalStateException(
                    "This broker is not in a cluster: it has no controller quorum to reset"));
        }
        reset.whenComplete((done, error) -> {
            IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
            ApiError result = error == null ? ApiError.NONE : new ApiError(Errors.INVALID_REQUEST,
                    (error.getCause() != null && error instanceof CompletionException
                            ? error.getCause() : error).getMessage());
            for (IncrementalAlterConfigsRequestData.AlterConfigsResource each : data.resources()) {
                response.responses().add(new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                        .setResourceType(each.resourceType()).setResourceName(each.resourceName())
                        .setErrorCode(result.error().code()).setErrorMessage(result.message()));
            }
            requestChannel.sendResponse(request, new IncrementalAlterConfigsResponse(response));
        });
    }

    private ApiError alter(byte resourceType, String name, java.util.function.Function<TopicImage,
            Map<String, String>> newOverrides, boolean validateOnly) {
        ConfigResource.Type type = ConfigResource.Type.forId(resourceType);
        if (type == ConfigResource.Type.BROKER) {
            return new ApiError(Errors.INVALID_REQUEST, "Broker settings are static in Strata: change them in the"
                    + " broker's configuration and restart it");
        }
        if (type != ConfigResource.Type.TOPIC) {
            return new ApiError(Errors.INVALID_REQUEST, "Strata alters TOPIC resources, not " + type);
        }
        TopicImage topic = controller.image().topic(name);
        if (topic == null) {
            return new ApiError(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic " + name + " does not exist");
        }
        Map<String, String> overrides;
        try {
            overrides = newOverrides.apply(topic);
        } catch (IllegalArgumentException e) {
            return new ApiError(Errors.INVALID_CONFIG, e.getMessage());
        }
        return controller.alterTopicConfigs(name, overrides, validateOnly);
    }

    /**
     * IncrementalAlterConfigs on a GROUP resource: SET and DELETE of group configs ({@code share.*},
     * {@code consumer.*}), validated against this broker's {@code group.share.*} and {@code group.consumer.*} bounds (INVALID_CONFIG naming the setting), then stored in the cluster metadata
     * where every broker reads them. A group need not exist yet: its configs wait for it, as Kafka's do.
     */
    private ApiError alterGroup(String groupId, IncrementalAlterConfigsRequestData.AlterableConfigCollection operations,
                                boolean validateOnly) {
        if (groupId == null || groupId.isEmpty()) {
            return new ApiError(Errors.INVALID_GROUP_ID, "A GROUP resource needs a group id");
        }
        Map<String, String> result = new TreeMap<>(controller.image().groupConfigs(groupId));
        for (IncrementalAlterConfigsRequestData.AlterableConfig operation : operations) {
            AlterConfigOp.OpType op = AlterConfigOp.OpType.forId(operation.configOperation());
            if (!GroupConfigs.NAMES.contains(operation.name())) {
                return new ApiError(Errors.INVALID_CONFIG, "Unknown group config name: " + operation.name()
                        + ". Groups accept " + String.join(", ", new java.util.TreeSet<>(GroupConfigs.NAMES)) + ".");
            }
            if (op == AlterConfigOp.OpType.SET) {
                result.put(operation.name(), operation.value());
            } else if (op == AlterConfigOp.OpType.DELETE) {
                result.remove(operation.name());
            } else {
                return new ApiError(Errors.INVALID_CONFIG, "Group config " + operation.name() + " takes SET or"
                        + " DELETE, not " + op + ": group configs are not lists");
            }
        }
        try {
            GroupConfigs.validate(config, result);
        } catch (InvalidConfigurationException e) {
            return new ApiError(Errors.INVALID_CONFIG, e.getMessage());
        }
        return controller.alterGroupConfigs(groupId, result, validateOnly);
    }

    private static Map<String, String> applyOperations(Map<String, String> current,
            IncrementalAlterConfigsRequestData.AlterableConfigCollection operations) {
        Map<String, String> result = new LinkedHashMap<>(current);
        for (IncrementalAlterConfigsRequestData.AlterableConfig operation : operations) {
            String name = operation.name();
            ConfigDef.ConfigKey key = LogConfig.definition().configKeys().get(name);
            if (key == null) {
                throw new IllegalArgumentException("Unknown topic config name: " + name);
            }
            AlterConfigOp.OpType op = AlterConfigOp.OpType.forId(operation.configOperation());
            if (op == null) {
                throw new IllegalArgumentException("Unknown config operation " + operation.configOperation());
            }
            switch (op) {
                case SET -> result.put(name, operation.value());
                case DELETE -> result.remove(name);
                case APPEND, SUBTRACT -> {
                    if (key.type != ConfigDef.Type.LIST) {
                        throw new IllegalArgumentException(op + " applies to list settings; " + name + " is "
                                + key.type);
                    }
                    List<String> values = new ArrayList<>();
                    String base = result.containsKey(name) ? result.get(name)
                            : key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : "";
                    for (String value : base.split(",")) {
                        if (!value.isBlank()) {
                            values.add(value.trim());
                        }
                    }
                    for (String value : operation.value() == null ? new String[0] : operation.value().split(",")) {
                        String item = value.trim();
                        if (op == AlterConfigOp.OpType.APPEND && !values.contains(item)) {
                            values.add(item);
                        } else if (op == AlterConfigOp.OpType.SUBTRACT) {
                            values.remove(item);
                        }
                    }
                    result.put(name, String.join(",", values));
                }
            }
        }
        return result;
    }
}

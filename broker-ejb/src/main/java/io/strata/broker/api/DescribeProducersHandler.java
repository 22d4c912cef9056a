package io.strata.broker.api;

import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.producer.ProducerStateManager.ActiveProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.DescribeProducersResponseData.TopicResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.kafka.common.requests.DescribeProducersResponse;

import java.util.ArrayList;
import java.util.List;

/**
 * DescribeProducers (KIP-664, what {@code kafka-transactions.sh describe-producers} and {@code find-hanging} ask):
 * for each partition, the producers its replica here keeps state for, with each one's epoch, last sequence, last
 * timestamp, coordinator epoch and the first offset of its open transaction (-1 if none). As in Kafka, any replica
 * answers from its own producer state, the leader's or a follower's (the admin client asks the leader unless told a
 * broker); a partition this broker holds no replica of is answered NOT_LEADER_OR_FOLLOWER, an unknown one
 * UNKNOWN_TOPIC_OR_PARTITION.
 */
final class DescribeProducersHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ReplicaManager replicas;

    DescribeProducersHandler(RequestChannel requestChannel, Controller controller, ReplicaManager replicas) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        DescribeProducersRequestData data = ((DescribeProducersRequest) body).data();
        DescribeProducersResponseData response = new DescribeProducersResponseData();
        for (DescribeProducersRequestData.TopicRequest topic : data.topics()) {
            TopicResponse result = new TopicResponse().setName(topic.name());
            for (int partition : topic.partitionIndexes()) {
                result.partitions().add(describe(topic.name(), partition));
            }
            response.topics().add(result);
        }
        requestChannel.sendResponse(request, new DescribeProducersResponse(response));
    }

    private PartitionResponse describe(String topicName, int partitionIndex) {
        PartitionResponse out = new PartitionResponse().setPartitionIndex(partitionIndex);
        TopicImage topic = controller.image().topic(topicName);
        if (topic == null || topic.partition(partitionIndex) == null) {
            return out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                    .setErrorMessage("This broker knows no partition " + partitionIndex + " of topic " + topicName);
        }
        Partition partition = replicas.partition(new TopicPartition(topicName, partitionIndex));
        if (partition == null) {
            return out.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code())
                    .setErrorMessage("This broker holds no replica of " + topicName + "-" + partitionIndex
                            + "; ask its leader");
        }
        List<ProducerState> producers = new ArrayList<>();
        for (ActiveProducer producer : partition.activeProducers()) {
            producers.add(new ProducerState().setProducerId(producer.producerId())
                    .setProducerEpoch(producer.epoch())
                    .setLastSequence(producer.lastSequence())
                    .setLastTimestamp(producer.lastTimestampMs())
                    .setCoordinatorEpoch(producer.coordinatorEpoch())
                    .setCurrentTxnStartOffset(producer.currentTransactionStartOffset()));
        }
        return out.setErrorCode(Errors.NONE.code()).setActiveProducers(producers);
    }
}

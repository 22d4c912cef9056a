package io.strata.broker.api;

import io.strata.broker.metadata.Controller;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.log.LeaderEpochCache;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;

import java.util.Optional;

/**
 * OffsetForLeaderEpoch: for each partition, the largest leader epoch at or below the one asked for and the offset
 * where it ended (the start of the next epoch, or the log end for the current one), from the leader's epoch cache.
 * A consumer asks after a leader change, to learn whether the log it read was truncated past its position; a
 * follower could ask to find where its log diverged from the leader's (Strata's followers learn it from Fetch).
 */
final class OffsetForLeaderEpochHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ReplicaManager replicas;

    OffsetForLeaderEpochHandler(RequestChannel requestChannel, Controller controller, ReplicaManager replicas) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        OffsetForLeaderEpochRequestData data = ((OffsetsForLeaderEpochRequest) body).data();
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        for (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic topic : data.topics()) {
            OffsetForLeaderTopicResult result = new OffsetForLeaderTopicResult().setTopic(topic.topic());
            for (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition wanted : topic.partitions()) {
                result.partitions().add(lookUp(topic.topic(), wanted));
            }
            response.topics().add(result);
        }
        requestChannel.sendResponse(request, new OffsetsForLeaderEpochResponse(response));
    }

    private EpochEndOffset lookUp(String topic, OffsetForLeaderEpochRequestData.OffsetForLeaderPartition wanted) {
        EpochEndOffset out = new EpochEndOffset().setPartition(wanted.partition())
                .setLeaderEpoch(OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH)
                .setEndOffset(OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH_OFFSET);
        if (controller.image().topic(topic) == null || controller.image().topic(topic).partition(wanted.partition())
                == null) {
            return out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        Partition partition = replicas.partition(new TopicPartition(topic, wanted.partition()));
        if (partition == null || !partition.isLeader()) {
            return out.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
        }
        try {
            partition.checkLeaderEpoch(Optional.of(wanted.currentLeaderEpoch()));
        } catch (ApiException e) {
            return out.setErrorCode(Errors.forException(e).code());
        }
        LeaderEpochCache.EpochEndOffset end = partition.leaderEpochCache().endOffsetFor(wanted.leaderEpoch(),
                partition.log().logEndOffset());
        return out.setErrorCode(Errors.NONE.code()).setLeaderEpoch(end.epoch()).setEndOffset(end.endOffset());
    }
}

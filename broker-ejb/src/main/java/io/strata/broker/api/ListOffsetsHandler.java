package io.strata.broker.api;

import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.batch.RecordReader.OffsetAndTimestamp;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * ListOffsets: the earliest offset (-2, and -4 for the earliest local one), the latest (-1: the high watermark, below
 * which consumers read, or the last stable offset for {@code READ_COMMITTED}), the offset of the largest timestamp
 * (-3), none for the tiered-storage sentinels (-5, -6: nothing is tiered), or the first offset whose record is at or
 * after a timestamp, which is what a consumer's {@code offsetsForTimes} asks.
 */
final class ListOffsetsHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ReplicaManager replicas;

    ListOffsetsHandler(RequestChannel requestChannel, Controller controller, ReplicaManager replicas) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        ListOffsetsRequest listOffsets = (ListOffsetsRequest) body;
        ListOffsetsRequestData data = listOffsets.data();
        boolean readCommitted = listOffsets.isolationLevel() == IsolationLevel.READ_COMMITTED;
        boolean withEpoch = request.context().apiVersion() >= 4;
        List<ListOffsetsTopicResponse> topics = new ArrayList<>();
        for (ListOffsetsRequestData.ListOffsetsTopic topic : data.topics()) {
            ListOffsetsTopicResponse topicResponse = new ListOffsetsTopicResponse().setName(topic.name());
            for (ListOffsetsRequestData.ListOffsetsPartition wanted : topic.partitions()) {
                ListOffsetsPartitionResponse partition = lookUp(topic.name(), wanted, readCommitted);
                if (!withEpoch) {
                    // Versions before 4 have no leader epoch: a value there cannot be written.
                    partition.setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
                }
                topicResponse.partitions().add(partition);
            }
            topics.add(topicResponse);
        }
        requestChannel.sendResponse(request, new ListOffsetsResponse(new ListOffsetsResponseData().setTopics(topics)));
    }

    private ListOffsetsPartitionResponse lookUp(String topicName, ListOffsetsRequestData.ListOffsetsPartition wanted,
                                                boolean readCommitted) {
        ListOffsetsPartitionResponse response = new ListOffsetsPartitionResponse()
                .setPartitionIndex(wanted.partitionIndex())
                .setTimestamp(RecordBatch.NO_TIMESTAMP)
                .setOffset(-1)
                .setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
        TopicImage topic = controller.image().topic(topicName);
        if (topic == null || topic.partition(wanted.partitionIndex()) == null) {
            return response.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        Partition partition = replicas.partition(new TopicPartition(topicName, wanted.partitionIndex()));
        if (partition == null || !partition.isLeader()) {
            return response.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
        }
        try {
            partition.checkLeaderEpoch(Optional.of(wanted.currentLeaderEpoch()));
            // What a consumer of this isolation level may read up to, as Kafka's "last fetchable offset".
            long highWatermark = readCommitted ? partition.lastStableOffset() : partition.highWatermark();
            long timestamp = wanted.timestamp();
            response.setLeaderEpoch(partition.leaderEpoch());
            if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
                    || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
                return response.setOffset(partition.log().logStartOffset());
            }
            // Nothing is tiered: no offset is in remote storage (-5) or waiting to be copied there (-6).
            if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP
                    || timestamp == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP
                    || timestamp == ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP) {
                return response.setOffset(timestamp == ListOffsetsRequest.LATEST_TIMESTAMP ? highWatermark : -1);
            }
            OffsetAndTimestamp found = timestamp == ListOffsetsRequest.MAX_TIMESTAMP
                    ? partition.log().offsetOfMaxTimestamp()
                    : timestamp >= 0 ? partition.log().offsetForTimestamp(timestamp) : null;
            if (timestamp < 0 && timestamp != ListOffsetsRequest.MAX_TIMESTAMP) {
                return response.setErrorCode(Errors.INVALID_REQUEST.code());
            }
            if (found != null && found.offset() < highWatermark) {
                response.setOffset(found.offset()).setTimestamp(found.timestamp());
            }
            return response;
        } catch (ApiException e) {
            return response.setErrorCode(Errors.forException(e).code());
        }
    }
}

package io.strata.broker.api;

import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.AppendResult;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * WriteTxnMarkers, which a transaction coordinator sends to partition leaders to end a transaction: for each marker
 * (producer id and epoch, COMMIT or ABORT, coordinator epoch) and each of its partitions, this broker, as leader,
 * appends a control batch holding the marker ({@link Partition#appendTransactionMarker}), with acks=all: a partition
 * is answered once the in-sync replicas have the marker (the high watermark passed it), without a request thread
 * waiting. Internal topics take markers too: {@code __consumer_offsets} holds transactional offset commits.
 *
 * <p>Errors per partition, as Kafka gives them: UNKNOWN_TOPIC_OR_PARTITION (no such partition, or none of its
 * replicas is on this broker), NOT_LEADER_OR_FOLLOWER (this broker follows it), INVALID_PRODUCER_EPOCH (the producer has a newer epoch here),
 * TRANSACTION_COORDINATOR_FENCED (a marker from a newer coordinator epoch was written), NOT_ENOUGH_REPLICAS(_AFTER_APPEND),
 * REQUEST_TIMED_OUT after {@value #REPLICATION_TIMEOUT_MS} ms without replication (Kafka's {@code request.timeout.ms}
 * default, which its marker appends use), KAFKA_STORAGE_ERROR. The coordinator retries what is retriable.
 *
 * <p>A marker written to a partition whose state another component keeps (the group coordinator's
 * {@code __consumer_offsets}, where the marker turns a transaction's pending offsets into committed ones or drops
 * them) is reported to it through a {@link MarkerListener} once replicated, as Kafka's handler calls the group
 * coordinator's {@code onTransactionCompleted}; the partition's answer is then what the listener reports.
 *
 * <p>Thread-safe: it keeps no state between requests.
 */
final class WriteTxnMarkersHandler implements ApiHandler {

    static final long REPLICATION_TIMEOUT_MS = 30_000;
    private static final System.Logger LOG = System.getLogger(WriteTxnMarkersHandler.class.getName());

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ReplicaManager replicas;
    private final Clock clock;
    private final MarkerListener markerListener;

    /** Hears of each marker once written and replicated, for a partition whose state it keeps. */
    @FunctionalInterface
    interface MarkerListener {
        /**
         * @return {@code null} for a partition whose state the listener does not keep; otherwise a future completing
         * with the error to answer for the partition, NONE once the listener's state has taken the marker in
         */
        CompletableFuture<Errors> written(TopicPartition partition, long producerId, boolean commit);
    }

    /** Tells no one of the markers it writes. */
    WriteTxnMarkersHandler(RequestChannel requestChannel, Controller controller, ReplicaManager replicas,
                           Clock clock) {
        this(requestChannel, controller, replicas, clock, (tp, producerId, commit) -> null);
    }

    /** Tells {@code markerListener} of each marker it writes, once replicated. */
    WriteTxnMarkersHandler(RequestChannel requestChannel, Controller controller, ReplicaManager replicas,
                           Clock clock, MarkerListener markerListener) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.replicas = replicas;
        this.clock = clock;
        this.markerListener = markerListener;
    }

    /** A marker written to a partition, waiting for the in-sync replicas (or for the component that wrote it). */
    private record Replicating(Partition partition, CompletableFuture<Void> waiter,
                               WritableTxnMarkerPartitionResult result, CompletableFuture<Void> done) {
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        WriteTxnMarkersRequest markers = (WriteTxnMarkersRequest) body;
        List<WritableTxnMarkerResult> results = new ArrayList<>();
        List<Replicating> replicating = new ArrayList<>();
        for (WritableTxnMarker marker : markers.data().markers()) {
            WritableTxnMarkerResult markerResult = new WritableTxnMarkerResult().setProducerId(marker.producerId());
            for (WritableTxnMarkerTopic topic : marker.topics()) {
                WritableTxnMarkerTopicResult topicResult = new WritableTxnMarkerTopicResult().setName(topic.name());
                for (int index : topic.partitionIndexes()) {
                    WritableTxnMarkerPartitionResult result = new WritableTxnMarkerPartitionResult()
                            .setPartitionIndex(index);
                    write(new TopicPartition(topic.name(), index), marker, result, replicating);
                    topicResult.partitions().add(result);
                }
                markerResult.topics().add(topicResult);
            }
            results.add(markerResult);
        }
        WriteTxnMarkersResponseData data = new WriteTxnMarkersResponseData().setMarkers(results);
        if (replicating.isEmpty()) {
            requestChannel.sendResponse(request, new WriteTxnMarkersResponse(data));
            return;
        }
        List<CompletableFuture<Void>> all = new ArrayList<>(replicating.size());
        for (Replicating waiting : replicating) {
            all.add(waiting.done().orTimeout(REPLICATION_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .handle((ignored, error) -> {
                        if (error != null) {
                            waiting.partition().cancelWaiter(waiting.waiter());
                            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                            Errors code = cause instanceof TimeoutException ? Errors.REQUEST_TIMED_OUT
                                    : Errors.forException(cause);
                            waiting.result().setErrorCode(code.code());
                        }
                        return null;
                    }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).whenComplete((ignored, error) ->
                requestChannel.sendResponse(request, new WriteTxnMarkersResponse(data)));
    }

    private void write(TopicPartition tp, WritableTxnMarker marker, WritableTxnMarkerPartitionResult result,
                       List<Replicating> replicating) {
        TopicImage topic = controller.image().topic(tp.topic());
        if (topic == null || topic.partition(tp.partition()) == null) {
            result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            return;
        }
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            // As Kafka: a partition this broker holds no replica of is unknown here; the coordinator retries.
            result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            return;
        }
        if (!partition.isLeader()) {
            result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            return;
        }
        try {
            partition.log().health().checkOnline();
            AppendResult appended = partition.appendTransactionMarker(marker.producerId(), marker.producerEpoch(),
                    marker.coordinatorEpoch(), marker.transactionResult(), clock.millis());
            replicas.notifyAppended(tp, appended.sizeInBytes());
            result.setErrorCode(Errors.NONE.code());
            CompletableFuture<Void> waiter = partition.awaitReplication(appended.lastOffset());
            CompletableFuture<Void> done = waiter.thenCompose(replicated -> {
                CompletableFuture<Errors> taken = markerListener.written(tp, marker.producerId(),
                        marker.transactionResult());
                return taken == null ? CompletableFuture.<Void>completedFuture(null) : taken.thenAccept(error -> {
                    if (error != Errors.NONE) {
                        throw error.exception();
                    }
                });
            });
            replicating.add(new Replicating(partition, waiter, result, done));
        } catch (ApiException e) {
            result.setErrorCode(Errors.forException(e).code());
            LOG.log(Level.DEBUG, "{0} marker of producer {1} for {2} refused: {3}",
                    marker.transactionResult() ? "COMMIT" : "ABORT", marker.producerId(), tp, e.getMessage());
        }
    }
}

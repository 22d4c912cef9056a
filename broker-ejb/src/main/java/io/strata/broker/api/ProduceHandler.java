package io.strata.broker.api;

import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.AppendResult;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.transaction.TransactionVerifier;
import io.strata.storage.batch.AppendOrigin;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponseCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * Produce: appends each partition's batches on its leader, with the idempotent producer's duplicate and sequence
 * checks, and answers with the offsets given. With acks=1 the answer goes once the leader has written; with acks=all
 * once every in-sync replica has (the high watermark has passed the records), or with REQUEST_TIMED_OUT after the
 * request's timeout, or NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below {@code min.insync.replicas}
 * meanwhile. With acks=0 nothing is answered; an error then closes the connection, which is how a Kafka client
 * learns of it.
 *
 * <p>Before anything is appended it applies Kafka's request-level rules: transactional batches need a transactional
 * id, and each partition carries exactly one record batch, which is not a control batch (markers are the transaction
 * coordinator's to write, through WriteTxnMarkers). A transactional batch passes the same sequence and epoch checks
 * as an idempotent one and opens its producer's transaction in the partition. A partition breaking a rule gets
 * INVALID_RECORD and nothing of it is written; the others are appended as usual.
 *
 * <p>KIP-890's server-side defence: before the first transactional batch of a producer in a partition (one with no
 * transaction of that producer open here at the batch's epoch) is appended, the transaction coordinator is asked through the
 * {@link TransactionVerifier}: for a producer of transaction protocol version 2 (Produce version 12 and later,
 * which sends no AddPartitionsToTxn) to add the partition to the transaction, for one of version 1 whether the
 * producer added it. The request's appends wait for the answer; a partition not in the transaction gets
 * INVALID_TXN_STATE, a fenced producer INVALID_PRODUCER_EPOCH, and a coordinator that cannot answer now (moving,
 * loading, still writing the previous transaction's markers) NOT_ENOUGH_REPLICAS, which every producer retries
 * without looking for a new leader, as Kafka answers it. A guard taken in the partition before asking makes sure no
 * marker of the producer was written between the answer and the append (else INVALID_TXN_STATE), so that a batch
 * confirmed just before its transaction ended cannot open one that no coordinator knows of.
 * {@code transaction.partition.verification.enable=false} turns the check of version 1 producers off, as in Kafka;
 * version 2 producers' partitions are always added.
 *
 * <p>A partition whose log directory went offline after an I/O error gets KAFKA_STORAGE_ERROR, which sends the client
 * to look for another leader.
 *
 * <p>Thread-safe: it keeps no state between requests.
 */
final class ProduceHandler implements ApiHandler {

    private static final System.Logger LOG = System.getLogger(ProduceHandler.class.getName());

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ReplicaManager replicas;
    private final TransactionVerifier verifier;
    private final boolean verifyVersion1;
    private final LongConsumer bytesIn;
    private final LongConsumer recordsIn;

    ProduceHandler(RequestChannel requestChannel, Controller controller, ReplicaManager replicas,
                   TransactionVerifier verifier, boolean verifyVersion1, LongConsumer bytesIn,
                   LongConsumer recordsIn) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.replicas = replicas;
        this.verifier = verifier;
        this.verifyVersion1 = verifyVersion1;
        this.bytesIn = bytesIn;
        this.recordsIn = recordsIn;
    }

    /**
     * The first transactional batches of one producer, whose partitions the coordinator must add or confirm, with
     * the verification guard each partition gave.
     */
    private record Unverified(long producerId, short producerEpoch, Map<TopicPartition, Object> guards) {
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        ProduceRequest produce = (ProduceRequest) body;
        ProduceRequestData data = produce.data();
        short version = request.context().apiVersion();
        boolean add = version >= 12;
        Unverified unverified = data.transactionalId() == null || !(add || verifyVersion1)
                ? null : findUnverified(data, version >= 13);
        if (unverified == null) {
            appendAll(request, data, version, Map.of(), Map.of());
            return;
        }
        verifier.verify(data.transactionalId(), unverified.producerId(), unverified.producerEpoch(),
                        unverified.guards().keySet(), add)
                .thenAccept(errors -> {
                    unverified.guards().forEach((tp, guard) -> {
                        Partition partition = replicas.partition(tp);
                        if (partition != null && errors.getOrDefault(tp, Errors.NONE) != Errors.NONE) {
                            partition.abandonTransactionVerification(unverified.producerId(), guard);
                        }
                    });
                    appendAll(request, data, version, errors, unverified.guards());
                })
                .exceptionally(failure -> {
                    // A bug: say so, and close the connection, which is how the producer learns of a lost answer.
                    LOG.log(Level.ERROR, "Appending a verified produce request failed", failure);
                    requestChannel.closeConnection(request);
                    return null;
                });
    }

    /**
     * The partitions led here whose batch is transactional and whose producer has no transaction open here at the
     * batch's epoch, with the producer, or {@code null} if there is none. Malformed records are left for the append
     * to refuse.
     */
    private Unverified findUnverified(ProduceRequestData data, boolean byId) {
        Map<TopicPartition, Object> guards = new HashMap<>();
        long producerId = -1;
        short producerEpoch = -1;
        for (ProduceRequestData.TopicProduceData topicData : data.topicData()) {
            TopicImage topic = byId ? controller.image().topic(topicData.topicId())
                    : controller.image().topic(topicData.name());
            if (topic == null || topic.internal()) {
                continue;
            }
            for (ProduceRequestData.PartitionProduceData partitionData : topicData.partitionData()) {
                TopicPartition tp = new TopicPartition(topic.name(), partitionData.index());
                Partition partition = replicas.partition(tp);
                if (partition == null || !partition.isLeader()
                        || !(partitionData.records() instanceof MemoryRecords records)) {
                    continue;
                }
                try {
                    for (MutableRecordBatch batch : records.batches()) {
                        if (batch.isTransactional() && (producerId < 0 || batch.producerId() == producerId)
                                && !partition.hasOngoingTransaction(batch.producerId(), batch.producerEpoch())) {
                            producerId = batch.producerId();
                            producerEpoch = batch.producerEpoch();
                            guards.put(tp, partition.startTransactionVerification(producerId));
                        }
                        break; // one batch per partition: the append refuses more
                    }
                } catch (ApiException e) {
                    LOG.log(Level.DEBUG, "Malformed records for {0}: {1}", tp, e.getMessage());
                }
            }
        }
        return guards.isEmpty() ? null : new Unverified(producerId, producerEpoch, guards);
    }

    /**
     * The error a produce answers for a partition the coordinator did not confirm: the produce API's own codes, with
     * what the coordinator cannot answer now as NOT_ENOUGH_REPLICAS, retried by every producer (Kafka's choice).
     */
    private static Errors produceError(Errors verification) {
        return switch (verification) {
            case PRODUCER_FENCED -> Errors.INVALID_PRODUCER_EPOCH;
            case CONCURRENT_TRANSACTIONS, NETWORK_EXCEPTION, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
                 NOT_COORDINATOR, REQUEST_TIMED_OUT -> Errors.NOT_ENOUGH_REPLICAS;
            default -> verification;
        };
    }

    private void appendAll(Request request, ProduceRequestData data, short version,
                           Map<TopicPartition, Errors> verification, Map<TopicPartition, Object> guards) {
        boolean byId = version >= 13;
        TopicProduceResponseCollection responses = new TopicProduceResponseCollection();
        boolean anyError = false;
        List<Map.Entry<TopicPartition, Integer>> appended = new ArrayList<>();
        List<Replicating> replicating = new ArrayList<>();
        String transactionalBatch = data.transactionalId() == null ? findTransactionalBatch(data) : null;
        for (ProduceRequestData.TopicProduceData topicData : data.topicData()) {
            TopicImage topic = byId ? controller.image().topic(topicData.topicId())
                    : controller.image().topic(topicData.name());
            TopicProduceResponse topicResponse = new TopicProduceResponse().setName(topicData.name())
                    .setTopicId(topicData.topicId());
            for (ProduceRequestData.PartitionProduceData partitionData : topicData.partitionData()) {
                PartitionProduceResponse response = new PartitionProduceResponse().setIndex(partitionData.index());
                if (transactionalBatch != null) {
                    // Kafka refuses the whole request: transactional records need a transactional id to authorize.
                    fail(response, Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "The request carries a transactional"
                            + " record batch (" + transactionalBatch + ") but no transactional id; a transactional"
                            + " producer must send its transactional.id with its records");
                } else if (topic == null) {
                    fail(response, byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION,
                            "This server does not host this topic-partition.");
                } else if (topic.internal()) {
                    fail(response, Errors.INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic " + topic.name());
                } else if (verification.getOrDefault(new TopicPartition(topic.name(), partitionData.index()),
                        Errors.NONE) != Errors.NONE) {
                    Errors error = verification.get(new TopicPartition(topic.name(), partitionData.index()));
                    fail(response, produceError(error), "The transaction coordinator did not confirm partition "
                            + partitionData.index() + " of " + topic.name() + " in the transaction of "
                            + data.transactionalId() + ": " + error + (error == Errors.INVALID_TXN_STATE
                            ? "; a producer of transaction protocol version 1 must add it with AddPartitionsToTxn"
                            + " before writing to it" : ""));
                } else {
                    TopicPartition tp = new TopicPartition(topic.name(), partitionData.index());
                    append(tp, (MemoryRecords) partitionData.records(), data.acks(), guards.get(tp), response,
                            appended, replicating);
                }
                anyError |= response.errorCode() != Errors.NONE.code();
                topicResponse.partitionResponses().add(response);
            }
            responses.add(topicResponse);
        }
        for (Map.Entry<TopicPartition, Integer> append : appended) {
            replicas.notifyAppended(append.getKey(), append.getValue());
        }
        if (data.acks() == 0) {
            if (anyError) {
                requestChannel.closeConnection(request);
            } else {
                requestChannel.noResponse(request);
            }
            return;
        }
        if (replicating.isEmpty()) {
            requestChannel.sendResponse(request, new ProduceResponse(new ProduceResponseData()
                    .setResponses(responses)));
            return;
        }
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Replicating waiting : replicating) {
            all.add(waiting.done().orTimeout(Math.max(1, data.timeoutMs()), TimeUnit.MILLISECONDS)
                    .handle((ignored, error) -> {
                        if (error != null) {
                            waiting.partition().cancelWaiter(waiting.done());
                            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                            if (cause instanceof TimeoutException) {
                                fail(waiting.response(), Errors.REQUEST_TIMED_OUT, "Only " + waiting.partition()
                                        .assignment().isr() + " of the replicas had the records after "
                                        + data.timeoutMs() + " ms");
                            } else {
                                fail(waiting.response(), Errors.forException(cause), cause.getMessage());
                            }
                        }
                        return null;
                    }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).whenComplete((ignored, error) ->
                requestChannel.sendResponse(request, new ProduceResponse(new ProduceResponseData()
                        .setResponses(responses))));
    }

    /** An acks=all append waiting for the in-sync replicas. */
    private record Replicating(Partition partition, PartitionProduceResponse response, CompletableFuture<Void> done) {
    }

    /** @param verificationGuard the guard of a batch the transaction coordinator confirmed, or null */
    private void append(TopicPartition tp, MemoryRecords records, short acks, Object verificationGuard,
                        PartitionProduceResponse response, List<Map.Entry<TopicPartition, Integer>> appended,
                        List<Replicating> replicating) {
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            fail(response, Errors.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition.");
            return;
        }
        if (acks != 0 && acks != 1 && acks != -1) {
            fail(response, Errors.INVALID_REQUIRED_ACKS, "acks must be 0, 1 or -1 (all), not " + acks);
            return;
        }
        try {
            // Before the producer's duplicate check, which answers retries from memory: an offline log answers nothing.
            partition.log().health().checkOnline();
            checkOneClientBatch(tp, records);
            AppendResult result = partition.appendAsLeader(records, acks, AppendOrigin.CLIENT, verificationGuard);
            response.setErrorCode(Errors.NONE.code())
                    .setBaseOffset(result.firstOffset())
                    .setLogAppendTimeMs(result.logAppendTimeMs())
                    .setLogStartOffset(result.logStartOffset());
            if (acks == -1) {
                replicating.add(new Replicating(partition, response, partition.awaitReplication(result.lastOffset())));
            }
            if (!result.duplicate()) {
                bytesIn.accept(result.sizeInBytes());
                recordsIn.accept(result.recordCount());
                appended.add(Map.entry(tp, result.sizeInBytes()));
            }
        } catch (ApiException e) {
            fail(response, Errors.forException(e), e.getMessage());
            response.setLogStartOffset(partition.log().logStartOffset());
            LOG.log(Level.DEBUG, "Produce to {0} refused: {1}", tp, e.getMessage());
        }
    }

    /**
     * The first transactional batch of the request, described for the error message, or {@code null}. Control
     * batches written by a transaction coordinator are transactional too, so a client's marker is caught here.
     * Malformed records are left for the per-partition checks to answer.
     */
    private static String findTransactionalBatch(ProduceRequestData data) {
        for (ProduceRequestData.TopicProduceData topicData : data.topicData()) {
            for (ProduceRequestData.PartitionProduceData partitionData : topicData.partitionData()) {
                if (!(partitionData.records() instanceof MemoryRecords records)) {
                    continue;
                }
                try {
                    for (MutableRecordBatch batch : records.batches()) {
                        if (batch.isTransactional()) {
                            return "partition " + partitionData.index() + " of " + topicData.name()
                                    + ", producer " + batch.producerId();
                        }
                    }
                } catch (ApiException e) {
                    LOG.log(Level.DEBUG, "Malformed records in a produce request: {0}", e.getMessage());
                }
            }
        }
        return null;
    }

    /**
     * Kafka's rule for produce requests with magic v2 batches: exactly one batch per partition. It is what makes the
     * idempotent producer's duplicate check sound (the check looks at one batch), and a client never sends more. A
     * control batch is the broker's to write (transaction markers), never a client's.
     *
     * @throws InvalidRecordException if the partition's records break the rule
     */
    private static void checkOneClientBatch(TopicPartition tp, MemoryRecords records) {
        if (records == null) {
            throw new InvalidRecordException("Produce request for " + tp + " carries no records");
        }
        int batches = 0;
        for (MutableRecordBatch batch : records.batches()) {
            batches++;
            if (batches > 1) {
                throw new InvalidRecordException("Produce request for " + tp + " carries more than one record batch;"
                        + " a produce request must carry exactly one record batch per partition");
            }
            if (batch.isControlBatch()) {
                throw new InvalidRecordException("Produce request for " + tp + " carries a control batch; clients"
                        + " are not allowed to write control records");
            }
        }
        if (batches == 0) {
            throw new InvalidRecordException("Produce request for " + tp + " carries no record batch; a produce"
                    + " request must carry exactly one record batch per partition");
        }
    }

    private static void fail(PartitionProduceResponse response, Errors error, String message) {
        response.setErrorCode(error.code()).setErrorMessage(message).setBaseOffset(-1).setLogAppendTimeMs(-1)
                .setLogStartOffset(-1);
    }

}

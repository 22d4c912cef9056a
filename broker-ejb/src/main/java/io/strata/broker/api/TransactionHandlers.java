package io.strata.broker.api;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.GroupCoordinator.CommitResult;
import io.strata.broker.group.GroupCoordinator.OffsetCommit;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.transaction.TransactionCoordinator;
import io.strata.broker.transaction.TransactionCoordinator.Description;
import io.strata.broker.transaction.TransactionCoordinator.ListFilter;
import io.strata.broker.transaction.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResultCollection;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddOffsetsToTxnResponse;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.DescribeTransactionsResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.requests.ListTransactionsResponse;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitResponse;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The transaction APIs: AddPartitionsToTxn (v0–v3, the producers' own; v4 and later, the partition leaders'
 * batched form of KIP-890), AddOffsetsToTxn, EndTxn (v5: transaction protocol version 2, an epoch bump per
 * transaction; with Strata's prepare tag, the first phase of a two-phase commit), TxnOffsetCommit,
 * DescribeTransactions and ListTransactions (both show Strata's state {@code Prepared}), answered by the
 * {@link TransactionCoordinator} (TxnOffsetCommit by the {@link GroupCoordinator}). Each turns the request into the
 * coordinator's terms and its answer into the response; PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH to
 * versions from before it existed, as Kafka does. Stateless apart from its collaborators; thread-safe.
 */
final class TransactionHandlers {

    private static final System.Logger LOG = System.getLogger(TransactionHandlers.class.getName());

    private final RequestChannel requestChannel;
    private final TransactionCoordinator transactions;
    private final GroupCoordinator groups;
    private final Controller controller;
    private final boolean verifyVersion1;

    /** @param verifyVersion1 {@code transaction.partition.verification.enable} */
    TransactionHandlers(RequestChannel requestChannel, TransactionCoordinator transactions, GroupCoordinator groups,
                        Controller controller, boolean verifyVersion1) {
        this.requestChannel = requestChannel;
        this.transactions = transactions;
        this.groups = groups;
        this.controller = controller;
        this.verifyVersion1 = verifyVersion1;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.ADD_PARTITIONS_TO_TXN, this::addPartitionsToTxn)
                .register(ApiKeys.ADD_OFFSETS_TO_TXN, this::addOffsetsToTxn)
                .register(ApiKeys.END_TXN, this::endTxn)
                .register(ApiKeys.TXN_OFFSET_COMMIT, this::txnOffsetCommit)
                .register(ApiKeys.DESCRIBE_TRANSACTIONS, this::describeTransactions)
                .register(ApiKeys.LIST_TRANSACTIONS, this::listTransactions);
    }

    /** PRODUCER_FENCED for versions that know it, INVALID_PRODUCER_EPOCH before. */
    static Errors fenced(Errors error, short version, short producerFencedSince) {
        return error == Errors.PRODUCER_FENCED && version < producerFencedSince ? Errors.INVALID_PRODUCER_EPOCH : error;
    }

    // ---------------------------------------------------------------------------------------------------- add

    private void addPartitionsToTxn(Request request, AbstractRequest body) {
        AddPartitionsToTxnRequestData data = ((AddPartitionsToTxnRequest) body).data();
        short version = request.context().apiVersion();
        if (version >= 4) {
            addPartitionsForBrokers(request, data);
            return;
        }
        List<TopicPartition> partitions = AddPartitionsToTxnRequest.getPartitions(data.v3AndBelowTopics());
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        Set<TopicPartition> unknown = new HashSet<>();
        for (TopicPartition tp : partitions) {
            TopicImage topic = controller.image().topic(tp.topic());
            if (topic == null || topic.partition(tp.partition()) == null) {
                unknown.add(tp);
            }
        }
        if (!unknown.isEmpty()) {
            // Kafka adds none when any is unknown: those are UNKNOWN_TOPIC_OR_PARTITION, the rest not attempted.
            for (TopicPartition tp : partitions) {
                errors.put(tp, unknown.contains(tp) ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.OPERATION_NOT_ATTEMPTED);
            }
            sendAddPartitions(request, errors);
            return;
        }
        transactions.addPartitions(data.v3AndBelowTransactionalId(), data.v3AndBelowProducerId(),
                data.v3AndBelowProducerEpoch(), partitions).thenAccept(error -> {
                    Errors answered = fenced(error, version, (short) 2);
                    partitions.forEach(tp -> errors.put(tp, answered));
                    sendAddPartitions(request, errors);
                });
    }

    /**
     * AddPartitionsToTxn version 4 and later, which partition leaders send (KIP-890): several transactions at once,
     * each either added to ({@code verifyOnly} false: a producer of transaction version 2 wrote its first batch to
     * the partitions) or only checked (a producer of version 1, which must have added them itself).
     */
    private void addPartitionsForBrokers(Request request, AddPartitionsToTxnRequestData data) {
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Map<TopicPartition, Errors>>> answers = new ArrayList<>();
        for (AddPartitionsToTxnTransaction transaction : data.transactions()) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (AddPartitionsToTxnTopic topic : transaction.topics()) {
                for (int partition : topic.partitions()) {
                    partitions.add(new TopicPartition(topic.name(), partition));
                }
            }
            ids.add(transaction.transactionalId());
            if (transaction.verifyOnly()) {
                answers.add(transactions.verifyPartitions(transaction.transactionalId(), transaction.producerId(),
                        transaction.producerEpoch(), partitions));
            } else {
                answers.add(transactions.addPartitions(transaction.transactionalId(), transaction.producerId(),
                        transaction.producerEpoch(), partitions, true).thenApply(error -> {
                            Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
                            partitions.forEach(tp -> errors.put(tp, error));
                            return errors;
                        }));
            }
        }
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).thenRun(() -> {
            AddPartitionsToTxnResultCollection results = new AddPartitionsToTxnResultCollection();
            for (int i = 0; i < ids.size(); i++) {
                results.add(AddPartitionsToTxnResponse.resultForTransaction(ids.get(i), answers.get(i).join()));
            }
            requestChannel.sendResponse(request, new AddPartitionsToTxnResponse(new AddPartitionsToTxnResponseData()
                    .setResultsByTransaction(results)));
        });
    }

    private void sendAddPartitions(Request request, Map<TopicPartition, Errors> errors) {
        AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData().setResultsByTopicV3AndBelow(
                AddPartitionsToTxnResponse.resultForTransaction(AddPartitionsToTxnResponse.V3_AND_BELOW_TXN_ID, errors)
                        .topicResults());
        requestChannel.sendResponse(request, new AddPartitionsToTxnResponse(response));
    }

    private void addOffsetsToTxn(Request request, AbstractRequest body) {
        AddOffsetsToTxnRequestData data = ((AddOffsetsToTxnRequest) body).data();
        short version = request.context().apiVersion();
        if (data.groupId() == null || data.groupId().isEmpty()) {
            requestChannel.sendResponse(request, new AddOffsetsToTxnResponse(new AddOffsetsToTxnResponseData()
                    .setErrorCode(Errors.INVALID_GROUP_ID.code())));
            return;
        }
        // The transaction's offsets go to the group's __consumer_offsets partition, which gets the marker.
        TopicPartition offsets = new TopicPartition(GroupCoordinator.OFFSETS_TOPIC,
                groups.partitionFor(data.groupId()));
        transactions.addPartitions(data.transactionalId(), data.producerId(), data.producerEpoch(), List.of(offsets))
                .thenAccept(error -> requestChannel.sendResponse(request, new AddOffsetsToTxnResponse(
                        new AddOffsetsToTxnResponseData().setErrorCode(fenced(error, version, (short) 2).code()))));
    }

    // ---------------------------------------------------------------------------------------------------- end

    /**
     * EndTxn; version 5 is transaction protocol version 2, whose answer carries the bumped producer epoch. With
     * Strata's prepare tag ({@link StrataExtensions#TRANSACTION_PREPARE_TAG}) the transaction is prepared for a
     * two-phase commit instead; a malformed tag is answered INVALID_REQUEST, nothing done.
     */
    private void endTxn(Request request, AbstractRequest body) {
        EndTxnRequestData data = ((EndTxnRequest) body).data();
        short version = request.context().apiVersion();
        boolean prepare;
        try {
            prepare = prepareRequested(data, version);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.INFO, "EndTxn of transactional id {0} refused: {1}", data.transactionalId(),
                    e.getMessage());
            sendEndTxn(request, version, new TransactionCoordinator.EndResult(Errors.INVALID_REQUEST, -1, (short) -1));
            return;
        }
        (prepare ? transactions.prepareTransaction(data.transactionalId(), data.producerId(), data.producerEpoch())
                : transactions.endTransaction(data.transactionalId(), data.producerId(), data.producerEpoch(),
                        data.committed(), version >= 5))
                .thenAccept(result -> sendEndTxn(request, version, result));
    }

    private void sendEndTxn(Request request, short version, TransactionCoordinator.EndResult result) {
        requestChannel.sendResponse(request, new EndTxnResponse(new EndTxnResponseData()
                .setErrorCode(fenced(result.error(), version, (short) 2).code())
                .setProducerId(result.producerId()).setProducerEpoch(result.producerEpoch())));
    }

    /**
     * Whether the EndTxn carries the prepare tag; throws IllegalArgumentException naming what is wrong with one that
     * is malformed: a value that is not empty, twice, {@code committed} false, or a version below 5.
     */
    static boolean prepareRequested(EndTxnRequestData data, short version) {
        int found = 0;
        for (RawTaggedField field : data.unknownTaggedFields()) {
            if (field.tag() != StrataExtensions.TRANSACTION_PREPARE_TAG) {
                continue;
            }
            if (field.size() != 0) {
                throw new IllegalArgumentException("tagged field " + StrataExtensions.TRANSACTION_PREPARE_TAG
                        + " (prepare) must be empty; it has " + field.size() + " bytes");
            }
            found++;
        }
        if (found == 0) {
            return false;
        }
        if (found > 1) {
            throw new IllegalArgumentException("tagged field " + StrataExtensions.TRANSACTION_PREPARE_TAG
                    + " (prepare) is there " + found + " times");
        }
        if (!data.committed()) {
            throw new IllegalArgumentException("a prepare (tagged field " + StrataExtensions.TRANSACTION_PREPARE_TAG
                    + ") must have committed = true: it is a vote to commit");
        }
        if (version < 5) {
            throw new IllegalArgumentException("a prepare (tagged field " + StrataExtensions.TRANSACTION_PREPARE_TAG
                    + ") needs EndTxn version 5 (transaction protocol version 2); this is version " + version);
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------- offsets

    /**
     * TxnOffsetCommit: the offsets partition of the group is first added to the transaction (version 5, transaction
     * protocol version 2, where the producer sends no AddOffsetsToTxn) or checked to be in it (earlier versions,
     * KIP-890 part 1), then the offsets are written as pending until the transaction's marker.
     */
    private void txnOffsetCommit(Request request, AbstractRequest body) {
        TxnOffsetCommitRequestData data = ((TxnOffsetCommitRequest) body).data();
        short version = request.context().apiVersion();
        if (data.groupId() == null || data.groupId().isEmpty() || (version < 5 && !verifyVersion1)) {
            commitTransactionalOffsets(request, data); // the group coordinator answers INVALID_GROUP_ID
            return;
        }
        TopicPartition offsets = new TopicPartition(GroupCoordinator.OFFSETS_TOPIC,
                groups.partitionFor(data.groupId()));
        transactions.verifier().verify(data.transactionalId(), data.producerId(), data.producerEpoch(),
                Set.of(offsets), version >= 5).thenAccept(errors -> {
                    Errors error = errors.getOrDefault(offsets, Errors.UNKNOWN_SERVER_ERROR);
                    if (error == Errors.NONE) {
                        commitTransactionalOffsets(request, data);
                    } else {
                        sendTxnOffsetCommit(request, data, offsetCommitError(error, version));
                    }
                });
    }

    /**
     * The error a TxnOffsetCommit answers for a failed verification: what the coordinator could not answer now is
     * COORDINATOR_LOAD_IN_PROGRESS, which every version retries; PRODUCER_FENCED as the version knows it.
     */
    private static Errors offsetCommitError(Errors error, short version) {
        return switch (error) {
            case CONCURRENT_TRANSACTIONS, NETWORK_EXCEPTION, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
                 REQUEST_TIMED_OUT -> Errors.COORDINATOR_LOAD_IN_PROGRESS;
            case PRODUCER_FENCED -> fenced(error, version, (short) 3);
            default -> error;
        };
    }

    private void sendTxnOffsetCommit(Request request, TxnOffsetCommitRequestData data, Errors error) {
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic topic : data.topics()) {
            for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition partition : topic.partitions()) {
                errors.put(new TopicPartition(topic.name(), partition.partitionIndex()), error);
            }
        }
        requestChannel.sendResponse(request, new TxnOffsetCommitResponse(0, errors));
    }

    private void commitTransactionalOffsets(Request request, TxnOffsetCommitRequestData data) {
        List<OffsetCommit> commits = new ArrayList<>();
        for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic topic : data.topics()) {
            for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition partition : topic.partitions()) {
                commits.add(new OffsetCommit(new TopicPartition(topic.name(), partition.partitionIndex()),
                        partition.committedOffset(), partition.committedLeaderEpoch(), partition.committedMetadata()));
            }
        }
        groups.commitTransactionalOffsets(data.groupId(), data.producerId(), data.memberId(), data.groupInstanceId(),
                data.generationId(), commits).thenAccept(results -> {
                    Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
                    for (CommitResult result : results) {
                        errors.put(result.topicPartition(), result.error());
                    }
                    requestChannel.sendResponse(request, new TxnOffsetCommitResponse(0, errors));
                });
    }

    // ---------------------------------------------------------------------------------------------------- admin

    private void describeTransactions(Request request, AbstractRequest body) {
        List<String> ids = ((DescribeTransactionsRequest) body).data().transactionalIds();
        List<CompletableFuture<Description>> described = new ArrayList<>();
        for (String id : ids) {
            described.add(transactions.describe(id));
        }
        CompletableFuture.allOf(described.toArray(new CompletableFuture<?>[0])).thenRun(() -> {
            DescribeTransactionsResponseData response = new DescribeTransactionsResponseData();
            for (CompletableFuture<Description> one : described) {
                response.transactionStates().add(transactionState(one.join()));
            }
            requestChannel.sendResponse(request, new DescribeTransactionsResponse(response));
        });
    }

    private static DescribeTransactionsResponseData.TransactionState transactionState(Description description) {
        DescribeTransactionsResponseData.TransactionState state = new DescribeTransactionsResponseData
                .TransactionState().setTransactionalId(description.transactionalId())
                .setErrorCode(description.error().code());
        if (description.error() != Errors.NONE) {
            return state.setTransactionState("").setProducerId(-1).setProducerEpoch((short) -1);
        }
        Map<String, DescribeTransactionsResponseData.TopicData> topics = new LinkedHashMap<>();
        for (TopicPartition tp : description.partitions()) {
            topics.computeIfAbsent(tp.topic(), name -> new DescribeTransactionsResponseData.TopicData().setTopic(name))
                    .partitions().add(tp.partition());
        }
        DescribeTransactionsResponseData.TopicDataCollection collection =
                new DescribeTransactionsResponseData.TopicDataCollection();
        topics.values().forEach(collection::add);
        return state.setTransactionState(description.state().display())
                .setTransactionTimeoutMs(description.timeoutMs())
                .setTransactionStartTimeMs(description.startMs())
                .setProducerId(description.producerId())
                .setProducerEpoch(description.producerEpoch())
                .setTopics(collection);
    }

    private void listTransactions(Request request, AbstractRequest body) {
        ListTransactionsRequestData data = ((ListTransactionsRequest) body).data();
        ListTransactionsResponseData response = new ListTransactionsResponseData();
        Set<TransactionState> states = new HashSet<>();
        for (String name : data.stateFilters()) {
            TransactionState state = TransactionState.ofDisplay(name);
            if (state == null) {
                response.unknownStateFilters().add(name);
            } else {
                states.add(state);
            }
        }
        String pattern = data.transactionalIdPattern();
        if (pattern != null && !pattern.isEmpty()) {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                requestChannel.sendResponse(request, new ListTransactionsResponse(response
                        .setErrorCode(Errors.INVALID_REGULAR_EXPRESSION.code())));
                return;
            }
        }
        if (!data.stateFilters().isEmpty() && states.isEmpty()) {
            requestChannel.sendResponse(request, new ListTransactionsResponse(response)); // no state can match
            return;
        }
        transactions.list(new ListFilter(states, Set.copyOf(data.producerIdFilters()), data.durationFilter(), pattern))
                .whenComplete((listed, failure) -> {
                    if (failure != null) {
                        response.setErrorCode(TransactionCoordinator.errorOf(failure).code());
                    } else {
                        for (TransactionCoordinator.Listing listing : listed) {
                            response.transactionStates().add(new ListTransactionsResponseData.TransactionState()
                                    .setTransactionalId(listing.transactionalId())
                                    .setProducerId(listing.producerId())
                                    .setTransactionState(listing.state().display()));
                        }
                    }
                    requestChannel.sendResponse(request, new ListTransactionsResponse(response));
                });
    }
}

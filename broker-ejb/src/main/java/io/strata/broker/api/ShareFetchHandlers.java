package io.strata.broker.api;

import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.ClusterMembership;
import io.strata.broker.config.Endpoint;
import io.strata.broker.delayed.DelayedFetch;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.network.StoredRecords;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.share.AbortedRecords;
import io.strata.broker.share.AcknowledgeType;
import io.strata.broker.share.AcquiredRecords;
import io.strata.broker.share.SharePartitionManager;
import io.strata.broker.share.SharePartitionManager.Acknowledgement;
import io.strata.broker.share.SharePartitionManager.AcknowledgementBatch;
import io.strata.broker.share.SharePartitionManager.Acquisition;
import io.strata.broker.share.OffsetRange;
import io.strata.broker.share.ShareServing;
import io.strata.broker.share.ShareSessionCache;
import io.strata.broker.share.selector.MessageSelector;
import io.strata.broker.transaction.TransactionVerifier;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * ShareFetch and ShareAcknowledge (KIP-932, versions 1 and 2) at the leader of the topic partitions they name.
 *
 * <p>A request first passes its share session ({@link ShareSessionCache}): a bad epoch or a missing session answers
 * the whole request. Its acknowledgements are then stored through the {@link SharePartitionManager}, each partition's
 * answered on its own. A ShareFetch then reads each partition of the session: from the share partition's next
 * Available offset, whole batches up to the high watermark within {@code max_bytes}, and acquires up to
 * {@code max_records} records among those read (exactly that many: the record-limit mode of v2; the batch-optimized
 * mode is answered the same way, which is within what it allows; {@code batch_size} is not used, each acquisition
 * being answered as its contiguous ranges). The response carries the batches and the acquired
 * ranges; the consumer hands out only acquired offsets. A read_committed group acquires only below the last stable
 * offset, and the records of aborted transactions among what it acquired are archived, not handed out: the share
 * consumer gets no list of aborted transactions. A fetch that acquired nothing waits up to {@code max_wait_ms} for a
 * high watermark to move or records to be released, then tries again.
 *
 * <p>A member may filter what it is given (Strata's share filter extension, {@link StrataExtensions#SHARE_FILTER_TAG}):
 * the request that opens its session carries a JMS message selector, which the session keeps; each partition's read
 * is then decoded for its headers ({@link FetchedShareRecords}) and only records the selector matches are acquired,
 * the others staying Available for other members with their delivery counts unchanged. A malformed field, a selector
 * that does not parse or one that differs from the session's is answered INVALID_REQUEST, nothing done.
 *
 * <p>A closing request (epoch -1) acknowledges, closes the session and releases what the member still holds; it
 * fetches nothing. A v2 request that renews locks ({@code is_renew_ack}) fetches nothing either, as Kafka's.
 *
 * <p>Acknowledgements inside a Kafka transaction (a Strata extension, docs/protocol-extensions.md): a ShareAcknowledge
 * carrying the tagged field {@link StrataExtensions#SHARE_ACKNOWLEDGE_TRANSACTION_TAG}, or a ShareFetch carrying
 * {@link StrataExtensions#SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG} for its piggybacked ones, names a producer's
 * transaction. The acknowledged topic partitions are first added to that transaction through the
 * {@link TransactionVerifier}, as a leader of transaction protocol version 2 adds a partition a producer writes to (the
 * coordinator fences a stale producer there, and writes its marker into them at the end); then the acknowledgements
 * are held pending in the share partitions until that marker. The answer comes once they are pending. A malformed
 * field, or a renew inside a transaction, is refused with INVALID_REQUEST before the share session is touched.
 *
 * <p>Members are not checked against the share group's membership here, as in Kafka: the session is the member's
 * standing at the partition leader, and the group coordinator fences members through their heartbeats.
 *
 * <p>Thread-safe: the work of one request runs on whichever thread completes its stages (a request thread, the
 * persister's, the purgatory's timer).
 */
final class ShareFetchHandlers {

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ClusterMembership membership;
    private final ReplicaManager replicas;
    private final ShareServing share;
    private final LongConsumer bytesOut;
    private final Clock clock;
    private final TransactionVerifier transactions;

    /** @param transactions how acknowledged partitions are added to a producer's transaction */
    ShareFetchHandlers(RequestChannel requestChannel, Controller controller, ClusterMembership membership,
                       ReplicaManager replicas, ShareServing share, LongConsumer bytesOut, Clock clock,
                       TransactionVerifier transactions) {
        this.transactions = transactions;
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.membership = membership;
        this.replicas = replicas;
        this.share = share;
        this.bytesOut = bytesOut;
        this.clock = clock;
    }

    void register(ApiDispatcher dispatcher) {
        dispatcher.register(ApiKeys.SHARE_FETCH, this::shareFetch)
                .register(ApiKeys.SHARE_ACKNOWLEDGE, this::shareAcknowledge);
    }

    // ------------------------------------------------------------------------------------------------ ShareFetch

    /** One partition a request names, resolved against the metadata ({@code topicPartition} null: unknown topic). */
    private record Named(Uuid topicId, int partition, TopicIdPartition topicPartition,
                         List<AcknowledgementBatch> acknowledgements) {
    }

    /** What one partition answers. */
    private static final class PartitionAnswer {
        Errors error = Errors.NONE;
        String message;
        Errors acknowledgeError = Errors.NONE;
        String acknowledgeMessage;
        LogReadResult read;
        List<AcquiredRecords> acquired = List.of();
    }

    /** A ShareFetch in progress: its fields, and the answers so far, by partition. */
    private final class Fetch {
        final Request request;
        final ShareFetchRequestData data;
        final String groupId;
        final String memberId;
        final Map<TopicIdPartition, PartitionAnswer> answers = new LinkedHashMap<>();
        final Map<Named, Errors> unknown = new LinkedHashMap<>();
        final long deadlineMs;
        final boolean readCommitted;
        /** The session's filter, or null: the member takes every record. */
        final MessageSelector selector;
        long lockDurationMs;
        /** The purgatory's append count when the last attempt began: what came after, a waiting fetch must see. */
        volatile long appendsSeenBeforeAttempt;

        Fetch(Request request, ShareFetchRequestData data, MessageSelector selector) {
            this.request = request;
            this.data = data;
            this.selector = selector;
            this.groupId = data.groupId();
            this.memberId = data.memberId();
            this.deadlineMs = clock.millis() + Math.max(0, data.maxWaitMs());
            this.lockDurationMs = share.settings(groupId).lockDurationMs();
            this.readCommitted = share.settings(groupId).isolationLevel() == IsolationLevel.READ_COMMITTED;
        }

        PartitionAnswer answer(TopicIdPartition topicPartition) {
            return answers.computeIfAbsent(topicPartition, tp -> new PartitionAnswer());
        }

        long acquiredCount() {
            long count = 0;
            for (PartitionAnswer answer : answers.values()) {
                for (AcquiredRecords records : answer.acquired) {
                    count += records.lastOffset() - records.firstOffset() + 1;
                }
            }
            return count;
        }
    }

    private void shareFetch(Request request, AbstractRequest body) {
        ShareFetchRequestData data = ((ShareFetchRequest) body).data();
        short version = request.context().apiVersion();
        Errors invalid = checkIdentity(data.groupId(), data.memberId());
        if (invalid != null) {
            respondFetchError(request, invalid, "a ShareFetch needs a group id and a member id");
            return;
        }
        MessageSelector selector;
        try {
            selector = ShareFilterField.selector(data.unknownTaggedFields());
        } catch (InvalidRequestException e) {
            respondFetchError(request, Errors.INVALID_REQUEST, e.getMessage());
            return;
        }
        AcknowledgementTransaction transaction;
        try {
            transaction = transactionOf(data.unknownTaggedFields(),
                    StrataExtensions.SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG, version >= 2 && data.isRenewAck(),
                    data.topics().stream().flatMap(t -> t.partitions().stream())
                            .flatMap(p -> p.acknowledgementBatches().stream())
                            .anyMatch(b -> b.acknowledgeTypes().contains(AcknowledgeType.RENEW.id)));
        } catch (IllegalArgumentException e) {
            respondFetchError(request, Errors.INVALID_REQUEST, e.getMessage());
            return;
        }
        List<Named> named = named(data);
        List<TopicIdPartition> forgotten = forgotten(data);
        int epoch = data.shareSessionEpoch();
        boolean acknowledges = named.stream().anyMatch(n -> !n.acknowledgements().isEmpty());
        if (epoch == ShareSessionCache.INITIAL_EPOCH && acknowledges) {
            respondFetchError(request, Errors.INVALID_REQUEST,
                    "a ShareFetch that opens a share session (epoch 0) cannot acknowledge");
            return;
        }
        List<TopicIdPartition> added = named.stream().filter(n -> n.topicPartition() != null)
                .map(Named::topicPartition).distinct().toList();
        ShareSessionCache.Outcome session = share.sessions().fetch(data.groupId(), data.memberId(), epoch,
                epoch == ShareSessionCache.FINAL_EPOCH ? List.of() : added, forgotten, selector,
                request.context().connectionId, clock.millis());
        if (session.error() != Errors.NONE) {
            respondFetchError(request, session.error(), session.message());
            return;
        }
        Fetch fetch = new Fetch(request, data, session.selector());
        for (Named n : named) {
            if (n.topicPartition() == null) {
                fetch.unknown.put(n, Errors.UNKNOWN_TOPIC_ID);
            }
        }
        acknowledge(data.groupId(), data.memberId(), named, version, transaction, fetch::answer).thenCompose(ignored -> {
            // Released only after the acknowledgements: a closing member's last acknowledgements count.
            share.release(data.groupId(), data.memberId(), session.released());
            if (epoch == ShareSessionCache.FINAL_EPOCH || (version >= 2 && data.isRenewAck())) {
                return CompletableFuture.completedFuture(null);
            }
            return fetchAll(fetch, session.partitions());
        }).whenComplete((ignored, failure) -> {
            if (failure != null) {
                closeReads(fetch);
                respondFetchError(request, Errors.UNKNOWN_SERVER_ERROR, "the broker failed: " + failure);
            } else if (fetch.acquiredCount() == 0 && epoch != ShareSessionCache.FINAL_EPOCH
                    && !(version >= 2 && data.isRenewAck()) && clock.millis() < fetch.deadlineMs
                    && data.minBytes() > 0 && !session.partitions().isEmpty() && !anyFetchError(fetch)) {
                awaitRecords(fetch, session.partitions());
            } else {
                respondFetch(fetch);
            }
        });
    }

    /**
     * Parks a fetch that acquired nothing until a high watermark of one of its partitions moves or records are
     * released there, or its time runs out; then it tries again, and waits on if it still got nothing.
     */
    private void awaitRecords(Fetch fetch, List<TopicIdPartition> topicPartitions) {
        long seenBefore = fetch.appendsSeenBeforeAttempt;
        DelayedFetch delayed = new DelayedFetch(topicPartitions.stream().map(TopicIdPartition::topicPartition)
                .distinct().toList(), 1, 0, (counted, minBytes) -> true, () ->
                fetchAll(fetch, topicPartitions).whenComplete((ignored, failure) -> {
                    if (failure == null && fetch.acquiredCount() == 0 && clock.millis() < fetch.deadlineMs
                            && !anyFetchError(fetch)) {
                        awaitRecords(fetch, topicPartitions);
                    } else {
                        respondFetch(fetch);
                    }
                }));
        share.waiting().watch(delayed, Math.max(1, fetch.deadlineMs - clock.millis()));
        // What was released or appended since the attempt began would not wake it: look once more.
        if (share.waiting().appendsSeen() != seenBefore) {
            share.waiting().completeNow(delayed);
        }
    }

    /** Reads and acquires from each partition in turn, within the request's byte and record budgets. */
    private CompletableFuture<Void> fetchAll(Fetch fetch, List<TopicIdPartition> topicPartitions) {
        fetch.appendsSeenBeforeAttempt = share.waiting().appendsSeen();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (TopicIdPartition topicPartition : topicPartitions) {
            chain = chain.thenCompose(ignored -> fetchPartition(fetch, topicPartition));
        }
        return chain;
    }

    private CompletableFuture<Void> fetchPartition(Fetch fetch, TopicIdPartition topicPartition) {
        long recordsLeft = fetch.data.maxRecords() - fetch.acquiredCount();
        long bytesLeft = fetch.data.maxBytes() - bytesRead(fetch);
        if ((recordsLeft <= 0 || bytesLeft <= 0) && fetch.data.maxRecords() != 0) {
            return CompletableFuture.completedFuture(null);
        }
        Partition partition = replicas.partition(topicPartition.topicPartition());
        if (partition == null || !partition.isLeader() || !partition.topicId().equals(topicPartition.topicId())) {
            PartitionAnswer answer = fetch.answer(topicPartition);
            answer.error = Errors.NOT_LEADER_OR_FOLLOWER;
            answer.message = "broker " + replicas.brokerId() + " does not lead " + topicPartition;
            return CompletableFuture.completedFuture(null);
        }
        boolean minOneBatch = bytesRead(fetch) == 0;
        SharePartitionManager manager = share.partitions();
        if (fetch.data.maxRecords() == 0) {
            // A member that may not take records yet (a JMS consumer of a stopped connection opens its session so):
            // its share partition is placed (share.auto.offset.reset applies now, so a new subscription keeps what
            // is sent from here on) and nothing is acquired.
            return manager.nextFetchOffset(fetch.groupId, topicPartition).thenAccept(position -> {
                if (position.error() != Errors.NONE) {
                    fail(fetch.answer(topicPartition), position.error(), position.message());
                }
            });
        }
        return manager.nextFetchOffset(fetch.groupId, topicPartition).thenCompose(position -> {
            if (position.error() != Errors.NONE) {
                fail(fetch.answer(topicPartition), position.error(), position.message());
                return CompletableFuture.completedFuture(null);
            }
            LogReadResult read;
            try {
                read = partition.readForConsumer(position.offset(), (int) Math.min(Integer.MAX_VALUE, bytesLeft),
                        minOneBatch);
            } catch (ApiException e) {
                fail(fetch.answer(topicPartition), Errors.forException(e), e.getMessage());
                return CompletableFuture.completedFuture(null);
            }
            if (read.records().sizeInBytes() == 0) {
                read.close();
                return CompletableFuture.completedFuture(null);
            }
            long readEnd = partition.log().nextOffsetAfter(read);
            FetchedShareRecords records = fetch.selector == null ? null
                    : fetchedRecords(fetch, partition, position.offset(), readEnd, read);
            CompletableFuture<Acquisition> acquired = records == null
                    ? manager.acquire(fetch.groupId, fetch.memberId, topicPartition, (int) recordsLeft, readEnd)
                    : manager.acquire(fetch.groupId, fetch.memberId, topicPartition, (int) recordsLeft, readEnd,
                    records, fetch.selector.forPartition(topicPartition.topic(), topicPartition.partition()));
            return acquired.thenCompose(acquisition -> {
                if (records != null && records.failure() != null && acquisition.records().isEmpty()) {
                    read.close();
                    fail(fetch.answer(topicPartition), Errors.KAFKA_STORAGE_ERROR, "reading " + topicPartition
                            + " for the member's message selector failed: " + records.failure());
                    return CompletableFuture.completedFuture(null);
                }
                keep(fetch, topicPartition, partition, position.offset(), read, acquisition, bytesLeft, records);
                return fetch.readCommitted ? dropAborted(fetch, topicPartition, partition)
                        : CompletableFuture.completedFuture(null);
            });
        });
    }

    /**
     * The records of a filtered member's read, for its selector to test, read lazily from the log region. For a
     * read_committed group the records of aborted transactions have none: they are archived instead of being tested
     * (matching no one, they would otherwise stay forever).
     */
    private static FetchedShareRecords fetchedRecords(Fetch fetch, Partition partition, long readFrom, long readEnd,
                                                      LogReadResult read) {
        List<AbortedTransaction> aborted = fetch.readCommitted && partition.log().hasAbortedTransactionsFrom(readFrom)
                ? partition.abortedTransactions(readFrom, readEnd) : List.of();
        return new FetchedShareRecords(read.records(), aborted);
    }

    /**
     * Puts what a partition acquired into the answer with the batches that hold it; when records below the read were
     * released meanwhile and acquired too, reads again from the first acquired offset. For a filtered member
     * ({@code records} not null) the answer carries only the batches from the first acquired record to the last, read
     * again when that is less than was read: what its selector skipped past either end is not sent.
     */
    private void keep(Fetch fetch, TopicIdPartition topicPartition, Partition partition, long readFrom,
                      LogReadResult read, Acquisition acquisition, long bytesLeft, FetchedShareRecords records) {
        PartitionAnswer answer = fetch.answer(topicPartition);
        if (acquisition.error() != Errors.NONE || acquisition.records().isEmpty()) {
            read.close();
            if (acquisition.error() != Errors.NONE) {
                fail(answer, acquisition.error(), acquisition.message());
            }
            return;
        }
        fetch.lockDurationMs = acquisition.lockDurationMs();
        LogReadResult kept = read;
        long firstAcquired = acquisition.records().get(0).firstOffset();
        long lastAcquired = acquisition.records().get(acquisition.records().size() - 1).lastOffset();
        int spanning = records == null ? 0 : records.bytesSpanning(firstAcquired, lastAcquired);
        if (spanning > 0 && spanning < read.records().sizeInBytes()) {
            read.close();
            kept = partition.readForConsumer(firstAcquired, spanning, true);
        } else if (firstAcquired < readFrom && records == null) {
            read.close();
            kept = partition.readForConsumer(firstAcquired, (int) Math.min(Integer.MAX_VALUE, bytesLeft), true);
        }
        answer.read = kept;
        answer.acquired = acquisition.records();
        bytesOut.accept(kept.records().sizeInBytes());
    }

    /**
     * Takes the records of aborted transactions out of what a read_committed member acquired, and archives them: the
     * share consumer gets no list of aborted transactions to skip them by itself. The batches are read into memory
     * for their headers only when the log indexes an aborted transaction in the range.
     */
    private CompletableFuture<Void> dropAborted(Fetch fetch, TopicIdPartition topicPartition, Partition partition) {
        PartitionAnswer answer = fetch.answers.get(topicPartition);
        if (answer == null || answer.read == null || answer.acquired.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long first = answer.acquired.get(0).firstOffset();
        long last = answer.acquired.get(answer.acquired.size() - 1).lastOffset();
        if (!partition.log().hasAbortedTransactionsFrom(first)) {
            return CompletableFuture.completedFuture(null);
        }
        List<AbortedTransaction> transactions = partition.abortedTransactions(first, last + 1);
        if (transactions.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<OffsetRange> aborted;
        try {
            aborted = AbortedRecords.within(answer.acquired, AbortedRecords.abortedBatches(
                    answer.read.records().readAll(), transactions));
        } catch (java.io.IOException e) {
            // What was acquired stays locked to the member until its lock expires, then is tried again.
            answer.read.close();
            answer.read = null;
            answer.acquired = List.of();
            fail(answer, Errors.KAFKA_STORAGE_ERROR, "reading " + topicPartition + " failed: " + e.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        if (aborted.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        answer.acquired = AbortedRecords.without(answer.acquired, aborted);
        return share.partitions().archiveAborted(fetch.groupId, fetch.memberId, topicPartition, aborted);
    }

    private static long bytesRead(Fetch fetch) {
        long bytes = 0;
        for (PartitionAnswer answer : fetch.answers.values()) {
            bytes += answer.read == null ? 0 : answer.read.records().sizeInBytes();
        }
        return bytes;
    }

    /** Gives back the log regions of a fetch that is answered without them. */
    private static void closeReads(Fetch fetch) {
        for (PartitionAnswer answer : fetch.answers.values()) {
            if (answer.read != null) {
                answer.read.close();
                answer.read = null;
            }
        }
    }

    private static boolean anyFetchError(Fetch fetch) {
        return fetch.answers.values().stream().anyMatch(a -> a.error != Errors.NONE);
    }

    private static void fail(PartitionAnswer answer, Errors error, String message) {
        answer.error = error;
        answer.message = message;
    }

    private void respondFetch(Fetch fetch) {
        LinkedHashMap<TopicIdPartition, ShareFetchResponseData.PartitionData> partitions = new LinkedHashMap<>();
        Set<Integer> leaders = new TreeSet<>();
        List<AutoCloseable> regions = new ArrayList<>();
        fetch.answers.forEach((topicPartition, answer) -> {
            ShareFetchResponseData.PartitionData partition = new ShareFetchResponseData.PartitionData()
                    .setPartitionIndex(topicPartition.partition())
                    .setErrorCode(answer.error.code()).setErrorMessage(answer.message)
                    .setAcknowledgeErrorCode(answer.acknowledgeError.code())
                    .setAcknowledgeErrorMessage(answer.acknowledgeMessage)
                    .setRecords(MemoryRecords.EMPTY);
            if (answer.read != null) {
                partition.setRecords(new StoredRecords(answer.read.records()));
                regions.add(answer.read);
                for (AcquiredRecords acquired : answer.acquired) {
                    partition.acquiredRecords().add(new ShareFetchResponseData.AcquiredRecords()
                            .setFirstOffset(acquired.firstOffset()).setLastOffset(acquired.lastOffset())
                            .setDeliveryCount((short) acquired.deliveryCount()));
                }
            }
            int leader = currentLeader(topicPartition.topicId(), topicPartition.partition(),
                    partition.currentLeader());
            if (answer.error == Errors.NOT_LEADER_OR_FOLLOWER
                    || answer.acknowledgeError == Errors.NOT_LEADER_OR_FOLLOWER) {
                leaders.add(leader);
            }
            partitions.put(topicPartition, partition);
        });
        fetch.unknown.forEach((named, error) -> partitions.put(new TopicIdPartition(named.topicId(),
                named.partition(), null), new ShareFetchResponseData.PartitionData()
                .setPartitionIndex(named.partition())
                .setErrorCode(error.code()).setErrorMessage("no topic has id " + named.topicId())
                .setAcknowledgeErrorCode(named.acknowledgements().isEmpty() ? 0 : error.code())
                .setRecords(MemoryRecords.EMPTY)));
        List<Node> nodes = new ArrayList<>();
        for (LeaderEndpoint leader : endpoints(leaders, fetch.request)) {
            nodes.add(new Node(leader.nodeId(), leader.endpoint().host(), leader.endpoint().port()));
        }
        requestChannel.sendResponse(fetch.request, ShareFetchResponse.of(Errors.NONE, 0, partitions, nodes,
                (int) Math.min(Integer.MAX_VALUE, fetch.lockDurationMs)), regions);
    }

    private void respondFetchError(Request request, Errors error, String message) {
        ShareFetchResponse response = ShareFetchResponse.of(error, 0, new LinkedHashMap<>(), List.of(), 0);
        response.data().setErrorMessage(message);
        requestChannel.sendResponse(request, response);
    }

    // ------------------------------------------------------------------------------------------ ShareAcknowledge

    private void shareAcknowledge(Request request, AbstractRequest body) {
        ShareAcknowledgeRequestData data = ((ShareAcknowledgeRequest) body).data();
        short version = request.context().apiVersion();
        Errors invalid = checkIdentity(data.groupId(), data.memberId());
        if (invalid != null) {
            respondAcknowledgeError(request, invalid, "a ShareAcknowledge needs a group id and a member id");
            return;
        }
        AcknowledgementTransaction transaction;
        try {
            transaction = transactionOf(data.unknownTaggedFields(), StrataExtensions.SHARE_ACKNOWLEDGE_TRANSACTION_TAG,
                    version >= 2 && data.isRenewAck(), data.topics().stream().flatMap(t -> t.partitions().stream())
                            .flatMap(p -> p.acknowledgementBatches().stream())
                            .anyMatch(b -> b.acknowledgeTypes().contains(AcknowledgeType.RENEW.id)));
        } catch (IllegalArgumentException e) {
            respondAcknowledgeError(request, Errors.INVALID_REQUEST, e.getMessage());
            return;
        }
        ShareSessionCache.Outcome session = share.sessions().acknowledge(data.groupId(), data.memberId(),
                data.shareSessionEpoch(), request.context().connectionId, clock.millis());
        if (session.error() != Errors.NONE) {
            respondAcknowledgeError(request, session.error(), session.message());
            return;
        }
        List<Named> named = new ArrayList<>();
        for (ShareAcknowledgeRequestData.AcknowledgeTopic topic : data.topics()) {
            TopicImage image = controller.image().topic(topic.topicId());
            for (ShareAcknowledgeRequestData.AcknowledgePartition partition : topic.partitions()) {
                List<AcknowledgementBatch> batches = new ArrayList<>();
                for (ShareAcknowledgeRequestData.AcknowledgementBatch batch : partition.acknowledgementBatches()) {
                    batches.add(new AcknowledgementBatch(batch.firstOffset(), batch.lastOffset(),
                            batch.acknowledgeTypes()));
                }
                named.add(new Named(topic.topicId(), partition.partitionIndex(), topicIdPartition(image,
                        topic.topicId(), partition.partitionIndex()), batches));
            }
        }
        Map<TopicIdPartition, PartitionAnswer> answers = new LinkedHashMap<>();
        acknowledge(data.groupId(), data.memberId(), named, version, transaction,
                tp -> answers.computeIfAbsent(tp, key -> new PartitionAnswer())).whenComplete((ignored, failure) -> {
                    share.release(data.groupId(), data.memberId(), session.released());
                    if (failure != null) {
                        respondAcknowledgeError(request, Errors.UNKNOWN_SERVER_ERROR, "the broker failed: "
                                + failure);
                        return;
                    }
                    respondAcknowledge(request, data, named, answers);
                });
    }

    private void respondAcknowledge(Request request, ShareAcknowledgeRequestData data, List<Named> named,
                                    Map<TopicIdPartition, PartitionAnswer> answers) {
        ShareAcknowledgeResponseData response = new ShareAcknowledgeResponseData().setErrorCode(Errors.NONE.code())
                .setAcquisitionLockTimeoutMs((int) Math.min(Integer.MAX_VALUE,
                        share.settings(data.groupId()).lockDurationMs()));
        Map<Uuid, ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse> topics = new LinkedHashMap<>();
        Set<Integer> leaders = new TreeSet<>();
        for (Named n : named) {
            ShareAcknowledgeResponseData.PartitionData partition = new ShareAcknowledgeResponseData.PartitionData()
                    .setPartitionIndex(n.partition());
            if (n.topicPartition() == null) {
                partition.setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()).setErrorMessage("no topic has id "
                        + n.topicId());
            } else {
                PartitionAnswer answer = answers.getOrDefault(n.topicPartition(), new PartitionAnswer());
                partition.setErrorCode(answer.acknowledgeError.code()).setErrorMessage(answer.acknowledgeMessage);
                ShareFetchResponseData.LeaderIdAndEpoch leader = new ShareFetchResponseData.LeaderIdAndEpoch();
                int leaderId = currentLeader(n.topicId(), n.partition(), leader);
                partition.currentLeader().setLeaderId(leader.leaderId()).setLeaderEpoch(leader.leaderEpoch());
                if (answer.acknowledgeError == Errors.NOT_LEADER_OR_FOLLOWER) {
                    leaders.add(leaderId);
                }
            }
            topics.computeIfAbsent(n.topicId(), id -> new ShareAcknowledgeResponseData
                    .ShareAcknowledgeTopicResponse().setTopicId(id)).partitions().add(partition);
        }
        topics.values().forEach(topic -> response.responses().add(topic));
        for (LeaderEndpoint leader : endpoints(leaders, request)) {
            response.nodeEndpoints().add(new ShareAcknowledgeResponseData.NodeEndpoint()
                    .setNodeId(leader.nodeId()).setHost(leader.endpoint().host())
                    .setPort(leader.endpoint().port()));
        }
        requestChannel.sendResponse(request, new ShareAcknowledgeResponse(response));
    }

    private void respondAcknowledgeError(Request request, Errors error, String message) {
        requestChannel.sendResponse(request, new ShareAcknowledgeResponse(new ShareAcknowledgeResponseData()
                .setErrorCode(error.code()).setErrorMessage(message)));
    }

    // ------------------------------------------------------------------------------------------------ shared

    /**
     * Stores the acknowledgements of every named partition that has some, each partition on its own; completes once
     * all are answered. Renew (type 4) exists from version 2 on: before, it is an invalid request.
     */
    private CompletableFuture<Void> acknowledge(String groupId, String memberId, List<Named> named, short version,
                                                AcknowledgementTransaction transaction,
                                                java.util.function.Function<TopicIdPartition, PartitionAnswer>
                                                        answers) {
        if (transaction != null) {
            return acknowledgeInTransaction(groupId, memberId, named, transaction, answers);
        }
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (Named n : named) {
            if (n.acknowledgements().isEmpty() || n.topicPartition() == null) {
                continue;
            }
            PartitionAnswer answer = answers.apply(n.topicPartition());
            if (version < 2 && n.acknowledgements().stream().anyMatch(b -> b.typeIds().contains(
                    AcknowledgeType.RENEW.id))) {
                answer.acknowledgeError = Errors.INVALID_REQUEST;
                answer.acknowledgeMessage = "renew acknowledgements (type 4) need version 2";
                continue;
            }
            pending.add(share.partitions().acknowledge(groupId, memberId, n.topicPartition(), n.acknowledgements())
                    .thenAccept(result -> {
                        synchronized (answer) {
                            answer.acknowledgeError = result.error();
                            answer.acknowledgeMessage = result.message();
                        }
                    }));
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
    }

    /**
     * The transaction a request's acknowledgements are made in, or null; refuses (IllegalArgumentException, answered
     * INVALID_REQUEST) a malformed field and a renew inside a transaction.
     */
    private static AcknowledgementTransaction transactionOf(
            List<org.apache.kafka.common.protocol.types.RawTaggedField> fields, int tag, boolean renewAck,
            boolean renews) {
        AcknowledgementTransaction transaction = AcknowledgementTransaction.from(fields, tag);
        if (transaction != null && (renewAck || renews)) {
            throw new IllegalArgumentException("a renew acknowledgement (type 4, or is_renew_ack) cannot be made"
                    + " inside a transaction (tagged field " + tag + "): only accept, release and reject can");
        }
        return transaction;
    }

    /**
     * Adds every acknowledged topic partition to the transaction, then holds each partition's acknowledgements
     * pending in it; a partition the coordinator did not add is answered with its error, the others as the share
     * partition says. Completes once all are answered.
     */
    private CompletableFuture<Void> acknowledgeInTransaction(String groupId, String memberId, List<Named> named,
                                                             AcknowledgementTransaction transaction,
                                                             java.util.function.Function<TopicIdPartition,
                                                                     PartitionAnswer> answers) {
        SharePartitionManager manager = share.partitions();
        Map<TopicIdPartition, Object> guards = new LinkedHashMap<>();
        List<Named> acknowledging = new ArrayList<>();
        for (Named n : named) {
            if (n.acknowledgements().isEmpty() || n.topicPartition() == null) {
                continue;
            }
            Partition partition = replicas.partition(n.topicPartition().topicPartition());
            if (partition == null || !partition.isLeader()) {
                // Not added to the transaction: only a leader's partition gets a marker that ends its acknowledgements.
                PartitionAnswer answer = answers.apply(n.topicPartition());
                synchronized (answer) {
                    answer.acknowledgeError = Errors.NOT_LEADER_OR_FOLLOWER;
                    answer.acknowledgeMessage = "broker " + replicas.brokerId() + " does not lead "
                            + n.topicPartition();
                }
            } else {
                acknowledging.add(n);
                guards.put(n.topicPartition(), manager.takeTransactionGuard(n.topicPartition(),
                        transaction.producerId()));
            }
        }
        if (acknowledging.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        java.util.Set<TopicPartition> partitions = new java.util.HashSet<>();
        guards.keySet().forEach(tp -> partitions.add(tp.topicPartition()));
        return transactions.verify(transaction.transactionalId(), transaction.producerId(),
                transaction.producerEpoch(), partitions, true).thenCompose(errors -> {
                    List<CompletableFuture<Void>> pending = new ArrayList<>();
                    for (Named n : acknowledging) {
                        PartitionAnswer answer = answers.apply(n.topicPartition());
                        Object guard = guards.get(n.topicPartition());
                        Errors error = errors.getOrDefault(n.topicPartition().topicPartition(),
                                Errors.UNKNOWN_SERVER_ERROR);
                        if (error != Errors.NONE) {
                            manager.abandonTransactionGuard(n.topicPartition(), transaction.producerId(), guard);
                            synchronized (answer) {
                                answer.acknowledgeError = transactionError(error);
                                answer.acknowledgeMessage = "the transaction coordinator did not add "
                                        + n.topicPartition() + " to the transaction of " + transaction.transactionalId()
                                        + " (producer " + transaction.producerId() + " at epoch "
                                        + transaction.producerEpoch() + "): " + error.name()
                                        + "; nothing was acknowledged";
                            }
                            continue;
                        }
                        pending.add(manager.acknowledgeInTransaction(groupId, memberId, n.topicPartition(),
                                n.acknowledgements(), transaction.producerId(), transaction.producerEpoch(), guard)
                                .thenAccept(result -> {
                                    synchronized (answer) {
                                        answer.acknowledgeError = result.error();
                                        answer.acknowledgeMessage = result.message();
                                    }
                                }));
                    }
                    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
                });
    }

    /**
     * The error an acknowledgement answers when the coordinator did not add its partition: the coordinator's fencing
     * errors as they are (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING, INVALID_TXN_STATE,
     * TRANSACTIONAL_ID_NOT_FOUND), CONCURRENT_TRANSACTIONS as it is, and what it could not answer now as
     * COORDINATOR_NOT_AVAILABLE: the client sends the acknowledgements again.
     */
    private static Errors transactionError(Errors error) {
        return switch (error) {
            case NETWORK_EXCEPTION, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, REQUEST_TIMED_OUT ->
                    Errors.COORDINATOR_NOT_AVAILABLE;
            default -> error;
        };
    }

    private List<Named> named(ShareFetchRequestData data) {
        List<Named> named = new ArrayList<>();
        for (ShareFetchRequestData.FetchTopic topic : data.topics()) {
            TopicImage image = controller.image().topic(topic.topicId());
            for (ShareFetchRequestData.FetchPartition partition : topic.partitions()) {
                List<AcknowledgementBatch> batches = new ArrayList<>();
                for (ShareFetchRequestData.AcknowledgementBatch batch : partition.acknowledgementBatches()) {
                    batches.add(new AcknowledgementBatch(batch.firstOffset(), batch.lastOffset(),
                            batch.acknowledgeTypes()));
                }
                named.add(new Named(topic.topicId(), partition.partitionIndex(),
                        topicIdPartition(image, topic.topicId(), partition.partitionIndex()), batches));
            }
        }
        return named;
    }

    private List<TopicIdPartition> forgotten(ShareFetchRequestData data) {
        List<TopicIdPartition> forgotten = new ArrayList<>();
        for (ShareFetchRequestData.ForgottenTopic topic : data.forgottenTopicsData()) {
            TopicImage image = controller.image().topic(topic.topicId());
            for (int partition : topic.partitions()) {
                TopicIdPartition topicPartition = topicIdPartition(image, topic.topicId(), partition);
                if (topicPartition != null) {
                    forgotten.add(topicPartition);
                }
            }
        }
        return forgotten;
    }

    /** The partition, or null when the topic id or the partition is not in the metadata. */
    private static TopicIdPartition topicIdPartition(TopicImage image, Uuid topicId, int partition) {
        if (image == null || partition < 0 || partition >= image.partitionCount()) {
            return null;
        }
        return new TopicIdPartition(topicId, partition, image.name());
    }

    private static Errors checkIdentity(String groupId, String memberId) {
        return groupId == null || groupId.isEmpty() || memberId == null || memberId.isEmpty()
                ? Errors.INVALID_REQUEST : null;
    }

    /** Fills {@code into} with the partition's leader and epoch from the metadata; returns the leader id. */
    private int currentLeader(Uuid topicId, int partition, ShareFetchResponseData.LeaderIdAndEpoch into) {
        TopicImage image = controller.image().topic(topicId);
        PartitionAssignment assignment = image == null ? null : image.partition(partition);
        int leader = assignment == null ? -1 : assignment.leader();
        into.setLeaderId(leader).setLeaderEpoch(assignment == null ? -1 : assignment.leaderEpoch());
        return leader;
    }

    /** A leader to name in NodeEndpoints. */
    private record LeaderEndpoint(int nodeId, Endpoint endpoint) {
    }

    /** The endpoints, on the listener the request came in on, of the live brokers among {@code brokerIds}. */
    private List<LeaderEndpoint> endpoints(Set<Integer> brokerIds, Request request) {
        List<LeaderEndpoint> endpoints = new ArrayList<>();
        Map<Integer, BrokerInfo> live = new HashMap<>();
        for (BrokerInfo broker : membership.liveBrokers()) {
            live.put(broker.id(), broker);
        }
        for (int id : brokerIds) {
            BrokerInfo broker = live.get(id);
            Endpoint endpoint = broker == null ? null : broker.endpoint(request.context().listenerName());
            if (endpoint != null) {
                endpoints.add(new LeaderEndpoint(id, endpoint));
            }
        }
        return endpoints;
    }
}

package io.strata.jms.share;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.KafkaClient;
import org.apache.kafka.clients.Metadata;
import org.apache.kafka.clients.NodeApiVersions;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.requests.ShareAcknowledgeRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.requests.ShareRequestMetadata;
import org.apache.kafka.common.utils.ByteUtils;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The member's share session at one partition leader: its epoch (0 opens it, then each answered request moves it on,
 * -1 closes it), the partitions the broker has in it and those the member wants there, the acknowledgements waiting to
 * ride on the next ShareFetch (given by the caller, and the gaps of what was fetched), and the explicit
 * acknowledgements (ShareAcknowledge) callers wait for. One request at a time is in flight, as the session's epochs
 * require (and the leader answers a connection's requests one after the other anyway); an explicit acknowledgement goes
 * before the next fetch, so it waits at most for the fetch in flight, whose {@code max_wait_ms} is kept short while
 * records are buffered or held by the caller without an outcome: no longer than the time since records were last
 * buffered or handed out, at least {@value #ACTIVE_WAIT_MIN_MS} ms, at most the settings' {@code fetchMaxWaitMs}. A
 * transacted JMS session commits (a transactional ShareAcknowledge) right after its last receive; a full long poll
 * would hold that commit until the leader has new records or the long poll runs out. The waits grow with the time
 * since, so a caller that holds records for long costs a few more fetches, not a stream of them.
 *
 * <p>The member's selector (Strata's tag 32000) rides on the fetch that opens the session, after checking that the
 * leader advertises {@code strata.share.filter}. A session the leader no longer knows (SHARE_SESSION_NOT_FOUND,
 * INVALID_SHARE_SESSION_EPOCH, a broken connection) is reopened: the records acquired in the old one are released by
 * the broker, so they leave the buffer and their pending acknowledgements are dropped (reported as failed).
 *
 * <p>Not thread-safe: confined to the engine's network thread.
 */
final class LeaderSession {

    private static final Logger LOG = Logger.getLogger(LeaderSession.class.getName());
    /** Wait before sending again after a retriable error. */
    private static final long RETRY_BACKOFF_MS = 100;
    /**
     * Wait before a transaction's acknowledgements go again after CONCURRENT_TRANSACTIONS: the partition has not yet
     * heard the outcome of the member's previous transaction, whose markers are on their way, a matter of a few
     * milliseconds; a transacted consumer that commits every few messages meets it at every commit, so the full
     * backoff was the larger part of its commit's time (Kafka's producer retries AddPartitionsToTxn so too, at 20 ms).
     */
    static final long CONCURRENT_TRANSACTIONS_BACKOFF_MS = 5;
    /** The shortest {@code max_wait_ms} of a fetch sent while records are buffered or held without an outcome. */
    static final int ACTIVE_WAIT_MIN_MS = 5;

    /** What every session of the engine shares: the network, the metadata, the buffer, and where failures go. */
    record Context(String groupId, Uuid memberId, String selector, ShareConsumerSettings settings, KafkaClient client,
                   ApiVersions apiVersions, Metadata metadata, RecordBuffer buffer, int requestTimeoutMs,
                   Consumer<ShareGroupException> fatal) {
    }

    /** An explicit acknowledgement's share at this leader; {@code command} null: a flush of pending ones. */
    private record Piece(AcknowledgeCommand command, Acknowledgements acknowledgements, long notBeforeMs) {
    }

    private final Context context;
    private final Node node;
    /** Names this opening of the session: records in the buffer carry it, and go when it goes. */
    private long sessionId;
    private final java.util.function.LongSupplier sessionIds;
    private int epoch = ShareRequestMetadata.INITIAL_EPOCH;
    private final Set<TopicIdPartition> inSession = new HashSet<>();
    private Set<TopicIdPartition> wanted = Set.of();
    private Acknowledgements pending = new Acknowledgements();
    private final ArrayDeque<Piece> explicit = new ArrayDeque<>();
    private boolean inFlight;
    private long nextAttemptMs;
    private boolean closing;
    private boolean closed;

    LeaderSession(Context context, Node node, java.util.function.LongSupplier sessionIds) {
        this.context = context;
        this.node = node;
        this.sessionIds = sessionIds;
        this.sessionId = sessionIds.getAsLong();
    }

    Node node() {
        return node;
    }

    /** Whether the leader has this session open (its first fetch was answered). */
    boolean open() {
        return epoch != ShareRequestMetadata.INITIAL_EPOCH;
    }

    boolean closed() {
        return closed;
    }

    boolean idle() {
        return !inFlight && explicit.isEmpty();
    }

    Set<TopicIdPartition> wanted() {
        return wanted;
    }

    void want(Set<TopicIdPartition> partitions) {
        wanted = Set.copyOf(partitions);
    }

    /** How many acknowledgements wait for the next request. */
    int pendingCount() {
        return pending.size();
    }

    /** Acknowledgements the caller gave, to ride on the next request. */
    void acknowledgeLater(Acknowledgements acknowledgements) {
        pending.addAll(acknowledgements);
    }

    /** An explicit acknowledgement's share at this leader. */
    void acknowledgeNow(AcknowledgeCommand command, Acknowledgements acknowledgements) {
        if (!open()) {
            acknowledgements.partitions().forEach(tp -> command.result(tp, acknowledgements.offsets(tp),
                    Errors.SHARE_SESSION_NOT_FOUND, "no share session is open at broker " + node.id()
                            + ": the records are no longer held by this member"));
            return;
        }
        if (command.transaction != null && !advertises(StrataFeatures.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE)) {
            command.future.completeExceptionally(new UnsupportedExtensionException(
                    StrataFeatures.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE, "broker " + node.id() + " does not"
                    + " advertise " + StrataFeatures.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE + " in ApiVersions:"
                    + " acknowledgements inside a transaction need a Strata broker that has it; nothing was sent"));
            return;
        }
        command.expectPiece();
        explicit.addLast(new Piece(command, acknowledgements, 0));
    }

    /** Closes the session at the next chance: the pending acknowledgements go with epoch -1, the rest is released. */
    void close() {
        closing = true;
    }

    /**
     * Sends what is due, if nothing is in flight: an explicit acknowledgement, else a fetch, else the close. A paused
     * member ({@code paused}) opens its session with a fetch of no records (which places its share partitions, so
     * that a new subscription keeps what is sent from then on) and then sends only acknowledgements.
     */
    void poll(long nowMs, boolean fetching, boolean paused) {
        if (inFlight || closed || nowMs < nextAttemptMs) {
            return;
        }
        if (!open() && explicit.isEmpty() && (closing || wanted.isEmpty())) {
            // Nothing at this leader to close or acknowledge: done without connecting, so that a broker that died
            // (its partitions moved) is not dialled again and again.
            sendClose(nowMs);
            return;
        }
        if (!context.client().ready(node, nowMs)) {
            if (context.client().connectionFailed(node) && (open() || !explicit.isEmpty())) {
                lost("the connection to broker " + node.id() + " failed", nowMs);
            }
            return;
        }
        Piece piece = explicit.peekFirst();
        if (piece != null && piece.notBeforeMs() <= nowMs) {
            explicit.pollFirst();
            sendAcknowledge(piece, nowMs);
        } else if (piece != null) {
            return;
        } else if (closing || (wanted.isEmpty() && open())) {
            sendClose(nowMs);
        } else if (fetching && paused && !wanted.isEmpty()) {
            if (!open()) {
                sendFetch(nowMs, 0, context.settings().fetchMaxBytes());
            } else if (!pending.isEmpty()) {
                explicit.addLast(new Piece(null, takePending(), 0));
            }
        } else if (fetching && !wanted.isEmpty()) {
            int records = Math.min(context.settings().fetchMaxRecords(), context.buffer().roomRecords());
            long bytes = Math.min(context.settings().fetchMaxBytes(), context.buffer().roomBytes());
            if (records > 0 && bytes > 0) {
                sendFetch(nowMs, records, (int) bytes);
            } else if (open() && !pending.isEmpty()) {
                // A full buffer holds the fetches back, not the acknowledgements.
                explicit.addLast(new Piece(null, takePending(), 0));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ ShareFetch

    private void sendFetch(long nowMs, int maxRecords, int maxBytes) {
        boolean opening = !open();
        String selector = context.selector();
        if (opening && selector != null && !advertises(StrataFeatures.SHARE_FILTER_FEATURE)) {
            context.fatal().accept(new UnsupportedExtensionException(StrataFeatures.SHARE_FILTER_FEATURE,
                    "broker " + node.id() + " does not advertise " + StrataFeatures.SHARE_FILTER_FEATURE
                            + " in ApiVersions: a message selector needs a Strata broker that filters share fetches"));
            closed = true;
            return;
        }
        List<TopicIdPartition> added = new ArrayList<>(wanted);
        added.removeAll(inSession);
        List<TopicIdPartition> forgotten = new ArrayList<>(inSession);
        forgotten.removeAll(wanted);
        // A fetch that opens a session may not acknowledge: what was pending belonged to a session that is gone.
        Acknowledgements acknowledgements = opening ? new Acknowledgements() : takePending();
        int maxWaitMs = fetchWaitMs(nowMs);
        ShareFetchRequest.Builder request = ShareFetchRequest.Builder.forConsumer(context.groupId(),
                new ShareRequestMetadata(context.memberId(), epoch), maxWaitMs,
                maxRecords == 0 ? 0 : 1, // a fetch of no records is answered at once
                maxBytes, maxRecords, maxRecords, (byte) 0, false, opening ? new ArrayList<>(wanted) : added,
                opening ? List.of() : forgotten, acknowledgements.toFetchBatches());
        if (opening && selector != null) {
            request.data().unknownTaggedFields().add(new RawTaggedField(StrataFeatures.SHARE_FILTER_TAG,
                    compactString(selector)));
        }
        int sentEpoch = epoch;
        long sentSession = sessionId;
        List<TopicIdPartition> sentAdded = opening ? new ArrayList<>(wanted) : added;
        inFlight = true;
        context.client().send(context.client().newClientRequest(node.idString(), request, nowMs, true,
                context.requestTimeoutMs() + maxWaitMs, response -> onFetch(response,
                        nowMs, sentEpoch, sentSession, sentAdded, forgotten, acknowledgements)), nowMs);
    }

    /**
     * How long the leader may hold a fetch that finds nothing: the settings' {@code fetchMaxWaitMs}, but while records
     * are buffered or held by the caller without an outcome (an acknowledgement of them is coming, and must not wait
     * behind a long poll) no longer than the time since records were last buffered or handed out, and at least
     * {@value #ACTIVE_WAIT_MIN_MS} ms.
     */
    int fetchWaitMs(long nowMs) {
        int longest = context.settings().fetchMaxWaitMs();
        long activeSinceMs = context.buffer().activeSinceMs();
        if (activeSinceMs < 0) {
            return longest;
        }
        return (int) Math.min(longest, Math.max(ACTIVE_WAIT_MIN_MS, nowMs - activeSinceMs));
    }

    private void onFetch(ClientResponse response, long sentMs, int sentEpoch, long sentSession,
                         List<TopicIdPartition> added, List<TopicIdPartition> forgotten,
                         Acknowledgements acknowledgements) {
        inFlight = false;
        long nowMs = response.receivedTimeMs();
        if (response.versionMismatch() != null) {
            context.fatal().accept(new ShareGroupException(Errors.UNSUPPORTED_VERSION, "broker " + node.id()
                    + " does not serve ShareFetch: " + response.versionMismatch().getMessage()));
            closed = true;
            return;
        }
        if (!response.hasResponse()) {
            report(acknowledgements, Errors.NETWORK_EXCEPTION, "the connection broke before the answer");
            lost("the fetch " + (response.wasTimedOut() ? "timed out" : "lost its connection"), nowMs);
            return;
        }
        ShareFetchResponseData data = ((ShareFetchResponse) response.responseBody()).data();
        Errors error = Errors.forCode(data.errorCode());
        if (error != Errors.NONE) {
            report(acknowledgements, error, data.errorMessage());
            onFetchError(error, data.errorMessage(), sentEpoch, nowMs);
            return;
        }
        if (sentSession != sessionId) {
            return; // the session was replaced meanwhile; its records are the broker's again
        }
        epoch = ShareRequestMetadata.nextEpoch(sentEpoch);
        inSession.addAll(added);
        forgotten.forEach(inSession::remove);
        long lockDeadlineMs = sentMs + data.acquisitionLockTimeoutMs();
        context.buffer().lockTimeoutMs(data.acquisitionLockTimeoutMs());
        Map<Uuid, String> names = context.metadata().topicNames();
        for (ShareFetchResponseData.ShareFetchableTopicResponse topic : data.responses()) {
            for (ShareFetchResponseData.PartitionData partition : topic.partitions()) {
                TopicIdPartition topicPartition = new TopicIdPartition(topic.topicId(),
                        new TopicPartition(names.get(topic.topicId()), partition.partitionIndex()));
                report(acknowledgements.remove(topicPartition), Errors.forCode(partition.acknowledgeErrorCode()),
                        partition.acknowledgeErrorMessage());
                onFetched(topicPartition, partition, lockDeadlineMs, nowMs);
            }
        }
    }

    private void onFetchError(Errors error, String message, int sentEpoch, long nowMs) {
        if (error == Errors.SHARE_SESSION_NOT_FOUND || error == Errors.INVALID_SHARE_SESSION_EPOCH) {
            lost(error + ": " + message, nowMs);
        } else if (error == Errors.INVALID_REQUEST && sentEpoch == ShareRequestMetadata.INITIAL_EPOCH
                && context.selector() != null) {
            context.fatal().accept(new InvalidShareFilterException(context.selector(), "broker " + node.id()
                    + " refused the message selector \"" + context.selector() + "\": " + message));
            closed = true;
        } else if (error.exception() instanceof RetriableException
                || error == Errors.SHARE_SESSION_LIMIT_REACHED) {
            LOG.log(Level.FINE, "Share fetch at broker {0} failed, retried: {1} ({2})",
                    new Object[] {node.id(), error, message});
            nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
        } else {
            context.fatal().accept(new ShareGroupException(error, "broker " + node.id() + " refused the share"
                    + " fetch of group '" + context.groupId() + "': " + error + " (" + message + ")"));
            closed = true;
        }
    }

    private void onFetched(TopicIdPartition topicPartition, ShareFetchResponseData.PartitionData partition,
                           long lockDeadlineMs, long nowMs) {
        Errors error = Errors.forCode(partition.errorCode());
        if (error != Errors.NONE) {
            // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, ...: the
            // metadata names the partition's leader anew, and the engine moves the partition to that session.
            LOG.log(Level.FINE, "Share fetch of {0} at broker {1}: {2} ({3})",
                    new Object[] {topicPartition, node.id(), error, partition.errorMessage()});
            context.metadata().requestUpdate(false);
            nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
            return;
        }
        ShareFetchDecoder.Decoded decoded = ShareFetchDecoder.decode(topicPartition, partition);
        decoded.gaps().forEach(offset -> pending.add(topicPartition, offset, Acknowledgements.GAP));
        decoded.corrupt().forEach(offset -> pending.add(topicPartition, offset, AcknowledgeType.RELEASE.id));
        if (!decoded.corrupt().isEmpty()) {
            LOG.log(Level.WARNING, "{0} records of {1} from broker {2} failed their check (CRC); released",
                    new Object[] {decoded.corrupt().size(), topicPartition, node.id()});
        }
        // The leader may give more than asked (it aligns on batches): hand the excess back at once.
        for (ShareRecord excess : context.buffer().addFitting(decoded.records(), lockDeadlineMs, sessionId,
                nowMs)) {
            pending.add(topicPartition, excess.offset(), AcknowledgeType.RELEASE.id);
        }
    }

    // ------------------------------------------------------------------------------------------ ShareAcknowledge

    private void sendAcknowledge(Piece piece, long nowMs) {
        Acknowledgements acknowledgements = piece.acknowledgements();
        Acknowledgements sent = new Acknowledgements();
        sent.addAll(acknowledgements);
        AcknowledgementTransaction transaction = piece.command() == null ? null : piece.command().transaction;
        if (transaction == null) {
            // Outside a transaction the pending ones ride along (the caller's own win where both name an offset).
            Acknowledgements merged = takePending();
            merged.addAll(sent);
            sent = merged;
        }
        ShareAcknowledgeRequest.Builder request = ShareAcknowledgeRequest.Builder.forConsumer(context.groupId(),
                new ShareRequestMetadata(context.memberId(), epoch), sent.hasRenew(), sent.toAcknowledgeBatches());
        if (transaction != null) {
            request.data().unknownTaggedFields().add(transaction.toTaggedField(
                    StrataFeatures.SHARE_ACKNOWLEDGE_TRANSACTION_TAG));
        }
        int sentEpoch = epoch;
        Acknowledgements others = sent;
        inFlight = true;
        context.client().send(context.client().newClientRequest(node.idString(), request, nowMs, true,
                context.requestTimeoutMs(), response -> onAcknowledge(response, sentEpoch, piece, others)), nowMs);
    }

    private void onAcknowledge(ClientResponse response, int sentEpoch, Piece piece, Acknowledgements sent) {
        inFlight = false;
        long nowMs = response.receivedTimeMs();
        AcknowledgeCommand command = piece.command();
        if (!response.hasResponse() || response.versionMismatch() != null) {
            String why = response.versionMismatch() != null ? response.versionMismatch().getMessage()
                    : "the connection to broker " + node.id() + " broke before the answer: the outcome is unknown";
            finish(piece, sent, Errors.NETWORK_EXCEPTION, why);
            lost(why, nowMs);
            return;
        }
        ShareAcknowledgeResponseData data = ((ShareAcknowledgeResponse) response.responseBody()).data();
        Errors error = Errors.forCode(data.errorCode());
        if (error != Errors.NONE) {
            finish(piece, sent, error, data.errorMessage());
            if (error == Errors.SHARE_SESSION_NOT_FOUND || error == Errors.INVALID_SHARE_SESSION_EPOCH) {
                lost(error + ": " + data.errorMessage(), nowMs);
            }
            return;
        }
        epoch = ShareRequestMetadata.nextEpoch(sentEpoch);
        Acknowledgements retry = new Acknowledgements();
        long retryBackoffMs = RETRY_BACKOFF_MS;
        Map<Uuid, String> names = context.metadata().topicNames();
        for (ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse topic : data.responses()) {
            for (ShareAcknowledgeResponseData.PartitionData partition : topic.partitions()) {
                TopicIdPartition topicPartition = new TopicIdPartition(topic.topicId(),
                        new TopicPartition(names.get(topic.topicId()), partition.partitionIndex()));
                Errors partitionError = Errors.forCode(partition.errorCode());
                Acknowledgements own = piece.acknowledgements().remove(topicPartition);
                if (command != null && command.transaction != null && retriableInTransaction(partitionError)
                        && nowMs < command.deadlineMs) {
                    retry.addAll(own); // nothing was acknowledged: the doc says to send them again
                    retryBackoffMs = Math.min(retryBackoffMs, partitionError == Errors.CONCURRENT_TRANSACTIONS
                            ? CONCURRENT_TRANSACTIONS_BACKOFF_MS : RETRY_BACKOFF_MS);
                } else if (command != null && !own.isEmpty()) {
                    command.result(topicPartition, own.offsets(topicPartition), partitionError,
                            partition.errorMessage());
                }
                report(sent.remove(topicPartition), partitionError, partition.errorMessage());
            }
        }
        if (!retry.isEmpty()) {
            explicit.addFirst(new Piece(command, retry, nowMs + retryBackoffMs));
        }
        // Partitions the answer left out, if any; the piece stays expected while a retry of it waits.
        finishUnanswered(piece, Errors.UNKNOWN_SERVER_ERROR, "broker " + node.id() + " did not answer for the"
                + " partition", retry.isEmpty());
    }

    private static boolean retriableInTransaction(Errors error) {
        return error == Errors.CONCURRENT_TRANSACTIONS || error == Errors.COORDINATOR_NOT_AVAILABLE
                || error == Errors.NOT_COORDINATOR || error == Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /** Every partition of the piece gets {@code error}; the piece is done. */
    private void finish(Piece piece, Acknowledgements sent, Errors error, String message) {
        report(sent, error, message);
        AcknowledgeCommand command = piece.command();
        if (command != null) {
            for (TopicIdPartition tp : List.copyOf(piece.acknowledgements().partitions())) {
                command.result(tp, piece.acknowledgements().offsets(tp), error, message);
            }
            command.pieceDone();
        }
    }

    /** The piece's partitions the answer left out get {@code error}; the piece is done if {@code done}. */
    private void finishUnanswered(Piece piece, Errors error, String message, boolean done) {
        AcknowledgeCommand command = piece.command();
        if (command == null) {
            return;
        }
        for (TopicIdPartition tp : List.copyOf(piece.acknowledgements().partitions())) {
            command.result(tp, piece.acknowledgements().offsets(tp), error, message);
        }
        if (done) {
            command.pieceDone();
        }
    }

    // ------------------------------------------------------------------------------------------------ closing

    private void sendClose(long nowMs) {
        if (!open()) {
            closed = true;
            report(takePending(), Errors.SHARE_SESSION_NOT_FOUND, "no session to acknowledge in");
            return;
        }
        Acknowledgements last = takePending();
        ShareAcknowledgeRequest.Builder request = ShareAcknowledgeRequest.Builder.forConsumer(context.groupId(),
                new ShareRequestMetadata(context.memberId(), ShareRequestMetadata.FINAL_EPOCH), false,
                last.toAcknowledgeBatches());
        inFlight = true;
        context.client().send(context.client().newClientRequest(node.idString(), request, nowMs, true,
                context.requestTimeoutMs(), response -> {
                    inFlight = false;
                    Errors error = !response.hasResponse() ? Errors.NETWORK_EXCEPTION
                            : Errors.forCode(((ShareAcknowledgeResponse) response.responseBody()).data().errorCode());
                    report(last, error, "closing the share session");
                    reset();
                    if (closing) {
                        closed = true;
                    }
                }), nowMs);
    }

    /** The engine stops: explicit acknowledgements not yet answered fail with {@code why}. */
    void abandon(String why) {
        while (!explicit.isEmpty()) {
            finish(explicit.pollFirst(), new Acknowledgements(), Errors.NETWORK_EXCEPTION, why);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * The session is gone at the leader (or may be): the records it acquired are released there, so they leave the
     * buffer, the pending acknowledgements and waiting explicit ones fail, and the next fetch opens a new session.
     */
    private void lost(String why, long nowMs) {
        if (open()) {
            LOG.log(Level.INFO, "Share session of member {0} at broker {1} is lost, to be opened again: {2}",
                    new Object[] {context.memberId(), node.id(), why});
        }
        context.metadata().requestUpdate(false);
        reset();
        nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
        while (!explicit.isEmpty()) {
            Piece piece = explicit.pollFirst();
            finish(piece, new Acknowledgements(), Errors.SHARE_SESSION_NOT_FOUND, "the share session at broker "
                    + node.id() + " was lost (" + why + "): the records are no longer held by this member");
        }
    }

    private void reset() {
        long gone = sessionId;
        int dropped = context.buffer().dropSessions(id -> id == gone);
        report(takePending(), Errors.SHARE_SESSION_NOT_FOUND, "the share session was closed");
        if (dropped > 0) {
            LOG.log(Level.FINE, "{0} buffered records of the lost session at broker {1} dropped",
                    new Object[] {dropped, node.id()});
        }
        sessionId = sessionIds.getAsLong();
        epoch = ShareRequestMetadata.INITIAL_EPOCH;
        inSession.clear();
    }

    private Acknowledgements takePending() {
        Acknowledgements taken = pending;
        pending = new Acknowledgements();
        return taken;
    }

    private boolean advertises(String feature) {
        NodeApiVersions versions = context.apiVersions().get(node.idString());
        return versions != null && versions.supportedFeatures().containsKey(feature)
                && versions.supportedFeatures().get(feature).min() <= StrataFeatures.FEATURE_VERSION
                && versions.supportedFeatures().get(feature).max() >= StrataFeatures.FEATURE_VERSION;
    }

    /** Acknowledgements sent without a caller waiting: a failure is logged, one line per partition. */
    private void report(Acknowledgements acknowledgements, Errors error, String message) {
        if (error == Errors.NONE || acknowledgements.isEmpty()) {
            return;
        }
        for (TopicIdPartition tp : acknowledgements.partitions()) {
            LOG.log(Level.WARNING, "{0} acknowledgements of {1} at broker {2} failed: {3} ({4})",
                    new Object[] {acknowledgements.offsets(tp).size(), tp, node.id(), error, message});
        }
    }

    /** {@code text} as a Kafka compact string: an unsigned varint of the UTF-8 length plus one, then the bytes. */
    static byte[] compactString(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(ByteUtils.sizeOfUnsignedVarint(utf8.length + 1) + utf8.length);
        ByteBufferAccessor out = new ByteBufferAccessor(buffer);
        out.writeUnsignedVarint(utf8.length + 1);
        out.writeByteArray(utf8);
        return buffer.array();
    }
}

package io.strata.jms.share;

import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.KafkaClient;
import org.apache.kafka.clients.Metadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ShareGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ShareGroupHeartbeatResponse;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This member's place in its share group (KIP-932): finds the group coordinator (FindCoordinator with key type GROUP,
 * as Kafka's share consumer does: the SHARE key type names share-state partitions, not groups), joins with
 * ShareGroupHeartbeat v1 at epoch 0 under the client-generated member id, heartbeats at the interval the coordinator
 * gives, follows the assignment it sends (topic ids and partitions, named through the metadata) and leaves with epoch
 * -1. NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE (and a broken connection) make it look the coordinator up again;
 * COORDINATOR_LOAD_IN_PROGRESS is retried after a backoff; UNKNOWN_MEMBER_ID and FENCED_MEMBER_EPOCH make it join
 * again with the same member id. Any other error is the group refusing the member: reported once through
 * {@code fatal} with the coordinator's message (a classic group's id answers GROUP_ID_NOT_FOUND).
 *
 * <p>The heartbeats travel on a connection of their own to the coordinator (node id {@code Integer.MAX_VALUE - id},
 * as Kafka's clients do), so that a long-polling ShareFetch at the same broker never delays them.
 *
 * <p>Not thread-safe: confined to the engine's network thread. At most one FindCoordinator or heartbeat is in flight.
 */
final class ShareGroupMembership {

    private static final Logger LOG = Logger.getLogger(ShareGroupMembership.class.getName());
    /** Wait before asking again after a coordinator error or a broken connection. */
    static final long RETRY_BACKOFF_MS = 200;
    /** The interval until the coordinator gives one: Kafka's default. */
    private static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
    /** The epoch that joins, and the one that leaves. */
    private static final int JOIN_EPOCH = 0;
    private static final int LEAVE_EPOCH = -1;

    private final String groupId;
    private final Uuid memberId;
    private final List<String> topics;
    private final KafkaClient client;
    private final Metadata metadata;
    private final int requestTimeoutMs;
    private final Consumer<ShareGroupException> fatal;

    private Node coordinator;
    private boolean inFlight;
    private long nextAttemptMs;
    private int memberEpoch = JOIN_EPOCH;
    private int heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
    /** The assignment as the coordinator last sent it: topic id to partitions. */
    private Map<Uuid, Set<Integer>> assigned = Map.of();
    private boolean joinedOnce;
    private boolean leaving;
    private boolean left;
    private boolean failed;

    ShareGroupMembership(String groupId, Uuid memberId, List<String> topics, KafkaClient client, Metadata metadata,
                         int requestTimeoutMs, Consumer<ShareGroupException> fatal) {
        this.groupId = groupId;
        this.memberId = memberId;
        this.topics = List.copyOf(topics);
        this.client = client;
        this.metadata = metadata;
        this.requestTimeoutMs = requestTimeoutMs;
        this.fatal = fatal;
    }

    /** Whether the coordinator has taken the member at least once. */
    boolean joined() {
        return joinedOnce;
    }

    /** Whether the member left (or never was in the group), after {@link #leave}. */
    boolean left() {
        return left;
    }

    int memberEpoch() {
        return memberEpoch;
    }

    /**
     * The assigned partitions whose topic the metadata names; an id it does not know yet asks for a metadata update.
     */
    Set<TopicIdPartition> assignment() {
        Set<TopicIdPartition> partitions = new HashSet<>();
        Map<Uuid, String> names = metadata.topicNames();
        assigned.forEach((topicId, indexes) -> {
            String name = names.get(topicId);
            if (name == null) {
                metadata.requestUpdate(false);
                return;
            }
            indexes.forEach(index -> partitions.add(new TopicIdPartition(topicId, new TopicPartition(name, index))));
        });
        return partitions;
    }

    /** Leaves at the next chance (epoch -1); a member that never joined has nothing to leave. */
    void leave() {
        leaving = true;
        if (memberEpoch <= JOIN_EPOCH && !inFlight) {
            left = true;
        }
    }

    /** Sends what is due: a coordinator lookup, a heartbeat, or the leave. */
    void poll(long nowMs) {
        if (failed || left || inFlight || nowMs < nextAttemptMs) {
            return;
        }
        if (coordinator == null) {
            if (leaving) {
                left = true; // no coordinator to tell: the session timeout removes the member
                return;
            }
            findCoordinator(nowMs);
            return;
        }
        // ready() first: it connects a coordinator whose connection was closed (coordinatorLost closes it when the
        // coordinator moves), so that a lookup naming the same broker again is not taken for a failed connection.
        if (!client.ready(coordinator, nowMs)) {
            if (client.connectionFailed(coordinator)) {
                coordinatorLost(nowMs, "the connection to it failed");
            }
            return;
        }
        if (leaving || nowMs >= nextHeartbeatMs) {
            heartbeat(nowMs);
        }
    }

    /** How long the network thread may sleep before {@link #poll} has something to do. */
    long timeToNextPollMs(long nowMs) {
        if (failed || left || inFlight) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, Math.max(nextAttemptMs, coordinator == null || leaving ? 0 : nextHeartbeatMs) - nowMs);
    }

    private long nextHeartbeatMs;

    private void findCoordinator(long nowMs) {
        Node node = client.leastLoadedNode(nowMs).node();
        if (node == null || !client.ready(node, nowMs)) {
            nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
            return;
        }
        inFlight = true;
        client.send(client.newClientRequest(node.idString(), GroupCoordinatorLookup.request(groupId), nowMs, true,
                requestTimeoutMs, this::onFindCoordinator), nowMs);
    }

    private void onFindCoordinator(ClientResponse response) {
        inFlight = false;
        long nowMs = response.receivedTimeMs();
        if (!response.hasResponse()) {
            nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
            return;
        }
        GroupCoordinatorLookup.Answer answer = GroupCoordinatorLookup.answer(response, groupId);
        Errors error = answer.error();
        if (answer.coordinator() != null) {
            coordinator = answer.coordinator();
            LOG.log(Level.FINE, "Share group {0} has its coordinator at {1}:{2}",
                    new Object[] {groupId, coordinator.host(), coordinator.port()});
            return;
        }
        if (error == Errors.COORDINATOR_NOT_AVAILABLE || error == Errors.NOT_COORDINATOR
                || error == Errors.COORDINATOR_LOAD_IN_PROGRESS || error.exception() instanceof
                org.apache.kafka.common.errors.RetriableException) {
            nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
            return;
        }
        fail(error, "no coordinator for share group '" + groupId + "': " + error + " (" + answer.message() + ")");
    }

    private void heartbeat(long nowMs) {
        int epoch = leaving ? LEAVE_EPOCH : memberEpoch;
        ShareGroupHeartbeatRequestData data = new ShareGroupHeartbeatRequestData().setGroupId(groupId)
                .setMemberId(memberId.toString()).setMemberEpoch(epoch)
                // The subscription is sent when joining, null ("unchanged") after, as KIP-932 has it.
                .setSubscribedTopicNames(epoch == JOIN_EPOCH ? topics : null);
        inFlight = true;
        client.send(client.newClientRequest(coordinator.idString(), new ShareGroupHeartbeatRequest.Builder(data),
                nowMs, true, requestTimeoutMs, response -> onHeartbeat(response, epoch)), nowMs);
    }

    private void onHeartbeat(ClientResponse response, int sentEpoch) {
        inFlight = false;
        long nowMs = response.receivedTimeMs();
        if (response.versionMismatch() != null) {
            fail(Errors.UNSUPPORTED_VERSION, "the broker does not serve share groups (ShareGroupHeartbeat v1): "
                    + response.versionMismatch().getMessage());
            return;
        }
        if (!response.hasResponse()) {
            coordinatorLost(nowMs, response.wasTimedOut() ? "the heartbeat timed out" : "the connection broke");
            return;
        }
        ShareGroupHeartbeatResponseData data = ((ShareGroupHeartbeatResponse) response.responseBody()).data();
        Errors error = Errors.forCode(data.errorCode());
        if (sentEpoch == LEAVE_EPOCH) {
            left = true; // whatever the answer: a member that is not there has left as well
            LOG.log(Level.INFO, "Member {0} left share group {1} ({2})", new Object[] {memberId, groupId, error});
            return;
        }
        switch (error) {
            case NONE -> joinedOrBeat(data, nowMs);
            case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE -> coordinatorLost(nowMs, error.toString());
            case COORDINATOR_LOAD_IN_PROGRESS -> nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
            case UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH -> {
                LOG.log(Level.INFO, "Member {0} of share group {1} joins again after {2}: {3}",
                        new Object[] {memberId, groupId, error, data.errorMessage()});
                memberEpoch = JOIN_EPOCH;
                nextHeartbeatMs = nowMs;
            }
            default -> fail(error, "the coordinator of share group '" + groupId + "' refused member " + memberId
                    + ": " + error + " (" + data.errorMessage() + ")" + (error == Errors.GROUP_ID_NOT_FOUND
                    || error == Errors.INCONSISTENT_GROUP_PROTOCOL ? "; a group id that classic or consumer-protocol"
                    + " consumers use cannot name a share group: choose another group id" : ""));
        }
    }

    private void joinedOrBeat(ShareGroupHeartbeatResponseData data, long nowMs) {
        if (!joinedOnce || memberEpoch == JOIN_EPOCH) {
            LOG.log(Level.INFO, "Member {0} joined share group {1} at epoch {2}",
                    new Object[] {memberId, groupId, data.memberEpoch()});
        }
        joinedOnce = true;
        memberEpoch = data.memberEpoch();
        if (data.heartbeatIntervalMs() > 0) {
            heartbeatIntervalMs = data.heartbeatIntervalMs();
        }
        nextHeartbeatMs = nowMs + heartbeatIntervalMs;
        if (data.assignment() != null) {
            Map<Uuid, Set<Integer>> next = new HashMap<>();
            data.assignment().topicPartitions().forEach(topic -> next.computeIfAbsent(topic.topicId(),
                    id -> new HashSet<>()).addAll(topic.partitions()));
            if (!next.equals(assigned)) {
                LOG.log(Level.INFO, "Member {0} of share group {1} is assigned {2}",
                        new Object[] {memberId, groupId, next});
            }
            assigned = next;
        }
    }

    private void coordinatorLost(long nowMs, String why) {
        if (coordinator != null) {
            LOG.log(Level.FINE, "Share group {0} looks its coordinator up again: {1}", new Object[] {groupId, why});
            client.disconnect(coordinator.idString());
        }
        coordinator = null;
        nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
    }

    private void fail(Errors error, String message) {
        failed = true;
        left = true;
        fatal.accept(new ShareGroupException(error, message));
    }
}

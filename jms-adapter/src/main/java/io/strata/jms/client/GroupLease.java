package io.strata.jms.client;

import io.strata.jms.share.GroupCoordinatorLookup;
import jakarta.jms.InvalidClientIDException;
import jakarta.jms.JMSException;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.Metadata;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.ClusterResourceListeners;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A lease the cluster holds for a JMS connection while it is alive: the connection is the one static member
 * ({@code group.instance.id}) of a consumer group of its own (KIP-848 ConsumerGroupHeartbeat), and the broker knows the
 * connection is gone when the member leaves or its session expires. Two kinds:
 * <ul>
 *   <li>{@link #clientId}: a JMS client identifier, held by one connection at a time across the cluster (JMS 3.1
 *       section 6.1.2: "the client state identified by a client identifier can be 'in use' by only one client at a
 *       time"), enforced by the broker: group {@code jms:client-id:<client id>}, instance id the client identifier. A
 *       group coordinator refuses a second member with the same instance id while the first is in the group
 *       (UNRELEASED_INSTANCE_ID), which becomes {@link InvalidClientIDException}.</li>
 *   <li>{@link #connection}: the life of a connection's temporary destinations (JMS 3.1 section 6.2.2): group
 *       {@code jms:connection:<connection id>}, instance id the connection id. Each temporary topic names this group
 *       in its topic config {@code strata.jms.temporary.owner}, and the broker deletes the topic once the group has
 *       no member ({@link TemporaryDestinations}).</li>
 * </ul>
 *
 * <p>The member subscribes to a name no topic can have (Kafka topic names have no {@code :}: {@code jms:client-id},
 * {@code jms:connection}), so it is never assigned a partition: the group is a lease and nothing else. It heartbeats at
 * the interval the coordinator gives; it leaves with epoch -1 when the connection closes, which ends the lease at
 * once; a connection that dies without closing holds it until the group's session timeout
 * ({@code group.consumer.session.timeout.ms}, 45 s by default) expires its membership.
 *
 * <p>One thread of its own runs kafka-clients' {@link NetworkClient} (built from the factory's properties, so TLS and
 * SASL apply as to every client of the connection): the connection's other clients may block for long, and the lease
 * must go on heartbeating meanwhile. Thread-safe: {@link #acquire} and {@link #close} hand over to that thread.
 */
final class GroupLease implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GroupLease.class.getName());
    /** The subscription of a client identifier's lease: a name no Kafka topic can have. */
    static final String CLIENT_ID_KIND = "jms:client-id";
    /** The subscription of a connection's lease: a name no Kafka topic can have. */
    static final String CONNECTION_KIND = "jms:connection";
    private static final long RETRY_BACKOFF_MS = 200;
    private static final long POLL_MS_MAX = 500;
    private static final int REBALANCE_TIMEOUT_MS = 30_000;
    /** How long a close waits for the coordinator to take the leave before the session timeout does the same. */
    static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(3);

    /** The group's static member: the client identifier, or the connection id. */
    private final String instanceId;
    private final String groupId;
    /** The subscription: {@link #CLIENT_ID_KIND} or {@link #CONNECTION_KIND}. */
    private final String kind;
    /** What the lease holds, for messages: "the client identifier 'x'". */
    private final String what;
    private final String memberId = Uuid.randomUuid().toString();
    private final Consumer<JMSException> lost;
    private final Time time = Time.SYSTEM;
    private final Metrics metrics;
    private final NetworkClient client;
    private final int requestTimeoutMs;
    private final CompletableFuture<Void> acquired = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final Thread thread;

    // Confined to the lease's thread, but for the two volatile flags.
    private volatile boolean closeRequested;
    private volatile boolean failed;
    private Node coordinator;
    private boolean inFlight;
    private boolean left;
    private long nextAttemptMs;
    private long nextHeartbeatMs;
    private int memberEpoch;
    private int heartbeatIntervalMs = 5_000;

    private GroupLease(Properties kafkaProperties, String kind, String instanceId, String what,
                       Consumer<JMSException> lost) {
        this.instanceId = instanceId;
        this.kind = kind;
        this.groupId = kind + ":" + instanceId;
        this.what = what;
        this.lost = lost;
        Properties properties = new Properties();
        properties.putAll(kafkaProperties);
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "strata-" + kind.replace(':', '-'));
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        ConsumerConfig config = new ConsumerConfig(properties);
        this.requestTimeoutMs = config.getInt(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG);
        LogContext logContext = new LogContext("[Strata " + groupId + "] ");
        this.metrics = new Metrics(time);
        Metadata metadata = new Metadata(config.getLong(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG),
                config.getLong(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG),
                config.getLong(CommonClientConfigs.METADATA_MAX_AGE_CONFIG), logContext,
                new ClusterResourceListeners()) {
            @Override
            protected MetadataRequest.Builder newMetadataRequestBuilder() {
                return new MetadataRequest.Builder(List.of(), false); // brokers only: the lease reads no topic
            }
        };
        metadata.bootstrap(ClientUtils.parseAndValidateAddresses(config));
        this.client = ClientUtils.createNetworkClient(config, metrics, "strata-" + kind.replace(':', '-'),
                logContext, new org.apache.kafka.clients.ApiVersions(), time, 1, metadata, null, null);
        this.thread = new Thread(this::run, "strata-" + groupId);
        thread.setDaemon(true);
        // kafka-clients' code only: it loads classes by the provider's loader, not the creating thread's
        thread.setContextClassLoader(GroupLease.class.getClassLoader());
    }

    /**
     * Takes {@code clientId} for the caller, waiting at most {@code timeout} for the coordinator's answer.
     *
     * @param lost told (from the lease's thread) when the lease is lost after it was taken: the member's session
     *             expired, and another connection took the identifier before this one could join again
     * @throws InvalidClientIDException when another connection holds the identifier
     * @throws JMSException when the cluster does not answer in time, or refuses the member for another reason
     */
    static GroupLease clientId(Properties kafkaProperties, String clientId, Duration timeout,
                               Consumer<JMSException> lost) throws JMSException {
        return acquire(new GroupLease(kafkaProperties, CLIENT_ID_KIND, clientId,
                "the client identifier '" + clientId + "'", lost), timeout);
    }

    /**
     * Takes the lease of connection {@code connectionId}'s temporary destinations, waiting at most {@code timeout}
     * for the coordinator's answer: once this returns, the group has the connection as member.
     *
     * @param lost told (from the lease's thread) when the lease failed after it was taken
     * @throws JMSException when the cluster does not answer in time, or refuses the member
     */
    static GroupLease connection(Properties kafkaProperties, String connectionId, Duration timeout,
                                 Consumer<JMSException> lost) throws JMSException {
        return acquire(new GroupLease(kafkaProperties, CONNECTION_KIND, connectionId,
                "the lease of JMS connection " + connectionId + "'s temporary destinations", lost), timeout);
    }

    private static GroupLease acquire(GroupLease lease, Duration timeout) throws JMSException {
        lease.thread.start();
        try {
            lease.acquired.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return lease;
        } catch (ExecutionException e) {
            lease.close();
            if (e.getCause() instanceof JMSException jms) {
                throw jms;
            }
            throw JmsErrors.jms(lease.what + " could not be registered", e.getCause());
        } catch (TimeoutException e) {
            lease.close();
            throw new JMSException(lease.what + " could not be registered: the cluster did not answer within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            lease.close();
            Thread.currentThread().interrupt();
            throw new JMSException("interrupted while registering " + lease.what);
        }
    }

    /** The lease's group: {@code jms:client-id:<client id>} or {@code jms:connection:<connection id>}. */
    String groupId() {
        return groupId;
    }

    /** Leaves the group, so that the lease ends at once; waits for that at most {@link #LEAVE_TIMEOUT}. */
    @Override
    public void close() {
        closeRequested = true;
        client.wakeup();
        try {
            finished.get(LEAVE_TIMEOUT.toMillis() + POLL_MS_MAX, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.FINE, "Lease {0}: its thread did not end in time", groupId);
        }
    }

    // ------------------------------------------------------------------------------------------ the lease's thread

    private void run() {
        long closeDeadlineMs = Long.MAX_VALUE;
        try {
            while (true) {
                long nowMs = time.milliseconds();
                if (closeRequested && closeDeadlineMs == Long.MAX_VALUE) {
                    closeDeadlineMs = nowMs + LEAVE_TIMEOUT.toMillis();
                }
                if (closeRequested && (left || failed || memberEpoch <= 0 && !inFlight || nowMs >= closeDeadlineMs)) {
                    return;
                }
                step(nowMs);
                long waitMs = Math.max(1, Math.min(POLL_MS_MAX, Math.max(nextAttemptMs,
                        coordinator == null || closeRequested ? 0 : nextHeartbeatMs) - nowMs));
                client.poll(inFlight ? POLL_MS_MAX : waitMs, time.milliseconds());
            }
        } catch (RuntimeException e) {
            fail(JmsErrors.jms("the lease of " + what + " failed", e));
        } finally {
            Utils.closeQuietly(client, "the lease's network client");
            Utils.closeQuietly(metrics, "the lease's metrics");
            acquired.completeExceptionally(new JMSException("the connection closed before " + what
                    + " was registered"));
            finished.complete(null);
        }
    }

    private void step(long nowMs) {
        if (failed || inFlight || nowMs < nextAttemptMs) {
            return;
        }
        if (coordinator == null) {
            findCoordinator(nowMs);
            return;
        }
        if (client.connectionFailed(coordinator)) {
            coordinatorLost(nowMs);
            return;
        }
        boolean due = closeRequested ? memberEpoch > 0 : nowMs >= nextHeartbeatMs;
        if (due && client.ready(coordinator, nowMs)) {
            heartbeat(nowMs);
        }
    }

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
        coordinator = GroupCoordinatorLookup.answer(response, groupId).coordinator();
        if (coordinator == null) {
            nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
        }
    }

    private void heartbeat(long nowMs) {
        int epoch = closeRequested ? -1 : memberEpoch;
        boolean joining = epoch == 0;
        ConsumerGroupHeartbeatRequestData data = new ConsumerGroupHeartbeatRequestData().setGroupId(groupId)
                .setMemberId(memberId).setMemberEpoch(epoch).setInstanceId(instanceId)
                .setRebalanceTimeoutMs(joining ? REBALANCE_TIMEOUT_MS : -1)
                .setSubscribedTopicNames(joining ? List.of(kind) : null)
                .setTopicPartitions(joining ? List.of() : null);
        inFlight = true;
        client.send(client.newClientRequest(coordinator.idString(), new ConsumerGroupHeartbeatRequest.Builder(data),
                nowMs, true, requestTimeoutMs, response -> onHeartbeat(response, epoch)), nowMs);
    }

    private void onHeartbeat(ClientResponse response, int sentEpoch) {
        inFlight = false;
        long nowMs = response.receivedTimeMs();
        if (response.versionMismatch() != null) {
            fail(new JMSException("the broker cannot hold " + what + " (ConsumerGroupHeartbeat, KIP-848): "
                    + response.versionMismatch().getMessage()));
            return;
        }
        if (!response.hasResponse()) {
            coordinatorLost(nowMs);
            return;
        }
        ConsumerGroupHeartbeatResponseData data = ((ConsumerGroupHeartbeatResponse) response.responseBody()).data();
        Errors error = Errors.forCode(data.errorCode());
        if (sentEpoch < 0) {
            left = true;
            return;
        }
        switch (error) {
            case NONE -> {
                if (memberEpoch == 0) {
                    LOG.log(Level.FINE, "Lease {0} taken (member {1})", new Object[] {groupId, memberId});
                }
                memberEpoch = data.memberEpoch();
                if (data.heartbeatIntervalMs() > 0) {
                    heartbeatIntervalMs = data.heartbeatIntervalMs();
                }
                nextHeartbeatMs = nowMs + heartbeatIntervalMs;
                acquired.complete(null);
            }
            case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE -> coordinatorLost(nowMs);
            case COORDINATOR_LOAD_IN_PROGRESS -> nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
            case UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH -> {
                // The session expired (a long pause, a lost coordinator): join again, if the identifier is still free.
                // A connection's temporary topics may have been deleted by the broker meanwhile.
                LOG.log(Level.WARNING, "Lease {0}: the membership that holds {1} ended ({2}); taking it again{3}",
                        new Object[] {groupId, what, error, kind.equals(CONNECTION_KIND) ? "; the broker may have"
                                + " deleted the connection's temporary destinations meanwhile" : ""});
                memberEpoch = 0;
                nextHeartbeatMs = nowMs;
            }
            case UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID -> fail(kind.equals(CLIENT_ID_KIND)
                    ? new InvalidClientIDException("the client identifier '" + instanceId + "' is in use by another"
                    + " connection (JMS 3.1 section 6.1.2: one connection at a time); a connection that ended without"
                    + " closing holds it until the cluster's group.consumer.session.timeout.ms passes")
                    : new JMSException(what + " is held by another member of group " + groupId));
            default -> fail(new JMSException("the cluster refused to register " + what + ": " + error + " ("
                    + data.errorMessage() + ")"));
        }
    }

    private void coordinatorLost(long nowMs) {
        if (coordinator != null) {
            client.disconnect(coordinator.idString());
        }
        coordinator = null;
        nextAttemptMs = nowMs + RETRY_BACKOFF_MS;
    }

    private void fail(JMSException failure) {
        failed = true;
        if (!acquired.completeExceptionally(failure)) {
            LOG.log(Level.WARNING, "Lease {0} lost: {1}", new Object[] {groupId, failure.getMessage()});
            lost.accept(failure);
        }
        closeRequested = true;
    }
}

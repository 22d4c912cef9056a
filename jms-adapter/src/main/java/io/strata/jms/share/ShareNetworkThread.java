package io.strata.jms.share;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.Metadata;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.ClusterResourceListeners;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine's one network thread: it owns kafka-clients' {@link NetworkClient} (built by {@link ClientUtils} from
 * the consumer properties, so {@code security.protocol}, {@code ssl.*} and {@code sasl.*} work as in any Kafka
 * client, and ApiVersions is exchanged on every connection), the cluster metadata of the subscribed topics, the
 * group membership and one {@link LeaderSession} per partition leader. Each turn it takes what callers handed in
 * (acknowledgements, explicit acknowledgements, the close), heartbeats, sends what each leader session has due, and
 * polls the network for at most {@value #POLL_MS_MAX} ms.
 *
 * <p>Why a thread of its own: a JMS session may hold a message for as long as its listener runs, and the member must
 * go on heartbeating meanwhile, as Kafka's share consumer does with its background thread; and NetworkClient is not
 * thread-safe, so one thread owning it is the simplest correct way to share it.
 *
 * <p>Thread-safe where callers reach it ({@link #acknowledgeLater}, {@link #acknowledgeNow}, {@link #requestClose},
 * {@link #wakeup}, the futures and volatile fields): they hand work in under the {@code inbox} lock and wake the
 * network. Everything else is confined to the network thread.
 */
final class ShareNetworkThread implements Runnable {

    private static final Logger LOG = Logger.getLogger(ShareNetworkThread.class.getName());
    /** The longest the thread waits in the network before looking at its inbox and timers again. */
    static final long POLL_MS_MAX = 100;
    /** Explicit acknowledgements handed in and not yet taken by the thread; one more is refused. */
    static final int COMMANDS_MAX = 1024;

    private final ShareConsumerSettings settings;
    private final Uuid memberId;
    private final RecordBuffer buffer;
    private final Time time = Time.SYSTEM;
    private final Metrics metrics;
    private final Metadata metadata;
    private final ApiVersions apiVersions = new ApiVersions();
    private final NetworkClient client;
    private final int requestTimeoutMs;
    private final ShareGroupMembership membership;
    private final LeaderSession.Context sessionContext;
    private final Map<Integer, LeaderSession> sessions = new HashMap<>();
    private final AtomicLong sessionIds = new AtomicLong();

    private final Object inbox = new Object();
    private Acknowledgements acknowledgementsIn = new Acknowledgements();
    private final ArrayDeque<AcknowledgeCommand> commandsIn = new ArrayDeque<>();
    private volatile int pendingInSessions;
    private volatile boolean closeRequested;
    /** While true the member acquires no records (its JMS connection is stopped); it stays in the group. */
    private volatile boolean paused;

    /** Completes when the member is in the group, its topics exist and its sessions are open; or fails. */
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** Completes when the thread has ended, its connections closed. */
    final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile ShareGroupException failure;
    private volatile Set<TopicIdPartition> assignment = Set.of();
    private boolean topicsChecked;
    private long closeDeadlineMs = Long.MAX_VALUE;

    ShareNetworkThread(ShareConsumerSettings settings, Uuid memberId, RecordBuffer buffer) {
        this.settings = settings;
        this.memberId = memberId;
        this.buffer = buffer;
        ConsumerConfig config = consumerConfig(settings);
        this.requestTimeoutMs = config.getInt(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG);
        LogContext logContext = new LogContext("[Strata share member " + memberId + " of " + settings.groupId()
                + "] ");
        this.metrics = new Metrics(time);
        this.metadata = new SubscribedMetadata(settings.topics(),
                config.getLong(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG),
                config.getLong(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG),
                config.getLong(CommonClientConfigs.METADATA_MAX_AGE_CONFIG), logContext);
        metadata.bootstrap(ClientUtils.parseAndValidateAddresses(config));
        this.client = ClientUtils.createNetworkClient(config, metrics, "strata-share", logContext, apiVersions, time,
                5, metadata, null, null);
        this.membership = new ShareGroupMembership(settings.groupId(), memberId, settings.topics(), client,
                metadata, requestTimeoutMs, this::fail);
        this.sessionContext = new LeaderSession.Context(settings.groupId(), memberId, settings.selector(), settings,
                client, apiVersions, metadata, buffer, requestTimeoutMs, this::fail);
    }

    /** The consumer configuration the NetworkClient is built from: the caller's properties, kafka-clients' defaults. */
    private static ConsumerConfig consumerConfig(ShareConsumerSettings settings) {
        Properties properties = settings.clientProperties();
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "strata-share-" + settings.groupId());
        // Required by ConsumerConfig; this engine hands out bytes and never uses them.
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new ConsumerConfig(properties);
    }

    /** Metadata of the subscribed topics only, never creating one. */
    private static final class SubscribedMetadata extends Metadata {
        private final List<String> topics;

        SubscribedMetadata(List<String> topics, long backoffMs, long backoffMaxMs, long expireMs,
                           LogContext logContext) {
            super(backoffMs, backoffMaxMs, expireMs, logContext, new ClusterResourceListeners());
            this.topics = List.copyOf(topics);
        }

        @Override
        protected MetadataRequest.Builder newMetadataRequestBuilder() {
            return new MetadataRequest.Builder(topics, false);
        }

        @Override
        protected boolean retainTopic(String topic, boolean isInternal, long nowMs) {
            return topics.contains(topic);
        }
    }

    // -------------------------------------------------------------------------------------- callers' side

    ShareGroupException failure() {
        return failure;
    }

    Set<TopicIdPartition> assignment() {
        return assignment;
    }

    /** Acknowledgements to send with the next request to their leaders. */
    void acknowledgeLater(Acknowledgements acknowledgements) {
        synchronized (inbox) {
            int pending = acknowledgementsIn.size() + pendingInSessions;
            if (pending + acknowledgements.size() > settings.pendingAcknowledgementsMax()) {
                throw new IllegalStateException(pending + " acknowledgements wait to be sent, the bound is "
                        + settings.pendingAcknowledgementsMax() + ": poll, or acknowledge synchronously, so that"
                        + " they go out");
            }
            acknowledgementsIn.addAll(acknowledgements);
        }
        client.wakeup();
    }

    /** An explicit acknowledgement, answered through its future. */
    void acknowledgeNow(AcknowledgeCommand command) {
        synchronized (inbox) {
            if (closeRequested) {
                command.future.completeExceptionally(new IllegalStateException("the share consumer is closed"));
                return;
            }
            if (commandsIn.size() >= COMMANDS_MAX) {
                throw new IllegalStateException(COMMANDS_MAX + " explicit acknowledgements wait to be sent;"
                        + " wait for some to complete first");
            }
            commandsIn.addLast(command);
        }
        client.wakeup();
    }

    /** Stops or resumes acquiring records; what is buffered stays the member's. */
    void paused(boolean paused) {
        this.paused = paused;
        if (!paused) {
            client.wakeup();
        }
    }

    void requestClose() {
        closeRequested = true;
        client.wakeup();
    }

    void wakeup() {
        client.wakeup();
    }

    // -------------------------------------------------------------------------------------- network thread

    @Override
    public void run() {
        try {
            while (true) {
                long nowMs = time.milliseconds();
                if (closeRequested && closeDeadlineMs == Long.MAX_VALUE) {
                    startClose(nowMs);
                }
                takeInbox();
                if (closeDeadlineMs != Long.MAX_VALUE && (closeDone() || nowMs >= closeDeadlineMs)) {
                    break;
                }
                turn(nowMs);
                client.poll(Math.min(POLL_MS_MAX, membership.timeToNextPollMs(nowMs)), nowMs);
            }
        } catch (Throwable t) {
            fail(new ShareGroupException(Errors.UNKNOWN_SERVER_ERROR, "the share consumer's network thread"
                    + " failed: " + t, t));
        } finally {
            IllegalStateException closed = new IllegalStateException("the share consumer is closed");
            failPending(closed);
            sessions.values().forEach(session -> session.abandon("the share consumer closed before the answer"));
            closeQuietly();
            buffer.wakeup();
            finished.complete(null);
        }
    }

    private void turn(long nowMs) {
        boolean running = failure == null && closeDeadlineMs == Long.MAX_VALUE;
        if (running) {
            try {
                metadata.maybeThrowAnyException();
                checkTopics();
            } catch (org.apache.kafka.common.KafkaException e) {
                fail(new ShareGroupException(Errors.forException(e), "the metadata of topics " + settings.topics()
                        + " cannot be had: " + e.getMessage(), e));
            }
        }
        membership.poll(nowMs);
        assignLeaders();
        for (Iterator<LeaderSession> it = sessions.values().iterator(); it.hasNext(); ) {
            LeaderSession session = it.next();
            session.poll(nowMs, running, paused);
            if (session.closed() && session.idle()) {
                it.remove();
            }
        }
        int pending = 0;
        for (LeaderSession session : sessions.values()) {
            pending += session.pendingCount();
        }
        pendingInSessions = pending;
        if (running && !ready.isDone() && membership.joined() && topicsChecked && !assignment.isEmpty()
                && sessions.values().stream().allMatch(s -> s.wanted().isEmpty() || s.open())) {
            ready.complete(null);
        }
        if (closeDeadlineMs != Long.MAX_VALUE && sessions.isEmpty()) {
            membership.leave(); // after the last acknowledgements: leaving first would release their records
        }
    }

    /** Fails the engine for good when a subscribed topic does not exist (once the cluster answered). */
    private void checkTopics() {
        if (topicsChecked) {
            return;
        }
        Cluster cluster = metadata.fetch();
        if (cluster.isBootstrapConfigured() || metadata.updateVersion() < 2) {
            return;
        }
        for (String topic : settings.topics()) {
            if (!cluster.topics().contains(topic)) {
                fail(new ShareGroupException(Errors.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + topic + "' does not"
                        + " exist at " + settings.clientProperties().get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)
                        + ": create it before consuming from it"));
                return;
            }
        }
        topicsChecked = true;
    }

    /** Gives each leader session the assigned partitions that node leads now. */
    private void assignLeaders() {
        Set<TopicIdPartition> assigned = closeDeadlineMs == Long.MAX_VALUE && failure == null
                ? membership.assignment() : Set.of();
        assignment = Set.copyOf(assigned);
        Map<Integer, Set<TopicIdPartition>> byLeader = new HashMap<>();
        for (TopicIdPartition partition : assigned) {
            Node leader = metadata.currentLeader(partition.topicPartition()).leader.orElse(null);
            if (leader == null) {
                metadata.requestUpdate(false);
                continue;
            }
            byLeader.computeIfAbsent(leader.id(), id -> new HashSet<>()).add(partition);
            sessions.computeIfAbsent(leader.id(), id -> new LeaderSession(sessionContext, leader,
                    sessionIds::incrementAndGet));
        }
        sessions.forEach((id, session) -> session.want(byLeader.getOrDefault(id, Set.of())));
    }

    private void takeInbox() {
        Acknowledgements acknowledgements;
        List<AcknowledgeCommand> commands;
        synchronized (inbox) {
            acknowledgements = acknowledgementsIn;
            acknowledgementsIn = new Acknowledgements();
            commands = List.copyOf(commandsIn);
            commandsIn.clear();
        }
        for (TopicIdPartition partition : List.copyOf(acknowledgements.partitions())) {
            LeaderSession session = sessionOf(partition);
            Acknowledgements own = acknowledgements.remove(partition);
            if (session == null) {
                LOG.log(Level.WARNING, "{0} acknowledgements of {1} dropped: no share session leads it; the records"
                        + " are no longer held by this member", new Object[] {own.size(), partition});
            } else {
                session.acknowledgeLater(own);
            }
        }
        commands.forEach(this::split);
    }

    /** Hands an explicit acknowledgement to the sessions of its partitions' leaders. */
    private void split(AcknowledgeCommand command) {
        Map<LeaderSession, Acknowledgements> pieces = new HashMap<>();
        for (TopicIdPartition partition : List.copyOf(command.acknowledgements.partitions())) {
            LeaderSession session = sessionOf(partition);
            Acknowledgements own = new Acknowledgements();
            own.addAll(command.acknowledgements);
            Acknowledgements mine = own.remove(partition);
            if (session == null) {
                command.result(partition, mine.offsets(partition), Errors.NOT_LEADER_OR_FOLLOWER, "no share session"
                        + " leads " + partition + ": the records are no longer held by this member");
            } else {
                pieces.computeIfAbsent(session, s -> new Acknowledgements()).addAll(mine);
            }
        }
        pieces.forEach((session, acknowledgements) -> session.acknowledgeNow(command, acknowledgements));
        command.completeIfDone();
    }

    private LeaderSession sessionOf(TopicIdPartition partition) {
        Node leader = metadata.currentLeader(partition.topicPartition()).leader.orElse(null);
        return leader == null ? null : sessions.get(leader.id());
    }

    private void startClose(long nowMs) {
        closeDeadlineMs = nowMs + settings.closeTimeout().toMillis();
        sessions.values().forEach(LeaderSession::close);
        if (!ready.isDone()) {
            ready.completeExceptionally(new IllegalStateException("the share consumer was closed while opening"));
        }
    }

    private boolean closeDone() {
        return sessions.isEmpty() && membership.left();
    }

    private void fail(ShareGroupException e) {
        if (failure == null) {
            failure = e;
            LOG.log(Level.WARNING, "Share consumer {0} of group {1} failed: {2}",
                    new Object[] {memberId, settings.groupId(), e.getMessage()});
        }
        ready.completeExceptionally(e);
        buffer.wakeup();
    }

    private void failPending(RuntimeException e) {
        synchronized (inbox) {
            commandsIn.forEach(command -> command.future.completeExceptionally(e));
            commandsIn.clear();
        }
    }

    private void closeQuietly() {
        try {
            client.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "closing the network client", e);
        }
        metadata.close();
        metrics.close();
    }
}

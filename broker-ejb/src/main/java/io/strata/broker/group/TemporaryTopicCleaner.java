package io.strata.broker.group;

import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.metadata.TopicResult;
import io.strata.storage.config.LogConfig;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Deletes the topics of JMS temporary destinations whose connection is gone, and what they leave behind. A temporary
 * destination lives as long as its connection (JMS 3.1 section 6.2.2); the JMS provider deletes its topic when the
 * connection closes, but a process that dies cannot. So the provider marks each such topic with the topic config
 * {@value LogConfig#STRATA_JMS_TEMPORARY_OWNER} = its connection's lease group ({@code jms:connection:<connection id>},
 * a consumer group with the connection as its one member, heartbeating while the connection is open), and the
 * broker that coordinates that group deletes the topic once the group has no member: the connection left it on close,
 * or its session expired ({@code group.consumer.session.timeout.ms}) after the process died.
 *
 * <p>Every {@code temporary.topic.cleanup.interval.ms} this broker, for the groups it coordinates only (so each topic
 * has exactly one broker deciding, the one that knows the owner's members):
 * <ol>
 *   <li>deletes each topic whose owner group has no member, or does not exist, once the topic has been known to this
 *       broker for the grace period (the broker's {@code group.consumer.session.timeout.ms}), so that a topic made
 *       before its owner's first heartbeat is not taken for an orphan;</li>
 *   <li>deletes each lease group ({@value #LEASE_GROUP_PREFIX}...) without members that no topic names as owner, once
 *       it has been so for the grace period;</li>
 *   <li>deletes each share group of a temporary queue ({@value #TEMPORARY_QUEUE_PREFIX}..., named as its topic, the
 *       JMS mapping of a queue) without members whose topic no longer exists, once it has been so for the grace
 *       period.</li>
 * </ol>
 * A topic without the config is never touched, nor one whose owner has a member. Each deletion is logged at INFO with
 * its reason. Topics go through the controller (from any broker), groups through this broker's coordinator.
 *
 * <p>Thread-safe: its state is confined to its own thread; {@link #start} and {@link #close} may be called from any.
 */
public final class TemporaryTopicCleaner implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TemporaryTopicCleaner.class.getName());
    /** The lease groups of JMS connections (docs/jms-mapping.md): Strata deletes them when they are left unused. */
    static final String LEASE_GROUP_PREFIX = "jms:connection:";
    /** The topics, and share groups, of JMS temporary queues (docs/jms-mapping.md). */
    static final String TEMPORARY_QUEUE_PREFIX = "jms.temp-queue.";
    /** How long one step waits for the group coordinator or the controller. */
    private static final long OPERATION_TIMEOUT_MS = 30_000;

    private final GroupCoordinator groups;
    private final Controller controller;
    private final Clock clock;
    private final long intervalMs;
    private final long graceMs;
    private final ScheduledExecutorService executor;
    /** When this broker first saw each owned topic, and each group that may go, by a key naming its kind. */
    private final Map<String, Long> firstSeenMs = new HashMap<>();

    /**
     * A cleaner of the groups {@code groups} coordinates, every {@code intervalMs}, with a grace period of
     * {@code graceMs}.
     */
    public TemporaryTopicCleaner(GroupCoordinator groups, Controller controller, Clock clock, long intervalMs,
                                 long graceMs, ThreadFactory threads) {
        if (intervalMs <= 0 || graceMs < 0) {
            throw new IllegalArgumentException("interval " + intervalMs + " ms must be positive, grace " + graceMs
                    + " ms not negative");
        }
        this.groups = groups;
        this.controller = controller;
        this.clock = clock;
        this.intervalMs = intervalMs;
        this.graceMs = graceMs;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-temporary-topic-cleaner");
            thread.setDaemon(true);
            return thread;
        });
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.executor = pool;
    }

    public void start() {
        executor.scheduleWithFixedDelay(this::cleanSafely, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void cleanSafely() {
        try {
            clean();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Looking for temporary topics whose owner is gone failed; trying again in {0} ms:"
                    + " {1}", intervalMs, e.toString());
        }
    }

    /** One round of the three steps of the class comment. */
    void clean() {
        if (!groups.isLoaded()) {
            return;
        }
        long nowMs = clock.millis();
        Map<String, GroupCoordinator.GroupListing> local = new HashMap<>();
        for (GroupCoordinator.GroupListing listing : GroupCoordinator.await(groups.listGroups(), OPERATION_TIMEOUT_MS)) {
            local.put(listing.groupId(), listing);
        }
        Set<String> seen = new HashSet<>();
        Set<String> owners = new HashSet<>();
        for (TopicImage topic : controller.image().topics()) {
            String owner = topic.configs().getOrDefault(LogConfig.STRATA_JMS_TEMPORARY_OWNER, "").trim();
            if (owner.isEmpty()) {
                continue;
            }
            owners.add(owner);
            if (groups.coordinatorError(owner) != Errors.NONE) {
                continue; // another broker coordinates the owner, and decides
            }
            String key = "topic " + topic.name() + " " + topic.id();
            seen.add(key);
            long knownSinceMs = firstSeenMs.computeIfAbsent(key, k -> nowMs);
            GroupCoordinator.GroupListing group = local.get(owner);
            if ((group == null || !hasMembers(group)) && nowMs - knownSinceMs >= graceMs) {
                deleteTopic(topic, owner, group == null ? "does not exist" : "has no member");
            }
        }
        for (GroupCoordinator.GroupListing group : local.values()) {
            if (hasMembers(group)) {
                continue;
            }
            String id = group.groupId();
            if (id.startsWith(LEASE_GROUP_PREFIX) && !owners.contains(id)) {
                deleteGroupAfterGrace(id, "lease group", "it has no member and no topic names it as owner",
                        seen, nowMs);
            } else if (id.startsWith(TEMPORARY_QUEUE_PREFIX) && Group.Type.SHARE.display().equals(group.type())
                    && controller.image().topic(id) == null) {
                deleteGroupAfterGrace(id, "share group of temporary queue", "it has no member and its topic was"
                        + " deleted", seen, nowMs);
            }
        }
        firstSeenMs.keySet().retainAll(seen);
    }

    /** Whether a group has members now: anything but Empty or Dead counts, so an owner is never wrongly found gone. */
    private static boolean hasMembers(GroupCoordinator.GroupListing group) {
        return !"Empty".equalsIgnoreCase(group.state()) && !"Dead".equalsIgnoreCase(group.state());
    }

    private void deleteTopic(TopicImage topic, String owner, String why) {
        // By id, so that a topic of the same name made since is not the one deleted.
        TopicResult result = controller.deleteTopics(List.of(new Controller.TopicRef(null, topic.id()))).get(0);
        if (result.error().isFailure() && result.error().error() != Errors.UNKNOWN_TOPIC_OR_PARTITION
                && result.error().error() != Errors.UNKNOWN_TOPIC_ID) {
            LOG.log(Level.WARNING, "Temporary topic {0} could not be deleted, though its owner group {1} {2}: {3}",
                    topic.name(), owner, why, result.error());
            return;
        }
        LOG.log(Level.INFO, "Deleted temporary topic {0}: its owner group {1} {2} (its JMS connection closed, or"
                + " ended without closing and its session timed out)", topic.name(), owner, why);
    }

    private void deleteGroupAfterGrace(String groupId, String kind, String why, Set<String> seen, long nowMs) {
        String key = "group " + groupId;
        seen.add(key);
        if (nowMs - firstSeenMs.computeIfAbsent(key, k -> nowMs) < graceMs) {
            return;
        }
        Errors error = GroupCoordinator.await(groups.deleteGroup(groupId), OPERATION_TIMEOUT_MS);
        if (error == Errors.NONE) {
            LOG.log(Level.INFO, "Deleted {0} {1}: {2}", kind, groupId, why);
        } else if (error != Errors.GROUP_ID_NOT_FOUND && error != Errors.NON_EMPTY_GROUP) {
            LOG.log(Level.WARNING, "The {0} {1} could not be deleted, though {2}: {3}", kind, groupId, why, error);
        }
    }

    /** Stops; waits for a round under way to end, without interrupting it in the middle of a deletion. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(2 * OPERATION_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                LOG.log(Level.WARNING, "The temporary topic cleaner did not end within {0} ms of stopping",
                        2 * OPERATION_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.strata.jms.client;

import io.strata.jms.destination.StrataTemporaryQueue;
import io.strata.jms.destination.StrataTemporaryTopic;
import jakarta.jms.Destination;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.Queue;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The temporary queues and topics of one connection (JMS 3.1 section 6.2.2): each a Kafka topic of one partition
 * named {@code jms.temp-queue.CONNECTIONID.N} or {@code jms.temp-topic.CONNECTIONID.N} ({@link Names}), created at
 * once with the broker's replication factor, deleted by {@code delete()} (refused while a consumer of this connection
 * reads it) or when the connection closes. A temporary queue's share group (named for the queue, as any queue's) is
 * deleted with it. Only the creating connection consumes from a temporary destination; any connection may send to
 * one, by the name a message's JMSReplyTo carries.
 *
 * <p>A connection whose process dies cannot delete them, so the broker does: with its first temporary destination the
 * connection takes a lease ({@link GroupLease#connection}: it becomes the one member of the consumer group
 * {@code jms:connection:<connection id>}, heartbeating on a thread of its own), and each temporary topic is created
 * with the topic config {@value #OWNER_CONFIG} naming that group. The group's coordinator deletes a topic whose owner
 * group has no member: left on close, or expired {@code group.consumer.session.timeout.ms} after the process died
 * (broker-ejb's {@code TemporaryTopicCleaner}). The lease is taken before the topic is created, so a live connection's
 * topic always has its owner's member.
 *
 * <p>Thread-safe: the live names are a concurrent set, each deletion removes its name once.
 */
final class TemporaryDestinations {

    private static final Logger LOG = Logger.getLogger(TemporaryDestinations.class.getName());
    private static final long ADMIN_TIMEOUT_MS = 30_000;
    /** The topic config naming the group whose members keep a temporary topic alive (a Strata topic config). */
    static final String OWNER_CONFIG = "strata.jms.temporary.owner";

    private final StrataConnection connection;
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong sequence = new AtomicLong();

    TemporaryDestinations(StrataConnection connection) {
        this.connection = connection;
    }

    TemporaryQueue createQueue() throws JMSException {
        String name = Names.temporaryQueue(connection.connectionId(), sequence.incrementAndGet());
        create(name, "temporary queue");
        return new StrataTemporaryQueue(name, this::delete);
    }

    TemporaryTopic createTopic() throws JMSException {
        String name = Names.temporaryTopic(connection.connectionId(), sequence.incrementAndGet());
        create(name, "temporary topic");
        return new StrataTemporaryTopic(name, this::delete);
    }

    /** Whether this connection created the temporary destination of topic {@code name} and has not deleted it. */
    boolean owns(String name) {
        return live.contains(name);
    }

    /**
     * Refuses a consumer (or browser) of another connection's temporary destination, or of a deleted one: only the
     * creating connection may consume from it (JMS 3.1 section 6.2.2).
     */
    void checkConsumable(String topic, String kind) throws InvalidDestinationException {
        if (Names.isTemporary(topic) && !live.contains(topic)) {
            throw new InvalidDestinationException("the temporary " + kind + " '" + topic + "' belongs to another"
                    + " connection, or was deleted: only the connection that created a temporary destination may"
                    + " consume from it");
        }
    }

    private void create(String name, String kind) throws JMSException {
        String owner = connection.connectionLeaseGroup();
        try {
            connection.admin().createTopics(List.of(new NewTopic(name, Optional.of(1), Optional.empty())
                            .configs(Map.of(OWNER_CONFIG, owner))))
                    .all().get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw JmsErrors.jms("the " + kind + " '" + name + "' cannot be created", e.getCause());
        } catch (Exception e) {
            throw StrataConnection.interruptedOr(e, "the " + kind + " '" + name + "' cannot be created");
        }
        live.add(name);
        LOG.log(Level.INFO, "Created {0} {1} for JMS connection {2}", new Object[] {kind, name,
                connection.connectionId()});
    }

    /**
     * Deletes a temporary destination of this connection: a {@code JMSException} while one of its consumers reads it;
     * nothing to do when it was deleted already.
     */
    void delete(Destination destination) throws JMSException {
        connection.checkOpen();
        String name = StrataSession.topicOf(destination);
        String kind = destination instanceof Queue ? "temporary queue" : "temporary topic";
        if (!live.contains(name)) {
            return;
        }
        if (connection.hasConsumerOf(name)) {
            throw new JMSException("the " + kind + " '" + name + "' still has consumers on this connection; close"
                    + " them before deleting it");
        }
        deleteTopic(name, kind, ADMIN_TIMEOUT_MS);
    }

    /** On close of the connection: deletes every temporary destination it still has; failures are logged. */
    void deleteAll() {
        for (String name : List.copyOf(live)) {
            String kind = name.startsWith(Names.TEMPORARY_QUEUE_PREFIX) ? "temporary queue" : "temporary topic";
            try {
                deleteTopic(name, kind, StrataConnection.CLEANUP_TIMEOUT.toMillis());
            } catch (JMSException e) {
                LOG.log(Level.WARNING, "The {0} {1} of closing JMS connection {2} could not be deleted; the broker"
                        + " deletes it once the connection''s lease is left: {3}", new Object[] {kind, name,
                        connection.connectionId(), e.toString()});
            }
        }
    }

    private void deleteTopic(String name, String kind, long timeoutMs) throws JMSException {
        live.remove(name);
        connection.forgetTopic(name);
        try {
            connection.admin().deleteTopics(List.of(name)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                live.add(name);
                throw JmsErrors.jms("the " + kind + " '" + name + "' cannot be deleted", e.getCause());
            }
        } catch (Exception e) {
            live.add(name);
            throw StrataConnection.interruptedOr(e, "the " + kind + " '" + name + "' cannot be deleted");
        }
        if (name.startsWith(Names.TEMPORARY_QUEUE_PREFIX)) {
            deleteQueueGroup(name, timeoutMs);
        }
        LOG.log(Level.INFO, "Deleted {0} {1} of JMS connection {2}", new Object[] {kind, name,
                connection.connectionId()});
    }

    /** The queue's share group holds the queue's state only: it goes with the queue (none if nobody consumed). */
    private void deleteQueueGroup(String name, long timeoutMs) {
        try {
            connection.admin().deleteShareGroups(List.of(Names.queueGroup(name))).all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                LOG.log(Level.WARNING, "The share group of deleted temporary queue {0} could not be deleted: {1}",
                        new Object[] {name, e.getCause().toString()});
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.log(Level.WARNING, "The share group of deleted temporary queue {0} could not be deleted: {1}",
                    new Object[] {name, e.toString()});
        }
    }
}

package io.strata.jms.client;

import jakarta.jms.JMSException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What each durable subscription was made with, kept by the broker in its share group's group config
 * {@value #CONFIG} (docs/jms-mapping.md), so that re-creating a subscription with another message selector or noLocal
 * replaces it, as JMS 3.1 says of {@code createDurableConsumer} and {@code createSharedDurableConsumer}: with no
 * consumer active, "this is equivalent to unsubscribing (deleting) the old one and creating a new one" (the messages
 * it held are gone); with one active, a {@code JMSException}. (The topic is part of the group id, so a subscription
 * re-created on another topic is a new group already.)
 *
 * <p>A group without the config (made by a Kafka client, or new) takes the definition it is first used with. A
 * connection remembers what it defined, so that only a change costs a round trip. Thread-safe.
 */
final class DurableSubscriptionDefinitions {

    private static final Logger LOG = Logger.getLogger(DurableSubscriptionDefinitions.class.getName());
    static final String CONFIG = "strata.jms.subscription";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Group id to the definition this connection last made sure of. */
    private final Map<String, String> defined = new ConcurrentHashMap<>();

    /** The stored form of a subscription's settings: versioned, so that a later provider can read it. */
    static String definition(String selector, boolean noLocal) {
        return "v1 noLocal=" + noLocal + " selector=" + (selector == null ? "" : selector.strip());
    }

    /**
     * Makes {@code group} the subscription {@code definition} says: as it is when it already is, else (after deleting
     * the old subscription, when it had another definition and no consumer) newly defined.
     *
     * @throws JMSException when the subscription has another definition and an active consumer, or the cluster
     *                      does not answer
     */
    void define(Admin admin, String group, String subscription, String definition) throws JMSException {
        if (definition.equals(defined.get(group))) {
            return;
        }
        try {
            String stored = stored(admin, group);
            if (!stored.isEmpty() && !stored.equals(definition)) {
                replace(admin, group, subscription, stored, definition);
            }
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group),
                    List.of(new AlterConfigOp(new ConfigEntry(CONFIG, definition), AlterConfigOp.OpType.SET))))
                    .all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            defined.put(group, definition);
        } catch (ExecutionException e) {
            throw JmsErrors.jms("the durable subscription '" + subscription + "' cannot be defined", e.getCause());
        } catch (JMSException e) {
            throw e;
        } catch (Exception e) {
            throw StrataConnection.interruptedOr(e, "the durable subscription '" + subscription
                    + "' cannot be defined");
        }
    }

    /** Forgets what this connection defined for {@code group} (it was deleted). */
    void forget(String group) {
        defined.remove(group);
    }

    private static String stored(Admin admin, String group) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        Config config = admin.describeConfigs(List.of(resource), new DescribeConfigsOptions())
                .values().get(resource).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        ConfigEntry entry = config.get(CONFIG);
        return entry == null || entry.source() != ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG || entry.value() == null
                ? "" : entry.value();
    }

    private void replace(Admin admin, String group, String subscription, String stored, String definition)
            throws Exception {
        ShareGroupDescription description;
        try {
            description = admin.describeShareGroups(List.of(group)).all().get(TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS).get(group);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
            description = null;
        }
        if (description != null && !description.members().isEmpty()) {
            throw new JMSException("the durable subscription '" + subscription + "' was made with " + stored
                    + " and has " + description.members().size() + " active consumer(s); it cannot be re-created"
                    + " with " + definition + " until they are closed (JMS 3.1, createDurableConsumer)");
        }
        try {
            admin.deleteShareGroups(Set.of(group)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
        }
        defined.remove(group);
        LOG.log(Level.INFO, "Durable subscription {0} (share group {1}) re-created: it was made with {2}, now with"
                + " {3}", new Object[] {subscription, group, stored, definition});
    }
}

package io.strata.jms.client;

import jakarta.jms.InvalidDestinationException;

import java.util.regex.Pattern;

/**
 * How JMS destinations and subscriptions are named on the broker (docs/jms-mapping.md, "Destinations and
 * subscriptions"): a queue or topic is the Kafka topic of its name; a queue is read by the share group of the queue's
 * name; a subscription is read by a share group whose id says its kind, its topic, its client id and its name:
 *
 * <pre>
 *   queue Q                                       topic Q, share group Q
 *   unshared durable subscription S of topic T    share group jms:durable:T:CLIENTID:S
 *   shared durable subscription S of topic T      share group jms:shared-durable:T:CLIENTID:S  (CLIENTID empty when unset)
 *   shared non-durable subscription S of topic T  share group jms:shared:T:CLIENTID:S          (CLIENTID empty when unset)
 *   non-durable unshared subscriber of topic T    no group: a plain consumer from the log end
 *   temporary queue / topic                       topic jms.temp-queue.CONNECTIONID.N / jms.temp-topic.CONNECTIONID.N
 * </pre>
 *
 * A topic name cannot hold {@code :} (Kafka's rule), so the topic part is unambiguous; {@code %} and {@code :} in
 * the client id are written {@code %25} and {@code %3A}, so that the client id part ends at the next {@code :}. Stateless.
 */
final class Names {

    /** Kafka's rule for topic names: ASCII letters, digits, '.', '_', '-', at most 249, not "." or "..". */
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private Names() {
    }

    /** {@code name} when it can be a Kafka topic, else why not. */
    static String checkTopicName(String name, String kind) throws InvalidDestinationException {
        if (name == null || !TOPIC_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new InvalidDestinationException("'" + name + "' cannot name a " + kind + ": a " + kind
                    + " is the Kafka topic of its name, which has 1 to 249 of the characters a-z A-Z 0-9 . _ -"
                    + " and is neither '.' nor '..'");
        }
        return name;
    }

    static String queueGroup(String queue) {
        return queue;
    }

    static String durableGroup(String topic, String clientId, String subscription) {
        return "jms:durable:" + topic + ":" + escape(clientId) + ":" + subscription;
    }

    static String sharedGroup(String topic, String clientId, String subscription, boolean durable) {
        return "jms:" + (durable ? "shared-durable:" : "shared:") + topic + ":" + escape(clientId) + ":"
                + subscription;
    }

    /**
     * The prefix of every temporary queue's topic, {@code jms.temp-queue.CONNECTIONID.N}: unique (the connection's
     * random id and its own counter), and found by an operator listing topics by prefix.
     */
    static final String TEMPORARY_QUEUE_PREFIX = "jms.temp-queue.";
    /** The prefix of every temporary topic's topic, {@code jms.temp-topic.CONNECTIONID.N}. */
    static final String TEMPORARY_TOPIC_PREFIX = "jms.temp-topic.";

    static String temporaryQueue(String connectionId, long sequence) {
        return TEMPORARY_QUEUE_PREFIX + connectionId + "." + sequence;
    }

    static String temporaryTopic(String connectionId, long sequence) {
        return TEMPORARY_TOPIC_PREFIX + connectionId + "." + sequence;
    }

    /** Whether the topic {@code name} is a temporary destination's (one no connection but its creator consumes). */
    static boolean isTemporary(String name) {
        return name.startsWith(TEMPORARY_QUEUE_PREFIX) || name.startsWith(TEMPORARY_TOPIC_PREFIX);
    }

    /** Whether {@code group} is a shared non-durable subscription's (one that goes with its last consumer). */
    static boolean isSharedNonDurableGroup(String group) {
        return group.startsWith("jms:shared:");
    }

    /**
     * What identifies a subscription in JMS, its kind, client id and name without its topic ({@code jms:shared::C:S}
     * for {@code jms:shared:T:C:S}); null for a group that is not a subscription's.
     */
    static String subscriptionIdentity(String group) {
        if (group == null || !group.startsWith("jms:")) {
            return null;
        }
        int kindEnd = group.indexOf(':', 4);
        int topicEnd = kindEnd < 0 ? -1 : group.indexOf(':', kindEnd + 1);
        return topicEnd < 0 ? null : group.substring(0, kindEnd + 1) + group.substring(topicEnd);
    }

    private static String escape(String clientId) {
        return clientId == null ? "" : clientId.replace("%", "%25").replace(":", "%3A");
    }
}

package io.strata.broker.share.deadletter;

import java.util.function.Function;

/**
 * Decides whether a share group may write to the dead-letter topic it names, with KIP-1191's rules: the name does not
 * start with {@code __} (internal topics) and starts with the broker's {@code errors.deadletterqueue.topic.name.prefix}
 * (default {@code dlq.}; empty: any name); an existing topic must allow it with its topic config
 * {@code errors.deadletterqueue.group.enable=true}; a missing one is created, allowing it, only when the broker's
 * {@code errors.deadletterqueue.auto.create.topics.enable} is true. Strata adds one rule: a group never dead-letters a
 * record into the topic it came from, which would hand it to the same group again, round and round.
 *
 * <p>Reads the metadata at each call; thread-safe.
 */
public final class DeadLetterTopics {

    /** A topic as the metadata has it: its partition count and whether it allows being a dead-letter topic. */
    public record TopicState(int partitionCount, boolean deadLetterEnabled) {
    }

    /** What to do with the dead-letter records of a group. */
    public sealed interface Decision {
    }

    /** Write to the topic, which has {@code partitionCount} partitions. */
    public record Write(String topic, int partitionCount) implements Decision {
    }

    /** Create the topic first. */
    public record Create(String topic) implements Decision {
    }

    /** Do not write: archive the records only, for the reason given. */
    public record Skip(String problem) implements Decision {
    }

    private final Function<String, TopicState> topics;
    private final String prefix;
    private final boolean autoCreate;

    /**
     * @param topics     a topic by name, or null when it does not exist
     * @param prefix     {@code errors.deadletterqueue.topic.name.prefix}
     * @param autoCreate {@code errors.deadletterqueue.auto.create.topics.enable}
     */
    public DeadLetterTopics(Function<String, TopicState> topics, String prefix, boolean autoCreate) {
        this.topics = topics;
        this.prefix = prefix == null ? "" : prefix;
        this.autoCreate = autoCreate;
    }

    /** What the dead-letter records of {@code groupId}, read from {@code sourceTopic}, do with {@code topic}. */
    public Decision decide(String groupId, String sourceTopic, String topic) {
        if (topic == null || topic.isEmpty()) {
            return new Skip("share group " + groupId + " has no dead-letter topic (errors.deadletterqueue.topic.name)");
        }
        if (topic.startsWith("__")) {
            return new Skip("the dead-letter topic " + topic + " of share group " + groupId + " starts with __,"
                    + " which internal topics do");
        }
        if (!prefix.isEmpty() && !topic.startsWith(prefix)) {
            return new Skip("the dead-letter topic " + topic + " of share group " + groupId + " does not start with"
                    + " the prefix " + prefix + " that errors.deadletterqueue.topic.name.prefix requires");
        }
        if (topic.equals(sourceTopic)) {
            return new Skip("share group " + groupId + " reads its dead-letter topic " + topic + " itself; a record"
                    + " is never dead-lettered into the topic it came from");
        }
        TopicState state = topics.apply(topic);
        if (state == null) {
            return autoCreate ? new Create(topic) : new Skip("the dead-letter topic " + topic + " of share group "
                    + groupId + " does not exist and errors.deadletterqueue.auto.create.topics.enable is false:"
                    + " create it with errors.deadletterqueue.group.enable=true");
        }
        if (!state.deadLetterEnabled()) {
            return new Skip("the topic " + topic + " does not allow share groups to dead-letter into it (share group "
                    + groupId + "): set its topic config errors.deadletterqueue.group.enable=true");
        }
        return new Write(topic, state.partitionCount());
    }
}

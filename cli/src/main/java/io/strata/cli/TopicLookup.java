package io.strata.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.List;

/**
 * Looks a topic up before a command uses it, so that a mistyped name is reported at once as "topic 'x' does not
 * exist" instead of a producer waiting for metadata until it times out, or the broker creating the topic because
 * auto.create.topics.enable is on.
 *
 * <p>Stateless; thread-safe.
 */
public final class TopicLookup {

    private TopicLookup() {
    }

    public static TopicDescription describe(Admin admin, String topic) {
        try {
            return Await.result(admin.describeTopics(List.of(topic)).topicNameValues().get(topic));
        } catch (UnknownTopicOrPartitionException e) {
            throw CliException.unknownTopic(topic, e);
        }
    }

    /** The topic's partition count, after checking that {@code partition}, if given, is one of them. */
    public static int partitionCount(Admin admin, String topic, Integer partition) {
        int count = describe(admin, topic).partitions().size();
        if (partition != null && (partition < 0 || partition >= count)) {
            throw new CliException("topic '" + topic + "' has no partition " + partition
                    + (count == 1 ? " (it has only partition 0)" : " (it has partitions 0 to " + (count - 1) + ")"));
        }
        return count;
    }
}

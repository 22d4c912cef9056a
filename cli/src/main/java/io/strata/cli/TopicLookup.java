package io.strata.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Looks a topic up before a command uses it, so that a mistyped name is reported at once as "topic 'x' does not
 * exist" instead of a consumer waiting for metadata until it times out. Producing is the exception, as with Kafka's
 * console producer: a topic that does not exist is created by the broker on first use when it allows that
 * ({@code auto.create.topics.enable}, true by default), and reported as missing when it does not.
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
        return checkPartition(topic, describe(admin, topic).partitions().size(), partition);
    }

    /**
     * The partition count of a topic about to be produced to, after checking that {@code partition}, if given, is one
     * of them. A topic that does not exist is left to {@code producer}, whose metadata request asks the broker to
     * create it, as Kafka's console producer does; a broker with {@code auto.create.topics.enable=false} is asked
     * first, so that the answer is "does not exist" at once rather than after the producer's max.block.ms.
     */
    public static int partitionCountForProducing(Admin admin, Producer<?, ?> producer, String topic,
                                                 Integer partition) {
        Optional<TopicDescription> existing = describeIfExists(admin, topic);
        if (existing.isPresent()) {
            return checkPartition(topic, existing.get().partitions().size(), partition);
        }
        if (!brokerCreatesTopics(admin)) {
            throw new CliException("topic '" + topic + "' does not exist, and the broker does not create topics on"
                    + " first use (auto.create.topics.enable=false): create it with 'strata topics create --topic "
                    + topic + "'");
        }
        List<PartitionInfo> created;
        try {
            created = producer.partitionsFor(topic);
        } catch (TimeoutException e) {
            throw new CliException("topic '" + topic + "' does not exist, and the broker did not create it in time: "
                    + e.getMessage(), e);
        }
        return checkPartition(topic, created.size(), partition);
    }

    private static Optional<TopicDescription> describeIfExists(Admin admin, String topic) {
        try {
            return Optional.of(Await.result(admin.describeTopics(List.of(topic)).topicNameValues().get(topic)));
        } catch (UnknownTopicOrPartitionException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a broker says it creates topics on first use. One that does not describe its settings (an older or
     * stricter broker) is left to answer the producer itself.
     */
    private static boolean brokerCreatesTopics(Admin admin) {
        Collection<Node> nodes = Await.result(admin.describeCluster().nodes());
        if (nodes.isEmpty()) {
            return true;
        }
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, nodes.iterator().next().idString());
        try {
            Config config = Await.result(admin.describeConfigs(List.of(broker)).values().get(broker));
            ConfigEntry entry = config.get("auto.create.topics.enable");
            return entry == null || entry.value() == null || Boolean.parseBoolean(entry.value());
        } catch (ApiException e) {
            return true;
        }
    }

    private static int checkPartition(String topic, int count, Integer partition) {
        if (partition != null && (partition < 0 || partition >= count)) {
            throw new CliException("topic '" + topic + "' has no partition " + partition
                    + (count == 1 ? " (it has only partition 0)" : " (it has partitions 0 to " + (count - 1) + ")"));
        }
        return count;
    }
}

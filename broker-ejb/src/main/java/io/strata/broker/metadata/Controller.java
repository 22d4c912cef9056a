package io.strata.broker.metadata;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.requests.ApiError;

import java.util.List;
import java.util.Map;

/**
 * The one way topic metadata changes. Every change is validated with the error code and message a Kafka controller
 * would give, made durable, and then applied to the {@link MetadataImage} that every part of the broker reads, in
 * order, telling each {@link MetadataListener}.
 *
 * <p>Implementations are thread-safe; changes are applied one at a time.
 */
public interface Controller {

    /** The current metadata. */
    MetadataImage image();

    void addListener(MetadataListener listener);

    /** The brokers that can hold replicas now, in id order. */
    List<Integer> liveBrokers();

    /** Creates topics, or with {@code validateOnly} only checks that they could be created. */
    List<TopicResult> createTopics(List<NewTopic> topics, boolean validateOnly);

    /**
     * Creates an internal topic such as {@code __consumer_offsets} if it does not exist yet, with the replication
     * factor lowered to the number of live brokers; returns it either way.
     */
    TopicImage ensureInternalTopic(String name, int partitions, short replicationFactor, Map<String, String> configs);

    /** A topic to delete, named or (in newer requests) identified by its id. */
    record TopicRef(String name, Uuid id) {
    }

    List<TopicResult> deleteTopics(List<TopicRef> topics);

    /** A request to grow a topic to {@code totalCount} partitions, optionally with the new partitions' replicas. */
    record NewPartitions(String topic, int totalCount, List<List<Integer>> assignments) {
    }

    List<TopicResult> createPartitions(List<NewPartitions> requests, boolean validateOnly);

    /**
     * Replaces the topic's setting overrides with {@code overrides}, after checking the result is a valid
     * configuration.
     */
    ApiError alterTopicConfigs(String topic, Map<String, String> overrides, boolean validateOnly);

    /** Reserves {@code size} producer ids and returns the first; ids are never handed out twice. */
    long allocateProducerIds(int size);
}

package io.strata.broker.metadata;

import org.apache.kafka.common.ElectionType;
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

    /**
     * Replaces a group's dynamic group configs (KIP-932 share.*, ...) with {@code configs}, already validated by the
     * caller against the broker's bounds; an empty map removes every override. Every broker reads them from
     * {@link MetadataImage#groupConfigs}.
     */
    ApiError alterGroupConfigs(String groupId, Map<String, String> configs, boolean validateOnly);

    /** Reserves {@code size} producer ids and returns the first; ids are never handed out twice. */
    long allocateProducerIds(int size);

    /** One partition of a topic, named as a request names it (the topic may not exist). */
    record PartitionRef(String topic, int partition) {
    }

    /** What a change did to one partition: {@link ApiError#NONE} or why it was refused. */
    record PartitionResult(String topic, int partition, ApiError error) {
    }

    /**
     * Elects leaders (ElectLeaders). PREFERRED makes each partition's first replica its leader if that broker is
     * alive and in sync; UNCLEAN gives an offline partition a leader from any live replica, in sync or not.
     *
     * @param partitions the partitions, or {@code null} for every partition; then only the partitions whose election
     *                   was needed are answered for, as Kafka does
     */
    List<PartitionResult> electLeaders(ElectionType type, List<PartitionRef> partitions);

    /** A partition to move to {@code targetReplicas} (preferred leader first), or {@code null} to cancel its move. */
    record Reassignment(String topic, int partition, List<Integer> targetReplicas) {
    }

    /**
     * Starts, replaces or cancels partition reassignments (AlterPartitionReassignments). A reassignment completes
     * by itself once every target replica is in sync.
     *
     * @param allowReplicationFactorChange whether a target may have more or fewer replicas than the partition has
     */
    List<PartitionResult> alterPartitionReassignments(List<Reassignment> reassignments,
                                                      boolean allowReplicationFactorChange);
}

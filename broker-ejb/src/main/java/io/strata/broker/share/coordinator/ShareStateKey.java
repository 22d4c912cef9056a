package io.strata.broker.share.coordinator;

import org.apache.kafka.common.Uuid;

import java.util.Objects;

/**
 * Names one share partition's state: a share group reading one partition of one topic. Its
 * {@link #coordinatorKey()}, {@code groupId:topicId:partition}, is the key FindCoordinator (key type SHARE) takes and
 * the one whose hash chooses the {@code __share_group_state} partition, as Kafka's share coordinator does. Immutable.
 */
public record ShareStateKey(String groupId, Uuid topicId, int partition) {

    public ShareStateKey {
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(topicId, "topicId");
    }

    /** {@code groupId:topicId:partition}, as Kafka's {@code SharePartitionKey.asCoordinatorKey()} spells it. */
    public String coordinatorKey() {
        return groupId + ":" + topicId + ":" + partition;
    }

    /**
     * Reads a coordinator key {@code groupId:topicId:partition}; throws {@link IllegalArgumentException} saying what is
     * wrong with one that is not (the group id may itself hold colons: the last two parts are the topic and partition).
     */
    public static ShareStateKey parse(String coordinatorKey) {
        int partitionColon = coordinatorKey == null ? -1 : coordinatorKey.lastIndexOf(':');
        int topicColon = partitionColon <= 0 ? -1 : coordinatorKey.lastIndexOf(':', partitionColon - 1);
        if (topicColon <= 0) {
            throw new IllegalArgumentException("a share coordinator key is groupId:topicId:partition, not "
                    + coordinatorKey);
        }
        Uuid topicId;
        int partition;
        try {
            topicId = Uuid.fromString(coordinatorKey.substring(topicColon + 1, partitionColon));
            partition = Integer.parseInt(coordinatorKey.substring(partitionColon + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a share coordinator key is groupId:topicId:partition with a base64"
                    + " topic id and a partition number, not " + coordinatorKey);
        }
        if (partition < 0) {
            throw new IllegalArgumentException("negative partition in share coordinator key " + coordinatorKey);
        }
        return new ShareStateKey(coordinatorKey.substring(0, topicColon), topicId, partition);
    }

    @Override
    public String toString() {
        return coordinatorKey();
    }
}

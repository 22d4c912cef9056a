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

    @Override
    public String toString() {
        return coordinatorKey();
    }
}

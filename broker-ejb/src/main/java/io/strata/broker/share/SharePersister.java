package io.strata.broker.share;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * Where share-partition state is kept durably: Kafka's share coordinator, which keeps it in the replicated
 * {@code __share_group_state} topic, reached through InitializeShareGroupState, ReadShareGroupState,
 * WriteShareGroupState, DeleteShareGroupState and ReadShareGroupStateSummary (on this broker directly when it leads
 * the state's partition, over the network otherwise).
 *
 * <p>The leader of a topic partition owns the live {@link SharePartition} of each share group reading it. It reads
 * the stored state when it first serves the group on the partition (at its leader epoch), and writes the partition's
 * state before it answers an acknowledgement, so that what a member was told is acknowledged survives any failover.
 * A write names the whole in-flight state ({@link SharePartition#snapshot()}); under Kafka's merge rules (batches
 * replace the state of their offsets, offsets below the start offset are dropped) that is the partition's state.
 *
 * <p>Errors are Kafka's: NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS (retriable;
 * the persister retries them itself within its timeout), FENCED_LEADER_EPOCH (a newer leader of the topic partition
 * has read or written the state: this broker must stop serving it), FENCED_STATE_EPOCH (the state was re-initialized,
 * by AlterShareGroupOffsets or DeleteShareGroupOffsets: the leader must read it again).
 *
 * <p>Thread-safe; every method answers asynchronously and never blocks the caller.
 */
public interface SharePersister {

    /** A read: the error, and the stored state ({@code null} when the share partition was never initialized). */
    record ReadResult(Errors error, SharePartitionState state) {
    }

    /**
     * A summary read, for DescribeShareGroupOffsets: the start offset and state epoch, and (KIP-1226) how many offsets
     * past the start offset are done with, Acknowledged or Archived (-1 when unknown); or the error.
     */
    record Summary(Errors error, int stateEpoch, long startOffset, int deliveryCompleteCount) {

        /** A summary without the count of offsets done with. */
        public Summary(Errors error, int stateEpoch, long startOffset) {
            this(error, stateEpoch, startOffset, -1);
        }
    }

    /** Creates (or replaces, with a higher state epoch) the state of a share partition. */
    CompletableFuture<Errors> initialize(String groupId, Uuid topicId, int partition, SharePartitionState state);

    /**
     * Reads the state as the leader of the topic partition at {@code leaderEpoch}; a later write or read with a lower
     * leader epoch is fenced (FENCED_LEADER_EPOCH).
     */
    CompletableFuture<ReadResult> read(String groupId, Uuid topicId, int partition, int leaderEpoch);

    /** Writes the state as the leader at {@code leaderEpoch}; completes once the state is replicated. */
    CompletableFuture<Errors> write(String groupId, Uuid topicId, int partition, int leaderEpoch,
                                    SharePartitionState state);

    /** The start offset and state epoch, without fencing anybody; start offset -1 when never initialized. */
    CompletableFuture<Summary> readSummary(String groupId, Uuid topicId, int partition);

    /** Deletes the state (the group's offsets on that partition are gone; the next read finds none). */
    CompletableFuture<Errors> delete(String groupId, Uuid topicId, int partition);
}

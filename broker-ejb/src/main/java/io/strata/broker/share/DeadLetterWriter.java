package io.strata.broker.share;

import org.apache.kafka.common.TopicIdPartition;

import java.util.concurrent.CompletableFuture;

/**
 * Writes the records a share group gave up on to the group's dead-letter topic (KIP-1191), for the
 * {@link SharePartitionManager}, which keeps such a record Archiving until its write is done. The seam between the
 * share-partition state machine and the producer that writes the topic.
 *
 * <p>Implementations are thread-safe and never block the caller: the manager calls them from a share partition's
 * operation.
 */
@FunctionalInterface
public interface DeadLetterWriter {

    /** One record to dead-letter: where it is, how often it was delivered, and why the group gave up on it. */
    record DeadLetter(String groupId, TopicIdPartition topicPartition, long offset, int deliveryCount,
                      DeadLetterReason reason) {
    }

    /**
     * Starts writing {@code letter}. The future completes normally once the write is acknowledged by the in-sync
     * replicas of the dead-letter topic, or once it is decided that the record is not to be written (the group has no
     * dead-letter topic any more, or one it may not use): either way the record may now be Archived. It completes
     * exceptionally when the writer gives up for now (it is stopping): the record stays Archiving and is offered
     * again, here or by the next leader.
     *
     * @return the write, or null when the writer already holds as many records as it may: offer it again later
     */
    CompletableFuture<Void> write(DeadLetter letter);

    /** Writes nothing: records given up on are archived at once. */
    DeadLetterWriter ARCHIVE_ONLY = letter -> CompletableFuture.completedFuture(null);
}

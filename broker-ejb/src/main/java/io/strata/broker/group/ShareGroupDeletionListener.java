package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.Map;
import java.util.Set;

/**
 * Told when a share group was deleted (DeleteGroups; its tombstone is committed), with every topic partition it was
 * ever assigned and so may have share state for. The integrator wires it to
 * {@link io.strata.broker.share.SharePersister#delete} for each of them, so that a group created again under the same
 * id starts from {@code share.auto.offset.reset} and not from the old group's state.
 *
 * <p>Called on the group coordinator's thread: an implementation must not block (start the deletions, do not await
 * them). Implementations must be thread-safe.
 */
@FunctionalInterface
public interface ShareGroupDeletionListener {

    /** @param partitions topic id to partition indexes; never null, possibly empty */
    void onDeleted(String groupId, Map<Uuid, Set<Integer>> partitions);
}

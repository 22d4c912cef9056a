package io.strata.broker.coordinator;

/**
 * The state a coordinator keeps for one partition of its internal topic (the groups of one {@code __consumer_offsets}
 * partition, say), as a plain single-threaded state machine: the {@link CoordinatorRuntime} runs every operation,
 * timer and write completion of one shard on its one thread, so a shard needs no locks.
 *
 * <p>An operation changes the shard's in-memory state and hands the records that make the change durable to
 * {@link CoordinatorContext#write}; a change that must not be seen before it is durable (a committed offset, a
 * deleted group) is made in the write's completion instead. {@link #replay} rebuilds the same state from those records
 * when this broker becomes the partition's leader.
 *
 * <p>Not thread-safe: confined to the runtime's thread.
 */
public interface CoordinatorShard {

    /** Applies one record read back from the partition, in offset order, while the shard loads. */
    void replay(long offset, CoordinatorRecord record);

    /** Every record up to the log end has been replayed: the shard serves from now on, and may start its timers. */
    void onLoaded();

    /** The broker no longer leads the partition: requests still waiting are answered NOT_COORDINATOR. */
    void onUnloaded();
}

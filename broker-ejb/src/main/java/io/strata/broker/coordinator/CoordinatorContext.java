package io.strata.broker.coordinator;

import org.apache.kafka.common.protocol.Errors;

import java.util.List;
import java.util.function.Consumer;

/**
 * What the runtime offers a shard: writes to its partition that call back once committed, timers, and the clock. Used
 * only on the runtime's thread.
 */
public interface CoordinatorContext {

    /** The partition of the internal topic this shard holds. */
    int partition();

    long nowMs();

    /**
     * Appends {@code records} to the partition as its leader, at once and in one batch, and calls {@code onCommitted}
     * once every in-sync replica has them (the high watermark passed them), or {@code onFailed} with the error to
     * answer if they could not be written or were not replicated within the write timeout. Both run later on the
     * runtime's thread, never inside this call.
     */
    void write(List<CoordinatorRecord> records, Runnable onCommitted, Consumer<Errors> onFailed);

    /**
     * Runs {@code task} on the runtime's thread after {@code delayMs}, unless cancelled or the shard was unloaded
     * meanwhile. Scheduling a key again replaces its task.
     */
    void schedule(String key, long delayMs, Runnable task);

    void cancel(String key);
}

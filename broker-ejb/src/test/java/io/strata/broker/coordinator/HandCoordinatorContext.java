package io.strata.broker.coordinator;

import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A coordinator runtime worked by hand, for unit tests of coordinator shards: writes wait for {@link #commitAll} or
 * {@link #failAll}; timers run at {@link #advance}. Not thread-safe: one test drives it.
 */
public final class HandCoordinatorContext implements CoordinatorContext {
    public long nowMs = 1_000_000;
    public final List<CoordinatorRecord> log = new ArrayList<>();
    public final List<Pending> pending = new ArrayList<>();
    public final TreeMap<String, Timer> timers = new TreeMap<>();

    public record Pending(List<CoordinatorRecord> records, Runnable onCommitted, Consumer<Errors> onFailed) {
    }

    public record Timer(long dueMs, Runnable task) {
    }

    @Override
    public int partition() {
        return 0;
    }

    @Override
    public long nowMs() {
        return nowMs;
    }

    @Override
    public void write(List<CoordinatorRecord> records, Runnable onCommitted, Consumer<Errors> onFailed) {
        pending.add(new Pending(List.copyOf(records), onCommitted, onFailed));
    }

    @Override
    public void schedule(String key, long delayMs, Runnable task) {
        timers.put(key, new Timer(nowMs + delayMs, task));
    }

    @Override
    public void cancel(String key) {
        timers.remove(key);
    }

    public void commitAll() {
        while (!pending.isEmpty()) {
            Pending write = pending.remove(0);
            log.addAll(write.records());
            write.onCommitted().run();
        }
    }

    public void failAll(Errors error) {
        while (!pending.isEmpty()) {
            pending.remove(0).onFailed().accept(error);
        }
    }

    public void advance(long ms) {
        nowMs += ms;
        boolean ran = true;
        while (ran) {
            ran = false;
            for (Iterator<Map.Entry<String, Timer>> it = timers.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Timer> timer = it.next();
                if (timer.getValue().dueMs() <= nowMs) {
                    it.remove();
                    timer.getValue().task().run();
                    ran = true;
                    break;
                }
            }
        }
    }
}

package io.strata.broker.server;

import org.apache.kafka.common.protocol.ApiKeys;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The broker's own counters: bytes and records in, bytes out, and per API the requests handled and the time they
 * took. Cheap to update from every request thread; read by whatever exports metrics. Thread-safe.
 */
public final class BrokerMetrics {

    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder recordsIn = new LongAdder();
    private final Map<ApiKeys, LongAdder> requests = new EnumMap<>(ApiKeys.class);
    private final Map<ApiKeys, LongAdder> requestNanos = new EnumMap<>(ApiKeys.class);
    private final List<Observer> observers = new CopyOnWriteArrayList<>();

    /** Told of each count as it happens, for an exporter that keeps its own meters (rates, histograms). */
    public interface Observer {
        void requestCompleted(ApiKeys api, long nanos);

        void bytesIn(long bytes);

        void bytesOut(long bytes);

        void recordsIn(long records);
    }

    public BrokerMetrics() {
        for (ApiKeys key : ApiKeys.values()) {
            requests.put(key, new LongAdder());
            requestNanos.put(key, new LongAdder());
        }
    }

    public void addObserver(Observer observer) {
        observers.add(observer);
    }

    public void removeObserver(Observer observer) {
        observers.remove(observer);
    }

    public void recordBytesIn(long bytes) {
        bytesIn.add(bytes);
        for (Observer observer : observers) {
            observer.bytesIn(bytes);
        }
    }

    public void recordBytesOut(long bytes) {
        bytesOut.add(bytes);
        for (Observer observer : observers) {
            observer.bytesOut(bytes);
        }
    }

    public void recordRecordsIn(long records) {
        recordsIn.add(records);
        for (Observer observer : observers) {
            observer.recordsIn(records);
        }
    }

    public void recordRequest(ApiKeys key, long nanos) {
        requests.get(key).increment();
        requestNanos.get(key).add(nanos);
        for (Observer observer : observers) {
            observer.requestCompleted(key, nanos);
        }
    }

    public long bytesIn() {
        return bytesIn.sum();
    }

    public long bytesOut() {
        return bytesOut.sum();
    }

    public long recordsIn() {
        return recordsIn.sum();
    }

    public long requests(ApiKeys key) {
        return requests.get(key).sum();
    }

    public long requestNanos(ApiKeys key) {
        return requestNanos.get(key).sum();
    }
}

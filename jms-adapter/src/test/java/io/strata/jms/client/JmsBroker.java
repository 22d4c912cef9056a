package io.strata.jms.client;

import io.strata.broker.it.TestBroker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * What the provider's tests share: a real Strata broker whose share groups heartbeat every second and may lock records
 * for a second (as the engine's tests run it), and connection factories for it. Stateless.
 */
final class JmsBroker {

    static final Duration AT_MOST = Duration.ofSeconds(30);
    static final long RECEIVE_MS = 10_000;

    static final Map<String, Object> FAST_SHARE_GROUPS = Map.of(
            "group.share.min.record.lock.duration.ms", 1000,
            "group.share.min.heartbeat.interval.ms", 500,
            "group.share.heartbeat.interval.ms", 1000);

    private JmsBroker() {
    }

    static TestBroker start(Path dir) {
        return TestBroker.start(dir, FAST_SHARE_GROUPS);
    }

    /** A factory for {@code broker} whose consumers fetch at most {@code prefetch} records ahead. */
    static StrataConnectionFactory factory(TestBroker broker, int prefetch) {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", broker.bootstrapServers());
        properties.setProperty("strata.jms.consumer.prefetch", Integer.toString(prefetch));
        return new StrataConnectionFactory(properties);
    }
}

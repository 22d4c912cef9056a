package io.strata.jms.frameworks;

import io.strata.broker.it.TestBroker;
import io.strata.jms.client.StrataConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * A test of the provider under an application framework: one real broker per test class, started before the first
 * test and closed after the last, and a factory for it whose consumers fetch one message at a time, so that a
 * framework's concurrent consumers each hold their own. Test classes run one after the other, so the static fields
 * are the running class's.
 */
abstract class FrameworkTest {

    static final Duration AT_MOST = Duration.ofSeconds(30);
    static final long RECEIVE_MS = 10_000;

    @TempDir
    static Path dir;
    static TestBroker broker;
    static StrataConnectionFactory factory;

    @BeforeAll
    static void startBroker() {
        // Share groups that heartbeat every second, as the provider's own tests run them, and share-group state and
        // transaction logs of a few partitions, which the first share consumer and transacted session create (50, the
        // default, take seconds).
        broker = TestBroker.start(dir, Map.of(
                "group.share.min.record.lock.duration.ms", 1000,
                "group.share.min.heartbeat.interval.ms", 500,
                "group.share.heartbeat.interval.ms", 1000,
                "share.coordinator.state.topic.num.partitions", 3,
                "transaction.state.log.num.partitions", 3));
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", broker.bootstrapServers());
        properties.setProperty("strata.jms.consumer.prefetch", "1");
        factory = new StrataConnectionFactory(properties);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }
}

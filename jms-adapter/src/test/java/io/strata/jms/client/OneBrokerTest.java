package io.strata.jms.client;

import io.strata.broker.it.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * A test class of the provider that runs all its tests against one real broker ({@link JmsBroker}'s settings), started
 * before the first and closed after the last, with a factory for it whose consumers fetch at most 10 records ahead.
 * Test classes run one after the other, so the static fields are the running class's.
 */
abstract class OneBrokerTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    static StrataConnectionFactory factory;

    @BeforeAll
    static void startBroker() {
        broker = JmsBroker.start(dir);
        factory = JmsBroker.factory(broker, 10);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }
}

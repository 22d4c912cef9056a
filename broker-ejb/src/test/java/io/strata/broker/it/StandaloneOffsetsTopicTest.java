package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.server.BrokerServer;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A standalone broker ({@code cluster.join=none}) is a cluster of one: it creates {@code __consumer_offsets} with one
 * replica when {@code offsets.topic.replication.factor} is left at Kafka's default of 3, and refuses to start when the
 * setting asks for more replicas than it can ever hold, instead of leaving every group without a coordinator.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StandaloneOffsetsTopicTest {

    @TempDir
    Path dir;

    @Test
    void standaloneBrokerCreatesTheOffsetsTopicWithOneReplicaByDefault() {
        try (TestBroker broker = TestBroker.start(dir, Map.of())) {
            int self = broker.server().config().nodeId;
            TopicImage offsets = broker.server().controller().image().topic(GroupCoordinator.OFFSETS_TOPIC);
            assertThat(offsets).as("created at start").isNotNull();
            assertThat(offsets.partitions()).allSatisfy(p -> assertThat(p.replicas()).containsExactly(self));
            assertThat(broker.server().groupCoordinator().coordinatorFor("auditors")).isEqualTo(self);
        }
    }

    @Test
    void standaloneBrokerRefusesAnOffsetsReplicationFactorItCannotHold() {
        BrokerServer server = new BrokerServer(BrokerConfig.of(Map.of(BrokerConfig.LOG_DIRS, dir.toString(),
                BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:0",
                BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, "3")), Executors.defaultThreadFactory(),
                Clock.systemUTC());
        try {
            assertThatThrownBy(server::start).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR)
                    .hasMessageContaining("cluster of one");
        } finally {
            server.close();
        }
    }
}

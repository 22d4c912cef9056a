package io.strata.broker.coordinator;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.metadata.LocalController;
import io.strata.broker.metadata.LocalMetadataStore;
import io.strata.broker.metadata.MetadataLog;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A coordinator's internal topic: created only with every replica it needs, and once. */
class InternalTopicTest {

    private static final String KEY = BrokerConfig.TRANSACTION_STATE_LOG_REPLICATION_FACTOR;

    @TempDir
    Path dir;

    private final List<Integer> live = new ArrayList<>(List.of(1));
    private MetadataLog log;
    private LocalController controller;

    @BeforeEach
    void openMetadata() {
        log = MetadataLog.open(dir, Executors.defaultThreadFactory(), Clock.systemUTC());
        controller = new LocalController(new LocalMetadataStore(log), () -> List.copyOf(live), Map.of(), 1,
                (short) 1, true);
    }

    @AfterEach
    void closeMetadata() {
        log.close();
    }

    private InternalTopic topic(Map<String, Object> settings) {
        BrokerConfig config = BrokerConfig.of(settings);
        return new InternalTopic("__state", config, controller, KEY,
                () -> config.transactionStateLogReplicationFactor, "transactional producers");
    }

    @Test
    void aStandaloneBrokerHoldsOneReplicaUnlessTheFactorIsSet() {
        InternalTopic state = topic(Map.of());
        state.standalone(true);

        TopicImage created = state.ensure(4, Map.of());

        assertThat(state.replicationFactor()).isEqualTo((short) 1);
        assertThat(created.partitionCount()).isEqualTo(4);
        assertThat(created.partition(0).replicas()).containsExactly(1);
        assertThat(state.ensure(8, Map.of())).as("created once").isEqualTo(created);
    }

    @Test
    void aStandaloneBrokerRefusesAFactorItCannotHoldAndSaysWhatToSet() {
        InternalTopic state = topic(Map.of(KEY, "3"));
        state.standalone(true);

        assertThatThrownBy(() -> state.ensure(4, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining(KEY).hasMessageContaining("cannot hold 3 replicas of __state");
        assertThat(controller.image().topic("__state")).isNull();
    }

    @Test
    void aClusterWaitsForEnoughBrokersRatherThanCreatingItUnderReplicated() {
        InternalTopic state = topic(Map.of(KEY, "3"));
        state.standalone(false);

        assertThat(state.ensure(4, Map.of())).isNull();
        live.add(2);
        assertThat(state.ensure(4, Map.of())).isNull();
        live.add(3);

        TopicImage created = state.ensure(4, Map.of());
        assertThat(created).isNotNull();
        assertThat(created.partition(0).replicas()).hasSize(3);
    }
}

package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupConfigsTest {

    private final BrokerConfig config = BrokerConfig.of(Map.of());
    private final Map<String, Map<String, String>> stored = new HashMap<>();
    private final GroupConfigs configs = new GroupConfigs(config, groupId -> stored.getOrDefault(groupId, Map.of()));

    @Test
    void eachKindReadsItsOwnConfigsOverTheBrokersDefaults() {
        stored.put("g", Map.of("consumer.heartbeat.interval.ms", "6000", "share.delivery.count.limit", "3"));

        assertThat(configs.consumer("g")).isEqualTo(new ConsumerGroupConfig(6000, 45_000));
        assertThat(configs.share("g").deliveryCountLimit()).isEqualTo(3);
        assertThat(configs.share("g").heartbeatIntervalMs()).isEqualTo(5000);
        assertThat(configs.consumer("other")).isEqualTo(ConsumerGroupConfig.defaults(config));
    }

    @Test
    void storedConfigsThatNoLongerFitTheBrokersBoundsFallBackToTheDefaults() {
        stored.put("g", Map.of("share.record.lock.duration.ms", "5000", "consumer.session.timeout.ms", "1000"));

        assertThat(configs.share("g")).isEqualTo(ShareGroupConfig.defaults(config));
        assertThat(configs.consumer("g")).isEqualTo(ConsumerGroupConfig.defaults(config));
    }

    @Test
    void validationNamesTheConfigAndTheBoundItBreaks() {
        GroupConfigs.validate(config, Map.of("consumer.session.timeout.ms", "60000",
                "share.auto.offset.reset", "earliest"));

        assertThatThrownBy(() -> GroupConfigs.validate(config, Map.of("consumer.session.timeout.ms", "60001")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("group.consumer.max.session.timeout.ms (60000)");
        assertThatThrownBy(() -> GroupConfigs.validate(config, Map.of("consumer.heartbeat.interval.ms", "4999")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("group.consumer.min.heartbeat.interval.ms (5000)");
        assertThatThrownBy(() -> GroupConfigs.validate(config, Map.of("streams.num.standby.replicas", "1")))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("Unknown group config");
    }
}

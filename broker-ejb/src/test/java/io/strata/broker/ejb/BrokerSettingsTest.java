package io.strata.broker.ejb;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigValue;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.eclipse.microprofile.config.spi.Converter;
import org.junit.jupiter.api.Test;

import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How the server finds the broker's settings in MicroProfile Config, and what it says when the broker cannot start.
 * MicroProfile Config itself (system properties, environment variables) is the server's; here a map stands in for it.
 */
class BrokerSettingsTest {

    /** MicroProfile Config over a map: the unit seam. */
    private record MapConfig(Map<String, String> values) implements Config {
        @Override
        public <T> T getValue(String name, Class<T> type) {
            return getOptionalValue(name, type).orElseThrow(() -> new NoSuchElementException(name));
        }

        @Override
        public ConfigValue getConfigValue(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> Optional<T> getOptionalValue(String name, Class<T> type) {
            return Optional.ofNullable(values.get(name)).map(type::cast);
        }

        @Override
        public Iterable<String> getPropertyNames() {
            return values.keySet();
        }

        @Override
        public Iterable<ConfigSource> getConfigSources() {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> Optional<Converter<T>> getConverter(Class<T> forType) {
            return Optional.empty();
        }

        @Override
        public <T> T unwrap(Class<T> type) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void strataKeysBecomeKafkaSettingsAndOthersAreLeftAlone() {
        Config config = new MapConfig(Map.of("strata.listeners", "PLAINTEXT://127.0.0.1:19092",
                "strata.log.dirs", "/var/lib/strata", "strata.num.partitions", "3",
                "strata.log.retention.hours", "24", "strata.log.cleaner.threads", "2",
                "payara.something", "x", "strata.lisenters", "typo"));

        Map<String, Object> settings = BrokerSettings.from(config);

        assertThat(settings).containsOnly(Map.entry("listeners", "PLAINTEXT://127.0.0.1:19092"),
                Map.entry("log.dirs", "/var/lib/strata"), Map.entry("num.partitions", "3"),
                Map.entry("log.retention.hours", "24"), Map.entry("log.cleaner.threads", "2"));
        BrokerConfig broker = BrokerConfig.of(settings);
        assertThat(broker.numPartitions).isEqualTo(3);
        assertThat(broker.topicDefaults()).containsEntry("retention.ms", 86_400_000L);
        assertThat(BrokerSettings.unknownKeys(config)).containsExactly("strata.lisenters");
    }

    @Test
    void anInvalidValueIsRefusedNamingTheSetting() {
        Map<String, Object> settings = BrokerSettings.from(new MapConfig(Map.of("strata.num.partitions", "zero")));
        assertThatThrownBy(() -> BrokerConfig.of(settings)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("num.partitions");
    }

    @Test
    void aFailedStartSaysWhatToDo() {
        BrokerConfig config = BrokerConfig.of(Map.of());
        assertThat(BrokerService.advice(new IllegalStateException(new BindException("Address already in use")),
                config)).contains("strata.listeners").contains("STRATA_LISTENERS");
        assertThat(BrokerService.advice(new IllegalStateException(new AccessDeniedException("data/strata")), config))
                .contains("strata.log.dirs").contains("readable and writable");
        assertThat(BrokerService.advice(new IllegalStateException("something else"), config)).contains("server log");
    }
}

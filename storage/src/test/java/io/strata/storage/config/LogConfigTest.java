package io.strata.storage.config;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogConfigTest {

    @Test
    void defaultsAreKafkas() {
        LogConfig config = LogConfig.defaults();

        assertThat(config.segmentBytes).isEqualTo(1 << 30);
        assertThat(config.segmentMs).isEqualTo(7 * 24 * 3_600_000L);
        assertThat(config.indexIntervalBytes).isEqualTo(4096);
        assertThat(config.segmentIndexBytes).isEqualTo(10 * 1024 * 1024);
        assertThat(config.maxMessageBytes).isEqualTo(1_048_588);
        assertThat(config.retentionMs).isEqualTo(7 * 24 * 3_600_000L);
        assertThat(config.retentionBytes).isEqualTo(-1);
        assertThat(config.cleanupPolicy).containsExactly("delete");
        assertThat(config.messageTimestampType).isEqualTo(TimestampType.CREATE_TIME);
        assertThat(config.flushMessages).isEqualTo(Long.MAX_VALUE);
        assertThat(config.minCleanableDirtyRatio).isEqualTo(0.5);
        assertThat(config.deleteRetentionMs).isEqualTo(86_400_000L);
        assertThat(config.uncleanLeaderElectionEnable).isFalse();
    }

    @Test
    void valuesAreParsedFromStrings() {
        LogConfig config = LogConfig.of(Map.of("retention.ms", "1000", "cleanup.policy", "compact,delete",
                "message.timestamp.type", "LogAppendTime"));

        assertThat(config.retentionMs).isEqualTo(1000);
        assertThat(config.compact()).isTrue();
        assertThat(config.delete()).isTrue();
        assertThat(config.messageTimestampType).isEqualTo(TimestampType.LOG_APPEND_TIME);
    }

    @Test
    void badValuesAndUnknownNamesAreRejectedByName() {
        assertThatThrownBy(() -> LogConfig.of(Map.of("segment.bytes", "10")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("segment.bytes");
        assertThatThrownBy(() -> LogConfig.of(Map.of("cleanup.policy", "forever")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cleanup.policy");
        assertThatThrownBy(() -> LogConfig.of(Map.of("retention.msec", "5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("Unknown topic config name: retention.msec");
        assertThatThrownBy(() -> LogConfig.of(Map.of("min.compaction.lag.ms", "10", "max.compaction.lag.ms", "5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("max.compaction.lag.ms");
    }

    @Test
    void withReplacesOnlyTheGivenSettings() {
        LogConfig base = LogConfig.of(Map.of("retention.ms", "1000"));
        LogConfig changed = base.with(Map.of("segment.bytes", 4096));

        assertThat(changed.retentionMs).isEqualTo(1000);
        assertThat(changed.segmentBytes).isEqualTo(4096);
        assertThat(base.segmentBytes).isEqualTo(1 << 30);
    }
}

package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.share.AutoOffsetReset;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShareGroupConfigTest {

    private final BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.GROUP_SHARE_DELIVERY_COUNT_LIMIT, 4));

    @Test
    void aGroupWithoutOverridesHasTheBrokersSettingsAndKafkasDefaults() {
        ShareGroupConfig defaults = ShareGroupConfig.of(config, Map.of());

        assertThat(defaults).isEqualTo(ShareGroupConfig.defaults(config));
        assertThat(defaults.recordLockDurationMs()).isEqualTo(30_000);
        assertThat(defaults.deliveryCountLimit()).isEqualTo(4);
        assertThat(defaults.autoOffsetReset()).isSameAs(AutoOffsetReset.LATEST);
        assertThat(defaults.isolationLevel()).isEqualTo(IsolationLevel.READ_UNCOMMITTED);
        assertThat(defaults.heartbeatIntervalMs()).isEqualTo(5000);
        assertThat(defaults.sessionTimeoutMs()).isEqualTo(45_000);
    }

    @Test
    void overridesWithinTheBoundsReplaceTheDefaults() {
        ShareGroupConfig group = ShareGroupConfig.of(config, Map.of(
                "share.record.lock.duration.ms", "15000", "share.delivery.count.limit", "10",
                "share.auto.offset.reset", "earliest", "share.isolation.level", "READ_COMMITTED",
                "share.session.timeout.ms", "60000", "share.heartbeat.interval.ms", "15000"));

        assertThat(group).isEqualTo(new ShareGroupConfig(15_000, 10, AutoOffsetReset.EARLIEST,
                IsolationLevel.READ_COMMITTED, 15_000, 60_000));
    }

    @Test
    void eachValueOutsideTheBrokersBoundsIsRefusedNamingTheBound() {
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("share.record.lock.duration.ms", "60001")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("group.share.max.record.lock.duration.ms (60000)");
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("share.delivery.count.limit", "1")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("group.share.min.delivery.count.limit (2)");
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("share.session.timeout.ms", "44999")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("group.share.min.session.timeout.ms");
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("share.heartbeat.interval.ms", "15001")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("group.share.max.heartbeat.interval.ms");
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("share.auto.offset.reset", "by_duration:x")))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("consumer.session.timeout.ms", "45000")))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("Unknown group config");
    }

    @Test
    void aJmsSubscriptionDefinitionIsStoredAsGivenUpToItsBound() {
        String definition = "v1 noLocal=false selector=" + "x".repeat(100);
        assertThat(ShareGroupConfig.of(config, Map.of(ShareGroupConfig.JMS_SUBSCRIPTION, definition)))
                .isEqualTo(ShareGroupConfig.defaults(config));
        GroupConfigs.validate(config, Map.of(ShareGroupConfig.JMS_SUBSCRIPTION, definition));
        String tooLong = "x".repeat(ShareGroupConfig.JMS_SUBSCRIPTION_CHARS_MAX + 1);
        assertThatThrownBy(() -> GroupConfigs.validate(config, Map.of(ShareGroupConfig.JMS_SUBSCRIPTION, tooLong)))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("strata.jms.subscription holds at most 8192 characters");
    }

    @Test
    void theBrokerRefusesItsOwnDefaultsOutsideItsBounds() {
        assertThatThrownBy(() -> BrokerConfig.of(Map.of(BrokerConfig.GROUP_SHARE_DELIVERY_COUNT_LIMIT, 11)))
                .hasMessageContaining(BrokerConfig.GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT);
        assertThatThrownBy(() -> BrokerConfig.of(Map.of(BrokerConfig.GROUP_SHARE_HEARTBEAT_INTERVAL_MS, 45_000,
                BrokerConfig.GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS, 60_000)))
                .hasMessageContaining("must be lower than " + BrokerConfig.GROUP_SHARE_SESSION_TIMEOUT_MS);
    }

    @Test
    void aDeadLetterTopicIsAGroupConfigOfKip1191() {
        ShareGroupConfig group = ShareGroupConfig.of(config, Map.of("errors.deadletterqueue.topic.name",
                "dlq.orders", "errors.deadletterqueue.copy.record.enable", "TRUE"));

        assertThat(group.deadLetterTopic()).isEqualTo("dlq.orders");
        assertThat(group.deadLetterCopyRecord()).isTrue();
        assertThat(ShareGroupConfig.defaults(config).deadLetterTopic()).as("none by default").isEmpty();
        assertThat(ShareGroupConfig.defaults(config).deadLetterCopyRecord()).as("as in Kafka").isFalse();
    }

    @Test
    void aDeadLetterTopicNameMustBeValidNotInternalAndHaveTheBrokersPrefix() {
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("errors.deadletterqueue.topic.name", "dlq.a b")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("errors.deadletterqueue.topic.name");
        assertThatThrownBy(() -> ShareGroupConfig.of(BrokerConfig.of(Map.of(
                BrokerConfig.ERRORS_DEADLETTERQUEUE_TOPIC_NAME_PREFIX, "")), Map.of(
                "errors.deadletterqueue.topic.name", "__orders")))
                .isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("cannot start with __");
        assertThatThrownBy(() -> GroupConfigs.validate(config, Map.of("errors.deadletterqueue.topic.name",
                "orders.dead"))).isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("must start with dlq.")
                .hasMessageContaining("errors.deadletterqueue.topic.name.prefix");
        assertThatThrownBy(() -> ShareGroupConfig.of(config, Map.of("errors.deadletterqueue.copy.record.enable",
                "yes"))).isInstanceOf(InvalidConfigurationException.class).hasMessageContaining("true or false");
        GroupConfigs.validate(BrokerConfig.of(Map.of(BrokerConfig.ERRORS_DEADLETTERQUEUE_TOPIC_NAME_PREFIX, "")),
                Map.of("errors.deadletterqueue.topic.name", "orders.dead"));
    }
}

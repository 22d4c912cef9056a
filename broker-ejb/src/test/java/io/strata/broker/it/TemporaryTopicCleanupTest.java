package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.storage.config.LogConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker deletes a topic whose topic config {@code strata.jms.temporary.owner} names a group without members (the
 * topic of a JMS temporary destination whose connection is gone), after a grace period of the consumer session
 * timeout; it keeps one whose owner group has a live member, and never touches a topic without the config.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TemporaryTopicCleanupTest {

    private static final int SESSION_TIMEOUT_MS = 2000;

    @TempDir
    Path dir;

    @Test
    void aTopicWhoseOwnerGroupHasNoMemberIsDeletedAndNoOtherIs() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of(
                BrokerConfig.GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS, 1000,
                BrokerConfig.GROUP_CONSUMER_SESSION_TIMEOUT_MS, SESSION_TIMEOUT_MS,
                BrokerConfig.GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS, 500,
                BrokerConfig.GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, 500,
                BrokerConfig.TEMPORARY_TOPIC_CLEANUP_INTERVAL_MS, 200L));
             Admin admin = broker.admin();
             KafkaConsumer<String, String> owner = broker.consumer("alive-owner",
                     Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"))) {
            broker.createTopic("owned-input", 1, Map.of());
            owner.subscribe(List.of("owned-input"));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                owner.poll(Duration.ofMillis(100));
                return !owner.assignment().isEmpty();
            });
            admin.createTopics(List.of(
                    owned("orphan", "jms:connection:gone"),
                    owned("kept-alive", "alive-owner"),
                    new NewTopic("no-owner", Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
            long createdNanos = System.nanoTime();

            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(topics(admin)).doesNotContain("orphan"));
            assertThat(Duration.ofNanos(System.nanoTime() - createdNanos)).as("not before the grace period")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(SESSION_TIMEOUT_MS));
            await().during(Duration.ofMillis(SESSION_TIMEOUT_MS + 1000)).atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                        owner.poll(Duration.ofMillis(10));
                        assertThat(topics(admin)).contains("kept-alive", "no-owner", "owned-input");
                    });
        }
    }

    private static NewTopic owned(String name, String ownerGroup) {
        return new NewTopic(name, Optional.of(1), Optional.empty())
                .configs(Map.of(LogConfig.STRATA_JMS_TEMPORARY_OWNER, ownerGroup));
    }

    private static Set<String> topics(Admin admin) throws Exception {
        return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    }
}

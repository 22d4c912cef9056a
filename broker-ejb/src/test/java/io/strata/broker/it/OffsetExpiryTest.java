package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Committed offsets of a group without members expire once {@code offsets.retention.minutes} have passed since the
 * commit, as in Kafka; the group goes with its last offsets, and the expiry is durable. Time passes by moving the
 * broker's clock, not by waiting.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OffsetExpiryTest {

    @TempDir
    Path dir;

    private static Map<TopicPartition, OffsetAndMetadata> committed(Admin admin, String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    }

    private static void commit(TestBroker broker, String group, TopicPartition tp, long offset) {
        try (KafkaConsumer<String, String> consumer = broker.consumer(group, Map.of())) {
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(offset)));
        }
    }

    @Test
    void offsetsOfAnEmptyGroupExpireAfterTheRetentionAndStayExpiredAfterARestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of("offsets.retention.minutes", 10,
                "offsets.retention.check.interval.ms", 100L))) {
            broker.createTopic("kept", 1, Map.of());
            TopicPartition tp = new TopicPartition("kept", 0);
            commit(broker, "old-group", tp, 7);
            broker.advanceClock(Duration.ofMinutes(9));
            commit(broker, "young-group", tp, 3);
            try (Admin admin = broker.admin()) {
                assertThat(committed(admin, "old-group")).containsKey(tp);

                broker.advanceClock(Duration.ofMinutes(2)); // 11 minutes after the old commit, 2 after the young one
                await().atMost(Duration.ofSeconds(30)).until(() -> committed(admin, "old-group").isEmpty());
                assertThat(admin.listConsumerGroups().all().get()).extracting(g -> g.groupId())
                        .doesNotContain("old-group").contains("young-group");
                assertThat(committed(admin, "young-group")).containsEntry(tp, new OffsetAndMetadata(3));
            }

            broker.restart();

            try (Admin admin = broker.admin()) {
                assertThat(committed(admin, "old-group")).isEmpty();
                assertThat(committed(admin, "young-group")).containsEntry(tp, new OffsetAndMetadata(3));
            }
        }
    }
}

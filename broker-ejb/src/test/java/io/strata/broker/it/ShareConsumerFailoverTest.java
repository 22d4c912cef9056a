package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A share group outlives the SIGKILL of its partition's leader in a 3-broker cluster: what a member acknowledged
 * before the kill is never delivered again, and every record it had not acknowledged (those it held when the leader
 * died included) is delivered by the new leader, which rebuilds the share partition from {@code __share_group_state}.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ShareConsumerFailoverTest {

    private static final int RECORDS = 200;
    private static final Duration AT_MOST = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void aLeaderKilledMidWayLosesNoAcknowledgementAndRedeliversOnlyWhatWasNotAcknowledged() throws Exception {
        Map<String, Object> settings = new HashMap<>(ShareGroups.FAST_SHARE_GROUPS);
        settings.put("share.coordinator.state.topic.num.partitions", 3);
        try (BrokerProcesses brokers = new BrokerProcesses(dir, "share-group-failover", 3, settings)) {
            brokers.startAll(Duration.ofSeconds(120));
            brokers.createTopics(1, Map.of("min.insync.replicas", "2"), "jobs");
            ShareGroups.produceJobs(brokers.bootstrapServers(), RECORDS);
            try (Admin admin = brokers.admin()) {
                ShareGroups.configure(admin, "workers", Map.of("share.auto.offset.reset", "earliest"));
            }

            Set<Long> acknowledged = new TreeSet<>();
            Set<Long> heldAtTheKill = new TreeSet<>();
            KafkaShareConsumer<String, String> first = ShareGroups.consumer(brokers.bootstrapServers(), "workers",
                    "explicit", Map.of("max.poll.records", 20));
            first.subscribe(List.of("jobs"));
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (acknowledged.size() < RECORDS / 2) {
                assertThat(System.nanoTime()).as("first half acknowledged in time").isLessThan(deadline);
                List<ConsumerRecord<String, String>> got = poll(first);
                got.forEach(record -> first.acknowledge(record, AcknowledgeType.ACCEPT));
                Map<?, Optional<org.apache.kafka.common.KafkaException>> results = first.commitSync();
                assertThat(results.values()).allSatisfy(error -> assertThat(error).isEmpty());
                got.forEach(record -> acknowledged.add(record.offset()));
            }
            while (heldAtTheKill.isEmpty()) {
                assertThat(System.nanoTime()).as("records held in time").isLessThan(deadline);
                poll(first).forEach(record -> heldAtTheKill.add(record.offset()));
            }

            int leader = ShareGroups.leaderOfJobs(brokers);
            brokers.kill(leader);
            first.close(Duration.ofSeconds(2));

            Map<Long, Integer> deliveries = new HashMap<>();
            try (KafkaShareConsumer<String, String> second = ShareGroups.consumer(brokers.bootstrapServers(),
                    "workers", "implicit", Map.of())) {
                second.subscribe(List.of("jobs"));
                long until = System.nanoTime() + AT_MOST.toNanos();
                while (deliveries.size() < RECORDS - acknowledged.size()) {
                    assertThat(System.nanoTime()).as("the rest delivered in time; got " + deliveries.size())
                            .isLessThan(until);
                    second.poll(Duration.ofMillis(200)).forEach(record ->
                            deliveries.merge(record.offset(), 1, Integer::sum));
                }
                second.commitSync();
            }

            assertThat(deliveries.keySet()).doesNotContainAnyElementsOf(acknowledged);
            assertThat(deliveries.keySet()).containsAll(heldAtTheKill);
            assertThat(deliveries.keySet()).hasSize(RECORDS - acknowledged.size());
            brokers.start(leader);
        }
    }

    private static List<ConsumerRecord<String, String>> poll(KafkaShareConsumer<String, String> consumer) {
        List<ConsumerRecord<String, String>> got = new java.util.ArrayList<>();
        consumer.poll(Duration.ofMillis(200)).forEach(got::add);
        return got;
    }
}

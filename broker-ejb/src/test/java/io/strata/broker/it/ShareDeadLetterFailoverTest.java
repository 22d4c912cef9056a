package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dead-lettering outlives the SIGKILL of the source partition's leader in a 3-broker cluster: a share group rejects
 * or releases its poison records (every tenth) while it accepts the others; midway the dead-letter topic stops
 * acknowledging writes (its min.insync.replicas raised above its replicas), more poison records are rejected, and the
 * leader dies with their writes under way; a new member goes on with the new leader, and the topic is writable
 * again. Every poison record is in the dead-letter topic at least once (duplicates are allowed,
 * a loss is not), no good record is, and no record is delivered again once its acceptance was acknowledged.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ShareDeadLetterFailoverTest {

    private static final int RECORDS = 200;
    private static final Duration AT_MOST = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private final Set<Long> accepted = ConcurrentHashMap.newKeySet();
    /** How often each source offset is in the dead-letter topic: more than once is allowed after a failover. */
    private final Map<Long, Integer> deadLetterCopies = new ConcurrentHashMap<>();
    private final List<String> redeliveredAfterAcceptance = new ArrayList<>();

    private static boolean poison(long offset) {
        return offset % 10 == 3;
    }

    @Test
    void aLeaderKilledWhileRecordsAreDeadLetteredLosesNoneAndRedeliversNoAcceptedRecord() throws Exception {
        Map<String, Object> settings = new HashMap<>(ShareGroups.FAST_SHARE_GROUPS);
        settings.put("share.coordinator.state.topic.num.partitions", 3);
        try (BrokerProcesses brokers = new BrokerProcesses(dir, "share-dead-letter-failover", 3, settings)) {
            brokers.startAll(Duration.ofSeconds(120));
            brokers.createTopics(1, Map.of("min.insync.replicas", "2"), "jobs");
            brokers.createTopics(2, Map.of("min.insync.replicas", "2", "errors.deadletterqueue.group.enable",
                    "true"), "dlq.jobs");
            ShareGroups.produceJobs(brokers.bootstrapServers(), RECORDS);
            try (Admin admin = brokers.admin()) {
                ShareGroups.configure(admin, "workers", Map.of("share.auto.offset.reset", "earliest",
                        "share.delivery.count.limit", "2", "errors.deadletterqueue.topic.name", "dlq.jobs",
                        "errors.deadletterqueue.copy.record.enable", "true"));
            }

            Set<Long> deadLettered = new TreeSet<>();
            try (KafkaConsumer<String, String> deadLetters = deadLetterReader(brokers.bootstrapServers())) {
                KafkaShareConsumer<String, String> first = member(brokers);
                long deadline = System.nanoTime() + AT_MOST.toNanos();
                while (accepted.size() < RECORDS / 4 || deadLettered.isEmpty()) {
                    assertThat(System.nanoTime()).as("first records handled in time").isLessThan(deadline);
                    work(first);
                    read(deadLetters, deadLettered);
                }
                // From now on the dead-letter writes cannot be acknowledged (NOT_ENOUGH_REPLICAS, retried): the
                // records given up on stay Archiving, their writes under way, when the leader dies.
                minInSyncReplicasOfTheDeadLetterTopic(brokers, "4");
                Set<Long> rejected = new TreeSet<>();
                while (rejected.size() < 3) {
                    assertThat(System.nanoTime()).as("poison records rejected in time").isLessThan(deadline);
                    rejected.addAll(work(first));
                }
                read(deadLetters, deadLettered);
                assertThat(deadLettered).as("not written yet").doesNotContainAnyElementsOf(rejected);

                int leader = ShareGroups.leaderOfJobs(brokers);
                brokers.kill(leader);
                first.close(Duration.ofSeconds(2));
                minInSyncReplicasOfTheDeadLetterTopic(brokers, "2");

                Set<Long> poison = new TreeSet<>();
                Set<Long> good = new TreeSet<>();
                for (long offset = 0; offset < RECORDS; offset++) {
                    (poison(offset) ? poison : good).add(offset);
                }
                try (KafkaShareConsumer<String, String> second = member(brokers)) {
                    long until = System.nanoTime() + AT_MOST.toNanos();
                    while (!accepted.containsAll(good) || !deadLettered.containsAll(poison)) {
                        assertThat(System.nanoTime()).as("all handled in time: accepted " + accepted.size()
                                + ", dead-lettered " + deadLettered).isLessThan(until);
                        work(second);
                        read(deadLetters, deadLettered);
                    }
                }
                assertThat(deadLettered).as("every poison record at least once, no good one").isEqualTo(poison);
                assertThat(redeliveredAfterAcceptance).isEmpty();
                System.out.println("Dead-letter copies by source offset (more than one after the failover is"
                        + " allowed): " + new java.util.TreeMap<>(deadLetterCopies));
                brokers.start(leader);
            }
        }
    }

    private KafkaShareConsumer<String, String> member(BrokerProcesses brokers) {
        KafkaShareConsumer<String, String> member = ShareGroups.consumer(brokers.bootstrapServers(), "workers",
                "explicit", Map.of("max.poll.records", 20));
        member.subscribe(List.of("jobs"));
        return member;
    }

    /**
     * One poll: good records accepted, poison ones rejected (even tens) or released (odd tens) until the delivery
     * limit; a record delivered after its acceptance was acknowledged is noted. Returns the poison records rejected,
     * their rejection stored.
     */
    private Set<Long> work(KafkaShareConsumer<String, String> member) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        member.poll(Duration.ofMillis(200)).forEach(got::add);
        for (ConsumerRecord<String, String> record : got) {
            if (accepted.contains(record.offset())) {
                redeliveredAfterAcceptance.add(record.offset() + " (delivery " + record.deliveryCount() + ")");
            }
            AcknowledgeType type = !poison(record.offset()) ? AcknowledgeType.ACCEPT
                    : (record.offset() / 10) % 2 == 0 ? AcknowledgeType.REJECT : AcknowledgeType.RELEASE;
            member.acknowledge(record, type);
        }
        if (got.isEmpty()) {
            return Set.of();
        }
        Map<TopicIdPartition, Optional<KafkaException>> results;
        try {
            results = member.commitSync(Duration.ofSeconds(10));
        } catch (KafkaException e) {
            return Set.of(); // the leader died under the commit: these records come again
        }
        if (!results.values().stream().allMatch(Optional::isEmpty)) {
            return Set.of();
        }
        got.stream().filter(record -> !poison(record.offset())).forEach(record -> accepted.add(record.offset()));
        Set<Long> rejected = new TreeSet<>();
        got.stream().filter(record -> poison(record.offset()) && (record.offset() / 10) % 2 == 0)
                .forEach(record -> rejected.add(record.offset()));
        return rejected;
    }

    private static void minInSyncReplicasOfTheDeadLetterTopic(BrokerProcesses brokers, String value)
            throws Exception {
        try (Admin admin = brokers.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, "dlq.jobs"), List.of(
                    new AlterConfigOp(new ConfigEntry("min.insync.replicas", value), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private void read(KafkaConsumer<String, String> deadLetters, Set<Long> deadLettered) {
        for (ConsumerRecord<String, String> record : deadLetters.poll(Duration.ofMillis(100))) {
            Header offset = record.headers().lastHeader("__dlq.errors.offset");
            assertThat(offset).isNotNull();
            assertThat(record.value()).as("copied").startsWith("job-");
            long source = Long.parseLong(new String(offset.value(), StandardCharsets.UTF_8));
            deadLettered.add(source);
            deadLetterCopies.merge(source, 1, Integer::sum);
        }
    }

    private static KafkaConsumer<String, String> deadLetterReader(String bootstrapServers) {
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
        List<TopicPartition> partitions = List.of(new TopicPartition("dlq.jobs", 0),
                new TopicPartition("dlq.jobs", 1));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }
}

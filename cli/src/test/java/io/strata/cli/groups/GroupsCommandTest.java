package io.strata.cli.groups;

import io.strata.broker.it.TestBroker;
import io.strata.cli.Cli.Result;
import io.strata.cli.SharedBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static io.strata.cli.Cli.strata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(SharedBroker.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GroupsCommandTest {

    private final TestBroker broker;

    GroupsCommandTest(TestBroker broker) {
        this.broker = broker;
    }

    @Test
    void describeShowsCommittedOffsetLogEndOffsetAndLag() throws Exception {
        broker.createTopic("lagging", 1, Map.of());
        produce("lagging", 0, 10);
        Result consumed = strata(broker, "consume", "--topic", "lagging", "--group", "laggards",
                "--from-beginning", "--max-messages", "4", "--timeout-ms", "10000");
        assertThat(consumed.exitCode()).as(consumed.toString()).isZero();

        Result described = strata(broker, "groups", "describe", "--group", "laggards");

        assertThat(described.exitCode()).as(described.toString()).isZero();
        List<String> lines = described.outLines();
        assertThat(lines.get(0)).startsWith("Group 'laggards' is Empty with 0 members");
        assertThat(lines.get(2).split(" +")).containsExactly("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
                "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
        assertThat(lines.get(3).split(" +")).containsExactly("laggards", "lagging", "0", "4", "10", "6", "-", "-", "-");
        assertThat(lines.subList(4, lines.size())).containsExactly("", "No active members.");
    }

    @Test
    void describeShowsActiveMembersAndTheirAssignment() throws Exception {
        broker.createTopic("watched", 2, Map.of());
        produce("watched", 0, 3);
        try (KafkaConsumer<String, String> member = broker.consumer("watchers", Map.of("client.id", "watcher-1"))) {
            member.subscribe(List.of("watched"));
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                member.poll(Duration.ofMillis(100));
                return member.assignment().size() == 2;
            });
            member.commitSync(Map.of(new TopicPartition("watched", 0), new OffsetAndMetadata(1)));

            Result described = strata(broker, "groups", "describe", "--group", "watchers");

            assertThat(described.exitCode()).as(described.toString()).isZero();
            List<String> lines = described.outLines();
            assertThat(lines.get(0)).startsWith("Group 'watchers' is Stable with 1 member");
            assertThat(lines.get(3).split(" +")).containsSubsequence("watchers", "watched", "0", "1", "3", "2")
                    .contains("watcher-1");
            assertThat(lines.get(4).split(" +")).containsSubsequence("watchers", "watched", "1", "-", "0", "-")
                    .contains("watcher-1");
            assertThat(lines.get(6).split(" +")).containsExactly("CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS",
                    "ASSIGNMENT");
            assertThat(lines.get(7).split(" +")).endsWith("watcher-1", "2", "watched:0,1");

            Result list = strata(broker, "groups", "list");
            assertThat(list.outLines()).anySatisfy(line -> assertThat(line.split(" +"))
                    .containsExactly("watchers", "Classic", "Stable"));
        }
    }

    /** A KIP-848 consumer group is listed as of kind Consumer, described like a classic one, and found by --type. */
    @Test
    void aConsumerProtocolGroupIsListedByItsKindAndDescribed() throws Exception {
        broker.createTopic("modern", 1, Map.of());
        produce("modern", 0, 2);
        try (KafkaConsumer<String, String> member = broker.consumer("moderns", Map.of("client.id", "modern-1",
                "group.protocol", "consumer"))) {
            member.subscribe(List.of("modern"));
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                member.poll(Duration.ofMillis(100));
                return member.assignment().size() == 1;
            });

            Result described = strata(broker, "groups", "describe", "--group", "moderns");
            assertThat(described.exitCode()).as(described.toString()).isZero();
            assertThat(described.outLines().get(0)).startsWith("Group 'moderns' is Stable with 1 member");
            assertThat(described.outLines()).anySatisfy(line -> assertThat(line.split(" +"))
                    .endsWith("modern-1", "consumer", "1", "modern:0"));

            Result consumers = strata(broker, "groups", "list", "--type", "consumer");
            assertThat(consumers.exitCode()).as(consumers.toString()).isZero();
            assertThat(consumers.outLines()).anySatisfy(line -> assertThat(line.split(" +"))
                    .containsExactly("moderns", "Consumer", "Stable"));
            assertThat(consumers.outLines()).noneSatisfy(line -> assertThat(line).contains("Classic"));
        }
        Result unknownType = strata(broker, "groups", "list", "--type", "bogus");
        assertThat(unknownType.exitCode()).isNotZero();
        assertThat(unknownType.err()).contains("unknown group type 'bogus'");
    }

    /** A mixed group: a classic consumer and a consumer-protocol one in one consumer group, each shown as it speaks. */
    @Test
    void aMixedGroupShowsWhichProtocolEachMemberSpeaks() throws Exception {
        broker.createTopic("mingled", 2, Map.of());
        try (KafkaConsumer<String, String> classic = broker.consumer("minglers", Map.of("client.id", "old-1"));
             KafkaConsumer<String, String> modern = broker.consumer("minglers", Map.of("client.id", "new-1",
                     "group.protocol", "consumer"))) {
            classic.subscribe(List.of("mingled"));
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                classic.poll(Duration.ofMillis(100));
                return classic.assignment().size() == 2;
            });
            modern.subscribe(List.of("mingled"));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                classic.poll(Duration.ofMillis(100));
                modern.poll(Duration.ofMillis(100));
                return classic.assignment().size() == 1 && modern.assignment().size() == 1;
            });

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Result described = strata(broker, "groups", "describe", "--group", "minglers");
                assertThat(described.exitCode()).as(described.toString()).isZero();
                assertThat(described.outLines().get(0)).startsWith("Group 'minglers' is Stable with 2 members (a"
                        + " consumer group; 1 of them speaks the classic protocol)");
                assertThat(described.outLines()).anySatisfy(line -> assertThat(line.split(" +"))
                        .containsSubsequence("old-1", "classic", "1"));
                assertThat(described.outLines()).anySatisfy(line -> assertThat(line.split(" +"))
                        .containsSubsequence("new-1", "consumer", "1"));
            });
        }
    }

    @Test
    void resetOffsetsPrintsThePlanAndAppliesItOnlyWithExecute() throws Exception {
        broker.createTopic("rewind", 2, Map.of());
        produce("rewind", 0, 5);
        produce("rewind", 1, 5);
        commit("rewinders", "rewind", Map.of(0, 5L, 1, 5L));

        Result dryRun = strata(broker, "groups", "reset-offsets", "--group", "rewinders", "--topic", "rewind",
                "--to-earliest");
        assertThat(dryRun.exitCode()).as(dryRun.toString()).isZero();
        assertThat(dryRun.outLines().get(1).split(" +")).containsExactly("rewinders", "rewind", "0", "5", "0");
        assertThat(dryRun.outLines().get(2).split(" +")).containsExactly("rewinders", "rewind", "1", "5", "0");
        assertThat(dryRun.outLines().get(3)).isEqualTo("Dry run: nothing changed. Add --execute to apply.");
        assertThat(committed("rewinders", "rewind")).containsExactly(Map.entry(0, 5L), Map.entry(1, 5L));

        assertThat(reset("rewinders", "rewind", "--to-earliest")).containsExactly(Map.entry(0, 0L), Map.entry(1, 0L));
        assertThat(reset("rewinders", "rewind", "--to-offset", "3")).containsExactly(Map.entry(0, 3L), Map.entry(1, 3L));
        assertThat(reset("rewinders", "rewind", "--shift-by", "-2")).containsExactly(Map.entry(0, 1L), Map.entry(1, 1L));
        assertThat(reset("rewinders", "rewind", "--shift-by", "100")).containsExactly(Map.entry(0, 5L), Map.entry(1, 5L));
        assertThat(reset("rewinders", "rewind", "--to-offset", "-7")).containsExactly(Map.entry(0, 0L), Map.entry(1, 0L));
        assertThat(reset("rewinders", "rewind", "--to-latest")).containsExactly(Map.entry(0, 5L), Map.entry(1, 5L));
        assertThat(reset("rewinders", "rewind", "--to-datetime", "2000-01-01T00:00:00Z"))
                .containsExactly(Map.entry(0, 0L), Map.entry(1, 0L));
        assertThat(reset("rewinders", "rewind", "--to-datetime", "2999-01-01T00:00:00Z"))
                .containsExactly(Map.entry(0, 5L), Map.entry(1, 5L));
    }

    @Test
    void resetOffsetsRefusesAGroupWithActiveMembers() throws Exception {
        broker.createTopic("busy", 1, Map.of());
        try (KafkaConsumer<String, String> member = broker.consumer("busybodies", Map.of())) {
            member.subscribe(List.of("busy"));
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                member.poll(Duration.ofMillis(100));
                return !member.assignment().isEmpty();
            });

            Result result = strata(broker, "groups", "reset-offsets", "--group", "busybodies", "--topic", "busy",
                    "--to-earliest", "--execute");

            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.err()).isEqualTo("strata: group 'busybodies' has 1 active member (state Stable); "
                    + "offsets can only be reset while the group is inactive: stop its consumers first\n");
        }
    }

    @Test
    void resetOffsetsNeedsExactlyOneTarget() {
        Result none = strata(broker, "groups", "reset-offsets", "--group", "g", "--topic", "t");
        Result two = strata(broker, "groups", "reset-offsets", "--group", "g", "--topic", "t", "--to-earliest",
                "--to-latest");
        Result badTime = strata(broker, "groups", "reset-offsets", "--group", "g", "--topic", "t",
                "--to-datetime", "yesterday");

        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(two.exitCode()).isEqualTo(2);
        assertThat(two.err()).contains("mutually exclusive");
        assertThat(badTime.exitCode()).isEqualTo(2);
        assertThat(badTime.err()).contains("expected an ISO-8601 date-time").contains("'yesterday'");
        assertThat(badTime.errLines()).hasSize(1);
    }

    @Test
    void deleteRemovesTheGroupAndItsOffsets() throws Exception {
        broker.createTopic("doomed", 1, Map.of());
        produce("doomed", 0, 2);
        commit("doomers", "doomed", Map.of(0, 2L));

        Result deleted = strata(broker, "groups", "delete", "--group", "doomers");

        assertThat(deleted.exitCode()).as(deleted.toString()).isZero();
        assertThat(deleted.out()).isEqualTo("Deleted group 'doomers'.\n");
        assertThat(committed("doomers", "doomed")).isEmpty();
        Result again = strata(broker, "groups", "delete", "--group", "doomers");
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("strata: group 'doomers' does not exist\n");
        Result described = strata(broker, "groups", "describe", "--group", "doomers");
        assertThat(described.exitCode()).isEqualTo(1);
        assertThat(described.err()).isEqualTo("strata: group 'doomers' does not exist\n");
    }

    private Map<Integer, Long> reset(String group, String topic, String... target) throws Exception {
        List<String> args = new ArrayList<>(List.of("groups", "reset-offsets", "--group", group, "--topic", topic));
        args.addAll(List.of(target));
        args.add("--execute");
        Result result = strata(broker, args.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.outLines()).last().isEqualTo("Reset the offsets of group '" + group + "'.");
        return committed(group, topic);
    }

    private void produce(String topic, int partition, int count) throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, partition, null, "v" + i)).get();
            }
        }
    }

    private void commit(String group, String topic, Map<Integer, Long> offsets) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        offsets.forEach((partition, offset) ->
                commits.put(new TopicPartition(topic, partition), new OffsetAndMetadata(offset)));
        try (Admin admin = broker.admin()) {
            admin.alterConsumerGroupOffsets(group, commits).all().get();
        }
    }

    private Map<Integer, Long> committed(String group, String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            Map<Integer, Long> offsets = new TreeMap<>();
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().forEach((partition, offset) -> {
                if (partition.topic().equals(topic) && offset != null) {
                    offsets.put(partition.partition(), offset.offset());
                }
            });
            return offsets;
        }
    }
}

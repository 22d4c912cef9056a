package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.requests.ShareRequestMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Members with complementary share filters outlive the SIGKILL of their partition's leader in a 3-broker cluster:
 * every record ends accepted once, by a member whose selector matches it; nothing accepted before the kill is
 * delivered again; what the members held unaccepted at the kill is delivered again, by the new leader, which rebuilds
 * the share partition from {@code __share_group_state} and is given the selectors again by the sessions the members
 * open there.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ShareFilterFailoverTest {

    private static final int RECORDS = 300;
    private static final Duration AT_MOST = Duration.ofSeconds(120);
    private static final String RED = "colour = 'red'";
    private static final String BLUE = "colour = 'blue'";

    @TempDir
    Path dir;

    /** The colour of each offset, as produced. */
    private final Map<Long, String> colours = new HashMap<>();
    /** Each accepted offset, with the selector of the member whose acceptance the leader answered NONE. */
    private final Map<Long, String> accepted = new HashMap<>();

    @Test
    void aLeaderKilledUnderFilteredMembersLosesNoAcceptanceAndRedeliversOnlyToMatchingMembers() throws Exception {
        Map<String, Object> settings = new HashMap<>(ShareGroups.FAST_SHARE_GROUPS);
        settings.put("share.coordinator.state.topic.num.partitions", 3);
        try (BrokerProcesses brokers = new BrokerProcesses(dir, "share-filter-failover", 3, settings)) {
            brokers.startAll(Duration.ofSeconds(120));
            brokers.createTopics(1, Map.of("min.insync.replicas", "2"), "orders");
            produce(brokers.bootstrapServers());
            TopicIdPartition orders;
            try (Admin admin = brokers.admin()) {
                ShareGroups.configure(admin, "pickers", Map.of("share.auto.offset.reset", "earliest"));
                orders = new TopicIdPartition(describe(admin).topicId(), 0, "orders");
            }

            Node leader = leader(brokers, -1);
            Set<Long> acceptedBeforeKill;
            Set<Long> heldAtKill = new TreeSet<>();
            try (ShareMember red = member(leader, orders, RED); ShareMember blue = member(leader, orders, BLUE)) {
                until("a third accepted", () -> {
                    takeAndAccept(red, orders, true);
                    takeAndAccept(blue, orders, true);
                    return accepted.size() >= RECORDS / 3;
                });
                until("records held", () -> {
                    heldAtKill.addAll(takeAndAccept(red, orders, false));
                    heldAtKill.addAll(takeAndAccept(blue, orders, false));
                    return !heldAtKill.isEmpty();
                });
                acceptedBeforeKill = new TreeSet<>(accepted.keySet());
                brokers.kill(leader.id());
            }

            Node successor = leader(brokers, leader.id());
            Set<Long> deliveredAfterKill = new TreeSet<>();
            try (ShareMember red = member(successor, orders, RED);
                 ShareMember blue = member(successor, orders, BLUE)) {
                until("every record accepted", () -> {
                    deliveredAfterKill.addAll(takeAndAccept(red, orders, true));
                    deliveredAfterKill.addAll(takeAndAccept(blue, orders, true));
                    return accepted.size() == RECORDS;
                });
            }

            assertThat(deliveredAfterKill).doesNotContainAnyElementsOf(acceptedBeforeKill);
            assertThat(deliveredAfterKill).containsAll(heldAtKill);
            assertThat(accepted.keySet()).isEqualTo(colours.keySet());
            accepted.forEach((offset, selector) -> assertThat(selector).as("offset " + offset)
                    .isEqualTo("colour = '" + colours.get(offset) + "'"));
            brokers.start(leader.id());
        }
    }

    /**
     * One fetch of the member, accepting what it acquired when {@code accept}; returns the offsets delivered. Every
     * delivered record must match the member's selector. An answer that says to retry (a session lost with its
     * leader, a partition not led or not loaded yet) delivers nothing; a lost session is opened again.
     */
    private Set<Long> takeAndAccept(ShareMember member, TopicIdPartition orders, boolean accept)
            throws IOException {
        boolean opening = member.epoch == ShareRequestMetadata.INITIAL_EPOCH;
        ShareFetchResponse response = member.send(member.fetchRequest(opening ? List.of(orders) : List.of(),
                Map.of(), 20, 100));
        Set<Long> delivered = new TreeSet<>();
        if (response.data().errorCode() != Errors.NONE.code()) {
            member.epoch = ShareRequestMetadata.INITIAL_EPOCH;
            return delivered;
        }
        member.epoch = ShareRequestMetadata.nextEpoch(member.epoch);
        ShareFetchResponseData.ShareFetchableTopicResponse topic = response.data().responses()
                .find(orders.topicId());
        if (topic == null || topic.partitions().get(0).errorCode() != Errors.NONE.code()) {
            return delivered;
        }
        for (ShareFetchResponseData.AcquiredRecords acquired : topic.partitions().get(0).acquiredRecords()) {
            for (long offset = acquired.firstOffset(); offset <= acquired.lastOffset(); offset++) {
                assertThat("colour = '" + colours.get(offset) + "'").as("offset " + offset + " given to "
                        + member.selector).isEqualTo(member.selector);
                delivered.add(offset);
            }
            if (accept) {
                ShareAcknowledgeResponseData answer = member.acknowledge(acquired.firstOffset(),
                        acquired.lastOffset(), (byte) 1);
                if (answer.errorCode() != Errors.NONE.code()) {
                    member.epoch = ShareRequestMetadata.INITIAL_EPOCH;
                } else if (answer.responses().find(orders.topicId()).partitions().get(0).errorCode()
                        == Errors.NONE.code()) {
                    for (long offset = acquired.firstOffset(); offset <= acquired.lastOffset(); offset++) {
                        assertThat(accepted.put(offset, member.selector)).as("offset " + offset
                                + " accepted twice").isNull();
                    }
                }
            }
        }
        return delivered;
    }

    /**
     * Runs {@code step} on this thread until it returns true, a short pause between runs: a new leader answers
     * errors without waiting until it serves the partition, and should not be asked in a busy loop.
     */
    private static void until(String what, java.util.concurrent.Callable<Boolean> step) {
        await(what).atMost(AT_MOST).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(20)).until(step);
    }

    private static ShareMember member(Node leader, TopicIdPartition orders, String selector) throws IOException {
        return new ShareMember(leader.host() + ":" + leader.port(), "pickers", orders).withSelector(selector);
    }

    private void produce(String bootstrapServers) throws Exception {
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class.getName(), ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class.getName());
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> sentColours = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < RECORDS; i++) {
                // Runs of different lengths, so that the members' records interleave unevenly.
                String colour = (i / 3 + i / 7) % 2 == 0 ? "red" : "blue";
                RecordHeaders headers = new RecordHeaders();
                headers.add("colour", colour.getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(new ProducerRecord<>("orders", 0, "k" + i, "order-" + i, headers)));
                sentColours.add(colour);
            }
            producer.flush();
        }
        for (int i = 0; i < RECORDS; i++) {
            colours.put(sent.get(i).get(30, TimeUnit.SECONDS).offset(), sentColours.get(i));
        }
    }

    private static TopicDescription describe(Admin admin) throws Exception {
        return admin.describeTopics(List.of("orders")).allTopicNames().get(30, TimeUnit.SECONDS).get("orders");
    }

    /** The partition's leader once it is a broker other than {@code not} (-1: any). */
    private static Node leader(BrokerProcesses brokers, int not) {
        try (Admin admin = brokers.admin()) {
            Node[] leader = new Node[1];
            await("a leader other than " + not).atMost(AT_MOST).ignoreExceptions().until(() -> {
                Node now = describe(admin).partitions().get(0).leader();
                leader[0] = now;
                return now != null && now.id() >= 0 && now.id() != not;
            });
            return leader[0];
        }
    }
}

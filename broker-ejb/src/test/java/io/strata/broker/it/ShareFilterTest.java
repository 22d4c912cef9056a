package io.strata.broker.it;

import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePersister;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.SupportedVersionRange;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.requests.ShareRequestMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
import java.util.function.IntFunction;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Share filters (Strata's extension: a JMS message selector carried by the ShareFetch that opens a member's session)
 * on a real broker, with records written by kafka-clients' producer with headers: members with complementary
 * selectors each get exactly their records, each delivered once and accepted once, none archived; a member without a
 * selector, or a {@code KafkaShareConsumer}, takes what the selective ones leave; a read_committed member archives
 * aborted records whatever its selector; bad selectors are refused with INVALID_REQUEST; ApiVersions advertises
 * {@code strata.share.filter}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareFilterTest {

    private static final Duration AT_MOST = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, ShareGroups.FAST_SHARE_GROUPS);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void membersWithComplementarySelectorsEachGetExactlyTheirRecordsOnceAndNoneIsArchived() throws Exception {
        TopicIdPartition jobs = prepare("orders", "pickers");
        // Every third record is red; quantity is an int (declared), so "quantity < 150" compares numbers.
        List<Long> offsets = produce("orders", 200, i -> headers("colour", i % 3 == 0 ? "red" : "blue",
                "quantity", Integer.toString(i), "strata.jms.types", "quantity=int"));
        Set<Long> smallRed = new TreeSet<>();
        for (int i = 0; i < 200; i++) {
            if (i % 3 == 0 && i < 150) {
                smallRed.add(offsets.get(i));
            }
        }
        Set<Long> rest = new TreeSet<>(offsets);
        rest.removeAll(smallRed);
        Map<Long, String> takenBy = new HashMap<>();

        try (ShareMember a = new ShareMember(broker.bootstrapServers(), "pickers", jobs)
                .withSelector("colour = 'red' AND quantity < 150");
             ShareMember b = new ShareMember(broker.bootstrapServers(), "pickers", jobs)
                     .withSelector("colour <> 'red' OR quantity >= 150")) {
            // a alone, first: it skips b's records on every fetch, and they are not counted as deliveries (b gets
            // each as a first delivery). The store keeps them as possibly delivered, below the delivery bound.
            takeUntil(List.of(a), takenBy, jobs, taken -> taken.size() == smallRed.size());
            assertThat(offsetsOf(takenBy, a)).isEqualTo(smallRed);
            SharePartitionState midway = storedState("pickers", jobs);
            assertThat(midway.stateBatches()).allSatisfy(batch -> {
                assertThat(batch.state()).isIn(RecordState.ACKNOWLEDGED, RecordState.AVAILABLE);
                assertThat(batch.deliveryCount()).isEqualTo(1);
            });

            takeUntil(List.of(a, b), takenBy, jobs, taken -> taken.size() == 200);

            assertThat(offsetsOf(takenBy, a)).isEqualTo(smallRed);
            assertThat(offsetsOf(takenBy, b)).isEqualTo(rest);
        }
        SharePartitionState done = storedState("pickers", jobs);
        assertThat(done.startOffset()).isEqualTo(200);
        assertThat(done.stateBatches()).as("nothing but the delivery bound past the end").allSatisfy(batch -> {
            assertThat(batch.state()).isEqualTo(RecordState.AVAILABLE);
            assertThat(batch.firstOffset()).isGreaterThanOrEqualTo(200);
        });
    }

    @Test
    void aMemberWithoutSelectorTakesWhatTheSelectiveOnesLeaveAndNothingTwice() throws Exception {
        TopicIdPartition jobs = prepare("parcels", "couriers");
        // red, blue, and records with no header at all, as a plain Kafka producer writes them.
        List<Long> offsets = produce("parcels", 150, i -> i % 3 == 0 ? headers("colour", "red")
                : i % 3 == 1 ? headers("colour", "blue") : new RecordHeaders());
        Map<Long, String> takenBy = new HashMap<>();

        try (ShareMember red = new ShareMember(broker.bootstrapServers(), "couriers", jobs)
                .withSelector("colour = 'red'");
             ShareMember blue = new ShareMember(broker.bootstrapServers(), "couriers", jobs)
                     .withSelector("colour IN ('blue')");
             ShareMember any = new ShareMember(broker.bootstrapServers(), "couriers", jobs)) {
            takeUntil(List.of(red, blue, any), takenBy, jobs, taken -> taken.size() == 150);

            for (int i = 0; i < 150; i++) {
                String taker = takenBy.get(offsets.get(i));
                String expected = i % 3 == 0 ? "colour = 'red'" : i % 3 == 1 ? "colour IN ('blue')" : "none";
                if (i % 3 == 2) {
                    assertThat(taker).as("record " + i + " has no colour").isEqualTo("none");
                } else {
                    assertThat(taker).as("record " + i).isIn(expected, "none");
                }
            }
            assertThat(offsetsOf(takenBy, red)).isNotEmpty();
            assertThat(offsetsOf(takenBy, blue)).isNotEmpty();
        }
        assertThat(storedState("couriers", jobs).startOffset()).isEqualTo(150);
    }

    @Test
    void aKafkaShareConsumerOfTheGroupTakesWhatTheFilteredMembersLeave() throws Exception {
        TopicIdPartition jobs = prepare("letters", "sorters");
        List<Long> offsets = produce("letters", 120, i -> i % 3 == 0 ? headers("colour", "red")
                : i % 3 == 1 ? headers("colour", "blue") : new RecordHeaders());
        Map<Long, String> takenBy = new HashMap<>();

        try (ShareMember red = new ShareMember(broker.bootstrapServers(), "sorters", jobs)
                .withSelector("colour = 'red'");
             ShareMember blue = new ShareMember(broker.bootstrapServers(), "sorters", jobs)
                     .withSelector("colour = 'blue'");
             KafkaShareConsumer<String, String> consumer = ShareGroups.consumer(broker.bootstrapServers(),
                     "sorters", "implicit", Map.of("max.poll.records", 10))) {
            consumer.subscribe(List.of("letters"));
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (takenBy.size() < 120) {
                assertThat(System.nanoTime()).as("every record taken in time; got " + takenBy.size())
                        .isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    assertThat(record.deliveryCount()).contains((short) 1);
                    assertThat(takenBy.put(record.offset(), "consumer")).as("offset " + record.offset()
                            + " taken twice").isNull();
                }
                takeAndAccept(red, jobs, takenBy);
                takeAndAccept(blue, jobs, takenBy);
            }
            consumer.commitSync();
        }
        for (int i = 0; i < 120; i++) {
            String taker = takenBy.get(offsets.get(i));
            if (i % 3 == 2) {
                assertThat(taker).as("record " + i + " has no colour").isEqualTo("consumer");
            } else {
                assertThat(taker).as("record " + i).isIn(i % 3 == 0 ? "colour = 'red'" : "colour = 'blue'",
                        "consumer");
            }
        }
        assertThat(storedState("sorters", jobs).startOffset()).isEqualTo(120);
    }

    @Test
    void badSelectorsAndChangedOnesAreInvalidRequestsAndUnknownTagsAreIgnored() throws Exception {
        TopicIdPartition jobs = prepare("checks", "checkers");
        produce("checks", 4, i -> headers("colour", i % 2 == 0 ? "red" : "blue"));

        try (ShareMember bad = new ShareMember(broker.bootstrapServers(), "checkers", jobs)
                .withSelector("colour = = 'red'")) {
            ShareFetchResponse refused = bad.send(bad.fetchRequest(List.of(jobs), Map.of(), 10, 0));
            assertThat(refused.data().errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
            assertThat(refused.data().errorMessage()).contains("invalid message selector \"colour = = 'red'\"");

            ShareFetchRequest malformed = bad.withSelector(null).fetchRequest(List.of(jobs), Map.of(), 10, 0);
            malformed.data().unknownTaggedFields().add(new RawTaggedField(ShareMember.SHARE_FILTER_TAG,
                    new byte[]{0}));
            ShareFetchResponse nullString = bad.send(malformed);
            assertThat(nullString.data().errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
            assertThat(nullString.data().errorMessage()).contains("tag 32000").contains("null string");
        }

        try (ShareMember red = new ShareMember(broker.bootstrapServers(), "checkers", jobs)
                .withSelector("colour = 'red'")) {
            ShareFetchResponseData.PartitionData opened = red.fetch(List.of(jobs), Map.of(), 10, 0);
            assertThat(acquiredOffsets(opened)).containsExactly(0L, 2L);

            ShareFetchRequest changed = red.fetchRequest(List.of(), Map.of(), 10, 0);
            changed.data().unknownTaggedFields().add(new RawTaggedField(ShareMember.SHARE_FILTER_TAG,
                    ShareMember.compactString("colour = 'blue'")));
            ShareFetchResponse refused = red.send(changed);
            assertThat(refused.data().errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
            assertThat(refused.data().errorMessage()).contains("colour = 'red'").contains("colour = 'blue'");
            // The session is as it was: the next fetch, at the same epoch, carries on with the red selector.
            assertThat(red.fetch(List.of(), Map.of(), 10, 0).acquiredRecords()).isEmpty();

            // A member without selector, whose request carries a tag of Strata's range that means nothing yet.
            try (ShareMember plain = new ShareMember(broker.bootstrapServers(), "checkers", jobs)) {
                ShareFetchRequest withUnknownTag = plain.fetchRequest(List.of(jobs), Map.of(), 10, 0);
                withUnknownTag.data().unknownTaggedFields().add(new RawTaggedField(32099, new byte[]{7, 7}));
                ShareFetchResponse answered = plain.send(withUnknownTag);
                assertThat(answered.data().errorCode()).isEqualTo(Errors.NONE.code());
                assertThat(answered.data().unknownTaggedFields()).isEmpty();
                ShareFetchResponseData.PartitionData partition = answered.data().responses()
                        .find(jobs.topicId()).partitions().get(0);
                assertThat(acquiredOffsets(partition)).as("the blue ones, red holding the rest")
                        .containsExactly(1L, 3L);
            }
        }
    }

    @Test
    void aReadCommittedFilteredMemberArchivesAbortedRecordsItsSelectorDoesNotMatchInsteadOfKeepingThem()
            throws Exception {
        TopicIdPartition jobs = prepare("ledger", "auditors");
        try (Admin admin = broker.admin()) {
            ShareGroups.configure(admin, "auditors", Map.of("share.isolation.level", "read_committed"));
        }
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG, "ledger-tx"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("ledger", 0, "k", "aborted-red", headers("colour", "red")));
            producer.send(new ProducerRecord<>("ledger", 0, "k", "aborted-blue", headers("colour", "blue")));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("ledger", 0, "k", "red", headers("colour", "red")));
            producer.send(new ProducerRecord<>("ledger", 0, "k", "blue", headers("colour", "blue")));
            producer.commitTransaction();
        }
        // Offsets: 0, 1 aborted; 2 the abort marker; 3 red and 4 blue committed; 5 the commit marker.
        Map<Long, String> takenBy = new HashMap<>();

        try (ShareMember red = new ShareMember(broker.bootstrapServers(), "auditors", jobs)
                .withSelector("colour = 'red'")) {
            takeUntil(List.of(red), takenBy, jobs, taken -> taken.size() == 1);
            assertThat(takenBy).containsOnlyKeys(3L);
            // The aborted blue record matched nobody yet, and is archived all the same: the start moves past it.
            assertThat(storedState("auditors", jobs).startOffset()).isEqualTo(4);

            try (ShareMember blue = new ShareMember(broker.bootstrapServers(), "auditors", jobs)
                    .withSelector("colour = 'blue'")) {
                takeUntil(List.of(blue), takenBy, jobs, taken -> taken.size() == 2);
            }
        }
        assertThat(takenBy).containsOnlyKeys(3L, 4L);
        assertThat(storedState("auditors", jobs).startOffset()).isEqualTo(6);
    }

    @Test
    void apiVersionsAdvertisesTheShareFilterFeatureToKafkaClients() throws Exception {
        try (Admin admin = broker.admin()) {
            FeatureMetadata features = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS);

            SupportedVersionRange filter = features.supportedFeatures().get("strata.share.filter");
            assertThat(filter).isNotNull();
            assertThat(filter.minVersion()).isEqualTo((short) 1);
            assertThat(filter.maxVersion()).isEqualTo((short) 1);
            assertThat(features.supportedFeatures()).containsKey("share.version");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A topic of one partition and a share group that starts at its beginning. */
    private static TopicIdPartition prepare(String topic, String group) throws Exception {
        broker.createTopic(topic, 1, Map.of());
        try (Admin admin = broker.admin()) {
            ShareGroups.configure(admin, group, Map.of("share.auto.offset.reset", "earliest"));
        }
        return new TopicIdPartition(broker.server().controller().image().topic(topic).id(), 0, topic);
    }

    private static RecordHeaders headers(String... keysAndValues) {
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            headers.add(keysAndValues[i], keysAndValues[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    /** Writes {@code count} records to partition 0 with kafka-clients' producer; returns their offsets, in order. */
    private static List<Long> produce(String topic, int count, IntFunction<RecordHeaders> headers) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("linger.ms", 50))) {
            for (int i = 0; i < count; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, "k" + i, topic + "-" + i, headers.apply(i))));
            }
            producer.flush();
        }
        List<Long> offsets = new ArrayList<>();
        for (Future<RecordMetadata> metadata : sent) {
            offsets.add(metadata.get(30, TimeUnit.SECONDS).offset());
        }
        return offsets;
    }

    /** Has each member fetch and accept in turn until {@code done} holds for what was taken, or fails in time. */
    private static void takeUntil(List<ShareMember> members, Map<Long, String> takenBy, TopicIdPartition jobs,
                                  java.util.function.Predicate<Map<Long, String>> done) throws IOException {
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        while (!done.test(takenBy)) {
            assertThat(System.nanoTime()).as("records taken in time; got " + takenBy.size()).isLessThan(deadline);
            for (ShareMember member : members) {
                takeAndAccept(member, jobs, takenBy);
            }
        }
    }

    /**
     * One fetch of the member; what it acquired must be a first delivery, and is accepted at once (the answer must be
     * NONE) and recorded as taken by the member's selector ("none" without one).
     */
    private static void takeAndAccept(ShareMember member, TopicIdPartition jobs, Map<Long, String> takenBy)
            throws IOException {
        boolean opening = member.epoch == ShareRequestMetadata.INITIAL_EPOCH;
        ShareFetchResponseData.PartitionData fetched = member.fetch(opening ? List.of(jobs) : List.of(), Map.of(),
                20, 50);
        String label = member.selector == null ? "none" : member.selector;
        for (ShareFetchResponseData.AcquiredRecords acquired : fetched.acquiredRecords()) {
            assertThat(acquired.deliveryCount()).as("a first delivery").isEqualTo((short) 1);
            for (long offset = acquired.firstOffset(); offset <= acquired.lastOffset(); offset++) {
                assertThat(takenBy.put(offset, label)).as("offset " + offset + " taken twice").isNull();
            }
            ShareAcknowledgeResponseData accepted = member.acknowledge(acquired.firstOffset(),
                    acquired.lastOffset(), (byte) 1);
            assertThat(accepted.errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(accepted.responses().find(jobs.topicId()).partitions().get(0).errorCode())
                    .isEqualTo(Errors.NONE.code());
        }
    }

    private static Set<Long> offsetsOf(Map<Long, String> takenBy, ShareMember member) {
        return offsetsOf(takenBy, member.selector == null ? "none" : member.selector);
    }

    private static Set<Long> offsetsOf(Map<Long, String> takenBy, String label) {
        return takenBy.entrySet().stream().filter(e -> e.getValue().equals(label)).map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<Long> acquiredOffsets(ShareFetchResponseData.PartitionData partition) {
        List<Long> offsets = new ArrayList<>();
        for (ShareFetchResponseData.AcquiredRecords acquired : partition.acquiredRecords()) {
            for (long offset = acquired.firstOffset(); offset <= acquired.lastOffset(); offset++) {
                offsets.add(offset);
            }
        }
        return offsets;
    }

    /** The share state the share coordinator stores for the group on the partition, read without fencing. */
    private static SharePartitionState storedState(String group, TopicIdPartition jobs) throws Exception {
        SharePersister.ReadResult read = broker.server().sharePersister().read(group, jobs.topicId(), 0, -1)
                .get(30, TimeUnit.SECONDS);
        assertThat(read.error()).isEqualTo(Errors.NONE);
        return read.state();
    }
}

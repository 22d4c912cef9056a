package io.strata.broker.it;

import io.strata.broker.api.AcknowledgementTransaction;
import io.strata.broker.api.StrataExtensions;
import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Share acknowledgements inside a Kafka transaction (Strata extension {@code strata.share.transactional.acknowledge})
 * on a real broker: a raw share member reads the input, a kafka-clients transactional producer writes the output, and
 * the member's acknowledgements carry the producer's transaction. A commit makes the output visible to read_committed
 * consumers and the inputs are never delivered again; an abort, or the coordinator timing the transaction out, hides
 * the output and delivers the inputs again one delivery higher; a fenced producer's acknowledgement is refused, as is
 * a malformed field or a renew inside a transaction.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TransactionalShareAcknowledgeTest {

    private static final Duration AT_MOST = Duration.ofSeconds(60);
    private static final byte ACCEPT = 1;

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        Map<String, Object> settings = new HashMap<>(ShareGroups.FAST_SHARE_GROUPS);
        settings.put(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 3);
        settings.put(BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 200L);
        broker = TestBroker.start(dir, settings);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void theBrokerAdvertisesTheExtension() throws Exception {
        try (Admin admin = broker.admin()) {
            FeatureMetadata features = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS);
            assertThat(features.supportedFeatures().get(StrataExtensions.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE))
                    .satisfies(range -> {
                        assertThat(range.minVersion()).isEqualTo((short) 1);
                        assertThat(range.maxVersion()).isEqualTo((short) 2);
                    });
        }
    }

    @Test
    void aCommittedLoopMakesTheOutputVisibleAndNeverDeliversItsInputsAgain() throws Exception {
        TopicIdPartition input = prepare("commit-in", "commit-out", "committers", 20, 30_000);
        Map<Long, String> processed = new TreeMap<>();
        try (ShareMember member = new ShareMember(broker.bootstrapServers(), "committers", input);
             KafkaProducer<String, String> producer = transactional("committer", 60_000);
             Admin admin = broker.admin()) {
            List<TopicIdPartition> added = List.of(input);
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (processed.size() < 20) {
                assertThat(System.nanoTime()).as("inputs processed in time: " + processed.keySet())
                        .isLessThan(deadline);
                ShareFetchResponseData.PartitionData fetched = member.fetch(added, Map.of(), 6, 500);
                added = List.of();
                Map<Long, String> inputs = ShareTransactions.acquiredData(fetched);
                if (inputs.isEmpty()) {
                    // Only markers (gaps): acknowledged outside any transaction, as the producer has none to end.
                    if (!fetched.acquiredRecords().isEmpty()) {
                        member.acknowledgeTagged(ShareTransactions.acknowledgements(fetched, ACCEPT), null, false);
                    }
                    continue;
                }
                inputs.keySet().forEach(offset -> assertThat(ShareTransactions.deliveryCount(fetched, offset))
                        .as("delivery of input " + offset).isEqualTo(1));
                producer.beginTransaction();
                inputs.values().forEach(value -> producer.send(new ProducerRecord<>("commit-out", 0, null,
                        "out-" + value)));
                producer.flush();
                AcknowledgementTransaction transaction = ShareTransactions.transactionOf(admin, "committer");
                ShareAcknowledgeResponseData acked = member.acknowledgeTagged(
                        ShareTransactions.acknowledgements(fetched, ACCEPT),
                        ShareTransactions.acknowledgeField(transaction), false);
                assertThat(acked.errorCode()).as(acked.errorMessage()).isEqualTo(Errors.NONE.code());
                assertThat(acked.responses().iterator().next().partitions().get(0).errorCode())
                        .as(acked.responses().iterator().next().partitions().get(0).errorMessage())
                        .isEqualTo(Errors.NONE.code());
                producer.commitTransaction();
                inputs.forEach((offset, value) -> assertThat(processed.put(offset, value))
                        .as("input " + offset + " processed twice").isNull());
            }

            assertThat(readCommitted("commit-out", 20, 20)).containsExactlyInAnyOrderElementsOf(
                    processed.values().stream().map(value -> "out-" + value).toList());
            // The commits acknowledged the inputs (they are not merely held pending): the group's start offset passed
            // every one of them, and no data record is ever delivered again.
            await().atMost(AT_MOST).until(() -> startOffset(admin, "committers", "commit-in") >= processed.size());
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() ->
                    ShareTransactions.acquiredData(member.fetch(List.of(), Map.of(), 100, 200)).isEmpty());
        }
    }

    @Test
    void anAbortHidesTheOutputAndDeliversTheInputsAgainWithDeliveryCountTwo() throws Exception {
        TopicIdPartition input = prepare("abort-in", "abort-out", "aborters", 5, 30_000);
        try (ShareMember member = new ShareMember(broker.bootstrapServers(), "aborters", input);
             KafkaProducer<String, String> producer = transactional("aborter", 60_000);
             Admin admin = broker.admin()) {
            ShareFetchResponseData.PartitionData fetched = fetchData(member, List.of(input), 5);
            Map<Long, String> inputs = ShareTransactions.acquiredData(fetched);
            producer.beginTransaction();
            inputs.values().forEach(value -> producer.send(new ProducerRecord<>("abort-out", 0, null, "out-" + value)));
            producer.flush();
            ShareAcknowledgeResponseData acked = member.acknowledgeTagged(
                    ShareTransactions.acknowledgements(fetched, ACCEPT),
                    ShareTransactions.acknowledgeField(ShareTransactions.transactionOf(admin, "aborter")), false);
            assertThat(acked.responses().iterator().next().partitions().get(0).errorCode()).isEqualTo(Errors.NONE.code());

            producer.abortTransaction();

            ShareFetchResponseData.PartitionData again = fetchData(member, List.of(), 5);
            assertThat(ShareTransactions.acquiredData(again)).isEqualTo(inputs);
            inputs.keySet().forEach(offset -> assertThat(ShareTransactions.deliveryCount(again, offset))
                    .isEqualTo(2));
            assertThat(readCommitted("abort-out", 0, 6)).isEmpty(); // 5 aborted records and the marker
        }
    }

    @Test
    void aTransactionTheCoordinatorTimesOutIsAnAbortAndPinsTheLocksUntilThen() throws Exception {
        // Locks of 1 s, a transaction of 8 s: the pending records must outlive their locks.
        TopicIdPartition input = prepare("timeout-in", "timeout-out", "sleepers", 3, 1_000);
        try (ShareMember member = new ShareMember(broker.bootstrapServers(), "sleepers", input);
             ShareMember other = new ShareMember(broker.bootstrapServers(), "sleepers", input);
             KafkaProducer<String, String> producer = transactional("sleeper", 8_000);
             Admin admin = broker.admin()) {
            // The transaction opened first: with locks of 1 s, the acknowledgement follows the fetch at once.
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("timeout-out", 0, null, "never"));
            producer.flush();
            AcknowledgementTransaction transaction = ShareTransactions.transactionOf(admin, "sleeper");
            ShareFetchResponseData.PartitionData fetched = fetchData(member, List.of(input), 3);
            Map<Long, String> inputs = ShareTransactions.acquiredData(fetched);
            // Piggybacked on a fetch this time (tag 32002).
            List<ShareFetchRequestData.AcknowledgementBatch> piggybacked = new ArrayList<>();
            ShareTransactions.acknowledgements(fetched, ACCEPT).forEach(b -> piggybacked.add(
                    new ShareFetchRequestData.AcknowledgementBatch().setFirstOffset(b.firstOffset())
                            .setLastOffset(b.lastOffset()).setAcknowledgeTypes(b.acknowledgeTypes())));
            ShareFetchResponseData response = member.fetchTagged(List.of(), piggybacked,
                    ShareTransactions.fetchField(transaction), 10, 0);
            assertThat(response.errorCode()).as(response.errorMessage()).isEqualTo(Errors.NONE.code());
            assertThat(response.responses().iterator().next().partitions().get(0).acknowledgeErrorCode())
                    .as(response.responses().iterator().next().partitions().get(0).acknowledgeErrorMessage())
                    .isEqualTo(Errors.NONE.code());

            // Past the lock duration the records stay with the open transaction: nobody else gets them.
            other.fetch(List.of(input), Map.of(), 10, 0);
            await().during(Duration.ofMillis(2_500)).atMost(Duration.ofSeconds(4)).until(() ->
                    ShareTransactions.acquiredData(other.fetch(List.of(), Map.of(), 10, 0)).isEmpty());

            AtomicReference<ShareFetchResponseData.PartitionData> redelivered = new AtomicReference<>();
            await().atMost(AT_MOST).until(() -> {
                ShareFetchResponseData.PartitionData got = other.fetch(List.of(), Map.of(), 10, 500);
                redelivered.set(got);
                return !ShareTransactions.acquiredData(got).isEmpty();
            });
            assertThat(ShareTransactions.acquiredData(redelivered.get())).isEqualTo(inputs);
            inputs.keySet().forEach(offset -> assertThat(ShareTransactions.deliveryCount(redelivered.get(), offset))
                    .isEqualTo(2));
            assertThat(readCommitted("timeout-out", 0, 2)).isEmpty(); // the aborted record and the marker
            assertThatThrownBy(producer::commitTransaction).isInstanceOf(KafkaException.class);
        }
    }

    @Test
    void aFencedProducersAcknowledgementIsRefusedAndLeavesTheRecordsHeld() throws Exception {
        TopicIdPartition input = prepare("fenced-in", "fenced-out", "zombies", 3, 30_000);
        try (ShareMember member = new ShareMember(broker.bootstrapServers(), "zombies", input);
             KafkaProducer<String, String> zombie = transactional("zombie", 60_000);
             Admin admin = broker.admin()) {
            ShareFetchResponseData.PartitionData fetched = fetchData(member, List.of(input), 3);
            zombie.beginTransaction();
            zombie.send(new ProducerRecord<>("fenced-out", 0, null, "zombie"));
            zombie.flush();
            AcknowledgementTransaction stale = ShareTransactions.transactionOf(admin, "zombie");
            try (KafkaProducer<String, String> successor = transactional("zombie", 60_000)) {
                ShareAcknowledgeResponseData refused = member.acknowledgeTagged(
                        ShareTransactions.acknowledgements(fetched, ACCEPT),
                        ShareTransactions.acknowledgeField(stale), false);

                ShareAcknowledgeResponseData.PartitionData partition = refused.responses().iterator().next().partitions().get(0);
                assertThat(Errors.forCode(partition.errorCode())).isIn(Errors.PRODUCER_FENCED,
                        Errors.INVALID_PRODUCER_EPOCH);
                assertThat(partition.errorMessage()).contains("did not add").contains("nothing was acknowledged");
                // An unknown producer is not in any transaction either.
                ShareAcknowledgeResponseData unknown = member.acknowledgeTagged(
                        ShareTransactions.acknowledgements(fetched, ACCEPT), ShareTransactions.acknowledgeField(
                                new AcknowledgementTransaction("nobody", 999_999, (short) 0)), false);
                assertThat(unknown.responses().iterator().next().partitions().get(0).errorCode())
                        .isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING.code());
                // The records are still the member's, to acknowledge as it will.
                ShareAcknowledgeResponseData plain = member.acknowledgeTagged(
                        ShareTransactions.acknowledgements(fetched, ACCEPT), null, false);
                assertThat(plain.responses().iterator().next().partitions().get(0).errorCode()).isEqualTo(Errors.NONE.code());
            }
        }
    }

    @Test
    void malformedFieldsAndRenewsInsideATransactionAreInvalidRequests() throws Exception {
        TopicIdPartition input = prepare("bad-in", "bad-out", "sloppy", 3, 30_000);
        try (ShareMember member = new ShareMember(broker.bootstrapServers(), "sloppy", input)) {
            ShareFetchResponseData.PartitionData fetched = fetchData(member, List.of(input), 3);
            RawTaggedField good = ShareTransactions.acknowledgeField(
                    new AcknowledgementTransaction("whoever", 1, (short) 0));
            RawTaggedField truncated = new RawTaggedField(good.tag(), java.util.Arrays.copyOf(good.data(), 4));

            ShareAcknowledgeResponseData malformed = member.acknowledgeTagged(
                    ShareTransactions.acknowledgements(fetched, ACCEPT), truncated, false);
            ShareAcknowledgeResponseData renew = member.acknowledgeTagged(
                    ShareTransactions.acknowledgements(fetched, (byte) 4), good, false);
            ShareAcknowledgeResponseData renewAck = member.acknowledgeTagged(
                    ShareTransactions.acknowledgements(fetched, (byte) 4), good, true);
            ShareFetchResponseData malformedFetch = member.fetchTagged(List.of(), List.of(),
                    new RawTaggedField(StrataExtensions.SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG, new byte[] {9}),
                    10, 0);

            assertThat(malformed.errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
            assertThat(malformed.errorMessage()).contains("tagged field 32001").contains("malformed");
            assertThat(renew.errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
            assertThat(renew.errorMessage()).contains("renew").contains("inside a transaction");
            assertThat(renewAck.errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
            assertThat(malformedFetch.errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
            assertThat(malformedFetch.errorMessage()).contains("tagged field 32002");
            // Refused before the session: the member goes on at the same epoch, its records untouched.
            ShareAcknowledgeResponseData plain = member.acknowledgeTagged(
                    ShareTransactions.acknowledgements(fetched, ACCEPT), null, false);
            assertThat(plain.errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(plain.responses().iterator().next().partitions().get(0).errorCode()).isEqualTo(Errors.NONE.code());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** An input topic of {@code count} records, an output topic, and a group reading the input from its start. */
    private static TopicIdPartition prepare(String in, String out, String group, int count, long lockMs)
            throws Exception {
        broker.createTopic(in, 1, Map.of());
        broker.createTopic(out, 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("linger.ms", 100))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(in, 0, null, in + "-" + i));
            }
            producer.flush();
        }
        try (Admin admin = broker.admin()) {
            ShareGroups.configure(admin, group, Map.of("share.auto.offset.reset", "earliest",
                    "share.record.lock.duration.ms", Long.toString(lockMs)));
        }
        return new TopicIdPartition(broker.server().controller().image().topic(in).id(), 0, in);
    }

    /**
     * The share group's start offset on partition 0 of {@code topic}, as Admin describes it (-1: none). Named
     * explicitly: the raw members never join the group, so it was never assigned the partition.
     */
    private static long startOffset(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin.listShareGroupOffsets(
                Map.of(group, new ListShareGroupOffsetsSpec().topicPartitions(List.of(new TopicPartition(topic, 0)))))
                .partitionsToOffsetInfo(group)
                .get(30, TimeUnit.SECONDS);
        SharePartitionOffsetInfo info = offsets.get(new TopicPartition(topic, 0));
        return info == null ? -1 : info.startOffset();
    }

        private static KafkaProducer<String, String> transactional(String transactionalId, int timeoutMs) {
        KafkaProducer<String, String> producer = broker.producer(Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs));
        producer.initTransactions();
        return producer;
    }

    /** Fetches until the member acquired data records, at most {@code maxRecords}. */
    private static ShareFetchResponseData.PartitionData fetchData(ShareMember member, List<TopicIdPartition> added,
                                                                  int maxRecords) {
        AtomicReference<ShareFetchResponseData.PartitionData> got = new AtomicReference<>();
        AtomicReference<List<TopicIdPartition>> adding = new AtomicReference<>(added);
        await().atMost(AT_MOST).until(() -> {
            got.set(member.fetch(adding.getAndSet(List.of()), Map.of(), maxRecords, 500));
            return !ShareTransactions.acquiredData(got.get()).isEmpty();
        });
        return got.get();
    }

    /**
     * What a read_committed consumer reads from the start of partition 0 of {@code topic} until it has
     * {@code expected} values and its position passed {@code endOffset}.
     */
    private static List<String> readCommitted(String topic, int expected, long endOffset) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(null, Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            await().atMost(AT_MOST).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> values.add(record.value()));
                return values.size() >= expected && consumer.position(tp) >= endOffset;
            });
        }
        return values;
    }
}

package io.strata.broker.it;

import io.strata.broker.share.AutoOffsetReset;
import io.strata.broker.share.InMemorySharePersister;
import io.strata.broker.share.ShareGroupSettings;
import io.strata.broker.share.SharePartitionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.ShareAcknowledgeRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.requests.ShareRequestMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ShareFetch and ShareAcknowledge against a running broker, as kafka-clients' share consumer sends them (its own
 * request builders, a member id per consumer, one connection each), with the share state kept by an in-memory
 * persister that fences as the share coordinator does.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShareFetchTest {

    private static final String GROUP = "workers";
    private static final long LOCK_MS = 1_500;
    /** A group whose locks outlast every test: what its members get back was released, not expired. */
    private static final String PATIENT = "patient";
    /** A read_committed group. */
    private static final String COMMITTED = "committed";

    @TempDir
    Path dir;
    TestBroker broker;
    final InMemorySharePersister persister = new InMemorySharePersister();
    TopicIdPartition jobs;

    @BeforeEach
    void startBroker() {
        broker = new TestBroker(dir, Map.of());
        broker.serveShareGroups(persister, group -> new ShareGroupSettings(group.equals(PATIENT) ? 120_000 : LOCK_MS,
                3, AutoOffsetReset.EARLIEST, group.equals(COMMITTED) ? IsolationLevel.READ_COMMITTED
                : IsolationLevel.READ_UNCOMMITTED));
        broker.start();
        broker.createTopic("jobs", 1, Map.of());
        jobs = new TopicIdPartition(broker.server().controller().image().topic("jobs").id(), 0, "jobs");
    }

    @AfterEach
    void stopBroker() {
        broker.close();
    }

    @Test
    void membersAcquireDisjointRecordsAndWhatIsAcceptedIsStoredAndNotRedelivered() throws Exception {
        produce(10);
        try (ShareMember a = member(); ShareMember b = member()) {
            ShareFetchResponseData.PartitionData first = a.fetch(List.of(jobs), Map.of(), 5, 0);
            ShareFetchResponseData.PartitionData second = b.fetch(List.of(jobs), Map.of(), 5, 0);

            assertThat(first.acquiredRecords()).singleElement().satisfies(r -> {
                assertThat(r.firstOffset()).isZero();
                assertThat(r.lastOffset()).isEqualTo(4);
                assertThat(r.deliveryCount()).isEqualTo((short) 1);
            });
            assertThat(acquiredValues(first)).containsExactly("job-0", "job-1", "job-2", "job-3", "job-4");
            assertThat(second.acquiredRecords()).singleElement().satisfies(r -> {
                assertThat(r.firstOffset()).isEqualTo(5);
                assertThat(r.lastOffset()).isEqualTo(9);
            });
            assertThat(acquiredValues(second)).containsExactly("job-5", "job-6", "job-7", "job-8", "job-9");

            ShareAcknowledgeResponseData acked = a.acknowledge(0, 4, (byte) 1);

            assertThat(acked.errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(acked.responses().find(jobs.topicId()).partitions().get(0).errorCode())
                    .isEqualTo(Errors.NONE.code());
            SharePartitionState stored = persister.state(GROUP, jobs.topicId(), 0);
            assertThat(stored.startOffset()).isEqualTo(5);
            // Nothing is left for a third member: 0..4 are done with, 5..9 held by b.
            try (ShareMember c = member()) {
                assertThat(c.fetch(List.of(jobs), Map.of(), 10, 0).acquiredRecords()).isEmpty();
            }
        }
    }

    @Test
    void releasedRecordsPiggyBackedOnAFetchAreDeliveredAgainWithTheirCount() throws Exception {
        produce(3);
        try (ShareMember a = member()) {
            a.fetch(List.of(jobs), Map.of(), 10, 0);

            ShareFetchResponseData.PartitionData again = a.fetch(List.of(), Map.of(jobs, List.of(
                    new ShareFetchRequestData.AcknowledgementBatch().setFirstOffset(0).setLastOffset(2)
                            .setAcknowledgeTypes(List.of((byte) 2)))), 10, 0);

            assertThat(again.acknowledgeErrorCode()).isEqualTo(Errors.NONE.code());
            assertThat(again.acquiredRecords()).singleElement().satisfies(r -> {
                assertThat(r.firstOffset()).isZero();
                assertThat(r.lastOffset()).isEqualTo(2);
                assertThat(r.deliveryCount()).isEqualTo((short) 2);
            });
        }
    }

    @Test
    void aFetchThatFindsNothingWaitsForNewRecords() throws Exception {
        try (ShareMember a = member()) {
            assertThat(a.fetch(List.of(jobs), Map.of(), 10, 0).acquiredRecords()).isEmpty();
            CompletableFuture<ShareFetchResponseData.PartitionData> waiting = CompletableFuture.supplyAsync(() ->
                    a.fetchUnchecked(List.of(), Map.of(), 10, 60_000));
            // Once the fetch is parked, a record arrives; the fetch answers it long before its 60 s are up.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> waitingShareFetches() == 1);
            produce(1);

            ShareFetchResponseData.PartitionData woken = waiting.get(30, TimeUnit.SECONDS);
            assertThat(woken.acquiredRecords()).singleElement().satisfies(r -> assertThat(r.firstOffset()).isZero());
        }
    }

    @Test
    void recordsWhoseLockExpiresGoToAMemberWaitingForThem() throws Exception {
        produce(4);
        try (ShareMember a = member(); ShareMember b = member()) {
            assertThat(a.fetch(List.of(jobs), Map.of(), 10, 0).acquiredRecords()).hasSize(1);

            // b waits; a never acknowledges, so its lock runs out and the timer hands the records to b, long before
            // b's 60 s are up.
            long startNanos = System.nanoTime();
            ShareFetchResponseData.PartitionData taken = b.fetch(List.of(jobs), Map.of(), 10, 60_000);

            assertThat(java.time.Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(
                    java.time.Duration.ofSeconds(30));

            assertThat(taken.acquiredRecords()).singleElement().satisfies(r -> {
                assertThat(r.firstOffset()).isZero();
                assertThat(r.lastOffset()).isEqualTo(3);
                assertThat(r.deliveryCount()).isEqualTo((short) 2);
            });
        }
    }

    @Test
    void closingTheSessionReleasesTheMembersRecords() throws Exception {
        produce(2);
        try (ShareMember a = member(); ShareMember b = member()) {
            a.fetch(List.of(jobs), Map.of(), 10, 0);

            ShareAcknowledgeResponseData closed = a.leave();

            assertThat(closed.errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(b.fetch(List.of(jobs), Map.of(), 10, 0).acquiredRecords()).singleElement()
                    .satisfies(r -> assertThat(r.deliveryCount()).isEqualTo((short) 2));
        }
    }

    @Test
    void aClosedConnectionClosesTheSessionAndReleasesTheMembersRecords() throws Exception {
        produce(2);
        try (ShareMember b = new ShareMember(broker.bootstrapServers(), PATIENT, jobs)) {
            try (ShareMember a = new ShareMember(broker.bootstrapServers(), PATIENT, jobs)) {
                assertThat(a.fetch(List.of(jobs), Map.of(), 10, 0).acquiredRecords()).hasSize(1);
            }

            // a's locks last two minutes; b gets the records within its wait only because a's connection closed,
            // and is woken by their release (a fetch that missed it would answer only at the end of its 60 s).
            long startNanos = System.nanoTime();
            ShareFetchResponseData.PartitionData released = b.fetch(List.of(jobs), Map.of(), 10, 60_000);

            assertThat(java.time.Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(
                    java.time.Duration.ofSeconds(30));

            assertThat(released.acquiredRecords()).singleElement().satisfies(r -> {
                assertThat(r.lastOffset()).isEqualTo(1);
                assertThat(r.deliveryCount()).isEqualTo((short) 2);
            });
        }
    }

    @Test
    void aReadCommittedGroupIsNeverGivenRecordsOfAbortedTransactionsNorOfOpenOnes() throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG, "jobs-tx"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("jobs", "aborted-0"));
            producer.send(new ProducerRecord<>("jobs", "aborted-1"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("jobs", "committed-0")).get();
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("jobs", "open-0")).get();

            try (ShareMember member = new ShareMember(broker.bootstrapServers(), COMMITTED, jobs);
                 ShareMember other = new ShareMember(broker.bootstrapServers(), COMMITTED, jobs)) {
                ShareFetchResponseData.PartitionData fetched = member.fetch(List.of(jobs), Map.of(), 100, 0);

                assertThat(acquiredValues(fetched)).containsExactly("committed-0");
                // The aborted records are archived, not left for another member.
                assertThat(other.fetch(List.of(jobs), Map.of(), 100, 0).acquiredRecords()).isEmpty();
            }
            producer.abortTransaction();
        }
    }

    @Test
    void badInputIsAnsweredWithKafkasErrors() throws Exception {
        produce(2);
        try (ShareMember a = member()) {
            TopicIdPartition unknown = new TopicIdPartition(Uuid.randomUuid(), 0, "nope");
            ShareFetchResponse opened = a.send(a.fetchRequest( List.of(jobs, unknown), Map.of(), 1, 0));
            a.epoch = ShareRequestMetadata.nextEpoch(a.epoch);
            assertThat(opened.data().responses().find(unknown.topicId()).partitions().get(0).errorCode())
                    .isEqualTo(Errors.UNKNOWN_TOPIC_ID.code());

            // Offset 1 was never acquired by a (it asked for one record).
            ShareAcknowledgeResponseData notHeld = a.acknowledge(0, 1, (byte) 1);
            assertThat(notHeld.responses().find(jobs.topicId()).partitions().get(0).errorCode())
                    .isEqualTo(Errors.INVALID_RECORD_STATE.code());

            a.epoch = 7;
            ShareFetchResponse wrongEpoch = a.send(a.fetchRequest( List.of(), Map.of(), 1, 0));
            assertThat(wrongEpoch.data().errorCode()).isEqualTo(Errors.INVALID_SHARE_SESSION_EPOCH.code());
            assertThat(wrongEpoch.data().errorMessage()).contains("not the expected");
        }
        try (ShareMember stranger = member()) {
            stranger.epoch = 1;
            ShareFetchResponse noSession = stranger.send(stranger.fetchRequest( List.of(jobs), Map.of(), 1, 0));
            assertThat(noSession.data().errorCode()).isEqualTo(Errors.SHARE_SESSION_NOT_FOUND.code());
            stranger.epoch = 0;
            ShareAcknowledgeResponse ackOpens = stranger.send(new ShareAcknowledgeRequest.Builder(
                    new ShareAcknowledgeRequestData().setGroupId(GROUP).setMemberId(stranger.id.toString())
                            .setShareSessionEpoch(0)).build(ApiKeys.SHARE_ACKNOWLEDGE.latestVersion()));
            assertThat(ackOpens.data().errorCode()).isEqualTo(Errors.INVALID_SHARE_SESSION_EPOCH.code());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private int waitingShareFetches() {
        return broker.server().shareServing().waiting().waiting();
    }

    private void produce(int count) throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>("jobs", "job-" + i)).get();
            }
        }
    }

    /** The values of the data records a response carries within its acquired ranges, as the share consumer keeps. */
    private static List<String> acquiredValues(ShareFetchResponseData.PartitionData partition) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : ShareFetchResponse.recordsOrFail(partition).batches()) {
            if (batch.isControlBatch()) {
                continue; // transaction markers: the consumer acknowledges their offsets as gaps
            }
            for (Record record : batch) {
                boolean acquired = partition.acquiredRecords().stream().anyMatch(r ->
                        record.offset() >= r.firstOffset() && record.offset() <= r.lastOffset());
                if (acquired) {
                    values.add(StandardCharsets.UTF_8.decode(record.value()).toString());
                }
            }
        }
        return values;
    }

    private ShareMember member() throws IOException {
        return new ShareMember(broker.bootstrapServers(), GROUP, jobs);
    }
}

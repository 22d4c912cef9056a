package io.strata.jms.share;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.ClientRequest;
import org.apache.kafka.clients.NodeApiVersions;
import org.apache.kafka.clients.Metadata;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.ClusterResourceListeners;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.utils.LogContext;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A member's share session at one partition leader, against a {@link FakeNetwork}. */
class LeaderSessionTest {

    private static final Node LEADER = new Node(1, "127.0.0.1", 9092);
    private static final TopicIdPartition ORDERS = new TopicIdPartition(Uuid.randomUuid(),
            new TopicPartition("orders", 0));

    @Test
    void aSessionLostWithItsDeadLeaderClosesOnceThePartitionMovedWithoutDiallingTheDeadBrokerAgain() {
        FakeNetwork network = new FakeNetwork(LEADER);
        ShareConsumerSettings settings = ShareConsumerSettings.of("127.0.0.1:9092", "orders", List.of("orders"));
        LeaderSession.Context context = new LeaderSession.Context("orders", Uuid.randomUuid(), null, settings,
                network.client(), new ApiVersions(),
                new Metadata(100, 1_000, 300_000, new LogContext(), new ClusterResourceListeners()),
                new RecordBuffer(settings.bufferedRecordsMax(), settings.bufferedBytesMax()), 30_000, error -> {
                    throw new AssertionError("the session failed: " + error.getMessage(), error);
                });
        AtomicLong sessionIds = new AtomicLong();
        LeaderSession session = new LeaderSession(context, LEADER, sessionIds::incrementAndGet);
        session.want(Set.of(ORDERS));
        long nowMs = network.answer(ms -> session.poll(ms, true, false), 0, ApiKeys.SHARE_FETCH, emptyFetch());
        assertThat(session.open()).isTrue();

        // The leader dies; the session finds its connection failed, and the partition moves to another broker.
        network.kill(LEADER);
        for (int turn = 0; turn < 5; turn++) {
            nowMs += 200;
            session.poll(nowMs, true, false);
        }
        assertThat(session.open()).as("the session is lost with its broker").isFalse();
        session.want(Set.of());
        int dialledBefore = network.readyCalls(LEADER);
        for (int turn = 0; turn < 20; turn++) {
            nowMs += 200;
            session.poll(nowMs, true, false);
        }

        assertThat(session.closed()).as("nothing left to do at the dead broker: closed").isTrue();
        assertThat(session.idle()).isTrue();
        assertThat(network.readyCalls(LEADER)).as("connection attempts to the dead broker once the partition"
                + " moved").isEqualTo(dialledBefore);
    }

    @Test
    void whileRecordsAwaitAnOutcomeAFetchWaitsNoLongerThanSinceTheyCameSoTheirAcknowledgementIsNotHeldByALongPoll()
            throws InterruptedException {
        FakeNetwork network = new FakeNetwork(LEADER);
        ShareConsumerSettings settings = ShareConsumerSettings.of("127.0.0.1:9092", "orders", List.of("orders"));
        RecordBuffer buffer = new RecordBuffer(settings.bufferedRecordsMax(), settings.bufferedBytesMax());
        LeaderSession session = openSession(network, settings, buffer);
        long nowMs = network.answer(ms -> session.poll(ms, true, false), 0, ApiKeys.SHARE_FETCH, emptyFetch());
        assertThat(maxWaitMs(network)).as("nothing buffered or held: a long poll").isEqualTo(500);

        buffer.addFitting(List.of(new ShareRecord(ORDERS, 0, 0, null, new byte[10], List.of(), 1)), Long.MAX_VALUE,
                1, nowMs + 1_000);
        nowMs = network.answer(ms -> session.poll(ms, true, false), nowMs + 1_000, ApiKeys.SHARE_FETCH,
                emptyFetch());
        assertThat(maxWaitMs(network)).as("a record buffered 100 ms before").isEqualTo(100);

        long handedOutMs = nowMs + 1_000;
        assertThat(buffer.poll(1, 0, () -> handedOutMs)).hasSize(1);
        nowMs = network.answer(ms -> session.poll(ms, true, false), handedOutMs, ApiKeys.SHARE_FETCH, emptyFetch());
        assertThat(maxWaitMs(network)).as("held since 100 ms").isEqualTo(100);
        nowMs = network.answer(ms -> session.poll(ms, true, false), nowMs + 200, ApiKeys.SHARE_FETCH, emptyFetch());
        assertThat(maxWaitMs(network)).as("held since 400 ms: the waits grow with the holding").isEqualTo(400);
        nowMs = network.answer(ms -> session.poll(ms, true, false), nowMs + 200, ApiKeys.SHARE_FETCH, emptyFetch());
        assertThat(maxWaitMs(network)).as("never past fetchMaxWaitMs").isEqualTo(500);

        buffer.acknowledged(1);
        network.answer(ms -> session.poll(ms, true, false), nowMs, ApiKeys.SHARE_FETCH, emptyFetch());
        assertThat(maxWaitMs(network)).as("acknowledged: a long poll again").isEqualTo(500);
    }

    @Test
    void anExplicitAcknowledgementGivenWhileAFetchIsInFlightIsTheNextRequestBeforeAnyFetch() {
        FakeNetwork network = new FakeNetwork(LEADER);
        ShareConsumerSettings settings = ShareConsumerSettings.of("127.0.0.1:9092", "orders", List.of("orders"));
        LeaderSession session = openSession(network, settings,
                new RecordBuffer(settings.bufferedRecordsMax(), settings.bufferedBytesMax()));
        long nowMs = network.answer(ms -> session.poll(ms, true, false), 0, ApiKeys.SHARE_FETCH, emptyFetch());
        nowMs += 100;
        session.poll(nowMs, true, false); // the next fetch goes out and waits at the leader
        Acknowledgements accepted = new Acknowledgements();
        accepted.add(ORDERS, 0, AcknowledgeType.ACCEPT.id);
        AcknowledgeCommand command = new AcknowledgeCommand(accepted, null, nowMs + 30_000);
        session.acknowledgeNow(command, accepted);

        nowMs = network.answer(ms -> session.poll(ms, true, false), nowMs, ApiKeys.SHARE_FETCH, emptyFetch());
        network.answer(ms -> session.poll(ms, true, false), nowMs, ApiKeys.SHARE_ACKNOWLEDGE,
                acknowledged());

        assertThat(command.future).as("answered by the request after the fetch in flight").isDone();
    }

    @Test
    void aTransactionsAcknowledgementsRefusedForAnUnsettledEarlierTransactionGoAgainAfterAShortBackoff() {
        FakeNetwork network = new FakeNetwork(LEADER);
        ShareConsumerSettings settings = ShareConsumerSettings.of("127.0.0.1:9092", "orders", List.of("orders"));
        ApiVersions versions = new ApiVersions();
        // The leader advertises acknowledgements in transactions (a Strata feature in its ApiVersions answer).
        versions.update(LEADER.idString(), new NodeApiVersions(NodeApiVersions.create().allSupportedApiVersions()
                .values(), List.of(new ApiVersionsResponseData.SupportedFeatureKey()
                .setName(StrataFeatures.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE)
                .setMinVersion(StrataFeatures.FEATURE_VERSION).setMaxVersion(StrataFeatures.FEATURE_VERSION))));
        LeaderSession session = openSession(network, settings,
                new RecordBuffer(settings.bufferedRecordsMax(), settings.bufferedBytesMax()), versions,
                metadataNaming(ORDERS));
        long nowMs = network.answer(ms -> session.poll(ms, true, false), 0, ApiKeys.SHARE_FETCH, emptyFetch());
        Acknowledgements accepted = new Acknowledgements();
        accepted.add(ORDERS, 0, AcknowledgeType.ACCEPT.id);
        AcknowledgeCommand command = new AcknowledgeCommand(accepted,
                new AcknowledgementTransaction("jms-tx", 7, (short) 1), nowMs + 30_000);
        session.acknowledgeNow(command, accepted);

        nowMs = network.answer(ms -> session.poll(ms, true, false), nowMs, ApiKeys.SHARE_ACKNOWLEDGE,
                acknowledged(Errors.CONCURRENT_TRANSACTIONS));
        assertThat(command.future).as("retried, not failed").isNotDone();
        session.poll(nowMs + LeaderSession.CONCURRENT_TRANSACTIONS_BACKOFF_MS - 1, true, false);
        assertThat(network.unanswered()).as("nothing sent during the backoff, no fetch either").isZero();
        session.poll(nowMs + LeaderSession.CONCURRENT_TRANSACTIONS_BACKOFF_MS, true, false);
        assertThat(network.unanswered()).as("the acknowledgements again, after the short backoff").isOne();
        network.answer(ms -> session.poll(ms, true, false), nowMs + LeaderSession.CONCURRENT_TRANSACTIONS_BACKOFF_MS,
                ApiKeys.SHARE_ACKNOWLEDGE, acknowledged(Errors.NONE));

        assertThat(command.future).isDone();
    }

    /** Metadata that knows {@code partition}'s topic by its id, led by {@link #LEADER}. */
    private static Metadata metadataNaming(TopicIdPartition partition) {
        Metadata metadata = new Metadata(100, 1_000, 300_000, new LogContext(), new ClusterResourceListeners());
        MetadataResponseData data = new MetadataResponseData();
        data.brokers().add(new MetadataResponseData.MetadataResponseBroker().setNodeId(LEADER.id())
                .setHost(LEADER.host()).setPort(LEADER.port()));
        data.topics().add(new MetadataResponseData.MetadataResponseTopic().setName(partition.topic())
                .setTopicId(partition.topicId()).setPartitions(List.of(
                        new MetadataResponseData.MetadataResponsePartition().setPartitionIndex(partition.partition())
                                .setLeaderId(LEADER.id()).setLeaderEpoch(0).setReplicaNodes(List.of(LEADER.id()))
                                .setIsrNodes(List.of(LEADER.id())))));
        metadata.updateWithCurrentRequestVersion(new MetadataResponse(data, ApiKeys.METADATA.latestVersion()),
                false, 0);
        return metadata;
    }

    private static ShareAcknowledgeResponse acknowledged(Errors partitionError) {
        short version = ApiKeys.SHARE_ACKNOWLEDGE.latestVersion();
        ShareAcknowledgeResponseData data = new ShareAcknowledgeResponseData();
        ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse topic =
                new ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse().setTopicId(ORDERS.topicId());
        topic.partitions().add(new ShareAcknowledgeResponseData.PartitionData()
                .setPartitionIndex(ORDERS.partition()).setErrorCode(partitionError.code()));
        data.responses().add(topic);
        return ShareAcknowledgeResponse.parse(MessageUtil.toByteBufferAccessor(data, version), version);
    }

    private static LeaderSession openSession(FakeNetwork network, ShareConsumerSettings settings,
                                             RecordBuffer buffer) {
        return openSession(network, settings, buffer, new ApiVersions(),
                new Metadata(100, 1_000, 300_000, new LogContext(), new ClusterResourceListeners()));
    }

    private static LeaderSession openSession(FakeNetwork network, ShareConsumerSettings settings,
                                             RecordBuffer buffer, ApiVersions versions, Metadata metadata) {
        LeaderSession.Context context = new LeaderSession.Context("orders", Uuid.randomUuid(), null, settings,
                network.client(), versions, metadata, buffer, 30_000,
                error -> {
                    throw new AssertionError("the session failed: " + error.getMessage(), error);
                });
        AtomicLong sessionIds = new AtomicLong();
        LeaderSession session = new LeaderSession(context, LEADER, sessionIds::incrementAndGet);
        session.want(Set.of(ORDERS));
        return session;
    }

    private static int maxWaitMs(FakeNetwork network) {
        ClientRequest last = network.answered.get(network.answered.size() - 1);
        return ((ShareFetchRequest.Builder) last.requestBuilder()).data().maxWaitMs();
    }

    private static ShareAcknowledgeResponse acknowledged() {
        short version = ApiKeys.SHARE_ACKNOWLEDGE.latestVersion();
        return ShareAcknowledgeResponse.parse(MessageUtil.toByteBufferAccessor(new ShareAcknowledgeResponseData(),
                version), version);
    }

    private static ShareFetchResponse emptyFetch() {
        short version = ApiKeys.SHARE_FETCH.latestVersion();
        return ShareFetchResponse.parse(MessageUtil.toByteBufferAccessor(new ShareFetchResponseData()
                .setAcquisitionLockTimeoutMs(30_000), version), version);
    }
}

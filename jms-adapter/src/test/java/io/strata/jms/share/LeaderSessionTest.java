package io.strata.jms.share;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.Metadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.ClusterResourceListeners;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.MessageUtil;
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

    private static ShareFetchResponse emptyFetch() {
        short version = ApiKeys.SHARE_FETCH.latestVersion();
        return ShareFetchResponse.parse(MessageUtil.toByteBufferAccessor(new ShareFetchResponseData()
                .setAcquisitionLockTimeoutMs(30_000), version), version);
    }
}

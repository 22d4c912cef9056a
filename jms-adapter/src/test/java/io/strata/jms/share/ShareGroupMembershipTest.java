package io.strata.jms.share;

import org.apache.kafka.clients.Metadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.ClusterResourceListeners;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.ShareGroupHeartbeatResponse;
import org.apache.kafka.common.utils.LogContext;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The member's coordinator handling against a {@link FakeNetwork}, whose connections behave as kafka-clients'
 * {@code NetworkClient} keeps them: a node whose connection was closed reports {@code connectionFailed} until
 * {@code ready} connects it again.
 */
class ShareGroupMembershipTest {

    private static final Node BROKER = new Node(1, "127.0.0.1", 9092);

    @Test
    void aMemberJoinsWhenTheCoordinatorLookupNamesAgainTheBrokerThatAnsweredNotCoordinator() {
        FakeNetwork network = new FakeNetwork(BROKER);
        ShareGroupMembership membership = new ShareGroupMembership("orders", Uuid.randomUuid(), List.of("orders"),
                network.client(), new Metadata(100, 1_000, 300_000, new LogContext(), new ClusterResourceListeners()),
                30_000, error -> {
                    throw new AssertionError("the member failed: " + error.getMessage(), error);
                });
        long nowMs = 0;

        // The coordinator is still loading its partition after a failover: the first heartbeat is refused.
        nowMs = network.answer(membership::poll, nowMs, ApiKeys.FIND_COORDINATOR, coordinatorIs(BROKER));
        nowMs = network.answer(membership::poll, nowMs, ApiKeys.SHARE_GROUP_HEARTBEAT,
                heartbeat(Errors.NOT_COORDINATOR, 0));
        assertThat(network.disconnected).as("the member closed its heartbeat connection").isNotEmpty();

        // The lookup names the same broker again: the member connects to it again and joins.
        nowMs = network.answer(membership::poll, nowMs, ApiKeys.FIND_COORDINATOR, coordinatorIs(BROKER));
        network.answer(membership::poll, nowMs, ApiKeys.SHARE_GROUP_HEARTBEAT, heartbeat(Errors.NONE, 1));
        assertThat(membership.joined()).isTrue();
        assertThat(membership.memberEpoch()).isEqualTo(1);
    }

    private static AbstractResponse coordinatorIs(Node node) {
        return new FindCoordinatorResponse(new FindCoordinatorResponseData().setCoordinators(List.of(
                new FindCoordinatorResponseData.Coordinator().setKey("orders").setNodeId(node.id())
                        .setHost(node.host()).setPort(node.port()))));
    }

    private static AbstractResponse heartbeat(Errors error, int epoch) {
        return new ShareGroupHeartbeatResponse(new ShareGroupHeartbeatResponseData().setErrorCode(error.code())
                .setMemberEpoch(epoch).setHeartbeatIntervalMs(1_000));
    }
}

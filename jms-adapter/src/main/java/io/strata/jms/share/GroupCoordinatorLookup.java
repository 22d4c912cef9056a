package io.strata.jms.share;

import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;

import java.util.List;

/**
 * FindCoordinator for one group, as the provider's own group clients ask it (a share group's membership, a
 * connection's lease): the request, and what its answer says. Stateless.
 */
public final class GroupCoordinatorLookup {

    /**
     * What an answer said: the coordinator, as a node with an id of its own (as Kafka's clients do for coordinators,
     * so that its connection is apart from any other to the same broker), or null with the error and its message.
     */
    public record Answer(Node coordinator, Errors error, String message) {
    }

    private GroupCoordinatorLookup() {
    }

    public static FindCoordinatorRequest.Builder request(String groupId) {
        return new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                .setKeyType(FindCoordinatorRequest.CoordinatorType.GROUP.id())
                .setCoordinatorKeys(List.of(groupId)));
    }

    /** The coordinator of {@code groupId} in {@code response}, which has a response body. */
    public static Answer answer(ClientResponse response, String groupId) {
        FindCoordinatorResponse answer = (FindCoordinatorResponse) response.responseBody();
        FindCoordinatorResponseData.Coordinator found = answer.coordinatorByKey(groupId).orElse(null);
        Errors error = found == null ? answer.error() : Errors.forCode(found.errorCode());
        if (error == Errors.NONE && found != null) {
            return new Answer(new Node(Integer.MAX_VALUE - found.nodeId(), found.host(), found.port()), error, null);
        }
        return new Answer(null, error, found == null ? answer.data().errorMessage() : found.errorMessage());
    }
}

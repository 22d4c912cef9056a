package io.strata.jms.share;

import org.apache.kafka.clients.ClientRequest;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.KafkaClient;
import org.apache.kafka.clients.LeastLoadedNode;
import org.apache.kafka.clients.RequestCompletionHandler;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link KafkaClient} whose connections behave as kafka-clients' {@code NetworkClient} keeps them, for unit tests of
 * the engine's network-thread classes: a node is unknown, then connecting (after {@code ready}), connected (at the
 * next {@code ready}), or disconnected (after {@code disconnect}, or a connection attempt to a dead node:
 * {@code connectionFailed} holds until {@code ready} tries again). Requests are held until the test answers them.
 * Every {@code ready} call is counted per node: how often the engine dials it.
 *
 * <p>Not thread-safe: one test thread drives it and the class under test.
 */
final class FakeNetwork {

    private enum State { CONNECTING, CONNECTED, DISCONNECTED }

    private final Node leastLoaded;
    private final Map<String, State> states = new HashMap<>();
    private final Set<String> dead = new HashSet<>();
    private final Map<String, Integer> readyCalls = new HashMap<>();
    private final ArrayDeque<ClientRequest> sent = new ArrayDeque<>();
    final List<String> disconnected = new ArrayList<>();
    /** Every request answered, in order. */
    final List<ClientRequest> answered = new ArrayList<>();

    FakeNetwork(Node leastLoaded) {
        this.leastLoaded = leastLoaded;
    }

    KafkaClient client() {
        return (KafkaClient) Proxy.newProxyInstance(KafkaClient.class.getClassLoader(),
                new Class<?>[] {KafkaClient.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "leastLoadedNode" -> new LeastLoadedNode(leastLoaded, true);
                    case "ready" -> ready(((Node) args[0]).idString());
                    case "connectionFailed" -> states.get(((Node) args[0]).idString()) == State.DISCONNECTED;
                    case "disconnect" -> {
                        states.put((String) args[0], State.DISCONNECTED);
                        disconnected.add((String) args[0]);
                        yield null;
                    }
                    case "newClientRequest" -> new ClientRequest((String) args[0],
                            (AbstractRequest.Builder<?>) args[1], sent.size(), "test", (long) args[2],
                            (boolean) args[3], (int) args[4], (RequestCompletionHandler) args[5]);
                    case "send" -> {
                        sent.addLast((ClientRequest) args[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** The broker {@code node} died: its connection is gone and every new one fails. */
    void kill(Node node) {
        dead.add(node.idString());
        states.put(node.idString(), State.DISCONNECTED);
    }

    /** Requests sent and not yet answered. */
    int unanswered() {
        return sent.size();
    }

    int readyCalls(Node node) {
        return readyCalls.getOrDefault(node.idString(), 0);
    }

    private boolean ready(String node) {
        readyCalls.merge(node, 1, Integer::sum);
        if (dead.contains(node)) {
            states.put(node, State.DISCONNECTED);
            return false;
        }
        State state = states.get(node);
        if (state == State.CONNECTED) {
            return true;
        }
        states.put(node, state == State.CONNECTING ? State.CONNECTED : State.CONNECTING);
        return states.get(node) == State.CONNECTED;
    }

    /**
     * Runs {@code turn} (the network thread's turn of the class under test) every 100 ms until a request is sent,
     * failing after 50 turns; answers it with {@code response} after checking it is an {@code api} request; the time
     * after.
     */
    long answer(LongConsumer turn, long nowMs, ApiKeys api, AbstractResponse response) {
        for (int i = 0; i < 50 && sent.isEmpty(); i++) {
            nowMs += 100;
            turn.accept(nowMs);
        }
        assertThat(sent).as("a request sent").isNotEmpty();
        ClientRequest request = sent.pollFirst();
        answered.add(request);
        assertThat(request.apiKey()).isEqualTo(api);
        new ClientResponse(request.makeHeader(request.requestBuilder().latestAllowedVersion()), request.callback(),
                request.destination(), nowMs, nowMs, false, null, null, response).onComplete();
        return nowMs;
    }
}

package io.strata.broker.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.Message;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * How a broker asks the controller for a change (create a topic, change an ISR, reserve producer ids, ...): requests
 * go out on the Hazelcast topic {@code strata.controller.requests}, which only the controller serves, and answers
 * come back on {@code strata.controller.replies}, matched by request id. Requests and answers are text, so members
 * whose classes come from different class loaders understand each other.
 *
 * <p>A request the controller never answers (it died, or another broker took over) times out; callers retry, and
 * every request is safe to repeat.
 *
 * <p>Thread-safe.
 */
public final class ControllerChannel implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ControllerChannel.class.getName());
    private static final String REQUESTS = "strata.controller.requests";
    private static final String REPLIES = "strata.controller.replies";

    private final ITopic<String> requests;
    private final ITopic<String> replies;
    private final Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
    private final UUID replyRegistration;
    private volatile UUID requestRegistration;

    public ControllerChannel(HazelcastInstance hazelcast) {
        this.requests = hazelcast.getTopic(REQUESTS);
        this.replies = hazelcast.getTopic(REPLIES);
        this.replyRegistration = replies.addMessageListener(this::onReply);
    }

    private void onReply(Message<String> message) {
        String text = message.getMessageObject();
        int newline = text.indexOf('\n');
        CompletableFuture<String> waiting = pending.remove(text.substring(0, newline));
        if (waiting != null) {
            waiting.complete(text.substring(newline + 1));
        }
    }

    /** Sends {@code op} with its {@code body} to the controller; the future completes with its answer. */
    public CompletableFuture<String> call(String op, String body, long timeoutMs) {
        String id = UUID.randomUUID().toString();
        CompletableFuture<String> answer = new CompletableFuture<>();
        pending.put(id, answer);
        answer.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((result, error) -> pending.remove(id));
        requests.publish(id + "\n" + op + "\n" + body);
        return answer;
    }

    /**
     * Serves requests (while this broker is controller) on {@code executor}: {@code handler} takes the op and body
     * and returns the answer.
     */
    public synchronized void serve(BiFunction<String, String, String> handler, ExecutorService executor) {
        stopServing();
        requestRegistration = requests.addMessageListener(message -> {
            String text = message.getMessageObject();
            int first = text.indexOf('\n');
            int second = text.indexOf('\n', first + 1);
            String id = text.substring(0, first);
            String op = text.substring(first + 1, second);
            String body = text.substring(second + 1);
            try {
                executor.execute(() -> {
                    String answer;
                    try {
                        answer = handler.apply(op, body);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "Controller request " + op + " failed", e);
                        return;
                    }
                    replies.publish(id + "\n" + answer);
                });
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "Controller request {0} dropped: {1}", op, e.toString());
            }
        });
    }

    public synchronized void stopServing() {
        if (requestRegistration != null) {
            try {
                requests.removeMessageListener(requestRegistration);
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "Removing the request listener failed: {0}", e.toString());
            }
            requestRegistration = null;
        }
    }

    @Override
    public void close() {
        stopServing();
        try {
            replies.removeMessageListener(replyRegistration);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Removing the reply listener failed: {0}", e.toString());
        }
        pending.values().forEach(future -> future.cancel(false));
    }
}

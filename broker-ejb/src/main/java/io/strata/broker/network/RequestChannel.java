package io.strata.broker.network;

import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.requests.AbstractResponse;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The bounded queue between the network threads, which read requests, and the request threads, which handle them,
 * and the way back for responses. When {@code queued.max.requests} requests wait, network threads stop reading
 * until the request threads catch up.
 *
 * <p>Thread-safe.
 */
public final class RequestChannel {

    private final BlockingQueue<Request> requests;
    private final List<java.util.function.Consumer<String>> closeListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    public RequestChannel(int queuedMaxRequests) {
        this.requests = new ArrayBlockingQueue<>(queuedMaxRequests);
    }

    /** Queues a request, waiting while the queue is full. */
    void put(Request request) throws InterruptedException {
        requests.put(request);
    }

    /** The next request, or {@code null} if none arrives within the timeout. */
    public Request poll(long timeout, TimeUnit unit) throws InterruptedException {
        return requests.poll(timeout, unit);
    }

    public int queueDepth() {
        return requests.size();
    }

    /**
     * Sends {@code response} for {@code request}; {@code resources} (file regions of a fetch) are closed once it has
     * been written or the connection is gone.
     */
    public void sendResponse(Request request, AbstractResponse response, List<AutoCloseable> resources) {
        Send send = request.context().buildResponseSend(response);
        request.route().enqueue(Processor.Action.send(request, send, resources));
    }

    public void sendResponse(Request request, AbstractResponse response) {
        sendResponse(request, response, List.of());
    }

    /** Lets the connection go on without a response, as for a produce request with acks=0. */
    public void noResponse(Request request) {
        request.route().enqueue(Processor.Action.noResponse(request));
    }

    /**
     * Tells {@code listener} the id of every connection that closes (as {@code RequestContext.connectionId}), by the
     * client or by the broker: state kept per connection, such as share sessions, goes with it. Called on a network
     * thread; the listener must be quick and must not block.
     */
    public void onConnectionClosed(java.util.function.Consumer<String> listener) {
        closeListeners.add(listener);
    }

    void connectionClosed(String connectionId) {
        for (java.util.function.Consumer<String> listener : closeListeners) {
            try {
                listener.accept(connectionId);
            } catch (RuntimeException e) {
                System.getLogger(RequestChannel.class.getName()).log(System.Logger.Level.ERROR,
                        "A listener of closed connections failed on " + connectionId, e);
            }
        }
    }

    /** Closes the connection the request came on, as a client expects after a malformed request. */
    public void closeConnection(Request request) {
        request.route().enqueue(Processor.Action.close(request));
    }
}

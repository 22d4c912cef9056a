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

    /** Closes the connection the request came on, as a client expects after a malformed request. */
    public void closeConnection(Request request) {
        request.route().enqueue(Processor.Action.close(request));
    }
}

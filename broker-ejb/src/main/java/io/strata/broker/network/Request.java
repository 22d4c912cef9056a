package io.strata.broker.network;

import org.apache.kafka.common.memory.MemoryPool;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestContext;

import java.nio.ByteBuffer;

/**
 * A request read off a connection: its parsed header and connection details (kafka-clients' {@link RequestContext}),
 * the body still undecoded, and where its response goes. The body's buffer comes from the bounded request memory
 * pool and is returned to it by {@link #release()} once the request has been handled.
 *
 * <p>Handled by one thread at a time: a network thread makes it, one request thread handles it.
 */
public final class Request {

    private final RequestContext context;
    private final ByteBuffer body;
    private final MemoryPool pool;
    private final ByteBuffer pooledBuffer;
    private final ResponseRoute route;
    private final long receivedNanos;
    private boolean released;

    Request(RequestContext context, ByteBuffer body, MemoryPool pool, ByteBuffer pooledBuffer, ResponseRoute route,
            long receivedNanos) {
        this.context = context;
        this.body = body;
        this.pool = pool;
        this.pooledBuffer = pooledBuffer;
        this.route = route;
        this.receivedNanos = receivedNanos;
    }

    public RequestContext context() {
        return context;
    }

    /** Decodes the body with kafka-clients' generated message classes. */
    public AbstractRequest parse() {
        return context.parseRequest(body).request;
    }

    public long receivedNanos() {
        return receivedNanos;
    }

    ResponseRoute route() {
        return route;
    }

    /** Returns the body's memory to the pool; nothing may read the decoded request's records afterwards. */
    public void release() {
        if (!released) {
            released = true;
            if (pooledBuffer != null) {
                pool.release(pooledBuffer);
            }
        }
    }

    @Override
    public String toString() {
        return context.header.apiKey() + " v" + context.header.apiVersion() + " from " + context.connectionId
                + " (" + context.clientId() + ")";
    }
}

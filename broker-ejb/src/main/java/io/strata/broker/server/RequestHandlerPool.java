package io.strata.broker.server;

import io.strata.broker.api.ApiDispatcher;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The request threads ({@code num.io.threads}): each takes requests from the request channel and dispatches them.
 * Thread-safe: start and close from one thread.
 */
final class RequestHandlerPool implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RequestHandlerPool.class.getName());

    private final int size;
    private final RequestChannel requestChannel;
    private final ApiDispatcher dispatcher;
    private final ThreadFactory threadFactory;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    RequestHandlerPool(int size, RequestChannel requestChannel, ApiDispatcher dispatcher, ThreadFactory threadFactory) {
        this.size = size;
        this.requestChannel = requestChannel;
        this.dispatcher = dispatcher;
        this.threadFactory = threadFactory;
    }

    void start() {
        for (int i = 0; i < size; i++) {
            Thread thread = threadFactory.newThread(this::run);
            thread.setName("strata-request-handler-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    private void run() {
        while (running) {
            Request request;
            try {
                request = requestChannel.poll(300, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (request == null) {
                continue;
            }
            try {
                dispatcher.dispatch(request);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Dispatching " + request + " failed", e);
            }
        }
    }

    /** Lets the threads finish the request in hand and stops them. */
    @Override
    public void close() {
        running = false;
        for (Thread thread : threads) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        threads.clear();
    }
}

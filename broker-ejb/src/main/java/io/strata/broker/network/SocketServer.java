package io.strata.broker.network;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;
import io.strata.broker.security.ListenerAuthentication;
import org.apache.kafka.common.memory.MemoryPool;
import org.apache.kafka.common.memory.SimpleMemoryPool;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ChannelBuilder;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The broker's listeners: for each one an {@link Acceptor} and {@code num.network.threads} {@link Processor}s, which
 * feed the shared {@link RequestChannel}. Requests are read into a memory pool of {@code queued.max.request.bytes}:
 * when it is used up, network threads stop reading until request threads give memory back. A SASL listener's
 * connections authenticate before their first request reaches the request channel ({@link ListenerAuthentication}).
 *
 * <p>Thread-safe: start and stop from one thread; the rest runs on its own threads.
 */
public final class SocketServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SocketServer.class.getName());

    private final BrokerConfig config;
    private final RequestChannel requestChannel;
    private final ThreadFactory threadFactory;
    private final Metrics metrics;
    private final Function<Short, ApiVersionsResponse> apiVersions;
    private final MemoryPool pool;
    private final ConnectionQuota quota;
    private final List<Acceptor> acceptors = new ArrayList<>();
    private final List<Processor> processors = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, Endpoint> boundEndpoints = new LinkedHashMap<>();

    /**
     * @param apiVersions the broker's ApiVersions answer at a request version, which a SASL listener gives before the
     *                    client has authenticated (afterwards ApiVersions goes through the request channel as any
     *                    request)
     */
    public SocketServer(BrokerConfig config, RequestChannel requestChannel, ThreadFactory threadFactory,
                        Metrics metrics, Function<Short, ApiVersionsResponse> apiVersions) {
        this.config = config;
        this.requestChannel = requestChannel;
        this.threadFactory = threadFactory;
        this.metrics = metrics;
        this.apiVersions = apiVersions;
        this.pool = new SimpleMemoryPool(Math.max(config.queuedMaxRequestBytes, config.socketRequestMaxBytes),
                config.socketRequestMaxBytes, false, null);
        this.quota = new ConnectionQuota(config.maxConnections);
    }

    /**
     * Binds every listener and starts the network threads.
     *
     * @throws UncheckedIOException naming the listener if its address cannot be bound (port taken, bad host)
     * @throws org.apache.kafka.common.config.ConfigException if a SASL listener's mechanisms or users are unusable
     */
    public void start() {
        for (Endpoint endpoint : config.listeners) {
            ListenerName listenerName = new ListenerName(endpoint.listenerName());
            List<Processor> listenerProcessors = new ArrayList<>();
            for (int i = 0; i < config.numNetworkThreads; i++) {
                int id = processors.size();
                ChannelBuilder channelBuilder;
                try {
                    channelBuilder = ListenerAuthentication.channelBuilder(config, endpoint, apiVersions);
                } catch (RuntimeException e) {
                    close();
                    throw e;
                }
                Selector selector = new Selector(config.socketRequestMaxBytes, config.connectionsMaxIdleMs,
                        config.connectionFailedAuthenticationDelayMs, metrics, Time.SYSTEM, "socket-server",
                        Map.of("listener", endpoint.listenerName(), "network-thread", String.valueOf(id)), false,
                        false, channelBuilder, pool,
                        new LogContext("[network thread " + id + "] "));
                Processor processor = new Processor(id, selector, requestChannel, pool, listenerName,
                        endpoint.protocol(), quota);
                listenerProcessors.add(processor);
                processors.add(processor);
            }
            Acceptor acceptor;
            try {
                acceptor = new Acceptor(endpoint, listenerProcessors, quota, config.socketSendBufferBytes,
                        config.socketReceiveBufferBytes);
            } catch (BindException e) {
                close();
                throw new UncheckedIOException("Cannot listen on " + endpoint + ": " + e.getMessage()
                        + " (is another broker running? set listeners to a free port)", e);
            } catch (IOException e) {
                close();
                throw new UncheckedIOException("Cannot listen on " + endpoint + ": " + e, e);
            }
            acceptors.add(acceptor);
            boundEndpoints.put(endpoint.listenerName(), endpoint.withPort(acceptor.boundPort()));
            for (Processor processor : listenerProcessors) {
                start(processor, "strata-network-" + endpoint.listenerName().toLowerCase() + "-" + threads.size());
            }
            start(acceptor, "strata-acceptor-" + endpoint.listenerName().toLowerCase());
            LOG.log(Level.INFO, "Listening on {0} ({1})", boundEndpoints.get(endpoint.listenerName()),
                    endpoint.protocol());
        }
    }

    private void start(Runnable runnable, String name) {
        Thread thread = threadFactory.newThread(runnable);
        thread.setName(name);
        threads.add(thread);
        thread.start();
    }

    /** The listeners as bound: with the real port where port 0 was configured. */
    public List<Endpoint> boundEndpoints() {
        return List.copyOf(boundEndpoints.values());
    }

    public int boundPort(String listenerName) {
        Endpoint endpoint = boundEndpoints.get(listenerName);
        if (endpoint == null) {
            throw new IllegalArgumentException("no listener named " + listenerName);
        }
        return endpoint.port();
    }

    public int openConnections() {
        return quota.open();
    }

    /** Stops accepting, closes every connection and stops the network threads. */
    @Override
    public void close() {
        for (Acceptor acceptor : acceptors) {
            try {
                acceptor.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Closing an acceptor failed", e);
            }
        }
        for (Processor processor : processors) {
            processor.shutdown();
        }
        for (Thread thread : threads) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        acceptors.clear();
        processors.clear();
        threads.clear();
    }
}

package io.strata.broker.network;

import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.memory.MemoryPool;
import org.apache.kafka.common.network.KafkaChannel;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.NetworkReceive;
import org.apache.kafka.common.network.NetworkSend;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A network thread: owns a share of the connections and moves bytes between their sockets and the request channel,
 * with kafka-clients' NIO {@link Selector} (size-prefixed frames, {@code socket.request.max.bytes} checked before any
 * allocation, memory from a bounded pool, zero-copy sends of file regions).
 *
 * <p>On a SASL listener the selector's channel authenticates a connection before any of its requests is read here
 * (kafka-clients' {@code SaslServerAuthenticator}); every request's context then carries the principal the
 * connection authenticated as ({@code User:<name>}, or {@code User:ANONYMOUS} on a PLAINTEXT listener), kept by its
 * channel for as long as the connection lives.
 *
 * <p>Requests on a connection are answered in order: after a request is read the connection is muted, and unmuted
 * only once its response has been written (or none is due), so a connection has at most one request in flight.
 *
 * <p>Thread-safety: the loop and the selector belong to this thread; other threads only hand it new connections
 * and responses through concurrent queues, then wake it.
 */
final class Processor implements Runnable, ResponseRoute {

    private static final System.Logger LOG = System.getLogger(Processor.class.getName());
    private static final int NEW_CONNECTIONS_PER_LOOP = 32;

    /** What a request thread asks the network thread to do for a connection. */
    record Action(Kind kind, Request request, Send send, List<AutoCloseable> resources) {
        enum Kind { SEND, NO_RESPONSE, CLOSE }

        static Action send(Request request, Send send, List<AutoCloseable> resources) {
            return new Action(Kind.SEND, request, send, resources);
        }

        static Action noResponse(Request request) {
            return new Action(Kind.NO_RESPONSE, request, null, List.of());
        }

        static Action close(Request request) {
            return new Action(Kind.CLOSE, request, null, List.of());
        }

        String connectionId() {
            return request.context().connectionId;
        }
    }

    private final int id;
    private final Selector selector;
    private final RequestChannel requestChannel;
    private final MemoryPool pool;
    private final ListenerName listenerName;
    private final SecurityProtocol securityProtocol;
    private final ConnectionQuota quota;
    private final ConcurrentLinkedQueue<SocketChannel> newConnections = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Action> actions = new ConcurrentLinkedQueue<>();
    private final Map<String, Action> sending = new HashMap<>();
    private volatile boolean running = true;
    private long connectionIndex;

    Processor(int id, Selector selector, RequestChannel requestChannel, MemoryPool pool, ListenerName listenerName,
              SecurityProtocol securityProtocol, ConnectionQuota quota) {
        this.id = id;
        this.selector = selector;
        this.requestChannel = requestChannel;
        this.pool = pool;
        this.listenerName = listenerName;
        this.securityProtocol = securityProtocol;
        this.quota = quota;
    }

    /** Hands an accepted connection to this thread. */
    void accept(SocketChannel channel) {
        newConnections.add(channel);
        selector.wakeup();
    }

    @Override
    public void enqueue(Action action) {
        actions.add(action);
        selector.wakeup();
    }

    void shutdown() {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run() {
        try {
            while (running) {
                try {
                    configureNewConnections();
                    processActions();
                    selector.poll(300);
                    processCompletedReceives();
                    processCompletedSends();
                    processDisconnected();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.ERROR, "Network thread " + id + " hit an unexpected error; it goes on", e);
                }
            }
        } finally {
            closeAll();
        }
    }

    private void configureNewConnections() {
        for (int i = 0; i < NEW_CONNECTIONS_PER_LOOP; i++) {
            SocketChannel channel = newConnections.poll();
            if (channel == null) {
                return;
            }
            Socket socket = channel.socket();
            String connectionId = socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort() + "-"
                    + socket.getInetAddress().getHostAddress() + ":" + socket.getPort() + "-" + id + "-"
                    + connectionIndex++;
            try {
                selector.register(connectionId, channel);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Could not register connection {0}: {1}", connectionId, e.getMessage());
                closeQuietly(channel);
                quota.release();
            }
        }
    }

    private void processActions() {
        Action action;
        while ((action = actions.poll()) != null) {
            String connectionId = action.connectionId();
            boolean open = selector.channel(connectionId) != null;
            switch (action.kind()) {
                case SEND -> {
                    if (open) {
                        selector.send(new NetworkSend(connectionId, action.send()));
                        sending.put(connectionId, action);
                    } else {
                        closeResources(action);
                    }
                }
                case NO_RESPONSE -> {
                    if (open) {
                        selector.unmute(connectionId);
                    }
                }
                case CLOSE -> {
                    if (open) {
                        selector.close(connectionId);
                        quota.release();
                        requestChannel.connectionClosed(connectionId);
                    }
                }
            }
        }
    }

    private void processCompletedReceives() throws InterruptedException {
        for (NetworkReceive receive : selector.completedReceives()) {
            String connectionId = receive.source();
            KafkaChannel channel = selector.channel(connectionId);
            if (channel == null) {
                // Closed by the client with requests still unread, such as an acks=0 producer that went away.
                channel = selector.closingChannel(connectionId);
            }
            ByteBuffer payload = receive.payload();
            if (channel == null) {
                pool.release(payload);
                continue;
            }
            RequestHeader header;
            try {
                header = RequestHeader.parse(payload);
            } catch (InvalidRequestException e) {
                LOG.log(Level.WARNING, "Closing connection {0}: its request cannot be parsed ({1})", connectionId,
                        e.getMessage());
                pool.release(payload);
                selector.close(connectionId);
                quota.release();
                requestChannel.connectionClosed(connectionId);
                continue;
            }
            RequestContext context = new RequestContext(header, connectionId, channel.socketAddress(),
                    Optional.of(channel.socketPort()), channel.principal(), listenerName, securityProtocol,
                    channel.channelMetadataRegistry().clientInformation(), false);
            selector.mute(connectionId);
            requestChannel.put(new Request(context, payload, pool, payload, this, System.nanoTime()));
        }
        selector.clearCompletedReceives();
    }

    private void processCompletedSends() {
        for (NetworkSend send : selector.completedSends()) {
            Action action = sending.remove(send.destinationId());
            if (action != null) {
                closeResources(action);
            }
            if (selector.channel(send.destinationId()) != null) {
                selector.unmute(send.destinationId());
            }
        }
        selector.clearCompletedSends();
    }

    private void processDisconnected() {
        for (String connectionId : selector.disconnected().keySet()) {
            Action action = sending.remove(connectionId);
            if (action != null) {
                closeResources(action);
            }
            quota.release();
            requestChannel.connectionClosed(connectionId);
        }
    }

    private static void closeResources(Action action) {
        for (AutoCloseable resource : action.resources()) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "Releasing a response resource failed", e);
            }
        }
    }

    private void closeAll() {
        for (Action action : sending.values()) {
            closeResources(action);
        }
        sending.clear();
        Action pending;
        while ((pending = actions.poll()) != null) {
            closeResources(pending);
        }
        SocketChannel waiting;
        while ((waiting = newConnections.poll()) != null) {
            closeQuietly(waiting);
            quota.release();
        }
        selector.close();
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing a socket failed", e);
        }
    }
}

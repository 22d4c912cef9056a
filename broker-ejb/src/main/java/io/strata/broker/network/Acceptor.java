package io.strata.broker.network;

import io.strata.broker.config.Endpoint;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.List;

/**
 * Accepts connections on one listener and deals them to the network threads in turn, refusing those beyond
 * {@code max.connections}.
 *
 * <p>Its own thread runs the accept loop; {@link #close()} may be called from any thread.
 */
final class Acceptor implements Runnable, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Acceptor.class.getName());

    private final Endpoint endpoint;
    private final ServerSocketChannel serverChannel;
    private final Selector nioSelector;
    private final List<Processor> processors;
    private final ConnectionQuota quota;
    private final int sendBufferBytes;
    private final int receiveBufferBytes;
    private volatile boolean running = true;
    private int next;

    Acceptor(Endpoint endpoint, List<Processor> processors, ConnectionQuota quota, int sendBufferBytes,
             int receiveBufferBytes) throws IOException {
        this.endpoint = endpoint;
        this.processors = processors;
        this.quota = quota;
        this.sendBufferBytes = sendBufferBytes;
        this.receiveBufferBytes = receiveBufferBytes;
        this.serverChannel = ServerSocketChannel.open();
        try {
            serverChannel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (receiveBufferBytes > 0) {
                serverChannel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferBytes);
            }
            serverChannel.bind(new InetSocketAddress(endpoint.host(), endpoint.port()));
            serverChannel.configureBlocking(false);
            this.nioSelector = Selector.open();
            serverChannel.register(nioSelector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            serverChannel.close();
            throw e;
        }
    }

    /** The port actually bound, which differs from the configured one when that was 0. */
    int boundPort() {
        return serverChannel.socket().getLocalPort();
    }

    @Override
    public void run() {
        while (running) {
            try {
                nioSelector.select(500);
                Iterator<SelectionKey> keys = nioSelector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    if (key.isValid() && key.isAcceptable()) {
                        acceptOne();
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.log(Level.ERROR, "Accepting connections on " + endpoint + " failed; going on", e);
                }
            }
        }
    }

    private void acceptOne() throws IOException {
        SocketChannel channel = serverChannel.accept();
        if (channel == null) {
            return;
        }
        if (!quota.tryAcquire()) {
            LOG.log(Level.WARNING, "Refusing a connection from {0}: max.connections ({1}) are open",
                    channel.getRemoteAddress(), quota.open());
            channel.close();
            return;
        }
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            if (sendBufferBytes > 0) {
                channel.setOption(StandardSocketOptions.SO_SNDBUF, sendBufferBytes);
            }
            if (receiveBufferBytes > 0) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferBytes);
            }
        } catch (IOException e) {
            channel.close();
            quota.release();
            throw e;
        }
        processors.get(next).accept(channel);
        next = (next + 1) % processors.size();
    }

    @Override
    public void close() throws IOException {
        running = false;
        nioSelector.wakeup();
        serverChannel.close();
        nioSelector.close();
    }
}

package io.strata.broker.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;

/**
 * The network between brokers on one machine, made of TCP proxies that can cut and heal the link between any two of
 * them. Broker {@code n} has its own loopback address, {@code 127.0.0.(10+n)}, binds its sockets to it and connects to
 * the others from it (Strata's {@code cluster.host}), and advertises a proxy in front of each of its ports
 * ({@link #expose}); the proxy knows who connects by the source address, so it can drop the traffic of one link while
 * the others flow. Anything connecting from another address (a test's clients, from 127.0.0.1) is never cut.
 *
 * <p>A cut link behaves as a network that drops packets, not as one that refuses connections: bytes already in
 * flight on it are discarded, new connections over it are accepted and then hear nothing, so each side learns only by
 * its own timeouts. When the link heals, the connections that were black-holed are closed (their streams lost bytes
 * and cannot continue), and new ones flow again.
 *
 * <p>Thread-safe.
 */
public final class PartitionableNetwork implements AutoCloseable {

    /** Broker 0 stands for anything that is not a broker: the test's clients. */
    private static final int CLIENT = 0;

    private final Set<Long> cutLinks = ConcurrentHashMap.newKeySet();
    private final List<Proxy> proxies = new CopyOnWriteArrayList<>();

    /** The loopback address of broker {@code id}. */
    public static String host(int brokerId) {
        if (brokerId < 1 || brokerId > 200) {
            throw new IllegalArgumentException("broker ids 1 to 200 have an address here, not " + brokerId);
        }
        return "127.0.0." + (10 + brokerId);
    }

    /** A free port on broker {@code id}'s address. */
    public static int freePort(int brokerId) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host(brokerId), 0));
            return probe.getLocalPort();
        }
    }

    /**
     * Starts a proxy on broker {@code id}'s address in front of the port {@code target} gives when a connection
     * comes (a broker's listener port is known only once it started); returns the proxy's port.
     */
    public int expose(int brokerId, IntSupplier target) throws IOException {
        Proxy proxy = new Proxy(brokerId, target);
        proxies.add(proxy);
        return proxy.server.getLocalPort();
    }

    /** Cuts the link between two brokers, both ways. */
    public void cut(int a, int b) {
        cutLinks.add(link(a, b));
        for (Proxy proxy : proxies) {
            proxy.blackHole();
        }
    }

    /** Cuts every link between {@code brokerId} and the {@code others}. */
    public void isolate(int brokerId, int... others) {
        for (int other : others) {
            if (other != brokerId) {
                cut(brokerId, other);
            }
        }
    }

    /** Heals every cut link; the connections that went through one while it was cut are closed. */
    public void healAll() {
        cutLinks.clear();
        for (Proxy proxy : proxies) {
            proxy.closeBlackHoled();
        }
    }

    public boolean isCut(int a, int b) {
        return a != CLIENT && b != CLIENT && cutLinks.contains(link(a, b));
    }

    private static long link(int a, int b) {
        return ((long) Math.min(a, b) << 32) | Math.max(a, b);
    }

    /** The broker a connection comes from, by its source address; {@link #CLIENT} for any other. */
    private static int brokerAt(InetAddress source) {
        byte[] bytes = source.getAddress();
        if (bytes.length == 4 && bytes[0] == 127 && bytes[1] == 0 && bytes[2] == 0 && (bytes[3] & 0xff) > 10
                && (bytes[3] & 0xff) <= 210) {
            return (bytes[3] & 0xff) - 10;
        }
        return CLIENT;
    }

    @Override
    public void close() {
        for (Proxy proxy : proxies) {
            proxy.close();
        }
    }

    /** One connection through a proxy, from {@code from} to the proxied broker. */
    private final class Connection {
        final int from;
        final Socket client;
        volatile Socket upstream;
        volatile boolean blackHoled;

        Connection(int from, Socket client) {
            this.from = from;
            this.client = client;
        }

        void close() {
            closeQuietly(client);
            Socket up = upstream;
            if (up != null) {
                closeQuietly(up);
            }
        }
    }

    /** A proxy in front of one port of one broker. */
    private final class Proxy {
        final int brokerId;
        final IntSupplier target;
        final ServerSocket server;
        final List<Connection> connections = new CopyOnWriteArrayList<>();
        volatile boolean running = true;

        Proxy(int brokerId, IntSupplier target) throws IOException {
            this.brokerId = brokerId;
            this.target = target;
            this.server = new ServerSocket();
            server.bind(new InetSocketAddress(host(brokerId), 0));
            daemon(this::accept, "network-proxy-" + brokerId + "-" + server.getLocalPort());
        }

        private void accept() {
            while (running) {
                try {
                    Socket client = server.accept();
                    Connection connection = new Connection(brokerAt(client.getInetAddress()), client);
                    connections.add(connection);
                    if (isCut(connection.from, brokerId)) {
                        // Accepted, and then nothing: as a connection whose packets are dropped.
                        connection.blackHoled = true;
                        daemon(() -> pump(connection, client, null), "network-drop");
                        continue;
                    }
                    Socket upstream = new Socket();
                    try {
                        upstream.connect(new InetSocketAddress(host(brokerId), target.getAsInt()), 5000);
                    } catch (IOException e) {
                        // The broker is down: refused, as it would be without the proxy.
                        connection.close();
                        connections.remove(connection);
                        continue;
                    }
                    connection.upstream = upstream;
                    daemon(() -> pump(connection, client, upstream), "network-up");
                    daemon(() -> pump(connection, upstream, client), "network-down");
                } catch (IOException e) {
                    if (!running) {
                        return;
                    }
                }
            }
        }

        /** Copies bytes from one socket to the other while the link is up, and drops them while it is cut. */
        private void pump(Connection connection, Socket from, Socket to) {
            byte[] buffer = new byte[64 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to == null ? null : to.getOutputStream();
                while (true) {
                    int read = in.read(buffer);
                    if (read < 0) {
                        break;
                    }
                    if (connection.blackHoled || out == null) {
                        continue;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                // Closed by either side, or by a heal.
            } finally {
                if (!connection.blackHoled) {
                    connection.close();
                    connections.remove(connection);
                }
            }
        }

        /** Marks the connections over links cut now as black holes. */
        void blackHole() {
            for (Connection connection : connections) {
                if (isCut(connection.from, brokerId)) {
                    connection.blackHoled = true;
                }
            }
        }

        void closeBlackHoled() {
            List<Connection> closed = new ArrayList<>();
            for (Connection connection : connections) {
                if (connection.blackHoled) {
                    closed.add(connection);
                }
            }
            connections.removeAll(closed);
            closed.forEach(Connection::close);
        }

        void close() {
            running = false;
            closeQuietly(server);
            connections.forEach(Connection::close);
        }
    }

    private static void daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // Already closed.
        }
    }
}

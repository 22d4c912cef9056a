package io.strata.broker.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy between clients and a broker that can cut every connection at once, as a flaky network does: requests
 * already on their way are processed by the broker, their responses lost, and clients retry.
 */
final class ChaosProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int brokerPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private volatile int cuts;

    ChaosProxy(int brokerPort) throws IOException {
        this.brokerPort = brokerPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread acceptor = new Thread(this::accept, "chaos-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int cuts() {
        return cuts;
    }

    private void accept() {
        while (running) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket("127.0.0.1", brokerPort);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, read);
                }
            } catch (IOException e) {
                // The connection was cut.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "chaos-pump");
        thread.setDaemon(true);
        thread.start();
    }

    /** Closes every open connection, in both directions. */
    void cutAll() {
        cuts++;
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        sockets.clear();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        server.close();
        cutAll();
    }
}

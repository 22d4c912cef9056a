package io.strata.broker.it;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy between clients and a broker that behaves as a flaky network does. It reads the Kafka frames passing
 * through it, so it can lose exactly the answers that matter: after {@link #loseProduceResponses(int)} the next
 * Produce responses are swallowed and their connections cut, so the broker has written those batches while the
 * producer never learns it and must send them again.
 */
public final class ChaosProxy implements AutoCloseable {

    private static final short PRODUCE = 0;
    private static final int MAX_FRAME = 100 * 1024 * 1024;

    private final ServerSocket server;
    private final int brokerPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger produceResponsesToLose = new AtomicInteger();
    private final AtomicInteger lostProduceResponses = new AtomicInteger();
    private volatile boolean running = true;

    public ChaosProxy(int brokerPort) throws IOException {
        this.brokerPort = brokerPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread acceptor = new Thread(this::accept, "chaos-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** How many Produce responses were swallowed so far. */
    public int lostProduceResponses() {
        return lostProduceResponses.get();
    }

    /** Swallows the next {@code count} Produce responses, cutting the connection each one was on. */
    public void loseProduceResponses(int count) {
        produceResponsesToLose.addAndGet(count);
    }

    private void accept() {
        while (running) {
            try {
                Socket client = server.accept();
                Socket upstream;
                try {
                    upstream = new Socket("127.0.0.1", brokerPort);
                } catch (IOException brokerDown) {
                    // Refused, as the broker itself would while it restarts: the client sees its connection close
                    // and connects again, instead of waiting out its request timeout on a socket nothing serves.
                    closeQuietly(client);
                    continue;
                }
                sockets.add(client);
                sockets.add(upstream);
                Set<Integer> produceCorrelations = ConcurrentHashMap.newKeySet();
                start(() -> requests(client, upstream, produceCorrelations));
                start(() -> responses(upstream, client, produceCorrelations));
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    /** Client to broker: notes the correlation id of every Produce request, then passes the frame on. */
    private void requests(Socket from, Socket to, Set<Integer> produceCorrelations) {
        try (DataInputStream in = new DataInputStream(from.getInputStream());
             OutputStream out = new DataOutputStream(to.getOutputStream())) {
            while (true) {
                byte[] frame = readFrame(in);
                ByteBuffer header = ByteBuffer.wrap(frame, 4, frame.length - 4);
                short apiKey = header.getShort();
                header.getShort();
                int correlationId = header.getInt();
                if (apiKey == PRODUCE) {
                    produceCorrelations.add(correlationId);
                }
                out.write(frame);
                out.flush();
            }
        } catch (IOException e) {
            // Closed by either side, or cut.
        } finally {
            cut(from, to);
        }
    }

    /** Broker to client: passes each response on, unless it answers a Produce request that is to be lost. */
    private void responses(Socket from, Socket to, Set<Integer> produceCorrelations) {
        try (DataInputStream in = new DataInputStream(from.getInputStream());
             OutputStream out = to.getOutputStream()) {
            while (true) {
                byte[] frame = readFrame(in);
                int correlationId = ByteBuffer.wrap(frame, 4, 4).getInt();
                if (produceCorrelations.remove(correlationId) && takeOne()) {
                    lostProduceResponses.incrementAndGet();
                    return;
                }
                out.write(frame);
                out.flush();
            }
        } catch (IOException e) {
            // Closed by either side, or cut.
        } finally {
            cut(from, to);
        }
    }

    private boolean takeOne() {
        while (true) {
            int left = produceResponsesToLose.get();
            if (left <= 0) {
                return false;
            }
            if (produceResponsesToLose.compareAndSet(left, left - 1)) {
                return true;
            }
        }
    }

    private static byte[] readFrame(DataInputStream in) throws IOException {
        int size = in.readInt();
        if (size < 4 || size > MAX_FRAME) {
            throw new IOException("bad frame size " + size);
        }
        byte[] frame = new byte[size + 4];
        ByteBuffer.wrap(frame).putInt(size);
        in.readFully(frame, 4, size);
        return frame;
    }

    private static void start(Runnable pump) {
        Thread thread = new Thread(pump, "chaos-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private void cut(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
        sockets.remove(a);
        sockets.remove(b);
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
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }
}

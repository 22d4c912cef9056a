package io.strata.broker.replication;

import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * A blocking connection from one broker to another over the Kafka protocol: one request at a time, as a follower's
 * fetches are. Requests and responses are kafka-clients' own classes; the connection opens on first use and is
 * dropped on any failure, to be opened again by the next request.
 *
 * <p>Used by followers' fetchers and by the transaction coordinator's marker sender.
 *
 * <p>Not thread-safe: one thread owns it.
 */
public final class BrokerChannel implements AutoCloseable {

    private final String clientId;
    private final int timeoutMs;
    private final String localAddress;
    private String host;
    private int port;
    private Socket socket;
    private DataInputStream in;
    private OutputStream out;
    private int correlationId;

    public BrokerChannel(String clientId, int timeoutMs) {
        this(clientId, timeoutMs, "");
    }

    /** A channel whose connections leave from {@code localAddress} (empty: the address the system picks). */
    public BrokerChannel(String clientId, int timeoutMs, String localAddress) {
        this.clientId = clientId;
        this.timeoutMs = timeoutMs;
        this.localAddress = localAddress;
    }

    /** Points the channel at {@code host:port}, closing the connection if it went elsewhere. */
    public void target(String newHost, int newPort) {
        if (!newHost.equals(host) || newPort != port) {
            close();
            host = newHost;
            port = newPort;
        }
    }

    /** Sends {@code request} and waits for its response. */
    public AbstractResponse send(AbstractRequest request) throws IOException {
        try {
            connectIfNeeded();
            RequestHeader header = new RequestHeader(request.apiKey(), request.version(), clientId, ++correlationId);
            ByteBuffer body = request.serializeWithHeader(header);
            byte[] frame = new byte[4 + body.remaining()];
            ByteBuffer.wrap(frame).putInt(body.remaining()).put(body);
            out.write(frame);
            out.flush();
            int size = in.readInt();
            if (size < 0 || size > 512 << 20) {
                throw new IOException("response of " + size + " bytes from " + host + ":" + port);
            }
            byte[] response = new byte[size];
            in.readFully(response);
            return AbstractResponse.parseResponse(ByteBuffer.wrap(response), header);
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    private void connectIfNeeded() throws IOException {
        if (socket != null) {
            return;
        }
        if (host == null) {
            throw new IOException("no broker to connect to");
        }
        Socket fresh = new Socket();
        try {
            fresh.setTcpNoDelay(true);
            fresh.setReceiveBufferSize(1 << 20);
            if (!localAddress.isEmpty()) {
                fresh.bind(new InetSocketAddress(localAddress, 0));
            }
            fresh.connect(new InetSocketAddress(host, port), timeoutMs);
            fresh.setSoTimeout(timeoutMs);
            InputStream input = fresh.getInputStream();
            in = new DataInputStream(new java.io.BufferedInputStream(input, 1 << 16));
            out = fresh.getOutputStream();
            socket = fresh;
        } catch (IOException e) {
            fresh.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Nothing more to release.
            }
            socket = null;
            in = null;
            out = null;
        }
    }
}

package io.strata.broker.it;

import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * One connection to one broker that sends kafka-clients' generated request messages at the newest version the broker
 * implements and parses the answers with kafka-clients: for protocol tests of APIs no client drives on its own yet
 * (ShareGroupHeartbeat before ShareFetch exists). One request at a time; waits at most 15 s for an answer.
 *
 * <p>Thread-safe: requests are serialized.
 */
final class RawRequests implements AutoCloseable {

    private final Socket socket;
    private int correlationId;

    RawRequests(String bootstrapServers) {
        String[] hostPort = bootstrapServers.split(",")[0].split(":");
        try {
            socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
            socket.setSoTimeout(15_000);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + bootstrapServers, e);
        }
    }

    /** Sends {@code body} at the newest version of {@code key} and returns the parsed response. */
    @SuppressWarnings("unchecked")
    synchronized <R extends AbstractResponse> R send(ApiKeys key, ApiMessage body) {
        short version = key.latestVersion();
        int id = ++correlationId;
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setClientId("raw-requests").setCorrelationId(id);
        ByteBuffer payload = RequestUtils.serialize(header, key.requestHeaderVersion(version), body, version);
        try {
            OutputStream out = socket.getOutputStream();
            out.write(ByteBuffer.allocate(4).putInt(payload.remaining()).array());
            out.write(payload.array(), payload.arrayOffset(), payload.remaining());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] response = new byte[in.readInt()];
            in.readFully(response);
            ByteBuffer buffer = ByteBuffer.wrap(response);
            ResponseHeader responseHeader = ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
            if (responseHeader.correlationId() != id) {
                throw new IllegalStateException("answer to correlation id " + responseHeader.correlationId()
                        + ", expected " + id);
            }
            return (R) AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version);
        } catch (IOException e) {
            throw new UncheckedIOException(key + " failed", e);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

package io.strata.broker.network;

import org.apache.kafka.common.memory.MemoryPool;
import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client connection without a socket: it makes {@link Request}s as a network thread would (header parsed off the
 * serialized request, body left undecoded), and receives what the request channel hands back for them. A response is
 * written out through its {@code Send}, as it would be to the socket, and decoded again, so that what a test reads is
 * what a client would read.
 *
 * <p>Thread-safe: handlers answer from request and coordinator threads while the test thread waits.
 */
public final class InProcessConnection implements ResponseRoute {

    /** What the broker did with one request. */
    public sealed interface Outcome permits Answered, NotAnswered, Closed {
    }

    /** A response was sent. */
    public record Answered(AbstractResponse response) implements Outcome {
    }

    /** The connection went on without a response, as for a produce with acks=0. */
    public record NotAnswered() implements Outcome {
    }

    /** The connection was closed, as after a request that could not be decoded. */
    public record Closed() implements Outcome {
    }

    private final String connectionId;
    private final BlockingQueue<Processor.Action> actions = new LinkedBlockingQueue<>();
    private int correlationId;

    public InProcessConnection(String connectionId) {
        this.connectionId = connectionId;
    }

    /** The request a network thread would make of {@code body} sent at {@code version}. */
    public synchronized Request request(AbstractRequest body, short version) {
        RequestHeader header = new RequestHeader(body.apiKey(), version, "handler-test", ++correlationId);
        ByteBuffer frame = body.serializeWithHeader(header);
        RequestHeader parsed = RequestHeader.parse(frame);
        return new Request(context(parsed), frame, MemoryPool.NONE, null, this, System.nanoTime());
    }

    /** A request whose body is {@code body} as it came off the wire, decodable or not. */
    public synchronized Request rawRequest(ApiKeys key, short version, byte[] body) {
        RequestHeader header = new RequestHeader(key, version, "handler-test", ++correlationId);
        return new Request(context(header), ByteBuffer.wrap(body), MemoryPool.NONE, null, this, System.nanoTime());
    }

    private RequestContext context(RequestHeader header) {
        return new RequestContext(header, connectionId, InetAddress.getLoopbackAddress(), Optional.empty(),
                KafkaPrincipal.ANONYMOUS, ListenerName.normalised("PLAINTEXT"), SecurityProtocol.PLAINTEXT,
                ClientInformation.EMPTY, false);
    }

    @Override
    public void enqueue(Processor.Action action) {
        actions.add(action);
    }

    /**
     * What the broker did with the next request answered on this connection, waiting at most {@code timeout}.
     *
     * @throws AssertionError if nothing came back in time
     */
    public Outcome awaitOutcome(Duration timeout) throws InterruptedException {
        Processor.Action action = actions.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (action == null) {
            throw new AssertionError("no answer on " + connectionId + " within " + timeout);
        }
        return switch (action.kind()) {
            case SEND -> new Answered(decode(action));
            case NO_RESPONSE -> new NotAnswered();
            case CLOSE -> new Closed();
        };
    }

    /** Whether anything at all has been handed back and not yet taken. */
    public boolean hasPendingOutcome() {
        return !actions.isEmpty();
    }

    private static AbstractResponse decode(Processor.Action action) {
        CapturingChannel channel = new CapturingChannel();
        try {
            while (!action.send().completed()) {
                action.send().writeTo(channel);
            }
        } catch (IOException e) {
            throw new AssertionError("writing the response of " + action.request() + " failed", e);
        } finally {
            for (AutoCloseable resource : action.resources()) {
                try {
                    resource.close();
                } catch (Exception e) {
                    throw new AssertionError("releasing a response resource failed", e);
                }
            }
        }
        ByteBuffer frame = ByteBuffer.wrap(channel.bytes.toByteArray());
        int size = frame.getInt();
        if (size != frame.remaining()) {
            throw new AssertionError("response frame says " + size + " bytes but has " + frame.remaining());
        }
        RequestHeader requestHeader = action.request().context().header;
        ApiKeys key = requestHeader.apiKey();
        // The version the broker answers in: the request's, except an ApiVersions newer than any known, answered in 0.
        short version = action.request().context().apiVersion();
        ResponseHeader header = ResponseHeader.parse(frame, key.responseHeaderVersion(version));
        if (header.correlationId() != requestHeader.correlationId()) {
            throw new AssertionError("response correlation id " + header.correlationId() + " answers request "
                    + requestHeader.correlationId());
        }
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(frame), version);
    }

    /** Collects what a {@code Send} writes, file regions included. */
    private static final class CapturingChannel implements TransferableChannel {

        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate((int) count);
            while (buffer.hasRemaining()) {
                if (fileChannel.read(buffer, position + buffer.position()) < 0) {
                    break;
                }
            }
            bytes.write(buffer.array(), 0, buffer.position());
            return buffer.position();
        }

        @Override
        public long write(ByteBuffer[] sources, int offset, int length) {
            long written = 0;
            for (int i = offset; i < offset + length; i++) {
                written += write(sources[i]);
            }
            return written;
        }

        @Override
        public long write(ByteBuffer[] sources) {
            return write(sources, 0, sources.length);
        }

        @Override
        public int write(ByteBuffer source) {
            int n = source.remaining();
            byte[] chunk = new byte[n];
            source.get(chunk);
            bytes.write(chunk, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}

package io.strata.broker.transaction;

import io.strata.broker.config.Endpoint;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The marker sender against a stand-in partition leader on a real socket that answers WriteTxnMarkers with the errors
 * a test chooses, per partition and attempt: retried errors are retried, a deleted topic's marker is dropped, a fenced
 * coordinator stops the job, and markers in flight are bounded.
 */
@Timeout(60)
class TransactionMarkerSenderTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);

    /** A broker that answers only WriteTxnMarkers, by {@code answer}, and records the requests. */
    static final class LeaderStandIn implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        final List<WriteTxnMarkersRequestData> requests = new CopyOnWriteArrayList<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        volatile Function<TopicPartition, Errors> answer = tp -> Errors.NONE;
        final Thread thread = new Thread(this::serve, "leader-stand-in");

        LeaderStandIn() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        Endpoint endpoint() {
            return new Endpoint("PLAINTEXT", SecurityProtocol.PLAINTEXT, "127.0.0.1", server.getLocalPort());
        }

        private void serve() {
            while (running.get()) {
                try (Socket socket = server.accept()) {
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    OutputStream out = socket.getOutputStream();
                    while (running.get()) {
                        byte[] frame = new byte[in.readInt()];
                        in.readFully(frame);
                        out.write(answer(ByteBuffer.wrap(frame)));
                        out.flush();
                    }
                } catch (IOException e) {
                    // The sender closed its connection, or the test ended: accept the next one.
                }
            }
        }

        private byte[] answer(ByteBuffer frame) {
            RequestHeader header = RequestHeader.parse(frame);
            WriteTxnMarkersRequest request = (WriteTxnMarkersRequest) AbstractRequest.parseRequest(
                    ApiKeys.WRITE_TXN_MARKERS, header.apiVersion(), new ByteBufferAccessor(frame)).request;
            requests.add(request.data());
            Map<Long, Map<TopicPartition, Errors>> errors = new HashMap<>();
            for (WriteTxnMarkersRequestData.WritableTxnMarker marker : request.data().markers()) {
                Map<TopicPartition, Errors> perPartition = errors.computeIfAbsent(marker.producerId(),
                        id -> new HashMap<>());
                for (WriteTxnMarkersRequestData.WritableTxnMarkerTopic topic : marker.topics()) {
                    for (int partition : topic.partitionIndexes()) {
                        TopicPartition tp = new TopicPartition(topic.name(), partition);
                        perPartition.put(tp, answer.apply(tp));
                    }
                }
            }
            WriteTxnMarkersResponse response = new WriteTxnMarkersResponse(errors);
            short version = header.apiVersion();
            ByteBuffer body = RequestUtils.serialize(new ResponseHeaderData().setCorrelationId(header.correlationId()),
                    ApiKeys.WRITE_TXN_MARKERS.responseHeaderVersion(version), response.data(), version);
            byte[] bytes = new byte[4 + body.remaining()];
            ByteBuffer.wrap(bytes).putInt(body.remaining()).put(body);
            return bytes;
        }

        @Override
        public void close() throws IOException {
            running.set(false);
            server.close();
        }
    }

    private final Map<TopicPartition, Integer> leaders = new ConcurrentHashMap<>();
    private LeaderStandIn leader;
    private TransactionMarkerSender sender;

    private TransactionMarkerSender sender(int markersInFlightMax) throws IOException {
        leader = new LeaderStandIn();
        Endpoint endpoint = leader.endpoint();
        sender = new TransactionMarkerSender(tp -> leaders.getOrDefault(tp, TransactionMarkerSender.TOPIC_GONE),
                id -> id == 2 ? endpoint : null, Executors.defaultThreadFactory(), 5_000, 20, markersInFlightMax);
        return sender;
    }

    @AfterEach
    void close() throws IOException {
        if (sender != null) {
            sender.close();
        }
        if (leader != null) {
            leader.close();
        }
    }

    private static TransactionMarkerJob job(long producerId, TopicPartition... partitions) {
        return new TransactionMarkerJob("tx-" + producerId, producerId, (short) 3, 9, true, Set.of(partitions));
    }

    @Test
    void theMarkersOfAJobGoToTheLeaderInOneRequestAndCompleteTheJob() throws Exception {
        sender(100);
        leaders.put(ORDERS_0, 2);
        leaders.put(ORDERS_1, 2);
        TransactionMarkerJob job = job(11, ORDERS_0, ORDERS_1);
        AtomicInteger done = new AtomicInteger();
        job.onDone(done::incrementAndGet);

        assertThat(sender.send(job)).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 1);
        WriteTxnMarkersRequestData.WritableTxnMarker marker = leader.requests.get(0).markers().get(0);
        assertThat(marker.producerId()).isEqualTo(11);
        assertThat(marker.producerEpoch()).isEqualTo((short) 3);
        assertThat(marker.coordinatorEpoch()).isEqualTo(9);
        assertThat(marker.transactionResult()).as("commit").isTrue();
        assertThat(leader.requests.stream().mapToInt(request -> request.markers().stream()
                .mapToInt(m -> m.topics().stream().mapToInt(t -> t.partitionIndexes().size()).sum()).sum()).sum())
                .isEqualTo(2);
        assertThat(sender.markersInFlight()).isZero();
    }

    @Test
    void aMarkerRefusedWithNotLeaderOrWhileTheLeaderIsUnknownIsSentAgain() throws Exception {
        sender(100);
        leaders.put(ORDERS_0, TransactionMarkerSender.LEADER_UNKNOWN);
        AtomicInteger attempts = new AtomicInteger();
        leader.answer = tp -> attempts.incrementAndGet() < 3 ? Errors.NOT_LEADER_OR_FOLLOWER : Errors.NONE;
        TransactionMarkerJob job = job(12, ORDERS_0);
        AtomicInteger done = new AtomicInteger();
        job.onDone(done::incrementAndGet);

        sender.send(job);
        // Several retry rounds with no leader: nothing can be sent.
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> leader.requests.isEmpty());
        leaders.put(ORDERS_0, 2);

        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 1);
        assertThat(attempts.get()).isEqualTo(3);
    }

    @Test
    void aBrokerWhoseEndpointCannotBeToldYetIsTriedAgain() throws Exception {
        leader = new LeaderStandIn();
        Endpoint endpoint = leader.endpoint();
        AtomicInteger lookups = new AtomicInteger();
        // As a starting broker's membership does before its listener is bound: it throws rather than answer.
        sender = new TransactionMarkerSender(tp -> 2, id -> {
            if (lookups.incrementAndGet() < 4) {
                throw new IllegalArgumentException("no listener named PLAINTEXT");
            }
            return endpoint;
        }, Executors.defaultThreadFactory(), 5_000, 20, 100);
        TransactionMarkerJob job = job(17, ORDERS_0);
        AtomicInteger done = new AtomicInteger();
        job.onDone(done::incrementAndGet);

        assertThat(sender.send(job)).isTrue();

        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 1);
        assertThat(lookups.get()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void theMarkerOfADeletedTopicIsDroppedWithoutARequest() throws Exception {
        sender(100);
        TransactionMarkerJob job = job(13, ORDERS_0);
        AtomicInteger done = new AtomicInteger();
        job.onDone(done::incrementAndGet);

        sender.send(job);

        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 1);
        assertThat(leader.requests).isEmpty();
    }

    @Test
    void aFencedCoordinatorStopsTheJobWithoutCompletingIt() throws Exception {
        sender(100);
        leaders.put(ORDERS_0, 2);
        leader.answer = tp -> Errors.TRANSACTION_COORDINATOR_FENCED;
        TransactionMarkerJob job = job(14, ORDERS_0);
        AtomicInteger done = new AtomicInteger();
        job.onDone(done::incrementAndGet);

        sender.send(job);

        await().atMost(Duration.ofSeconds(10)).until(job::isCancelled);
        await().atMost(Duration.ofSeconds(10)).until(() -> sender.markersInFlight() == 0);
        assertThat(done.get()).isZero();
        assertThat(leader.requests).hasSize(1);
    }

    @Test
    void aJobBeyondTheBoundOnMarkersInFlightIsRefused() throws Exception {
        sender(2);
        leaders.put(ORDERS_0, TransactionMarkerSender.LEADER_UNKNOWN);
        leaders.put(ORDERS_1, TransactionMarkerSender.LEADER_UNKNOWN);

        assertThat(sender.send(job(15, ORDERS_0, ORDERS_1))).isTrue();
        assertThat(sender.send(job(16, ORDERS_0))).as("two markers are in flight already").isFalse();
        assertThat(sender.markersInFlight()).isEqualTo(2);
    }
}

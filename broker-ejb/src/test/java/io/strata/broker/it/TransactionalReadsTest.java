package io.strata.broker.it;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transactions written by hand, as a transaction coordinator and a transactional producer would write them:
 * transactional batches through Produce, then COMMIT and ABORT markers through WriteTxnMarkers, over a raw
 * connection; read by real {@link KafkaConsumer}s at both isolation levels, before and after a broker restart.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransactionalReadsTest {

    private static final String TOPIC = "ledger";
    private static final TopicPartition LEDGER_0 = new TopicPartition(TOPIC, 0);
    private static final long COMMITTED = 1001L;
    private static final long ABORTED = 1002L;
    private static final long OPEN = 1003L;
    private static final short EPOCH = 0;
    private static final int COORDINATOR_EPOCH = 1;

    @TempDir
    Path dir;

    @Test
    void readCommittedSeesOnlyCommittedRecordsAndStopsAtAnOpenTransactionAcrossARestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of())) {
            broker.createTopic(TOPIC, 1, Map.of());
            try (RawClient client = new RawClient(broker)) {
                client.produceTransactional(COMMITTED, "c1", "c2");        // 0, 1
                client.produceTransactional(ABORTED, "a1", "a2");          // 2, 3
                client.marker(COMMITTED, true);                            // 4
                client.marker(ABORTED, false);                             // 5
                client.produceTransactional(OPEN, "open1");                // 6
                client.producePlain("after-open");                         // 7
            }

            assertThat(readCommitted(broker, 6)).containsExactly("c1", "c2");
            assertThat(readUncommitted(broker, 8))
                    .containsExactly("c1", "c2", "a1", "a2", "open1", "after-open");

            broker.restart();

            assertThat(readCommitted(broker, 6)).as("after the restart").containsExactly("c1", "c2");
            try (RawClient client = new RawClient(broker)) {
                client.marker(OPEN, true);                                 // 8
            }
            assertThat(readCommitted(broker, 9)).containsExactly("c1", "c2", "open1", "after-open");
        }
    }

    /** Every record a read_committed consumer reads from the start until its position reaches {@code end}. */
    private static List<String> readCommitted(TestBroker broker, long end) {
        return read(broker, "read_committed", end);
    }

    private static List<String> readUncommitted(TestBroker broker, long end) {
        return read(broker, "read_uncommitted", end);
    }

    private static List<String> read(TestBroker broker, String isolation, long end) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(null,
                Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation))) {
            consumer.assign(List.of(LEDGER_0));
            consumer.seekToBeginning(List.of(LEDGER_0));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    values.add(record.value());
                }
                return consumer.position(LEDGER_0) >= end;
            });
            // Nothing past the end shows up: a read_committed consumer stops at the last stable offset.
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                values.add(record.value());
            }
            assertThat(consumer.position(LEDGER_0)).isEqualTo(end);
        }
        return values;
    }

    /** One connection to the broker, for requests a client library would not send as they are sent here. */
    private static final class RawClient implements AutoCloseable {
        private final Socket socket;
        private int correlationId;

        RawClient(TestBroker broker) throws IOException {
            socket = new Socket("127.0.0.1", Integer.parseInt(broker.bootstrapServers().split(":")[1]));
            socket.setSoTimeout(30_000);
        }

        void produceTransactional(long producerId, String... values) throws IOException {
            SimpleRecord[] records = Stream.of(values).map(v -> new SimpleRecord(v.getBytes(StandardCharsets.UTF_8)))
                    .toArray(SimpleRecord[]::new);
            produce(MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, EPOCH, 0, records),
                    "txn-" + producerId);
        }

        void producePlain(String value) throws IOException {
            produce(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes(StandardCharsets.UTF_8))),
                    null);
        }

        private void produce(MemoryRecords records, String transactionalId) throws IOException {
            ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000)
                    .setTransactionalId(transactionalId);
            data.topicData().add(new ProduceRequestData.TopicProduceData().setName(TOPIC).setPartitionData(List.of(
                    new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
            short version = 11;
            ProduceResponse response = (ProduceResponse) send(new ProduceRequest(data, version));
            short error = response.data().responses().iterator().next().partitionResponses().get(0).errorCode();
            assertThat(Errors.forCode(error)).isEqualTo(Errors.NONE);
        }

        void marker(long producerId, boolean commit) throws IOException {
            WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData().setMarkers(List.of(
                    new WritableTxnMarker().setProducerId(producerId).setProducerEpoch(EPOCH)
                            .setCoordinatorEpoch(COORDINATOR_EPOCH).setTransactionResult(commit)
                            .setTopics(List.of(new WritableTxnMarkerTopic().setName(TOPIC)
                                    .setPartitionIndexes(List.of(0))))));
            WriteTxnMarkersResponse response = (WriteTxnMarkersResponse) send(
                    new WriteTxnMarkersRequest.Builder(data).build((short) 1));
            short error = response.data().markers().get(0).topics().get(0).partitions().get(0).errorCode();
            assertThat(Errors.forCode(error)).isEqualTo(Errors.NONE);
        }

        private AbstractResponse send(AbstractRequest request) throws IOException {
            int id = ++correlationId;
            ByteBuffer payload = request.serializeWithHeader(new RequestHeader(request.apiKey(), request.version(),
                    "transactions-test", id));
            OutputStream out = socket.getOutputStream();
            byte[] frame = ByteBuffer.allocate(4 + payload.remaining()).putInt(payload.remaining()).put(payload)
                    .array();
            out.write(frame);
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            ByteBuffer buffer = ByteBuffer.wrap(body);
            ApiKeys key = request.apiKey();
            ResponseHeader header = ResponseHeader.parse(buffer, key.responseHeaderVersion(request.version()));
            assertThat(header.correlationId()).isEqualTo(id);
            return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), request.version());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

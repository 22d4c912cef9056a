package io.strata.broker.api;

import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Produce answers for partitions whose storage failed, against a real broker and a real client. */
@Timeout(120)
class ProduceHandlerTest {

    @TempDir
    Path dir;
    TestBroker broker;

    @BeforeEach
    void startBroker() {
        // Two log directories: with one offline the broker keeps serving (with all of them offline it stops, as
        // Kafka's does), so that the answers for the failed one can be read.
        broker = TestBroker.start(dir, Map.of("log.dirs", dir.resolve("a") + "," + dir.resolve("b")));
        broker.createTopic("disk", 1, Map.of());
    }

    @AfterEach
    void stopBroker() {
        // Not close(): the broker rightly logs the directory failure as an error, which close() would reject.
        broker.stop();
    }

    @Test
    void aPartitionWhoseLogDirectoryWentOfflineIsAnsweredWithKafkaStorageError() throws Exception {
        TopicPartition tp = new TopicPartition("disk", 0);
        Map<String, Object> noRetries = Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.RETRIES_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "1");
        try (KafkaProducer<String, String> producer = broker.producer(noRetries)) {
            assertThat(producer.send(new ProducerRecord<>("disk", "k", "before")).get().offset()).isZero();

            // What the log does on an fsync or write error, here without a failing disk.
            broker.server().replicaManager().partition(tp).log().health()
                    .fail("Flushing " + tp, new IOException("Input/output error (injected)"));

            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("disk", "k", "after")).get())
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(KafkaStorageException.class);
        }
        assertThat(broker.severeLogs()).anyMatch(line -> line.contains("offline"));
    }

    @Test
    void aRetryOfABatchWrittenBeforeTheDirectoryWentOfflineIsNotAnsweredFromMemory() throws Exception {
        TopicPartition tp = new TopicPartition("disk", 0);
        assertThat(produce(idempotentBatch())).isEqualTo(Errors.NONE);

        broker.server().replicaManager().partition(tp).log().health()
                .fail("Flushing " + tp, new IOException("Input/output error (injected)"));

        // The producer state still knows the batch, but the disk that held it failed: no success is claimed.
        assertThat(produce(idempotentBatch())).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
    }

    /** The same first batch of producer 9999 each time, as its retries send it. */
    private static MemoryRecords idempotentBatch() {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, 9_999L, (short) 0, 0,
                new SimpleRecord(1_700_000_000_000L, "k".getBytes(), "once".getBytes()));
    }

    /** Sends one produce request (v9, acks=1) for partition 0 of "disk" and returns its error. */
    private Errors produce(MemoryRecords records) throws IOException {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName("disk").setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        short version = 9;
        ProduceRequest request = new ProduceRequest(data, version);
        ByteBuffer payload = request.serializeWithHeader(new RequestHeader(ApiKeys.PRODUCE, version, "test", 1));
        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(broker.bootstrapServers().split(":")[1]))) {
            socket.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(payload.remaining());
            out.write(payload.array(), payload.arrayOffset() + payload.position(), payload.remaining());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            ByteBuffer buffer = ByteBuffer.wrap(body);
            ResponseHeader.parse(buffer, ApiKeys.PRODUCE.responseHeaderVersion(version));
            ProduceResponse response = (ProduceResponse) AbstractResponse.parseResponse(ApiKeys.PRODUCE,
                    new ByteBufferAccessor(buffer), version);
            return Errors.forCode(response.data().responses().iterator().next().partitionResponses().get(0)
                    .errorCode());
        }
    }
}

package io.strata.broker.it;

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

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes transactions by hand over one connection to a partition's leader, as a transactional producer (its
 * transactional batches, with acks=all) and a transaction coordinator (its COMMIT and ABORT markers through
 * WriteTxnMarkers) would: for tests of the log's side of transactions without the coordinator, on brokers with
 * {@code transaction.partition.verification.enable=false} (else the leader asks the coordinator, which knows none of
 * these producers). Every producer writes at epoch 0 from sequence 0, one batch per transaction, with Produce
 * version 11 (transaction protocol version 1).
 *
 * <p>Not thread-safe: one test thread uses it.
 */
final class TransactionWriter implements AutoCloseable {

    private static final short EPOCH = 0;

    private final TopicPartition partition;
    private final int coordinatorEpoch;
    private final Socket socket;
    private int correlationId;

    /** A connection to {@code bootstrap} ("host:port"), the leader of {@code partition}. */
    TransactionWriter(String bootstrap, TopicPartition partition, int coordinatorEpoch) throws IOException {
        this.partition = partition;
        this.coordinatorEpoch = coordinatorEpoch;
        String[] hostAndPort = bootstrap.split(":");
        this.socket = new Socket(hostAndPort[0], Integer.parseInt(hostAndPort[1]));
        socket.setSoTimeout(30_000);
    }

    /** Writes {@code values} as one transactional batch of {@code producerId}, and asserts it was appended. */
    void produceTransactional(long producerId, String... values) throws IOException {
        SimpleRecord[] records = Stream.of(values).map(v -> new SimpleRecord(v.getBytes(StandardCharsets.UTF_8)))
                .toArray(SimpleRecord[]::new);
        produce(MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, EPOCH, 0, records),
                "txn-" + producerId);
    }

    /** Writes {@code value} outside any transaction. */
    void producePlain(String value) throws IOException {
        produce(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes(StandardCharsets.UTF_8))),
                null);
    }

    private void produce(MemoryRecords records, String transactionalId) throws IOException {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(20_000)
                .setTransactionalId(transactionalId);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(partition.topic()).setPartitionData(
                List.of(new ProduceRequestData.PartitionProduceData().setIndex(partition.partition())
                        .setRecords(records))));
        ProduceResponse response = (ProduceResponse) send(new ProduceRequest(data, (short) 11));
        short error = response.data().responses().iterator().next().partitionResponses().get(0).errorCode();
        if (error != Errors.NONE.code()) {
            throw new AssertionError("producing to " + partition + " failed: " + Errors.forCode(error));
        }
    }

    /** Ends {@code producerId}'s transaction with a COMMIT or ABORT marker; returns the partition's error. */
    Errors marker(long producerId, boolean commit) throws IOException {
        WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData().setMarkers(List.of(
                new WritableTxnMarker().setProducerId(producerId).setProducerEpoch(EPOCH)
                        .setCoordinatorEpoch(coordinatorEpoch).setTransactionResult(commit)
                        .setTopics(List.of(new WritableTxnMarkerTopic().setName(partition.topic())
                                .setPartitionIndexes(List.of(partition.partition()))))));
        WriteTxnMarkersResponse response = (WriteTxnMarkersResponse) send(
                new WriteTxnMarkersRequest.Builder(data).build((short) 1));
        return Errors.forCode(response.data().markers().get(0).topics().get(0).partitions().get(0).errorCode());
    }

    private AbstractResponse send(AbstractRequest request) throws IOException {
        int id = ++correlationId;
        ByteBuffer payload = request.serializeWithHeader(new RequestHeader(request.apiKey(), request.version(),
                "transaction-writer", id));
        OutputStream out = socket.getOutputStream();
        out.write(ByteBuffer.allocate(4 + payload.remaining()).putInt(payload.remaining()).put(payload).array());
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] body = new byte[in.readInt()];
        in.readFully(body);
        ByteBuffer buffer = ByteBuffer.wrap(body);
        ApiKeys key = request.apiKey();
        ResponseHeader header = ResponseHeader.parse(buffer, key.responseHeaderVersion(request.version()));
        if (header.correlationId() != id) {
            throw new AssertionError("answer " + header.correlationId() + " to request " + id);
        }
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), request.version());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

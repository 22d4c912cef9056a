package io.strata.broker.it;

import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.ShareAcknowledgeRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.apache.kafka.common.requests.ShareRequestMetadata;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One share consumer speaking ShareFetch and ShareAcknowledge to one broker with kafka-clients' own request builders:
 * its member id, its share session epoch and its connection; the partition it reads is {@code jobs}. It may carry a
 * share filter (a JMS message selector, Strata's tag 32000), sent on the fetch that opens its session as a Strata
 * client sends it. Used by one thread at a time.
 */
final class ShareMember implements AutoCloseable {

    /** Strata's share filter tag (io.strata.broker.api.StrataExtensions), as a client outside the broker knows it. */
    static final int SHARE_FILTER_TAG = 32000;

    final Uuid id = Uuid.randomUuid();
    final Socket socket;
    final String group;
    final TopicIdPartition jobs;
    int epoch = ShareRequestMetadata.INITIAL_EPOCH;
    int correlationId;
    /** The member's message selector, sent when its session opens; null: none. */
    String selector;

    ShareMember(String hostPort, String group, TopicIdPartition jobs) throws IOException {
        String[] hostAndPort = hostPort.split(":");
        this.socket = new Socket(hostAndPort[0], Integer.parseInt(hostAndPort[1]));
        this.group = group;
        this.jobs = jobs;
        socket.setSoTimeout(90_000);
    }

    /** The same member with a message selector, sent when its session opens. */
    ShareMember withSelector(String selector) {
        this.selector = selector;
        return this;
    }

    /**
     * A ShareFetch at the member's epoch, as the share consumer builds it, with the member's selector when it opens
     * the session; the epoch is not moved on.
     */
    ShareFetchRequest fetchRequest(List<TopicIdPartition> added,
                                   Map<TopicIdPartition, List<ShareFetchRequestData.AcknowledgementBatch>>
                                           acknowledgements, int maxRecords, int maxWaitMs) {
        ShareFetchRequest request = ShareFetchRequest.Builder.forConsumer(group, new ShareRequestMetadata(id, epoch),
                        maxWaitMs, 1, 1 << 20, maxRecords, maxRecords, (byte) 0, false, added, List.of(),
                        acknowledgements)
                .build(ApiKeys.SHARE_FETCH.latestVersion());
        if (selector != null && epoch == ShareRequestMetadata.INITIAL_EPOCH) {
            request.data().unknownTaggedFields().add(new RawTaggedField(SHARE_FILTER_TAG, compactString(selector)));
        }
        return request;
    }

    /** {@code text} as a Kafka compact string, written with kafka-clients' own primitives. */
    static byte[] compactString(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(5 + utf8.length);
        ByteBufferAccessor out = new ByteBufferAccessor(buffer);
        out.writeUnsignedVarint(utf8.length + 1);
        out.writeByteArray(utf8);
        byte[] bytes = new byte[buffer.position()];
        buffer.flip().get(bytes);
        return bytes;
    }

    /** A ShareFetch of the jobs partition that must succeed; moves the session epoch on. */
    ShareFetchResponseData.PartitionData fetch(List<TopicIdPartition> added,
                                               Map<TopicIdPartition, List<ShareFetchRequestData
                                                       .AcknowledgementBatch>> acknowledgements,
                                               int maxRecords, int maxWaitMs) throws IOException {
        ShareFetchResponse response = send(fetchRequest(added, acknowledgements, maxRecords, maxWaitMs));
        assertThat(response.data().errorCode()).as(response.data().errorMessage())
                .isEqualTo(Errors.NONE.code());
        epoch = ShareRequestMetadata.nextEpoch(epoch);
        ShareFetchResponseData.ShareFetchableTopicResponse topic = response.data().responses()
                .find(jobs.topicId());
        if (topic == null) {
            return new ShareFetchResponseData.PartitionData().setPartitionIndex(0);
        }
        ShareFetchResponseData.PartitionData partition = topic.partitions().get(0);
        assertThat(partition.errorCode()).as(partition.errorMessage()).isEqualTo(Errors.NONE.code());
        return partition;
    }

    ShareFetchResponseData.PartitionData fetchUnchecked(List<TopicIdPartition> added,
                                                        Map<TopicIdPartition, List<ShareFetchRequestData
                                                                .AcknowledgementBatch>> acknowledgements,
                                                        int maxRecords, int maxWaitMs) {
        try {
            return fetch(added, acknowledgements, maxRecords, maxWaitMs);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    ShareAcknowledgeResponseData acknowledge(long firstOffset, long lastOffset, byte type) throws IOException {
        ShareAcknowledgeResponse response = send(ShareAcknowledgeRequest.Builder.forConsumer(group,
                new ShareRequestMetadata(id, epoch), false, Map.of(jobs, List.of(
                        new ShareAcknowledgeRequestData.AcknowledgementBatch().setFirstOffset(firstOffset)
                                .setLastOffset(lastOffset).setAcknowledgeTypes(List.of(type)))))
                .build(ApiKeys.SHARE_ACKNOWLEDGE.latestVersion()));
        epoch = ShareRequestMetadata.nextEpoch(epoch);
        return response.data();
    }

    /**
     * A ShareAcknowledge of the jobs partition carrying the Strata tagged field {@code field} (the transaction of the
     * acknowledgements, or anything a test sends as one; none when null); the epoch moves on unless the whole request
     * was refused.
     */
    ShareAcknowledgeResponseData acknowledgeTagged(List<ShareAcknowledgeRequestData.AcknowledgementBatch> batches,
                                                   RawTaggedField field, boolean renewAck) throws IOException {
        ShareAcknowledgeRequest request = ShareAcknowledgeRequest.Builder.forConsumer(group,
                new ShareRequestMetadata(id, epoch), renewAck, Map.of(jobs, batches))
                .build(ApiKeys.SHARE_ACKNOWLEDGE.latestVersion());
        if (field != null) {
            request.data().unknownTaggedFields().add(field);
        }
        ShareAcknowledgeResponse response = send(request);
        if (response.data().errorCode() == Errors.NONE.code()) {
            epoch = ShareRequestMetadata.nextEpoch(epoch);
        }
        return response.data();
    }

    /**
     * A ShareFetch of the jobs partition whose piggybacked acknowledgements carry the Strata tagged field
     * {@code field} (none when null); the epoch moves on unless the whole request was refused.
     */
    ShareFetchResponseData fetchTagged(List<TopicIdPartition> added,
                                       List<ShareFetchRequestData.AcknowledgementBatch> acknowledgements,
                                       RawTaggedField field, int maxRecords, int maxWaitMs) throws IOException {
        ShareFetchRequest request = fetchRequest(added, acknowledgements.isEmpty() ? Map.of()
                : Map.of(jobs, acknowledgements), maxRecords, maxWaitMs);
        if (field != null) {
            request.data().unknownTaggedFields().add(field);
        }
        ShareFetchResponse response = send(request);
        if (response.data().errorCode() == Errors.NONE.code()) {
            epoch = ShareRequestMetadata.nextEpoch(epoch);
        }
        return response.data();
    }

    /** Closes the share session, as a closing share consumer does. */
    ShareAcknowledgeResponseData leave() throws IOException {
        ShareAcknowledgeResponse response = send(ShareAcknowledgeRequest.Builder.forConsumer(group,
                new ShareRequestMetadata(id, ShareRequestMetadata.FINAL_EPOCH), false, Map.of())
                .build(ApiKeys.SHARE_ACKNOWLEDGE.latestVersion()));
        return response.data();
    }

    @SuppressWarnings("unchecked")
    <T extends AbstractResponse> T send(AbstractRequest request) throws IOException {
        int id = ++correlationId;
        ByteBuffer payload = request.serializeWithHeader(new RequestHeader(request.apiKey(), request.version(),
                "share-test", id));
        OutputStream out = socket.getOutputStream();
        out.write(ByteBuffer.allocate(4 + payload.remaining()).putInt(payload.remaining()).put(payload).array());
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] body = new byte[in.readInt()];
        in.readFully(body);
        ByteBuffer buffer = ByteBuffer.wrap(body);
        ApiKeys key = request.apiKey();
        ResponseHeader header = ResponseHeader.parse(buffer, key.responseHeaderVersion(request.version()));
        assertThat(header.correlationId()).isEqualTo(id);
        return (T) AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), request.version());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

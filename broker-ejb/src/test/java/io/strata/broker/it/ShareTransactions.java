package io.strata.broker.it;

import io.strata.broker.api.AcknowledgementTransaction;
import io.strata.broker.api.StrataExtensions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What the tests of share acknowledgements inside a Kafka transaction share: the data records a ShareFetch acquired,
 * acknowledgements covering what it acquired (control records, such as the markers the transactions write into the
 * input partition, acknowledged as gaps), and the Strata tagged field naming a transactional producer as its
 * coordinator knows it. Stateless.
 */
final class ShareTransactions {

    private ShareTransactions() {
    }

    /** The data records the fetch acquired, by offset; control records left out. */
    static Map<Long, String> acquiredData(ShareFetchResponseData.PartitionData partition) {
        Map<Long, String> values = new TreeMap<>();
        if (partition.records() == null) {
            return values;
        }
        for (RecordBatch batch : ((MemoryRecords) partition.records()).batches()) {
            if (batch.isControlBatch()) {
                continue;
            }
            for (Record record : batch) {
                if (acquired(partition, record.offset())) {
                    values.put(record.offset(), record.value() == null ? null
                            : StandardCharsets.UTF_8.decode(record.value()).toString());
                }
            }
        }
        return values;
    }

    /** The delivery count the fetch gave an acquired offset. */
    static int deliveryCount(ShareFetchResponseData.PartitionData partition, long offset) {
        for (ShareFetchResponseData.AcquiredRecords range : partition.acquiredRecords()) {
            if (offset >= range.firstOffset() && offset <= range.lastOffset()) {
                return range.deliveryCount();
            }
        }
        throw new AssertionError("offset " + offset + " was not acquired");
    }

    /** One batch per acquired range: {@code type} for its data records, a gap (0) for every other offset. */
    static List<ShareAcknowledgeRequestData.AcknowledgementBatch> acknowledgements(
            ShareFetchResponseData.PartitionData partition, byte type) {
        Map<Long, String> data = acquiredData(partition);
        List<ShareAcknowledgeRequestData.AcknowledgementBatch> batches = new ArrayList<>();
        for (ShareFetchResponseData.AcquiredRecords range : partition.acquiredRecords()) {
            List<Byte> types = new ArrayList<>();
            for (long offset = range.firstOffset(); offset <= range.lastOffset(); offset++) {
                types.add(data.containsKey(offset) ? type : 0);
            }
            batches.add(new ShareAcknowledgeRequestData.AcknowledgementBatch().setFirstOffset(range.firstOffset())
                    .setLastOffset(range.lastOffset()).setAcknowledgeTypes(types));
        }
        return batches;
    }

    /** The transaction of {@code transactionalId}'s producer as its coordinator knows it now. */
    static AcknowledgementTransaction transactionOf(Admin admin, String transactionalId) throws Exception {
        TransactionDescription description = admin.describeTransactions(List.of(transactionalId))
                .description(transactionalId).get(30, TimeUnit.SECONDS);
        return new AcknowledgementTransaction(transactionalId, description.producerId(),
                (short) description.producerEpoch());
    }

    /** The ShareAcknowledge tagged field naming the transaction. */
    static RawTaggedField acknowledgeField(AcknowledgementTransaction transaction) {
        return transaction.toTaggedField(StrataExtensions.SHARE_ACKNOWLEDGE_TRANSACTION_TAG);
    }

    /** The ShareFetch tagged field naming the transaction of its piggybacked acknowledgements. */
    static RawTaggedField fetchField(AcknowledgementTransaction transaction) {
        return transaction.toTaggedField(StrataExtensions.SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG);
    }

    private static boolean acquired(ShareFetchResponseData.PartitionData partition, long offset) {
        return partition.acquiredRecords().stream().anyMatch(r -> offset >= r.firstOffset()
                && offset <= r.lastOffset());
    }
}

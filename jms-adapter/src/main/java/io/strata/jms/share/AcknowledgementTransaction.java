package io.strata.jms.share;

import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.utils.ByteUtils;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The Kafka transaction share acknowledgements are made in (Strata extension
 * {@code strata.share.transactional.acknowledge}): the transactional producer's id, producer id and epoch as the
 * producer holds them after InitProducerId (and, with transaction protocol version 2, as bumped by its last EndTxn).
 * The caller owns the producer and ends the transaction. Encoded as the value of tags 32001 and 32002: a compact
 * string, an int64, an int16, nothing after. Immutable.
 */
public record AcknowledgementTransaction(String transactionalId, long producerId, short producerEpoch) {

    public AcknowledgementTransaction {
        Objects.requireNonNull(transactionalId, "transactionalId");
        if (transactionalId.isEmpty()) {
            throw new IllegalArgumentException("the transactional id is empty");
        }
        if (transactionalId.length() > Short.MAX_VALUE) {
            throw new IllegalArgumentException("the transactional id has " + transactionalId.length()
                    + " characters; Kafka takes at most " + Short.MAX_VALUE);
        }
        if (producerId < 0 || producerEpoch < 0) {
            throw new IllegalArgumentException("producer id " + producerId + " and epoch " + producerEpoch
                    + " must not be negative (a transactional producer's, after initTransactions)");
        }
    }

    /** The tagged field {@code tag} carrying this transaction. */
    RawTaggedField toTaggedField(int tag) {
        byte[] id = transactionalId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(ByteUtils.sizeOfUnsignedVarint(id.length + 1) + id.length + 8 + 2);
        ByteBufferAccessor out = new ByteBufferAccessor(buffer);
        out.writeUnsignedVarint(id.length + 1);
        out.writeByteArray(id);
        out.writeLong(producerId);
        out.writeShort(producerEpoch);
        if (buffer.hasRemaining()) {
            throw new IllegalStateException("transaction field of " + buffer.capacity() + " bytes left "
                    + buffer.remaining() + " unwritten");
        }
        return new RawTaggedField(tag, buffer.array());
    }
}

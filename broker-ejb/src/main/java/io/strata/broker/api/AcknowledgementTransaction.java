package io.strata.broker.api;

import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.utils.ByteUtils;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * The transaction share acknowledgements are made in: the value of the Strata tagged fields
 * {@link StrataExtensions#SHARE_ACKNOWLEDGE_TRANSACTION_TAG} (ShareAcknowledge) and
 * {@link StrataExtensions#SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG} (ShareFetch), written with kafka-clients' own
 * primitives: {@code transactional_id} as a compact string (unsigned varint length + 1, then UTF-8; not null, not
 * empty, at most {@value #TRANSACTIONAL_ID_MAX_BYTES} bytes), {@code producer_id} int64 (not negative),
 * {@code producer_epoch} int16 (not negative), and nothing after. Immutable.
 */
public record AcknowledgementTransaction(String transactionalId, long producerId, short producerEpoch) {

    /** The bound on a transactional id's encoded length, Kafka's own (a Java string of short length). */
    static final int TRANSACTIONAL_ID_MAX_BYTES = Short.MAX_VALUE;

    public AcknowledgementTransaction {
        Objects.requireNonNull(transactionalId, "transactionalId");
        if (transactionalId.isEmpty()) {
            throw new IllegalArgumentException("the transactional id is empty");
        }
        if (producerId < 0 || producerEpoch < 0) {
            throw new IllegalArgumentException("producer id " + producerId + " and epoch " + producerEpoch
                    + " must not be negative");
        }
    }

    /** The encoded value, for a client to add as the tagged field {@code tag}. */
    public RawTaggedField toTaggedField(int tag) {
        byte[] id = transactionalId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(ByteUtils.sizeOfUnsignedVarint(id.length + 1) + id.length + 8 + 2);
        ByteBufferAccessor out = new ByteBufferAccessor(buffer);
        out.writeUnsignedVarint(id.length + 1);
        out.writeByteArray(id);
        out.writeLong(producerId);
        out.writeShort(producerEpoch);
        return new RawTaggedField(tag, buffer.array());
    }

    /**
     * The transaction a request's tagged fields carry under {@code tag}, or null when they carry none.
     *
     * @throws IllegalArgumentException saying what is wrong with a field that is there more than once or is not one
     */
    public static AcknowledgementTransaction from(List<RawTaggedField> fields, int tag) {
        RawTaggedField found = null;
        for (RawTaggedField field : fields) {
            if (field.tag() == tag) {
                if (found != null) {
                    throw new IllegalArgumentException("tagged field " + tag + " is there twice");
                }
                found = field;
            }
        }
        return found == null ? null : decode(found.data(), tag);
    }

    private static AcknowledgementTransaction decode(byte[] data, int tag) {
        ByteBufferAccessor in = new ByteBufferAccessor(ByteBuffer.wrap(data));
        try {
            int length = in.readUnsignedVarint() - 1;
            if (length < 1 || length > TRANSACTIONAL_ID_MAX_BYTES || length > in.remaining()) {
                throw new IllegalArgumentException("its transactional id has length " + length
                        + " (a non-empty compact string within the field is needed)");
            }
            String transactionalId = in.readString(length);
            long producerId = in.readLong();
            short producerEpoch = in.readShort();
            if (in.remaining() != 0) {
                throw new IllegalArgumentException(in.remaining() + " bytes follow the producer epoch");
            }
            return new AcknowledgementTransaction(transactionalId, producerId, producerEpoch);
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new IllegalArgumentException("tagged field " + tag + " (the transaction of the acknowledgements:"
                    + " transactional_id compact string, producer_id int64, producer_epoch int16) is malformed: "
                    + (e.getMessage() == null ? "it ends too early" : e.getMessage()), e);
        }
    }
}

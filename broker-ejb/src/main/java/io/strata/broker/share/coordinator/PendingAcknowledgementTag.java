package io.strata.broker.share.coordinator;

import io.strata.broker.api.StrataExtensions;
import io.strata.broker.share.AcknowledgeType;
import io.strata.broker.share.PendingAcknowledgement;
import io.strata.broker.share.ShareStateFormatException;
import org.apache.kafka.common.protocol.types.RawTaggedField;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The Strata tagged field that carries a {@link PendingAcknowledgement} on a state batch
 * ({@link StrataExtensions#SHARE_STATE_PENDING_ACKNOWLEDGEMENT_TAG}), the same bytes in the records of
 * {@code __share_group_state} and on the StateBatch of WriteShareGroupState and ReadShareGroupState: {@code int64
 * producerId, int16 producerEpoch, int8 acknowledgeType, int64 markerSearchOffset}, big-endian as Kafka's primitives,
 * exactly {@value #VALUE_BYTES} bytes. A value that is not exactly that, or names a bad producer, type or offset, is
 * refused with {@link ShareStateFormatException}: a pending acknowledgement read wrong would acknowledge or release the
 * wrong records, so it is never taken on trust.
 *
 * <p>Stateless and thread-safe.
 */
public final class PendingAcknowledgementTag {

    public static final int TAG = StrataExtensions.SHARE_STATE_PENDING_ACKNOWLEDGEMENT_TAG;
    static final int VALUE_BYTES = 8 + 2 + 1 + 8;

    private PendingAcknowledgementTag() {
    }

    /** The field's value. */
    public static byte[] encode(PendingAcknowledgement pending) {
        return ByteBuffer.allocate(VALUE_BYTES).putLong(pending.producerId()).putShort(pending.producerEpoch())
                .put(pending.type().id).putLong(pending.markerSearchOffset()).array();
    }

    /** Reads a field's value; {@link ShareStateFormatException} saying what is wrong with one that is not valid. */
    public static PendingAcknowledgement decode(byte[] value) {
        if (value.length != VALUE_BYTES) {
            throw new ShareStateFormatException("the pending acknowledgement of a share state batch (tag " + TAG
                    + ") has " + value.length + " bytes, not " + VALUE_BYTES);
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        try {
            return new PendingAcknowledgement(buffer.getLong(), buffer.getShort(), AcknowledgeType.forId(buffer.get()),
                    buffer.getLong());
        } catch (IllegalArgumentException e) {
            throw new ShareStateFormatException("the pending acknowledgement of a share state batch (tag " + TAG
                    + ") is invalid: " + e.getMessage());
        }
    }

    /** The field among a batch's unknown tagged fields (as kafka-clients keeps them), or null; at most one. */
    public static PendingAcknowledgement find(List<RawTaggedField> fields) {
        PendingAcknowledgement found = null;
        for (RawTaggedField field : fields) {
            if (field.tag() != TAG) {
                continue;
            }
            if (found != null) {
                throw new ShareStateFormatException("a share state batch carries tag " + TAG + " twice");
            }
            found = decode(field.data());
        }
        return found;
    }

    /** The batch's tagged fields for kafka-clients' message classes: none, or this one. */
    public static List<RawTaggedField> fields(PendingAcknowledgement pending) {
        return pending == null ? List.of() : List.of(new RawTaggedField(TAG, encode(pending)));
    }
}

package io.strata.broker.api;

import io.strata.broker.share.selector.InvalidSelectorException;
import io.strata.broker.share.selector.MessageSelector;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.types.RawTaggedField;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The share filter a ShareFetch carries, Strata's tagged field {@link StrataExtensions#SHARE_FILTER_TAG}: a JMS message
 * selector as a compact string (an unsigned varint of its UTF-8 length plus one, then the bytes), exactly the field's
 * whole value. A null string (length 0) is malformed: a member without a filter sends no field. Stateless.
 */
final class ShareFilterField {

    private ShareFilterField() {
    }

    /**
     * The selector among a request's unknown tagged fields, parsed; null when there is no such field.
     *
     * @throws InvalidRequestException naming the problem, when the field is malformed or the selector is not a JMS
     *                                 selector (answered INVALID_REQUEST)
     */
    static MessageSelector selector(List<RawTaggedField> unknownTaggedFields) {
        for (RawTaggedField field : unknownTaggedFields) {
            if (field.tag() == StrataExtensions.SHARE_FILTER_TAG) {
                try {
                    return MessageSelector.parse(text(field.data()));
                } catch (InvalidSelectorException e) {
                    throw new InvalidRequestException(e.getMessage());
                }
            }
        }
        return null;
    }

    /** The compact string that is the whole of {@code data}. */
    static String text(byte[] data) {
        ByteBufferAccessor in = new ByteBufferAccessor(ByteBuffer.wrap(data));
        int length;
        try {
            length = in.readUnsignedVarint() - 1;
        } catch (RuntimeException e) {
            throw malformed("its length is not an unsigned varint");
        }
        if (length < 0) {
            throw malformed("it is a null string; a member without a selector sends no field");
        }
        if (length != in.remaining()) {
            throw malformed("its length says " + length + " bytes but " + in.remaining() + " follow");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(in.readArray(length)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed("it is not UTF-8");
        }
    }

    private static InvalidRequestException malformed(String why) {
        return new InvalidRequestException("the share filter field (tag " + StrataExtensions.SHARE_FILTER_TAG
                + ") is not a compact string: " + why);
    }
}

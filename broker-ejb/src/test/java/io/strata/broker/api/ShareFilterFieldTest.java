package io.strata.broker.api;

import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading the share filter field (tag 32000) of a ShareFetch: a compact string holding a JMS selector. */
@Timeout(30)
class ShareFilterFieldTest {

    /** A compact string written with kafka-clients' own primitives, as a Strata client writes it. */
    static byte[] compactString(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(5 + utf8.length);
        ByteBufferAccessor out = new ByteBufferAccessor(buffer);
        out.writeUnsignedVarint(utf8.length + 1);
        out.writeByteArray(utf8);
        buffer.flip();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static RawTaggedField field(byte[] data) {
        return new RawTaggedField(StrataExtensions.SHARE_FILTER_TAG, data);
    }

    @Test
    void theSelectorIsReadAndParsedAndOtherTagsAreLeftAlone() {
        String selector = "colour = 'rouge' AND region <> 'Île-de-France'";

        assertThat(ShareFilterField.selector(List.of(new RawTaggedField(32099, new byte[]{1, 2}),
                field(compactString(selector)))).text()).isEqualTo(selector);
        assertThat(ShareFilterField.selector(List.of(new RawTaggedField(32099, new byte[]{1, 2})))).isNull();
        assertThat(ShareFilterField.selector(List.of())).isNull();
    }

    @Test
    void aFieldThatIsNotACompactStringIsAnInvalidRequestSayingWhy() {
        assertMalformed(new byte[0], "not an unsigned varint");
        assertMalformed(new byte[]{(byte) 0x80}, "not an unsigned varint");
        assertMalformed(new byte[]{0}, "null string");
        assertMalformed(new byte[]{4, 'a', 'b'}, "says 3 bytes but 2 follow");
        byte[] trailing = compactString("a = 1");
        byte[] longer = java.util.Arrays.copyOf(trailing, trailing.length + 1);
        assertMalformed(longer, "says 5 bytes but 6 follow");
        assertMalformed(new byte[]{3, (byte) 0xC3, (byte) 0x28}, "not UTF-8");
    }

    @Test
    void aSelectorThatDoesNotParseIsAnInvalidRequestNamingIt() {
        assertThatThrownBy(() -> ShareFilterField.selector(List.of(field(compactString("colour = = 'red'")))))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("invalid message selector \"colour = = 'red'\"");
        assertThatThrownBy(() -> ShareFilterField.selector(List.of(field(compactString("")))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("cannot be empty");
    }

    private static void assertMalformed(byte[] data, String why) {
        assertThatThrownBy(() -> ShareFilterField.selector(List.of(field(data))))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("tag 32000")
                .hasMessageContaining(why);
    }
}

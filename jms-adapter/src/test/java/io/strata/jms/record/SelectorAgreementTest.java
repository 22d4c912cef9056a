package io.strata.jms.record;

import io.strata.broker.share.ShareRecord;
import io.strata.broker.share.selector.MessageSelector;
import io.strata.broker.share.selector.RecordJmsProperties;
import io.strata.jms.message.StrataTextMessage;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the codec writes is what the broker's selectors read: a message encoded by {@link MessageRecordCodec} is
 * tested by the broker's own selector code ({@link MessageSelector} over {@link RecordJmsProperties}), as a share
 * filter tests it in the acquisition path, and each selector sees the values the application set, with their types.
 */
class SelectorAgreementTest {

    private final MessageRecordCodec codec = new MessageRecordCodec();

    private static Message order() throws JMSException {
        StrataTextMessage message = new StrataTextMessage();
        message.setText("order");
        message.setIntProperty("quantity", 12);
        message.setLongProperty("customer", 9_000_000_000L);
        message.setDoubleProperty("weight", 2.5);
        message.setFloatProperty("discount", 0.25f);
        message.setBooleanProperty("express", true);
        message.setShortProperty("lines", (short) 3);
        message.setByteProperty("flags", (byte) -2);
        message.setStringProperty("region", "eu-west");
        message.setStringProperty("JMSXGroupID", "customer-9");
        message.setJMSType("purchase");
        message.setJMSCorrelationID("corr-7");
        message.setJMSPriority(8);
        message.setJMSDeliveryMode(DeliveryMode.NON_PERSISTENT);
        message.setJMSMessageID("ID:0f1e2d3c");
        message.setJMSTimestamp(1_700_000_000_000L);
        return message;
    }

    private boolean selects(String selector, Message message) throws Exception {
        EncodedRecord encoded = codec.encode(message);
        ShareRecord record = new ShareRecord() {
            @Override
            public long offset() {
                return 42;
            }

            @Override
            public long timestampMs() {
                return encoded.timestampMs() == null ? 0 : encoded.timestampMs();
            }

            @Override
            public ByteBuffer key() {
                return encoded.key() == null ? null : ByteBuffer.wrap(encoded.key());
            }

            @Override
            public Header[] headers() {
                return encoded.headers().toArray(new Header[0]);
            }
        };
        return MessageSelector.parse(selector).matches(new RecordJmsProperties("orders", 0, record));
    }

    @Test
    void typedPropertiesAreComparedWithTheirTypes() throws Exception {
        Message order = order();
        assertThat(selects("quantity = 12 AND quantity > 11.5 AND quantity + 1 = 13", order)).isTrue();
        assertThat(selects("customer = 9000000000", order)).isTrue();
        assertThat(selects("weight BETWEEN 2.4 AND 2.6 AND discount = 0.25", order)).isTrue();
        assertThat(selects("express AND NOT (express = FALSE)", order)).isTrue();
        assertThat(selects("lines * 2 = 6 AND flags = -2", order)).isTrue();
        assertThat(selects("region LIKE 'eu-%' AND region IN ('eu-west', 'us-east')", order)).isTrue();
        assertThat(selects("JMSXGroupID = 'customer-9'", order)).isTrue();
        // A number is not a string to a selector, so a typed property does not equal its text.
        assertThat(selects("quantity = '12'", order)).isFalse();
    }

    @Test
    void headerFieldsAreReadAsJmsDefinesThem() throws Exception {
        Message order = order();
        assertThat(selects("JMSType = 'purchase' AND JMSCorrelationID = 'corr-7'", order)).isTrue();
        assertThat(selects("JMSPriority = 8 AND JMSPriority > 4", order)).isTrue();
        assertThat(selects("JMSDeliveryMode = 'NON_PERSISTENT'", order)).isTrue();
        assertThat(selects("JMSMessageID = 'ID:0f1e2d3c'", order)).isTrue();
        assertThat(selects("JMSTimestamp = 1700000000000", order)).isTrue();
    }

    @Test
    void aPropertyTheMessageDoesNotHaveIsNull() throws Exception {
        Message order = order();
        assertThat(selects("colour IS NULL", order)).isTrue();
        assertThat(selects("colour = 'red'", order)).isFalse();
        assertThat(selects("NOT (colour = 'red')", order)).as("unknown, not true").isFalse();
    }

    @Test
    void aDefaultMessageHasTheDefaultsTheBrokerAssumes() throws Exception {
        StrataTextMessage plain = new StrataTextMessage();
        plain.setText("plain");
        assertThat(selects("JMSPriority = 4 AND JMSDeliveryMode = 'PERSISTENT'", plain)).isTrue();
    }
}

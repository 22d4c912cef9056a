package io.strata.jms.record;

import static io.strata.jms.record.Records.consumed;
import static io.strata.jms.record.Records.header;
import static io.strata.jms.record.Records.headers;
import static io.strata.jms.record.Records.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strata.jms.destination.StrataQueue;
import io.strata.jms.destination.StrataTemporaryQueue;
import io.strata.jms.destination.StrataTopic;
import io.strata.jms.message.ObjectMessageAllowList;
import io.strata.jms.message.StrataBytesMessage;
import io.strata.jms.message.StrataMapMessage;
import io.strata.jms.message.StrataMessage;
import io.strata.jms.message.StrataObjectMessage;
import io.strata.jms.message.StrataStreamMessage;
import io.strata.jms.message.StrataTextMessage;
import jakarta.jms.BytesMessage;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.ObjectMessage;
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageRecordCodecTest {

    private static final StrataQueue ORDERS = new StrataQueue(Records.TOPIC);

    private final MessageRecordCodec codec = new MessageRecordCodec();

    private Message roundTrip(Message message) throws JMSException {
        return codec.decode(consumed(codec.encode(message), 1), ORDERS);
    }

    // ------------------------------------------------------------------------------------------ bodies

    @Test
    void aMessageWithoutBodyRoundTripsWithANullValue() throws JMSException {
        EncodedRecord record = codec.encode(new StrataMessage());

        assertThat(record.value()).isNull();
        assertThat(text(record.header(MessageRecordCodec.BODY_HEADER))).isEqualTo("message");
        Message received = codec.decode(consumed(record, 1), ORDERS);
        assertThat(received).isExactlyInstanceOf(StrataMessage.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "hello", "grüße, 世界, 🎉"})
    void aTextMessageRoundTripsAsUtf8(String text) throws JMSException {
        EncodedRecord record = codec.encode(new StrataTextMessage(text));

        assertThat(record.value()).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        assertThat(((TextMessage) codec.decode(consumed(record, 1), ORDERS)).getText()).isEqualTo(text);
    }

    @Test
    void aTextMessageWithNullTextRoundTripsAsNull() throws JMSException {
        assertThat(((TextMessage) roundTrip(new StrataTextMessage())).getText()).isNull();
    }

    @Test
    void aBytesMessageRoundTripsWrittenOrReset() throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeInt(7);
        message.writeUTF("x");
        byte[] expected = message.bodyBytes();

        BytesMessage received = (BytesMessage) roundTrip(message);
        message.reset();
        BytesMessage receivedAfterReset = (BytesMessage) roundTrip(message);

        assertThat(received.getBody(byte[].class)).isEqualTo(expected);
        assertThat(received.readInt()).as("received in read-only mode, at the start").isEqualTo(7);
        assertThat(received.readUTF()).isEqualTo("x");
        assertThat(receivedAfterReset.getBody(byte[].class)).isEqualTo(expected);
    }

    @Test
    void aMapMessageRoundTripsEveryValueTypeExactly() throws JMSException {
        StrataMapMessage message = new StrataMapMessage();
        message.setBoolean("boolean", true);
        message.setByte("byte", (byte) -1);
        message.setShort("short", Short.MIN_VALUE);
        message.setChar("char", 'ß');
        message.setInt("int", Integer.MAX_VALUE);
        message.setLong("long", Long.MIN_VALUE);
        message.setFloat("float", Float.NaN);
        message.setDouble("double", -0.0);
        message.setString("string", "text ✓");
        message.setString("nothing", null);
        message.setBytes("bytes", new byte[] {0, -1, 127});

        MapMessage received = (MapMessage) roundTrip(message);

        assertThat(Collections.list(received.getMapNames())).containsExactlyElementsOf(message.entries().keySet());
        for (String name : message.entries().keySet()) {
            assertThat(received.getObject(name)).as(name).isEqualTo(message.getObject(name));
        }
    }

    @Test
    void aStreamMessageRoundTripsEveryFieldTypeInOrder() throws JMSException {
        StrataStreamMessage message = new StrataStreamMessage();
        List<Object> fields = List.of(true, (byte) 3, (short) -4, 'q', 5, 6L, 7.5f, 8.25, "nine", new byte[] {10});
        for (Object field : fields) {
            message.writeObject(field);
        }
        message.writeObject(null);

        StreamMessage received = (StreamMessage) roundTrip(message);

        for (Object field : fields) {
            assertThat(received.readObject()).isEqualTo(field);
        }
        assertThat(received.readObject()).isNull();
    }

    @Test
    void anObjectMessageRoundTripsThroughSerialization() throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage();
        message.setObject(new java.util.ArrayList<>(List.of("a", 1)));

        ObjectMessage received = (ObjectMessage) roundTrip(message);

        assertThat(received.getObject()).isEqualTo(List.of("a", 1));
    }

    @Test
    void aReceivedObjectMessageUsesTheCodecsAllowList() throws JMSException {
        MessageRecordCodec strict = new MessageRecordCodec(MessageRecordCodec.RECORD_BYTES_MAX_DEFAULT,
                new ObjectMessageAllowList("java.lang.String"));
        StrataObjectMessage message = new StrataObjectMessage();
        message.setObject(new java.util.ArrayList<>(List.of("a")));

        ObjectMessage received = (ObjectMessage) strict.decode(consumed(strict.encode(message), 1), ORDERS);

        assertThatThrownBy(received::getObject).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("allow-list");
    }

    @Test
    void aReceivedMessageIsReadOnlyUntilCleared() throws JMSException {
        StrataTextMessage message = new StrataTextMessage("t");
        message.setIntProperty("n", 1);

        TextMessage received = (TextMessage) roundTrip(message);

        assertThatThrownBy(() -> received.setText("u")).isInstanceOf(MessageNotWriteableException.class);
        assertThatThrownBy(() -> received.setIntProperty("n", 2)).isInstanceOf(MessageNotWriteableException.class);
        received.clearBody();
        received.clearProperties();
        received.setText("u");
        received.setIntProperty("n", 2);
        assertThat(received.getText()).isEqualTo("u");
    }

    // ------------------------------------------------------------------------------------------ header fields

    @Test
    void everyHeaderFieldRoundTrips() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setJMSMessageID("ID:abc");
        message.setJMSTimestamp(1_700_000_000_000L);
        message.setJMSCorrelationID("corr-1");
        message.setJMSType("order.created");
        message.setJMSDeliveryMode(DeliveryMode.NON_PERSISTENT);
        message.setJMSPriority(9);
        message.setJMSDestination(new StrataTopic("prices"));
        message.setJMSReplyTo(new StrataQueue("replies"));
        message.setJMSExpiration(1_700_000_060_000L);
        message.setJMSDeliveryTime(1_700_000_005_000L);

        Message received = roundTrip(message);

        assertThat(received.getJMSMessageID()).isEqualTo("ID:abc");
        assertThat(received.getJMSTimestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(received.getJMSCorrelationID()).isEqualTo("corr-1");
        assertThat(received.getJMSType()).isEqualTo("order.created");
        assertThat(received.getJMSDeliveryMode()).isEqualTo(DeliveryMode.NON_PERSISTENT);
        assertThat(received.getJMSPriority()).isEqualTo(9);
        assertThat(received.getJMSDestination()).isEqualTo(new StrataTopic("prices"));
        assertThat(received.getJMSReplyTo()).isEqualTo(new StrataQueue("replies"));
        assertThat(received.getJMSExpiration()).isEqualTo(1_700_000_060_000L);
        assertThat(received.getJMSDeliveryTime()).isEqualTo(1_700_000_005_000L);
    }

    @Test
    void theRecordTimestampIsJmsTimestampAndDeliveryTimeDefaultsToIt() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setJMSTimestamp(5_000L);
        message.setJMSDeliveryTime(5_000L);

        EncodedRecord record = codec.encode(message);

        assertThat(record.timestampMs()).isEqualTo(5_000L);
        assertThat(record.header(MessageRecordCodec.DELIVERY_TIME_HEADER)).isNull();
        assertThat(codec.decode(consumed(record, 1), ORDERS).getJMSDeliveryTime()).isEqualTo(5_000L);
    }

    @Test
    void aCorrelationIdSetAsBytesRoundTripsAsTheSameBytes() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setJMSCorrelationIDAsBytes(new byte[] {(byte) 0xc3, 0x28, 0});

        Message received = roundTrip(message);

        assertThat(received.getJMSCorrelationIDAsBytes()).containsExactly(0xc3, 0x28, 0);
        assertThat(received.getJMSCorrelationID()).isNull();
    }

    @Test
    void aTemporaryReplyToArrivesAsATemporaryQueueOfItsNameThatCannotBeDeletedHere() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setJMSReplyTo(new TemporaryQueue() {
            @Override
            public String getQueueName() {
                return "tmp-1";
            }

            @Override
            public void delete() {
            }
        });

        EncodedRecord record = codec.encode(message);

        assertThat(text(record.header(MessageRecordCodec.REPLY_TO_HEADER))).isEqualTo("temp-queue://tmp-1");
        Destination replyTo = codec.decode(consumed(record, 1), ORDERS).getJMSReplyTo();
        assertThat(replyTo).isEqualTo(new StrataTemporaryQueue("tmp-1")).isInstanceOf(TemporaryQueue.class);
        assertThatThrownBy(((TemporaryQueue) replyTo)::delete).isInstanceOf(JMSException.class)
                .hasMessageContaining("connection that created it");
    }

    @Test
    void aDestinationThatIsNeitherQueueNorTopicIsRefused() {
        StrataMessage message = new StrataMessage();
        message.setJMSReplyTo(new Destination() {
        });

        assertThatThrownBy(() -> codec.encode(message)).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("JMSReplyTo");
    }

    @Test
    void anInvalidDeliveryModeOrPriorityIsRefused() {
        StrataMessage badMode = new StrataMessage();
        badMode.setJMSDeliveryMode(3);
        StrataMessage badPriority = new StrataMessage();
        badPriority.setJMSPriority(10);

        assertThatThrownBy(() -> codec.encode(badMode)).isInstanceOf(MessageFormatException.class);
        assertThatThrownBy(() -> codec.encode(badPriority)).isInstanceOf(MessageFormatException.class);
    }

    @Test
    void redeliveryComesFromTheBrokersDeliveryCount() throws JMSException {
        EncodedRecord record = codec.encode(new StrataTextMessage("t"));

        Message first = codec.decode(consumed(record, 1), ORDERS);
        Message third = codec.decode(consumed(record, 3), ORDERS);

        assertThat(first.getJMSRedelivered()).isFalse();
        assertThat(first.getIntProperty("JMSXDeliveryCount")).isEqualTo(1);
        assertThat(third.getJMSRedelivered()).isTrue();
        assertThat(third.getIntProperty("JMSXDeliveryCount")).isEqualTo(3);
    }

    @Test
    void theMessageIdIsStableAcrossRedeliveries() throws JMSException {
        StrataTextMessage message = new StrataTextMessage("t");
        message.setJMSMessageID(MessageRecordCodec.newMessageId());
        EncodedRecord record = codec.encode(message);

        assertThat(codec.decode(consumed(record, 1), ORDERS).getJMSMessageID())
                .isEqualTo(codec.decode(consumed(record, 2), ORDERS).getJMSMessageID())
                .isEqualTo(message.getJMSMessageID())
                .startsWith("ID:");
        assertThat(MessageRecordCodec.newMessageId()).isNotEqualTo(MessageRecordCodec.newMessageId());
    }

    @Test
    void aDeliveryCountPropertyIsNotWrittenSoAResentMessageStartsAtOne() throws JMSException {
        Message received = codec.decode(consumed(codec.encode(new StrataTextMessage("t")), 4), ORDERS);

        EncodedRecord resent = codec.encode(received);

        assertThat(resent.header("JMSXDeliveryCount")).isNull();
        assertThat(codec.decode(consumed(resent, 1), ORDERS).getIntProperty("JMSXDeliveryCount")).isEqualTo(1);
    }

    @Test
    void theGroupIdIsTheRecordKeyAndAPropertyAndTheGroupSequenceAnInt() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setStringProperty("JMSXGroupID", "customer-7");
        message.setIntProperty("JMSXGroupSeq", 2);

        EncodedRecord record = codec.encode(message);
        Message received = codec.decode(consumed(record, 1), ORDERS);

        assertThat(text(record.key())).isEqualTo("customer-7");
        assertThat(received.getStringProperty("JMSXGroupID")).isEqualTo("customer-7");
        assertThat(received.getObjectProperty("JMSXGroupSeq")).isEqualTo(2);
        assertThat(codec.encode(new StrataMessage()).key()).isNull();
    }

    // ------------------------------------------------------------------------------------------ properties

    @Test
    void everyPropertyTypeRoundTripsWithItsType() throws JMSException {
        StrataMessage message = new StrataMessage();
        Map<String, Object> values = new java.util.LinkedHashMap<>();
        values.put("aBoolean", false);
        values.put("aByte", Byte.MIN_VALUE);
        values.put("aShort", (short) 12_345);
        values.put("anInt", -7);
        values.put("aLong", Long.MAX_VALUE);
        values.put("aFloat", 3.4028235E38f);
        values.put("aDouble", Double.MIN_VALUE);
        values.put("aString", "with, commas=and equals");
        values.put("aNull", null);
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            message.setObjectProperty(entry.getKey(), entry.getValue());
        }

        Message received = roundTrip(message);

        for (Map.Entry<String, Object> entry : values.entrySet()) {
            assertThat(received.getObjectProperty(entry.getKey())).as(entry.getKey()).isEqualTo(entry.getValue());
        }
        assertThat(received.propertyExists("aNull")).isTrue();
        assertThat(Collections.list(received.getPropertyNames()))
                .containsExactlyInAnyOrderElementsOf(concat(values.keySet(), "JMSXDeliveryCount"));
    }

    @Test
    void aTypedPropertysHeaderIsItsJavaTextAndTheTypesHeaderDeclaresIt() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setIntProperty("quantity", 3);
        message.setBooleanProperty("express", true);
        message.setDoubleProperty("weight", 1e20);
        message.setFloatProperty("ratio", 0.1f);
        message.setStringProperty("colour", "red");

        EncodedRecord record = codec.encode(message);

        assertThat(text(record.header("quantity"))).isEqualTo("3");
        assertThat(text(record.header("express"))).isEqualTo("true");
        assertThat(text(record.header("weight"))).isEqualTo(Double.toString(1e20)).isEqualTo("1.0E20");
        assertThat(text(record.header("ratio"))).isEqualTo("0.1");
        assertThat(text(record.header("colour"))).isEqualTo("red");
        assertThat(text(record.header("strata.jms.types")))
                .isEqualTo("quantity=int,express=boolean,weight=double,ratio=float");
    }

    @Test
    void theJmsHeaderFieldsSelectorsReadAreHeadersOfTheirNames() throws JMSException {
        StrataMessage message = new StrataMessage();
        message.setJMSMessageID("ID:m");
        message.setJMSTimestamp(77L);
        message.setJMSCorrelationID("c");
        message.setJMSType("t");
        message.setJMSPriority(2);

        EncodedRecord record = codec.encode(message);

        assertThat(text(record.header("JMSMessageID"))).isEqualTo("ID:m");
        assertThat(text(record.header("JMSTimestamp"))).isEqualTo("77");
        assertThat(text(record.header("JMSCorrelationID"))).isEqualTo("c");
        assertThat(text(record.header("JMSType"))).isEqualTo("t");
        assertThat(text(record.header("JMSPriority"))).isEqualTo("2");
        assertThat(text(record.header("JMSDeliveryMode"))).isEqualTo("PERSISTENT");
    }

    @Test
    void moreHeadersThanTheBoundAreRefused() throws JMSException {
        StrataMessage message = new StrataMessage();
        for (int i = 0; i < MessageRecordCodec.HEADER_COUNT_MAX; i++) {
            message.setIntProperty("p" + i, i);
        }

        assertThatThrownBy(() -> codec.encode(message)).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("record headers");
    }

    @Test
    void aRecordLargerThanTheLimitIsRefused() throws JMSException {
        MessageRecordCodec small = new MessageRecordCodec(100, ObjectMessageAllowList.defaults());
        StrataBytesMessage message = new StrataBytesMessage();
        message.writeBytes(new byte[100]);

        assertThatThrownBy(() -> small.encode(message)).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("more than the 100");
    }

    // ------------------------------------------------------------------------------------------ Kafka producers

    @Test
    void aKafkaProducedRecordArrivesAsABytesMessageWithStringProperties() throws JMSException {
        byte[] value = {1, 2, 3};
        ConsumerRecord<byte[], byte[]> record = consumed("k".getBytes(StandardCharsets.UTF_8), value,
                headers(header("colour", "red"), header("quantity", "3"), header("trace-id", "x"),
                        header("colour", "blue")),
                123L, Optional.empty());

        Message received = codec.decode(record, ORDERS);

        assertThat(received).isInstanceOf(BytesMessage.class);
        assertThat(received.getBody(byte[].class)).containsExactly(1, 2, 3);
        assertThat(received.getObjectProperty("colour")).as("the last header counts").isEqualTo("blue");
        assertThat(received.getObjectProperty("quantity")).isEqualTo("3");
        assertThat(received.getIntProperty("quantity")).as("a String converts").isEqualTo(3);
        assertThat(received.propertyExists("trace-id")).as("not a property name").isFalse();
        assertThat(received.getJMSMessageID()).isEqualTo("ID:orders:0:42");
        assertThat(received.getJMSTimestamp()).isEqualTo(123L);
        assertThat(received.getJMSDeliveryTime()).isEqualTo(123L);
        assertThat(received.getJMSPriority()).isEqualTo(4);
        assertThat(received.getJMSDeliveryMode()).isEqualTo(DeliveryMode.PERSISTENT);
        assertThat(received.getJMSDestination()).isEqualTo(ORDERS);
        assertThat(received.getJMSRedelivered()).isFalse();
        assertThat(received.getIntProperty("JMSXDeliveryCount")).isEqualTo(1);
        assertThat(received.propertyExists("JMSXGroupID")).as("the key is not a group id").isFalse();
    }

    @Test
    void aKafkaProducedRecordMarkedTextArrivesAsATextMessage() throws JMSException {
        ConsumerRecord<byte[], byte[]> record = consumed(null, "{\"id\":1}".getBytes(StandardCharsets.UTF_8),
                headers(header("strata.jms.body", "text")), 1L, Optional.of((short) 1));

        assertThat(((TextMessage) codec.decode(record, ORDERS)).getText()).isEqualTo("{\"id\":1}");
    }

    @Test
    void aKafkaProducedRecordWithoutValueArrivesAsAnEmptyBytesMessage() throws JMSException {
        BytesMessage received = (BytesMessage) codec.decode(
                consumed(null, null, headers(), 1L, Optional.empty()), ORDERS);

        assertThat(received.getBodyLength()).isZero();
    }

    @Test
    void aKafkaProducersTypedHeadersReadAsTheirTypes() throws JMSException {
        ConsumerRecord<byte[], byte[]> record = consumed(null, null, headers(header("quantity", "3"),
                header("express", "TRUE"), header("strata.jms.types", " quantity = int ,express=boolean")),
                1L, Optional.empty());

        Message received = codec.decode(record, ORDERS);

        assertThat(received.getObjectProperty("quantity")).isEqualTo(3);
        assertThat(received.getObjectProperty("express")).isEqualTo(true);
    }

    // ------------------------------------------------------------------------------------------ malformed records

    @Test
    void aMalformedMapBodyArrivesAsBytesWithTheReason() throws JMSException {
        byte[] value = {1, 0, 0, 0, 9, 5};
        ConsumerRecord<byte[], byte[]> record = consumed(null, value, headers(header("strata.jms.body", "map"),
                header("colour", "red")), 1L, Optional.empty());

        Message received = codec.decode(record, ORDERS);

        assertThat(received).isInstanceOf(BytesMessage.class);
        assertThat(received.getBody(byte[].class)).isEqualTo(value);
        assertThat(received.getStringProperty(MessageRecordCodec.BODY_ERROR_PROPERTY))
                .contains("map body does not decode").contains("count 9");
        assertThat(received.getStringProperty("colour")).isEqualTo("red");
    }

    @Test
    void aMalformedStreamBodyAndAnUnknownBodyTypeArriveAsBytes() throws JMSException {
        Message truncated = codec.decode(consumed(null, new byte[] {1, 0, 0, 0, 1, 9, 0, 0, 0, 50},
                headers(header("strata.jms.body", "stream")), 1L, Optional.empty()), ORDERS);
        Message otherVersion = codec.decode(consumed(null, new byte[] {2, 0, 0, 0, 0},
                headers(header("strata.jms.body", "stream")), 1L, Optional.empty()), ORDERS);
        Message unknown = codec.decode(consumed(null, new byte[] {1},
                headers(header("strata.jms.body", "avro")), 1L, Optional.empty()), ORDERS);

        assertThat(truncated.getStringProperty(MessageRecordCodec.BODY_ERROR_PROPERTY)).contains("length 50");
        assertThat(otherVersion.getStringProperty(MessageRecordCodec.BODY_ERROR_PROPERTY)).contains("version 2");
        assertThat(unknown.getStringProperty(MessageRecordCodec.BODY_ERROR_PROPERTY)).contains("'avro'");
        assertThat(List.of(truncated, otherVersion, unknown)).allMatch(m -> m instanceof BytesMessage);
    }

    @Test
    void aBodyErrorHeaderFromAProducerDoesNotHideTheCodecsReport() throws JMSException {
        Message received = codec.decode(consumed(null, new byte[] {7}, headers(header("strata.jms.body", "map"),
                header(MessageRecordCodec.BODY_ERROR_PROPERTY, "forged")), 1L, Optional.empty()), ORDERS);

        assertThat(received.getStringProperty(MessageRecordCodec.BODY_ERROR_PROPERTY)).contains("does not decode");
    }

    @Test
    void aBadTypesHeaderMakesTheAffectedPropertiesNullAsForSelectors() throws JMSException {
        ConsumerRecord<byte[], byte[]> record = consumed(null, null, headers(header("count", "abc"),
                header("size", "5"), header("flag", "yes"), header("plain", "p"),
                header("strata.jms.types", "count=int,size=integer,flag=boolean,=long,junk")),
                1L, Optional.empty());

        Message received = codec.decode(record, ORDERS);

        assertThat(received.propertyExists("count")).isTrue();
        assertThat(received.getObjectProperty("count")).as("not an int").isNull();
        assertThat(received.getObjectProperty("size")).as("no such type").isNull();
        assertThat(received.getObjectProperty("flag")).as("not a boolean").isNull();
        assertThat(received.getObjectProperty("plain")).isEqualTo("p");
    }

    @Test
    void badHeaderFieldsFallBackToTheirDefaults() throws JMSException {
        ConsumerRecord<byte[], byte[]> record = consumed(null, null, headers(header("JMSPriority", "high"),
                header("JMSTimestamp", "yesterday"), header("strata.jms.destination", "exchange://x"),
                header("JMSDeliveryMode", "1"), header("strata.jms.expiration", "never")), 99L, Optional.empty());

        Message received = codec.decode(record, ORDERS);

        assertThat(received.getJMSPriority()).isEqualTo(4);
        assertThat(received.getJMSTimestamp()).isEqualTo(99L);
        assertThat(received.getJMSDestination()).isEqualTo(ORDERS);
        assertThat(received.getJMSDeliveryMode()).isEqualTo(DeliveryMode.NON_PERSISTENT);
        assertThat(received.getJMSExpiration()).isZero();
    }

    @Test
    void aPriorityOutOfRangeIsTheDefault() throws JMSException {
        ConsumerRecord<byte[], byte[]> record = consumed(null, null, headers(header("JMSPriority", "4294967297")),
                1L, Optional.empty());

        assertThat(codec.decode(record, ORDERS).getJMSPriority()).isEqualTo(4);
    }

    // ------------------------------------------------------------------------------------------ foreign messages

    @Test
    void aForeignMessageIsEncodedThroughThePublicApi() throws JMSException {
        StrataMapMessage inner = new StrataMapMessage();
        inner.setInt("n", 1);
        inner.setStringProperty("colour", "red");
        inner.setJMSCorrelationID("c");
        MapMessage foreign = Records.foreign(MapMessage.class, inner);

        MapMessage received = (MapMessage) codec.decode(consumed(codec.encode(foreign), 1), ORDERS);

        assertThat(received.getObject("n")).isEqualTo(1);
        assertThat(received.getStringProperty("colour")).isEqualTo("red");
        assertThat(received.getJMSCorrelationID()).isEqualTo("c");
    }

    @Test
    void foreignBytesStreamTextAndObjectMessagesAreEncodedThroughThePublicApi() throws JMSException {
        StrataBytesMessage bytes = new StrataBytesMessage();
        bytes.writeLong(9);
        StrataStreamMessage stream = new StrataStreamMessage();
        stream.writeString("s");
        stream.writeBytes(new byte[] {1});
        StrataObjectMessage object = new StrataObjectMessage();
        object.setObject("o");

        BytesMessage bytesReceived = (BytesMessage) roundTrip(Records.foreign(BytesMessage.class, bytes));
        StreamMessage streamReceived = (StreamMessage) roundTrip(Records.foreign(StreamMessage.class, stream));
        TextMessage textReceived = (TextMessage) roundTrip(Records.foreign(TextMessage.class,
                new StrataTextMessage("t")));
        ObjectMessage objectReceived = (ObjectMessage) roundTrip(Records.foreign(ObjectMessage.class, object));

        assertThat(bytesReceived.readLong()).isEqualTo(9);
        assertThat(streamReceived.readString()).isEqualTo("s");
        assertThat((byte[]) streamReceived.readObject()).containsExactly(1);
        assertThat(textReceived.getText()).isEqualTo("t");
        assertThat(objectReceived.getObject()).isEqualTo("o");
    }

    @Test
    void aForeignMessageWithAPropertyJmsCannotNameIsRefused() throws JMSException {
        StrataMessage inner = new StrataMessage() {
            @Override
            public java.util.Enumeration<String> getPropertyNames() {
                return Collections.enumeration(List.of("not-a-name"));
            }

            @Override
            public Object getObjectProperty(String name) {
                return "v";
            }
        };
        Message foreign = Records.foreign(Message.class, inner);

        assertThatThrownBy(() -> codec.encode(foreign)).isInstanceOf(MessageFormatException.class)
                .hasMessageContaining("not-a-name");
    }

    @Test
    void aForeignMessageWithAPropertyValueOfAnotherTypeIsRefused() {
        StrataMessage inner = new StrataMessage() {
            @Override
            public java.util.Enumeration<String> getPropertyNames() {
                return Collections.enumeration(List.of("when"));
            }

            @Override
            public Object getObjectProperty(String name) {
                return java.time.Instant.EPOCH;
            }
        };

        assertThatThrownBy(() -> codec.encode(Records.foreign(Message.class, inner)))
                .isInstanceOf(MessageFormatException.class).hasMessageContaining("when");
    }

    private static List<String> concat(java.util.Collection<String> names, String name) {
        List<String> all = new ArrayList<>(names);
        all.add(name);
        return all;
    }
}

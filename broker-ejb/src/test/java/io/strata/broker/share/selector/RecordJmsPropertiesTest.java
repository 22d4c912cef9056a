package io.strata.broker.share.selector;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.strata.broker.share.selector.TestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;

/** The mapping of a record's headers and timestamp to JMS properties and header fields. */
@Timeout(30)
class RecordJmsPropertiesTest {

    private static RecordJmsProperties properties(String... keysAndValues) {
        return new RecordJmsProperties("orders", 2, record(17, keysAndValues));
    }

    @Test
    void aHeaderIsAStringPropertyOfItsNameAndTheLastOfARepeatedKeyCounts() {
        RecordJmsProperties properties = properties("colour", "red", "size", "5", "colour", "blue");

        assertThat(properties.get("colour")).isEqualTo("blue");
        assertThat(properties.get("size")).isEqualTo("5");
    }

    @Test
    void aMissingHeaderOrOneWithANullValueIsNull() {
        RecordJmsProperties properties = properties("empty", null);

        assertThat(properties.get("empty")).isNull();
        assertThat(properties.get("absent")).isNull();
        assertThat(properties.get("JMSXDeliveryCount")).isNull();
    }

    @Test
    void declaredTypesAreParsedFromTheirText() {
        RecordJmsProperties properties = properties(RecordJmsProperties.TYPES_HEADER,
                "flag=boolean,b=byte, s = short,i=int,l=long,f=float,d=double,text=string",
                "flag", "TRUE", "b", "-7", "s", "300", "i", "70000", "l", "5000000000", "f", "1.5", "d", "2.0E-3",
                "text", "plain");

        assertThat(properties.get("flag")).isEqualTo(Boolean.TRUE);
        assertThat(properties.get("b")).isEqualTo((byte) -7);
        assertThat(properties.get("s")).isEqualTo((short) 300);
        assertThat(properties.get("i")).isEqualTo(70000);
        assertThat(properties.get("l")).isEqualTo(5_000_000_000L);
        assertThat(properties.get("f")).isEqualTo(1.5f);
        assertThat(properties.get("d")).isEqualTo(0.002d);
        // 'string' is not one of the seven types: the declaration is bad, the property NULL.
        assertThat(properties.get("text")).isNull();
    }

    @Test
    void aValueThatIsNotOfItsDeclaredTypeIsNull() {
        RecordJmsProperties properties = properties(RecordJmsProperties.TYPES_HEADER,
                "flag=boolean,b=byte,i=int,d=double,broken", "flag", "yes", "b", "300", "i", "12abc", "d", "",
                "broken", "value");

        assertThat(properties.get("flag")).isNull();
        assertThat(properties.get("b")).isNull();
        assertThat(properties.get("i")).isNull();
        assertThat(properties.get("d")).isNull();
        // A pair without '=' declares nothing: the header stays a String.
        assertThat(properties.get("broken")).isEqualTo("value");
    }

    @Test
    void jmsHeaderFieldsHaveTheirDefaultsWithoutHeaders() {
        RecordJmsProperties properties = properties();

        assertThat(properties.get("JMSDeliveryMode")).isEqualTo("PERSISTENT");
        assertThat(properties.get("JMSPriority")).isEqualTo(4);
        assertThat(properties.get("JMSMessageID")).isEqualTo("ID:orders:2:17");
        assertThat(properties.get("JMSTimestamp")).isEqualTo(1000L);
        assertThat(properties.get("JMSCorrelationID")).isNull();
        assertThat(properties.get("JMSType")).isNull();
    }

    @Test
    void jmsHeaderFieldsComeFromHeadersWithJmsTypesWhateverIsDeclared() {
        RecordJmsProperties properties = properties(RecordJmsProperties.TYPES_HEADER, "JMSPriority=double",
                "JMSDeliveryMode", "NON_PERSISTENT", "JMSPriority", "9", "JMSMessageID", "ID:abc",
                "JMSTimestamp", "42", "JMSCorrelationID", "c-1", "JMSType", "invoice");

        assertThat(properties.get("JMSDeliveryMode")).isEqualTo("NON_PERSISTENT");
        assertThat(properties.get("JMSPriority")).isEqualTo(9);
        assertThat(properties.get("JMSMessageID")).isEqualTo("ID:abc");
        assertThat(properties.get("JMSTimestamp")).isEqualTo(42L);
        assertThat(properties.get("JMSCorrelationID")).isEqualTo("c-1");
        assertThat(properties.get("JMSType")).isEqualTo("invoice");
    }

    @Test
    void deliveryModeIsPersistentUnlessAHeaderSaysNonPersistentOrOne() {
        assertThat(properties("JMSDeliveryMode", "1").get("JMSDeliveryMode")).isEqualTo("NON_PERSISTENT");
        assertThat(properties("JMSDeliveryMode", "2").get("JMSDeliveryMode")).isEqualTo("PERSISTENT");
        assertThat(properties("JMSDeliveryMode", "PERSISTENT").get("JMSDeliveryMode")).isEqualTo("PERSISTENT");
    }

    @Test
    void aPriorityOrTimestampHeaderThatIsNotANumberIsNullAndARecordWithoutTimestampHasNone() {
        assertThat(properties("JMSPriority", "high").get("JMSPriority")).isNull();
        assertThat(properties("JMSTimestamp", "yesterday").get("JMSTimestamp")).isNull();
        assertThat(new RecordJmsProperties("orders", 0, record(3, -1)).get("JMSTimestamp")).isNull();
    }

    @Test
    void theDerivedMessageIdNamesTopicPartitionAndOffset() {
        assertThat(RecordJmsProperties.messageId("a.b-c_d", 11, 123_456_789_012L))
                .isEqualTo("ID:a.b-c_d:11:123456789012");
    }
}

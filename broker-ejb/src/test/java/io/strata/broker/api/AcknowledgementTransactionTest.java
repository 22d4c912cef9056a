package io.strata.broker.api;

import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The value of the transactional-acknowledgement tagged fields, and how it travels in kafka-clients' messages. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class AcknowledgementTransactionTest {

    private static final int TAG = StrataExtensions.SHARE_ACKNOWLEDGE_TRANSACTION_TAG;

    @Test
    void aTransactionSurvivesTheRoundTripThroughAParsedShareAcknowledgeRequest() {
        AcknowledgementTransaction transaction = new AcknowledgementTransaction("orders-tx-é", 1234567890123L,
                (short) 7);
        ShareAcknowledgeRequestData data = new ShareAcknowledgeRequestData().setGroupId("g").setMemberId("m");
        data.unknownTaggedFields().add(transaction.toTaggedField(TAG));

        short version = 2;
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buffer = ByteBuffer.allocate(data.size(cache, version));
        data.write(new ByteBufferAccessor(buffer), cache, version);
        buffer.flip();
        ShareAcknowledgeRequestData parsed = new ShareAcknowledgeRequestData(new ByteBufferAccessor(buffer), version);

        assertThat(AcknowledgementTransaction.from(parsed.unknownTaggedFields(), TAG)).isEqualTo(transaction);
        assertThat(AcknowledgementTransaction.from(parsed.unknownTaggedFields(), TAG + 1)).isNull();
        assertThat(AcknowledgementTransaction.from(List.of(), TAG)).isNull();
    }

    @Test
    void malformedFieldsAreRefusedSayingWhatIsWrong() {
        byte[] good = new AcknowledgementTransaction("tx", 5, (short) 1).toTaggedField(TAG).data();

        assertThatThrownBy(() -> AcknowledgementTransaction.from(List.of(new RawTaggedField(TAG,
                Arrays.copyOf(good, good.length - 1))), TAG)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tagged field 32001").hasMessageContaining("malformed")
                .hasMessageContaining("ends too early");
        assertThatThrownBy(() -> AcknowledgementTransaction.from(List.of(new RawTaggedField(TAG,
                Arrays.copyOf(good, good.length + 2))), TAG)).hasMessageContaining("2 bytes follow");
        assertThatThrownBy(() -> AcknowledgementTransaction.from(List.of(new RawTaggedField(TAG,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), TAG)).hasMessageContaining("transactional id");
        assertThatThrownBy(() -> AcknowledgementTransaction.from(List.of(new RawTaggedField(TAG, new byte[0])), TAG))
                .hasMessageContaining("malformed");
        assertThatThrownBy(() -> AcknowledgementTransaction.from(List.of(new RawTaggedField(TAG, good),
                new RawTaggedField(TAG, good)), TAG)).hasMessageContaining("twice");
        byte[] negative = good.clone();
        negative[3] = (byte) 0x80; // the producer id's sign bit
        assertThatThrownBy(() -> AcknowledgementTransaction.from(List.of(new RawTaggedField(TAG, negative)), TAG))
                .hasMessageContaining("must not be negative");
    }

    @Test
    void theFeatureIsAdvertisedOnlyByABrokerThatServesShareAcknowledgements() {
        var everywhere = SupportedApis.supportedFeatures();
        var withoutShares = SupportedApis.supportedFeatures(java.util.Set.of(
                org.apache.kafka.common.protocol.ApiKeys.SHARE_FETCH,
                org.apache.kafka.common.protocol.ApiKeys.SHARE_ACKNOWLEDGE));

        var feature = everywhere.find(StrataExtensions.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE);
        assertThat(feature.minVersion()).isEqualTo((short) 1);
        assertThat(feature.maxVersion()).isEqualTo((short) 2); // 2: pending acknowledgements survive a failover
        assertThat(withoutShares.find(StrataExtensions.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE)).isNull();
        assertThat(withoutShares.find("transaction.version")).isNotNull();
        assertThat(List.of(StrataExtensions.SHARE_ACKNOWLEDGE_TRANSACTION_TAG,
                StrataExtensions.SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG)).allSatisfy(tag ->
                assertThat(tag).isBetween(StrataExtensions.FIRST_TAG, StrataExtensions.LAST_TAG));
    }
}

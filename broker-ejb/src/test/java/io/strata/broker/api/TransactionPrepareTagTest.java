package io.strata.broker.api;

import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The prepare tag of EndTxn ({@code strata.transaction.prepare}) as the handler reads it: empty, once, on a commit of
 * version 5; anything else is malformed, and the feature is advertised where EndTxn is served.
 */
@Timeout(30)
class TransactionPrepareTagTest {

    private static final int TAG = StrataExtensions.TRANSACTION_PREPARE_TAG;

    private static EndTxnRequestData endTxn(boolean commit, byte[]... tags) {
        EndTxnRequestData data = new EndTxnRequestData().setTransactionalId("strata-xa:1:01:02").setProducerId(7)
                .setProducerEpoch((short) 3).setCommitted(commit);
        for (byte[] value : tags) {
            data.unknownTaggedFields().add(new RawTaggedField(TAG, value));
        }
        return data;
    }

    @Test
    void anEmptyTagOnACommitOfVersionFiveIsAPrepareAndNoTagIsNone() {
        assertThat(TransactionHandlers.prepareRequested(endTxn(true, new byte[0]), (short) 5)).isTrue();
        assertThat(TransactionHandlers.prepareRequested(endTxn(true), (short) 5)).isFalse();
        assertThat(TransactionHandlers.prepareRequested(endTxn(false), (short) 2)).isFalse();
    }

    @Test
    void aValueATagTwiceAnAbortOrAnOlderVersionIsMalformed() {
        assertThatThrownBy(() -> TransactionHandlers.prepareRequested(endTxn(true, new byte[] {1}), (short) 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be empty");
        assertThatThrownBy(() -> TransactionHandlers.prepareRequested(endTxn(true, new byte[0], new byte[0]),
                (short) 5)).hasMessageContaining("2 times");
        assertThatThrownBy(() -> TransactionHandlers.prepareRequested(endTxn(false, new byte[0]), (short) 5))
                .hasMessageContaining("committed = true");
        assertThatThrownBy(() -> TransactionHandlers.prepareRequested(endTxn(true, new byte[0]), (short) 4))
                .hasMessageContaining("version 5");
    }

    @Test
    void theTagIsInStrataRangeAndTheFeatureIsAdvertisedWhereEndTxnIsServed() {
        assertThat(TAG).isBetween(StrataExtensions.FIRST_TAG, StrataExtensions.LAST_TAG);
        var feature = SupportedApis.supportedFeatures().find(StrataExtensions.TRANSACTION_PREPARE_FEATURE);
        assertThat(feature.minVersion()).isEqualTo((short) 1);
        assertThat(feature.maxVersion()).isEqualTo((short) 1);
        assertThat(SupportedApis.supportedFeatures(java.util.Set.of(org.apache.kafka.common.protocol.ApiKeys.END_TXN))
                .find(StrataExtensions.TRANSACTION_PREPARE_FEATURE)).isNull();
    }
}

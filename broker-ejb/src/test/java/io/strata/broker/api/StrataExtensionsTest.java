package io.strata.broker.api;

import org.apache.kafka.common.message.ApiVersionsResponseData.SupportedFeatureKey;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Strata's protocol extensions: tags in the reserved range, features advertised only where the extension exists. */
@Timeout(30)
class StrataExtensionsTest {

    @Test
    void theShareFilterTagIsInStrataRange() {
        assertThat(StrataExtensions.SHARE_FILTER_TAG).isBetween(StrataExtensions.FIRST_TAG,
                StrataExtensions.LAST_TAG);
    }

    @Test
    void theShareFilterFeatureIsAdvertisedAtVersionOneByABrokerThatServesShareFetch() {
        SupportedFeatureKey filter = SupportedApis.supportedFeatures(Set.of())
                .find(StrataExtensions.SHARE_FILTER_FEATURE);

        assertThat(filter).isNotNull();
        assertThat(filter.minVersion()).isEqualTo((short) 1);
        assertThat(filter.maxVersion()).isEqualTo((short) 1);
        assertThat(SupportedApis.supportedFeatures(Set.of(ApiKeys.SHARE_FETCH, ApiKeys.SHARE_ACKNOWLEDGE))
                .find(StrataExtensions.SHARE_FILTER_FEATURE)).isNull();
        assertThat(SupportedApis.supportedFeatures(Set.of()).find("share.version")).isNotNull();
    }
}

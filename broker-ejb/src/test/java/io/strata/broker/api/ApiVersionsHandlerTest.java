package io.strata.broker.api;

import io.strata.broker.network.InProcessConnection.Answered;
import io.strata.broker.network.InProcessConnection.Outcome;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.StreamsGroupDescribeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.StreamsGroupDescribeRequest;
import org.apache.kafka.common.requests.StreamsGroupDescribeResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** ApiVersions, and the dispatcher's answer for APIs not implemented, without sockets. */
@Timeout(60)
class ApiVersionsHandlerTest {

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void onlyTheImplementedApisAreAdvertisedEachOverTheVersionsImplemented() throws Exception {
        ApiVersionsResponse response = broker.send(new ApiVersionsRequest.Builder(), ApiVersionsResponse.class);

        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
        Set<ApiKeys> advertised = response.data().apiKeys().stream().map(v -> ApiKeys.forId(v.apiKey()))
                .collect(Collectors.toSet());
        // This broker was built without a share-state persister: it withholds the share APIs it cannot serve.
        Set<ApiKeys> servable = new java.util.HashSet<>(SupportedApis.implemented());
        servable.removeAll(Set.of(ApiKeys.SHARE_FETCH, ApiKeys.SHARE_ACKNOWLEDGE));
        assertThat(SupportedApis.implemented()).contains(ApiKeys.SHARE_FETCH, ApiKeys.SHARE_ACKNOWLEDGE);
        assertThat(advertised).isEqualTo(servable)
                .contains(ApiKeys.PRODUCE, ApiKeys.FETCH, ApiKeys.JOIN_GROUP, ApiKeys.END_TXN,
                        ApiKeys.CONSUMER_GROUP_HEARTBEAT, ApiKeys.CONSUMER_GROUP_DESCRIBE,
                        ApiKeys.SHARE_GROUP_HEARTBEAT, ApiKeys.SHARE_GROUP_DESCRIBE);
        for (ApiVersion version : response.data().apiKeys()) {
            ApiKeys key = ApiKeys.forId(version.apiKey());
            assertThat(version.minVersion()).as(key.name).isEqualTo(key.oldestVersion());
            assertThat(version.maxVersion()).as(key.name).isEqualTo(SupportedApis.latestVersion(key));
        }
        // Transaction protocol version 2 (KIP-890), finalized, so that kafka-clients 4 use it.
        assertThat(response.data().finalizedFeatures().find("transaction.version").maxVersionLevel())
                .isEqualTo((short) 2);
        // Share groups (KIP-932): kafka-clients' Admin and share consumer look for share.version 1.
        assertThat(response.data().finalizedFeatures().find("share.version").maxVersionLevel())
                .isEqualTo((short) 1);
        assertThat(response.data().supportedFeatures().find("share.version").maxVersion()).isEqualTo((short) 1);
    }

    @Test
    void aClientNewerThanTheBrokerIsAnsweredInVersionZeroWithUnsupportedVersionAndTheList() throws Exception {
        short unknownVersion = (short) (ApiKeys.API_VERSIONS.latestVersion() + 1);

        Outcome outcome = broker.dispatchRaw(ApiKeys.API_VERSIONS, unknownVersion, new byte[0]);

        assertThat(outcome).isInstanceOf(Answered.class);
        ApiVersionsResponse response = (ApiVersionsResponse) ((Answered) outcome).response();
        assertThat(response.errorCounts()).containsOnlyKeys(Errors.UNSUPPORTED_VERSION);
        assertThat(response.data().apiKeys().find(ApiKeys.API_VERSIONS.id).maxVersion())
                .isEqualTo(ApiKeys.API_VERSIONS.latestVersion());
    }

    @Test
    void aRequestForAnApiNotImplementedIsAnsweredWithItsOwnUnsupportedVersionResponse() throws Exception {
        StreamsGroupDescribeResponse response = broker.send(new StreamsGroupDescribeRequest.Builder(
                new StreamsGroupDescribeRequestData().setGroupIds(List.of("g"))), StreamsGroupDescribeResponse.class);

        assertThat(response.errorCounts()).containsOnlyKeys(Errors.UNSUPPORTED_VERSION);
    }

    @Test
    void aBrokerWithoutASharePersisterAnswersShareFetchWithUnsupportedVersion() throws Exception {
        org.apache.kafka.common.requests.ShareFetchResponse response = broker.send(
                new org.apache.kafka.common.requests.ShareFetchRequest.Builder(
                        new org.apache.kafka.common.message.ShareFetchRequestData().setGroupId("g")
                                .setMemberId("m").setMaxRecords(1).setBatchSize(1)),
                org.apache.kafka.common.requests.ShareFetchResponse.class);

        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.UNSUPPORTED_VERSION);
    }
}

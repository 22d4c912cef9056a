package io.strata.broker.api;

import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResourceCollection;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfigCollection;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** DescribeConfigs and IncrementalAlterConfigs through the real handlers and controller, without sockets. */
@Timeout(60)
class ConfigHandlersTest {

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void aTopicSettingSetIncrementallyIsDescribedAsADynamicTopicConfig() throws Exception {
        AlterConfigsResourceResponse altered = alterTopic("orders", "retention.ms", "60000", AlterConfigOp.OpType.SET,
                false);

        assertThat(Errors.forCode(altered.errorCode())).isEqualTo(Errors.NONE);
        DescribeConfigsResourceResult retention = describeTopicSetting("orders", "retention.ms");
        assertThat(retention.value()).isEqualTo("60000");
        assertThat(retention.configSource()).isEqualTo(DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG.id());
        assertThat(broker.controller().image().topic("orders").configs()).containsEntry("retention.ms", "60000");
    }

    @Test
    void deletingATopicSettingFallsBackToTheDefault() throws Exception {
        alterTopic("orders", "retention.ms", "60000", AlterConfigOp.OpType.SET, false);

        AlterConfigsResourceResponse deleted = alterTopic("orders", "retention.ms", null,
                AlterConfigOp.OpType.DELETE, false);

        assertThat(Errors.forCode(deleted.errorCode())).isEqualTo(Errors.NONE);
        assertThat(describeTopicSetting("orders", "retention.ms").value()).isNotEqualTo("60000");
        assertThat(broker.controller().image().topic("orders").configs()).doesNotContainKey("retention.ms");
    }

    @Test
    void validateOnlyChangesNothing() throws Exception {
        AlterConfigsResourceResponse validated = alterTopic("orders", "retention.ms", "60000",
                AlterConfigOp.OpType.SET, true);

        assertThat(Errors.forCode(validated.errorCode())).isEqualTo(Errors.NONE);
        assertThat(broker.controller().image().topic("orders").configs()).doesNotContainKey("retention.ms");
    }

    @Test
    void anUnknownSettingOrABadValueIsAnsweredWithInvalidConfig() throws Exception {
        assertThat(Errors.forCode(alterTopic("orders", "retention.forever", "yes", AlterConfigOp.OpType.SET, false)
                .errorCode())).isEqualTo(Errors.INVALID_CONFIG);
        assertThat(Errors.forCode(alterTopic("orders", "retention.ms", "soon", AlterConfigOp.OpType.SET, false)
                .errorCode())).isEqualTo(Errors.INVALID_CONFIG);
        assertThat(broker.controller().image().topic("orders").configs()).doesNotContainKey("retention.ms");
    }

    @Test
    void anUnknownTopicIsAnsweredWithUnknownTopicOrPartition() throws Exception {
        assertThat(Errors.forCode(alterTopic("no-such-topic", "retention.ms", "60000", AlterConfigOp.OpType.SET,
                false).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(Errors.forCode(describe(ConfigResource.Type.TOPIC, "no-such-topic", null).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void brokerSettingsAreDescribedButChangingThemIsRefusedWithInvalidRequest() throws Exception {
        DescribeConfigsResult described = describe(ConfigResource.Type.BROKER, "1", List.of("num.partitions"));
        assertThat(Errors.forCode(described.errorCode())).isEqualTo(Errors.NONE);
        assertThat(described.configs()).singleElement()
                .satisfies(config -> assertThat(config.name()).isEqualTo("num.partitions"));

        AlterConfigsResourceResponse altered = alter(ConfigResource.Type.BROKER, "1", "num.partitions", "5",
                AlterConfigOp.OpType.SET, false);

        assertThat(Errors.forCode(altered.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(altered.errorMessage()).contains("static");
    }

    @Test
    void aControllerQuorumResetOnABrokerOnItsOwnIsRefusedWithInvalidRequest() throws Exception {
        AlterConfigsResourceResponse reset = alter(ConfigResource.Type.BROKER, "", AdminHandlers.CP_RESET_CONFIG,
                "true", AlterConfigOp.OpType.SET, false);

        assertThat(Errors.forCode(reset.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(reset.errorMessage()).contains("not in a cluster");
    }

    private DescribeConfigsResourceResult describeTopicSetting(String topic, String name) throws Exception {
        DescribeConfigsResult result = describe(ConfigResource.Type.TOPIC, topic, List.of(name));
        assertThat(Errors.forCode(result.errorCode())).isEqualTo(Errors.NONE);
        assertThat(result.configs()).hasSize(1);
        return result.configs().get(0);
    }

    private DescribeConfigsResult describe(ConfigResource.Type type, String name, List<String> keys)
            throws Exception {
        DescribeConfigsResponse response = broker.send(new DescribeConfigsRequest.Builder(
                new DescribeConfigsRequestData().setResources(List.of(new DescribeConfigsResource()
                        .setResourceType(type.id()).setResourceName(name).setConfigurationKeys(keys)))),
                DescribeConfigsResponse.class);
        assertThat(response.data().results()).hasSize(1);
        return response.data().results().get(0);
    }

    private AlterConfigsResourceResponse alterTopic(String topic, String name, String value,
                                                    AlterConfigOp.OpType op, boolean validateOnly) throws Exception {
        return alter(ConfigResource.Type.TOPIC, topic, name, value, op, validateOnly);
    }

    private AlterConfigsResourceResponse alter(ConfigResource.Type type, String resource, String name, String value,
                                               AlterConfigOp.OpType op, boolean validateOnly) throws Exception {
        AlterableConfigCollection configs = new AlterableConfigCollection();
        configs.add(new AlterableConfig().setName(name).setValue(value).setConfigOperation(op.id()));
        AlterConfigsResourceCollection resources = new AlterConfigsResourceCollection();
        resources.add(new AlterConfigsResource().setResourceType(type.id()).setResourceName(resource)
                .setConfigs(configs));
        IncrementalAlterConfigsResponse response = broker.send(new IncrementalAlterConfigsRequest.Builder(
                new IncrementalAlterConfigsRequestData().setResources(resources).setValidateOnly(validateOnly)),
                IncrementalAlterConfigsResponse.class);
        assertThat(response.data().responses()).hasSize(1);
        return response.data().responses().get(0);
    }
}

package io.strata.broker.api;

import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** DescribeCluster through the real handler, without sockets: what Admin.describeCluster shows. */
@Timeout(60)
class DescribeClusterHandlerTest {

    private static final byte BROKER_ENDPOINTS = 1;
    private static final byte CONTROLLER_ENDPOINTS = 2;

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
    void theClusterIsThisBrokerAsAdvertisedAndItsController() throws Exception {
        DescribeClusterResponse response = describe(BROKER_ENDPOINTS);

        assertThat(response.data().errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(response.data().clusterId()).isEqualTo(broker.controller().image().clusterId());
        assertThat(response.data().controllerId()).isEqualTo(1);
        assertThat(response.data().brokers()).singleElement().satisfies(b -> {
            assertThat(b.brokerId()).isEqualTo(1);
            assertThat(b.host()).isEqualTo("127.0.0.1");
            assertThat(b.port()).isEqualTo(9092);
        });
    }

    @Test
    void controllerEndpointsAreRefusedWithUnsupportedEndpointType() throws Exception {
        DescribeClusterResponse response = describe(CONTROLLER_ENDPOINTS);

        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.UNSUPPORTED_ENDPOINT_TYPE);
        assertThat(response.data().brokers()).isEmpty();
    }

    private DescribeClusterResponse describe(byte endpointType) throws Exception {
        return broker.send(new DescribeClusterRequest.Builder(new DescribeClusterRequestData()
                .setEndpointType(endpointType)), DescribeClusterResponse.class);
    }
}

package io.strata.broker.api;

import io.strata.broker.network.InProcessConnection.Closed;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the dispatcher does with requests no handler can answer, without sockets. */
@Timeout(60)
class ApiDispatcherTest {

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
    void aBodyThatCannotBeDecodedClosesTheConnectionAndTheBrokerGoesOnServing() throws Exception {
        // A METADATA v12 body claiming a topic array far longer than the bytes that follow.
        byte[] truncated = {0x7f, 0x7f, 0x7f, 0x7f};

        assertThat(broker.dispatchRaw(ApiKeys.METADATA, (short) 12, truncated)).isInstanceOf(Closed.class);

        MetadataResponse after = broker.send(MetadataRequest.Builder.forTopicNames(List.of("orders"), false),
                MetadataResponse.class);
        assertThat(Errors.forCode(after.data().topics().find("orders").errorCode())).isEqualTo(Errors.NONE);
    }
}

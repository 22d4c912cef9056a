package io.strata.broker.it;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A broker whose every log directory failed can serve nothing: it stops, as Kafka's halts, so that in a cluster its
 * partitions move to other replicas instead of answering KAFKA_STORAGE_ERROR for ever.
 */
@Timeout(120)
class AllLogDirectoriesOfflineTest {

    @TempDir
    Path dir;

    @Test
    void aBrokerWhoseOnlyLogDirectoryFailedStopsAndSaysWhy() throws Exception {
        TestBroker broker = TestBroker.start(dir, Map.of());
        try {
            broker.createTopic("disk", 1, Map.of());
            TopicPartition tp = new TopicPartition("disk", 0);
            String[] hostPort = broker.bootstrapServers().split(":");

            broker.server().replicaManager().partition(tp).log().health()
                    .fail("Flushing " + tp, new IOException("Input/output error (injected)"));

            await().atMost(Duration.ofSeconds(30)).until(() -> broker.server().stoppedBecause() != null);
            broker.server().awaitStopped();
            assertThat(broker.server().stoppedBecause()).contains("every log directory is offline")
                    .contains("Input/output error (injected)");
            assertThatThrownBy(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 2000);
                }
            }).as("the broker no longer listens").isInstanceOf(IOException.class);
        } finally {
            broker.stop();
        }
    }
}

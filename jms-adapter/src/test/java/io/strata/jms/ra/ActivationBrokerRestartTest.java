package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import io.strata.jms.client.StrataConnectionFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.ra.TestContainer.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker stops and starts again (same data, same port) under a running activation: delivery resumes by itself,
 * every message sent arrives, and none the share group had acknowledged before the stop comes again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ActivationBrokerRestartTest {

    @TempDir
    static Path dir;

    @Test
    void anActivationResumesAfterABrokerRestartWithoutLosingOrRepeatingAcknowledgedMessages() throws Exception {
        try (TestBroker broker = TestContainer.broker(dir); TestContainer.Pool work = new TestContainer.Pool(8)) {
            StrataResourceAdapter adapter = TestContainer.adapter(broker, work);
            TestContainer.Endpoints endpoints = new TestContainer.Endpoints("restarting");
            StrataActivationSpec spec = new StrataActivationSpec();
            spec.setResourceAdapter(adapter);
            spec.setDestination("ra-restarted");
            spec.setDestinationType("jakarta.jms.Queue");
            spec.setMaxSession(2);
            adapter.endpointActivation(endpoints, spec);
            await().atMost(AT_MOST).until(() -> adapter.activation(endpoints, spec).connected());
            StrataConnectionFactory sender = new StrataConnectionFactory(broker.bootstrapServers());

            List<String> before = InboundTest.numbered("before", 10);
            sendAll(sender, before);
            await().atMost(AT_MOST).until(() -> endpoints.received.size() >= 10);
            try (Admin admin = broker.admin()) {   // the group has acknowledged all ten
                await().atMost(AT_MOST).until(() -> startOffset(admin) == 10);
            }

            broker.stop();
            broker.start();
            List<String> after = InboundTest.numbered("after", 10);
            sendAll(sender, after);

            await().atMost(AT_MOST.multipliedBy(2)).until(() -> endpoints.texts().containsAll(after));
            assertThat(endpoints.texts().subList(0, 10)).containsExactlyInAnyOrderElementsOf(before);
            assertThat(endpoints.texts().subList(10, endpoints.texts().size()))
                    .as("no acknowledged message again").doesNotContainAnyElementsOf(before);
            adapter.stop();
        }
    }

    private static void sendAll(StrataConnectionFactory sender, List<String> texts) {
        try (var context = sender.createContext()) {
            var producer = context.createProducer();
            texts.forEach(text -> producer.send(context.createQueue("ra-restarted"), text));
        }
    }

    private static long startOffset(Admin admin) throws Exception {
        TopicPartition partition = new TopicPartition("ra-restarted", 0);
        Map<TopicPartition, SharePartitionOffsetInfo> infos = admin.listShareGroupOffsets(Map.of("ra-restarted",
                        new ListShareGroupOffsetsSpec().topicPartitions(List.of(partition))))
                .partitionsToOffsetInfo("ra-restarted").get(10, TimeUnit.SECONDS);
        SharePartitionOffsetInfo info = infos.get(partition);
        return info == null ? -1 : info.startOffset();
    }
}

package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import io.strata.jms.client.StrataConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.ra.TestContainer.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker stops and starts again (same data, same port) under a transacted activation: delivery resumes by itself,
 * every message sent is delivered in a transaction that commits, and none whose transaction committed is delivered
 * and committed again. A delivery whose transaction could not complete while the broker was away may come again: it
 * was not committed.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class XaActivationBrokerRestartTest {

    @TempDir
    static Path dir;

    @Test
    void aTransactedActivationResumesAfterABrokerRestartWithNothingCommittedLostOrRepeated() throws Exception {
        try (TestBroker broker = TestContainer.broker(dir); TestContainer.Pool work = new TestContainer.Pool(8)) {
            StrataResourceAdapter adapter = TestContainer.adapter(broker, work);
            TestContainer.Transactions transactions = new TestContainer.Transactions();
            TestContainer.Endpoints endpoints = TestContainer.Endpoints.transacted("xa-restarting", transactions);
            StrataActivationSpec spec = new StrataActivationSpec();
            spec.setResourceAdapter(adapter);
            spec.setDestination("ra-xa-restarted");
            spec.setDestinationType("jakarta.jms.Queue");
            spec.setMaxSession(2);
            adapter.endpointActivation(endpoints, spec);
            await().atMost(AT_MOST).until(() -> adapter.activation(endpoints, spec).connected());
            StrataConnectionFactory sender = new StrataConnectionFactory(broker.bootstrapServers());

            List<String> before = InboundTest.numbered("before", 10);
            sendAll(sender, before);
            await().atMost(AT_MOST).until(() -> endpoints.committed.size() >= 10);

            broker.stop();
            broker.start();
            List<String> after = InboundTest.numbered("after", 10);
            sendAll(sender, after);

            await().atMost(AT_MOST.multipliedBy(2)).until(() -> endpoints.committed.containsAll(after));
            adapter.stop(); // waits for the transactions in progress
            List<String> committed = new ArrayList<>(endpoints.committed);
            List<String> all = new ArrayList<>(before);
            all.addAll(after);
            assertThat(committed).as("each message committed exactly once").containsExactlyInAnyOrderElementsOf(all);
            assertThat(committed.subList(0, 10)).containsExactlyInAnyOrderElementsOf(before);
        }
    }

    private static void sendAll(StrataConnectionFactory sender, List<String> texts) {
        try (var context = sender.createContext()) {
            var producer = context.createProducer();
            texts.forEach(text -> producer.send(context.createQueue("ra-xa-restarted"), text));
        }
    }
}

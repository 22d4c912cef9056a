package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import io.strata.jms.client.StrataConnectionFactory;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.ra.TestContainer.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transacted delivery on a real broker: endpoints whose onMessage is in the container's transaction (the test
 * transaction manager's, begun in beforeDelivery on the XA resource the endpoint was created with) get each message
 * in the transaction, so that its commit acknowledges the message and its rollback delivers it again, up to the
 * delivery limit and then to the dead-letter topic.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class XaInboundTest {

    private static final String DEAD_LETTERS = "dlq.ra-xa-inbound";

    @TempDir
    static Path dir;
    static TestBroker broker;
    static TestContainer.Pool work;
    static StrataResourceAdapter adapter;
    static StrataConnectionFactory sender;

    @BeforeAll
    static void start() throws Exception {
        broker = TestContainer.broker(dir);
        work = new TestContainer.Pool(16);
        adapter = TestContainer.adapter(broker, work);
        adapter.setDeadLetterTopic(DEAD_LETTERS);
        adapter.setDeliveryLimit(3);
        sender = new StrataConnectionFactory(broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        adapter.stop();
        work.close();
        broker.close();
    }

    private static StrataActivationSpec activate(TestContainer.Endpoints endpoints, String queue, int maxSession)
            throws Exception {
        StrataActivationSpec spec = new StrataActivationSpec();
        spec.setResourceAdapter(adapter);
        spec.setDestination(queue);
        spec.setDestinationType("jakarta.jms.Queue");
        spec.setMaxSession(maxSession);
        adapter.endpointActivation(endpoints, spec);
        await().atMost(AT_MOST).until(() -> adapter.activation(endpoints, spec).connected());
        return spec;
    }

    private static void send(AdministeredQueue queue, List<String> texts) {
        try (JMSContext context = sender.createContext()) {
            texts.forEach(text -> context.createProducer().send(queue, text));
        }
    }

    /**
     * What a new member of {@code queue}'s share group still gets: the messages not acknowledged (a transaction that
     * did not commit releases its messages, or their lock of 1 s runs out).
     */
    private static List<String> leftIn(String queue) {
        List<String> left = new ArrayList<>();
        try (JMSContext context = sender.createContext()) {
            JMSConsumer consumer = context.createConsumer(context.createQueue(queue));
            for (String text = consumer.receiveBody(String.class, 1_500); text != null;
                 text = consumer.receiveBody(String.class, 500)) {
                left.add(text);
            }
        }
        return left;
    }

    @Test
    void aTransactedEndpointWhoseTransactionCommitsHasTheMessageAcknowledgedOnce() throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions();
        TestContainer.Endpoints endpoints = TestContainer.Endpoints.transacted("xa-committing", transactions);
        StrataActivationSpec spec = activate(endpoints, "ra-xa-commit", 1);
        send(new AdministeredQueue("ra-xa-commit"), List.of("once"));

        await().atMost(AT_MOST).until(() -> endpoints.received.size() == 1);
        adapter.endpointDeactivation(endpoints, spec); // returns once the delivery's transaction completed
        assertThat(leftIn("ra-xa-commit")).as("acknowledged by the commit").isEmpty();
        assertThat(endpoints.committed).containsExactly("once");
        assertThat(endpoints.xaResources).as("created with its session's XA resource").hasSize(1);
        assertThat(endpoints.received).extracting(TestContainer.Received::text).containsExactly("once");
        assertThat(endpoints.received).extracting(TestContainer.Received::deliveryCount).containsExactly(1);
        assertThat(endpoints.received).allSatisfy(received ->
                assertThat(received.thread()).as("run by the work manager").startsWith("test-work-"));
        assertThat(transactions.rolledBack.get()).isZero();
        assertThat(endpoints.completionFailures.get()).isZero();
    }

    @Test
    void anEndpointThatThrowsIsRolledBackAndGetsTheMessageAgainWithARisingCountThenItIsDeadLettered()
            throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions();
        TestContainer.Endpoints endpoints = TestContainer.Endpoints.transacted("xa-failing", transactions);
        endpoints.behaviour = received -> {
            throw new IllegalStateException("the bean cannot take " + received.text());
        };
        StrataActivationSpec spec = activate(endpoints, "ra-xa-poison", 1);
        send(new AdministeredQueue("ra-xa-poison"), List.of("poison"));

        await().atMost(AT_MOST).until(() -> endpoints.received.size() >= 3);
        try (JMSContext context = sender.createContext()) {
            String deadLetter = context.createConsumer(context.createQueue(DEAD_LETTERS))
                    .receiveBody(String.class, AT_MOST.toMillis());
            assertThat(deadLetter).isEqualTo("poison");
        }
        adapter.endpointDeactivation(endpoints, spec);
        assertThat(endpoints.received).extracting(TestContainer.Received::deliveryCount).containsExactly(1, 2, 3);
        assertThat(endpoints.received).extracting(TestContainer.Received::redelivered)
                .containsExactly(false, true, true);
        assertThat(transactions.rolledBack.get()).as("each delivery's transaction").isGreaterThanOrEqualTo(3);
    }

    @Test
    void aTransactionMarkedRollbackOnlyDeliversTheMessageAgainAndTheNextCommitAcknowledgesIt() throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions();
        TestContainer.Endpoints endpoints = TestContainer.Endpoints.transacted("xa-rollback-only", transactions);
        endpoints.behaviour = received -> {
            if (received.deliveryCount() == 1) {
                transactions.current().setRollbackOnly();
            }
        };
        StrataActivationSpec spec = activate(endpoints, "ra-xa-rollback-only", 1);
        send(new AdministeredQueue("ra-xa-rollback-only"), List.of("twice"));

        await().atMost(AT_MOST).until(() -> endpoints.received.size() == 2);
        adapter.endpointDeactivation(endpoints, spec);
        assertThat(leftIn("ra-xa-rollback-only")).as("acknowledged by the second commit").isEmpty();
        assertThat(endpoints.received).extracting(TestContainer.Received::deliveryCount).containsExactly(1, 2);
    }

    @Test
    void maxSessionFourDeliversInFourTransactionsAtOnceAndEachMessageOnce() throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions();
        TestContainer.Endpoints endpoints = TestContainer.Endpoints.transacted("xa-parallel", transactions);
        CountDownLatch fourAtOnce = new CountDownLatch(4);
        endpoints.behaviour = received -> {
            fourAtOnce.countDown();
            try {
                fourAtOnce.await(AT_MOST.toMillis(), TimeUnit.MILLISECONDS); // returns at once when 4 are in
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        StrataActivationSpec spec = activate(endpoints, "ra-xa-parallel", 4);
        List<String> sent = InboundTest.numbered("x", 40);
        send(new AdministeredQueue("ra-xa-parallel"), sent);

        await().atMost(AT_MOST).until(() -> endpoints.received.size() >= 40);
        adapter.endpointDeactivation(endpoints, spec);
        assertThat(leftIn("ra-xa-parallel")).as("every one acknowledged").isEmpty();
        assertThat(fourAtOnce.getCount()).as("four deliveries were in onMessage at once").isZero();
        assertThat(endpoints.mostInOnMessage.get()).isEqualTo(4);
        assertThat(endpoints.texts()).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(endpoints.received).extracting(TestContainer.Received::deliveryCount).containsOnly(1);
        assertThat(endpoints.xaResources).hasSize(4);
    }

    @Test
    void anEndpointForwardsThroughAPooledFactoryInItsTransactionJoiningTheDeliverysBranch() throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions(true); // joins as Payara's does
        TestContainer.SmallPool pool = new TestContainer.SmallPool(1, transactions);
        StrataManagedConnectionFactory managed = new StrataManagedConnectionFactory();
        managed.setResourceAdapter(adapter);
        jakarta.jms.ConnectionFactory pooled = (jakarta.jms.ConnectionFactory) managed.createConnectionFactory(pool);
        AdministeredQueue forwarded = new AdministeredQueue("ra-xa-forwarded");
        TestContainer.Endpoints endpoints = TestContainer.Endpoints.transacted("xa-forwarding", transactions);
        endpoints.behaviour = received -> {
            try (JMSContext context = pooled.createContext()) {
                context.createProducer().send(forwarded, received.text() + " #" + received.deliveryCount());
            }
            if (received.deliveryCount() == 1) {
                transactions.current().setRollbackOnly();
            }
        };
        StrataActivationSpec spec = activate(endpoints, "ra-xa-forwarding", 1);
        send(new AdministeredQueue("ra-xa-forwarding"), List.of("order"));

        await().atMost(AT_MOST).until(() -> endpoints.committed.size() == 1);
        adapter.endpointDeactivation(endpoints, spec);
        assertThat(leftIn("ra-xa-forwarding")).as("the second delivery's commit acknowledged it").isEmpty();
        assertThat(leftIn("ra-xa-forwarded")).as("only the committed transaction's send")
                .containsExactly("order #2");
        assertThat(transactions.joins).as("the pooled connection joined each delivery's branch").hasValue(2);
        for (jakarta.resource.spi.ManagedConnection connection : pool.created()) {
            pool.destroy(connection);
        }
    }
}

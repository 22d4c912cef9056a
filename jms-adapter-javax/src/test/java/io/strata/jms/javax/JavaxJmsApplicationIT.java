package io.strata.jms.javax;

import io.strata.broker.it.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.jms.Connection;
import javax.jms.ConnectionFactory;
import javax.jms.JMSConsumer;
import javax.jms.JMSContext;
import javax.jms.JMSException;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.Topic;
import javax.naming.Context;
import javax.naming.InitialContext;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A javax.jms 2.0 application on the rewritten provider and a real broker: it finds its connection factory and
 * destinations through JNDI ({@code jndi.properties} with {@code StrataInitialContextFactory}) and uses nothing but
 * javax.jms. Each test uses a destination of its own.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JavaxJmsApplicationIT {

    private static final long RECEIVE_MS = 10_000;

    @TempDir
    static Path dir;
    static TestBroker broker;
    static Context jndi;
    static ConnectionFactory factory;

    @BeforeAll
    static void startBrokerAndLookUpTheFactory() throws Exception {
        // Share groups that heartbeat every second, as jms-adapter's own tests run them, and share-group state and
        // transaction logs of a few partitions, which the first share consumer and transacted session create (50, the
        // default, take seconds).
        broker = TestBroker.start(dir, Map.of(
                "group.share.min.record.lock.duration.ms", 1000,
                "group.share.min.heartbeat.interval.ms", 500,
                "group.share.heartbeat.interval.ms", 1000,
                "share.coordinator.state.topic.num.partitions", 3,
                "transaction.state.log.num.partitions", 3));
        Hashtable<String, Object> brokerAddress = new Hashtable<>();
        brokerAddress.put("connectionFactory.ConnectionFactory", broker.bootstrapServers());
        jndi = new InitialContext(brokerAddress); // the rest comes from jndi.properties
        factory = (ConnectionFactory) jndi.lookup("ConnectionFactory");
    }

    @AfterAll
    static void stopBroker() throws Exception {
        jndi.close();
        broker.close();
    }

    @Test
    void aQueueDeliversWithClientAcknowledgeAndGivesBackWhatWasNotAcknowledged() throws Exception {
        Queue orders = (Queue) jndi.lookup("jms/orders");
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(orders);
            producer.send(session.createTextMessage("order 1"));
            producer.send(session.createTextMessage("order 2"));
            MessageConsumer consumer = session.createConsumer(orders);
            connection.start();

            TextMessage first = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(first.getText()).isEqualTo("order 1");
            first.acknowledge();
            TextMessage second = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(second.getText()).isEqualTo("order 2");
            assertThat(second.getJMSRedelivered()).isFalse();
        } // closed with "order 2" unacknowledged

        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(orders);
            connection.start();

            TextMessage again = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(again.getText()).isEqualTo("order 2");
            assertThat(again.getJMSRedelivered()).isTrue();
            assertThat(again.getIntProperty("JMSXDeliveryCount")).isEqualTo(2);
            again.acknowledge();
            assertThat(consumer.receive(500)).as("order 1 was acknowledged, order 2 now too").isNull();
        }
    }

    @Test
    void aTopicListenerGetsWhatIsPublishedAfterItSubscribed() throws Exception {
        Topic prices = (Topic) jndi.lookup("jms/prices");
        try (Connection connection = factory.createConnection()) {
            Session publishing = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer publisher = publishing.createProducer(prices);
            publisher.send(publishing.createTextMessage("EUR 1.07")); // before anyone subscribed: nobody gets it

            Session subscribing = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            subscribing.createConsumer(prices).setMessageListener(message -> {
                try {
                    received.add(message.getBody(String.class));
                } catch (JMSException e) {
                    received.add("unreadable: " + e);
                }
            });
            connection.start();
            publisher.send(publishing.createTextMessage("EUR 1.09"));

            assertThat(received.poll(RECEIVE_MS, TimeUnit.MILLISECONDS)).isEqualTo("EUR 1.09");
            assertThat(received).isEmpty();
        }
    }

    @Test
    void aTransactedSessionDeliversOnCommitAndRollbackUndoesItsSendsAndReceives() throws Exception {
        Queue payments = (Queue) jndi.lookup("jms/payments");
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer producer = session.createProducer(payments);
            producer.send(session.createTextMessage("payment rolled back"));
            session.rollback();
            producer.send(session.createTextMessage("payment committed"));
            session.commit();
            MessageConsumer consumer = session.createConsumer(payments);
            connection.start();

            TextMessage received = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(received.getText()).isEqualTo("payment committed");
            session.rollback();
            TextMessage again = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(again.getText()).isEqualTo("payment committed");
            assertThat(again.getJMSRedelivered()).isTrue();
            assertThat(again.getIntProperty("JMSXDeliveryCount")).isEqualTo(2);
            session.commit();
            assertThat(consumer.receive(500)).as("consumed by the commit; the rolled-back send never existed")
                    .isNull();
        }
    }

    @Test
    void theSimplifiedApiSendsAndReceivesBodiesWithASelector() throws Exception {
        try (JMSContext context = factory.createContext()) {
            Queue greetings = (Queue) jndi.lookup("dynamicQueues/legacy-greetings");
            JMSConsumer europe = context.createConsumer(greetings, "region = 'eu'");
            context.createProducer().setProperty("region", "us").send(greetings, "howdy");
            context.createProducer().setProperty("region", "eu").send(greetings, "hello");

            assertThat(europe.receiveBody(String.class, RECEIVE_MS)).isEqualTo("hello");
            assertThat(europe.receive(500)).isNull();
            assertThat(context.createConsumer(greetings).receiveBody(String.class, RECEIVE_MS)).isEqualTo("howdy");
        }
    }
}

package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.IllegalStateException;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.TransactionInProgressException;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ManagedConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.ra.TestContainer.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The application side of the resource adapter against a real broker, through a small test pool as the container's
 * connection manager: handles send and receive, closing one gives its managed connection back for reuse, the calls
 * JMS 3.1 section 12.2 keeps for the container throw, the container's local transaction commits and rolls back, and a
 * managed connection whose broker went away tells the pool.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OutboundTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    static StrataResourceAdapter adapter;
    static TestContainer.Pool work;

    @BeforeAll
    static void start() throws Exception {
        broker = TestContainer.broker(dir.resolve("broker"));
        work = new TestContainer.Pool(4);
        adapter = TestContainer.adapter(broker, work);
    }

    @AfterAll
    static void stop() {
        adapter.stop();
        work.close();
        broker.close();
    }

    private static StrataManagedConnectionFactory managedFactory() {
        StrataManagedConnectionFactory factory = new StrataManagedConnectionFactory();
        factory.setResourceAdapter(adapter);
        return factory;
    }

    @Test
    void aHandleSendsAndReceivesAndAContextToo() throws Exception {
        TestContainer.SmallPool pool = new TestContainer.SmallPool(2);
        ConnectionFactory factory = (ConnectionFactory) managedFactory().createConnectionFactory(pool);
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession();
            Queue queue = session.createQueue("outbound-orders");
            session.createProducer(queue).send(session.createTextMessage("order 1"));
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            assertThat(((TextMessage) consumer.receive(AT_MOST.toMillis())).getText()).isEqualTo("order 1");
        }
        try (JMSContext context = factory.createContext()) {
            Queue queue = context.createQueue("outbound-context");
            context.createProducer().setProperty("region", "eu").send(queue, "from a context");
            Message received = context.createConsumer(queue, "region = 'eu'").receive(AT_MOST.toMillis());
            assertThat(received.getBody(String.class)).isEqualTo("from a context");
            assertThat(received.getStringProperty("region")).isEqualTo("eu");
        }
    }

    @Test
    void closingAHandleGivesItsManagedConnectionBackToThePoolForTheNextHandle() throws Exception {
        TestContainer.SmallPool pool = new TestContainer.SmallPool(1);
        ConnectionFactory factory = (ConnectionFactory) managedFactory().createConnectionFactory(pool);
        Connection first = factory.createConnection();
        first.createSession().createProducer(null);
        first.close();
        assertThat(pool.eventTypes()).containsExactly(ConnectionEvent.CONNECTION_CLOSED);
        assertThat(pool.events.peek().getConnectionHandle()).isSameAs(first);
        assertThatThrownBy(first::start).isInstanceOf(IllegalStateException.class);

        try (Connection second = factory.createConnection()) {   // a pool of one: the same managed connection
            Session session = second.createSession();
            Queue queue = session.createQueue("outbound-reused");
            session.createProducer(queue).send(session.createTextMessage("again"));
        }
        assertThat(pool.created()).hasSize(1);
        assertThat(pool.eventTypes()).containsExactly(ConnectionEvent.CONNECTION_CLOSED,
                ConnectionEvent.CONNECTION_CLOSED);
    }

    @Test
    void theCallsTheContainerOwnsThrowIllegalState() throws Exception {
        TestContainer.SmallPool pool = new TestContainer.SmallPool(2);
        ConnectionFactory factory = (ConnectionFactory) managedFactory().createConnectionFactory(pool);
        try (Connection connection = factory.createConnection()) {
            assertThatThrownBy(() -> connection.setClientID("mine")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("JMS 3.1 section 12.2");
            assertThatThrownBy(() -> connection.setExceptionListener(e -> { }))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(connection::stop).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> connection.createConnectionConsumer(null, null, null, 1))
                    .isInstanceOf(IllegalStateException.class);
            Session session = connection.createSession();
            assertThatThrownBy(connection::createSession).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("at most one");
            assertThatThrownBy(() -> session.setMessageListener(message -> { }))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(session::run).isInstanceOf(IllegalStateRuntimeException.class);
            MessageConsumer consumer = session.createConsumer(session.createQueue("outbound-forbidden"));
            assertThatThrownBy(() -> consumer.setMessageListener(message -> { }))
                    .isInstanceOf(IllegalStateException.class);
            session.close();
            assertThat(connection.createSession()).as("a second session once the first is closed").isNotNull();
        }
        try (JMSContext context = factory.createContext()) {
            assertThatThrownBy(() -> context.setClientID("mine")).isInstanceOf(IllegalStateRuntimeException.class);
            assertThatThrownBy(context::stop).isInstanceOf(IllegalStateRuntimeException.class);
            assertThatThrownBy(() -> context.setExceptionListener(e -> { }))
                    .isInstanceOf(IllegalStateRuntimeException.class);
            assertThatThrownBy(() -> context.createContext(JMSContext.AUTO_ACKNOWLEDGE))
                    .isInstanceOf(IllegalStateRuntimeException.class);
            assertThatThrownBy(() -> context.createProducer().setAsync(new jakarta.jms.CompletionListener() {
                @Override
                public void onCompletion(Message message) {
                }

                @Override
                public void onException(Message message, Exception exception) {
                }
            })).isInstanceOf(IllegalStateRuntimeException.class);
        }
    }

    @Test
    void theContainersLocalTransactionCommitsSendsAndRollsThemBack() throws Exception {
        TestContainer.SmallPool pool = new TestContainer.SmallPool(1);
        ConnectionFactory factory = (ConnectionFactory) managedFactory().createConnectionFactory(pool);
        Queue queue = new AdministeredQueue("outbound-transacted");

        pool.end(sendInLocalTransaction(factory, pool, queue, "committed"), true);
        pool.end(sendInLocalTransaction(factory, pool, queue, "rolled back"), false);
        assertThat(pool.created()).as("one managed connection, pooled after each transaction").hasSize(1);

        try (JMSContext context = factory.createContext()) {
            var consumer = context.createConsumer(queue);
            assertThat(consumer.receiveBody(String.class, AT_MOST.toMillis())).isEqualTo("committed");
            assertThat(consumer.receiveBody(String.class, 1_000)).as("the rolled back send").isNull();
        }
    }

    /** Begins the pool's connection's local transaction, as a container does at allocation, and sends in it. */
    private static StrataManagedConnection sendInLocalTransaction(ConnectionFactory factory,
                                                                  TestContainer.SmallPool pool, Queue queue,
                                                                  String text) throws Exception {
        if (pool.created().isEmpty()) {
            factory.createConnection().close();
        }
        StrataManagedConnection managed = (StrataManagedConnection) pool.created().iterator().next();
        pool.begin(managed);
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE); // ignored: in a transaction
            assertThat(session.getTransacted()).isTrue();
            session.createProducer(queue).send(session.createTextMessage(text));
            assertThatThrownBy(session::commit).isInstanceOf(TransactionInProgressException.class);
        }
        return managed;
    }

    @Test
    void theApplicationsOwnTransactedSessionIsAnnouncedAsALocalTransaction() throws Exception {
        TestContainer.SmallPool pool = new TestContainer.SmallPool(1);
        ConnectionFactory factory = (ConnectionFactory) managedFactory().createConnectionFactory(pool);
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(Session.SESSION_TRANSACTED);
            session.createProducer(session.createQueue("outbound-app-transacted"))
                    .send(session.createTextMessage("mine"));
            session.commit();
            session.rollback();
        }
        assertThat(pool.eventTypes()).containsExactly(ConnectionEvent.LOCAL_TRANSACTION_STARTED,
                ConnectionEvent.LOCAL_TRANSACTION_COMMITTED, ConnectionEvent.LOCAL_TRANSACTION_STARTED,
                ConnectionEvent.LOCAL_TRANSACTION_ROLLEDBACK, ConnectionEvent.LOCAL_TRANSACTION_STARTED,
                ConnectionEvent.CONNECTION_CLOSED);
    }

    @Test
    void aManagedConnectionWhoseBrokerWentAwayTellsThePoolAndIsDestroyed() throws Exception {
        try (TestBroker leaving = TestContainer.broker(dir.resolve("leaving"))) {
            StrataManagedConnectionFactory managedFactory = new StrataManagedConnectionFactory();
            managedFactory.setBootstrapServers(leaving.bootstrapServers());
            TestContainer.SmallPool pool = new TestContainer.SmallPool(1);
            ConnectionFactory factory = (ConnectionFactory) managedFactory.createConnectionFactory(pool);
            Connection connection = factory.createConnection();
            ManagedConnection managed = pool.created().iterator().next();

            leaving.stop();
            await().atMost(AT_MOST).until(() -> pool.eventTypes().contains(ConnectionEvent.CONNECTION_ERROR_OCCURRED));
            ConnectionEvent error = pool.events.stream()
                    .filter(event -> event.getId() == ConnectionEvent.CONNECTION_ERROR_OCCURRED).findFirst().orElseThrow();
            assertThat(error.getSource()).isSameAs(managed);
            assertThat(error.getException()).hasMessageContaining("lost the brokers");
            assertThat(pool.created()).as("destroyed by the pool").isEmpty();
            assertThatThrownBy(connection::createSession).isInstanceOf(IllegalStateException.class);
        }
    }
}

package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import io.strata.jms.client.StrataConnectionFactory;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TransactionInProgressException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.ManagedConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.ra.TestContainer.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The outbound side in the container's JTA transactions, on a real broker: the pool enlists each managed connection's
 * XA resource in the test transaction manager's transaction, a handle's session made in it is the XA session, and the
 * manager's two-phase commit or rollback decides what the sends did. A branch prepared by a managed connection that is
 * then destroyed is found and committed through the adapter's recovery resources.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class XaOutboundTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    static StrataResourceAdapter adapter;
    static TestContainer.Pool work;
    static StrataConnectionFactory plain;
    static final List<TestContainer.SmallPool> pools = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        broker = TestContainer.broker(dir.resolve("broker"));
        work = new TestContainer.Pool(4);
        adapter = TestContainer.adapter(broker, work);
        plain = new StrataConnectionFactory(broker.bootstrapServers());
    }

    @AfterAll
    static void stop() throws Exception {
        for (TestContainer.SmallPool pool : pools) {
            for (ManagedConnection connection : pool.created()) {
                pool.destroy(connection);
            }
        }
        adapter.stop();
        work.close();
        broker.close();
    }

    private static ConnectionFactory factory(TestContainer.SmallPool pool) {
        pools.add(pool);
        StrataManagedConnectionFactory managed = new StrataManagedConnectionFactory();
        managed.setResourceAdapter(adapter);
        return (ConnectionFactory) managed.createConnectionFactory(pool);
    }

    /** Sends {@code text} with a handle's session and another with a JMSContext: two connections, two branches. */
    private static void sendTwice(ConnectionFactory factory, Queue queue, String text) throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE); // ignored: in a transaction
            assertThat(session.getTransacted()).as("the XA session").isTrue();
            session.createProducer(queue).send(session.createTextMessage(text + " 1"));
            assertThatThrownBy(session::commit).isInstanceOf(TransactionInProgressException.class);
        }
        try (JMSContext context = factory.createContext()) {
            context.createProducer().send(queue, text + " 2");
        }
    }

    private static List<String> receiveAll(Queue queue, int expected) {
        List<String> texts = new ArrayList<>();
        try (JMSContext context = plain.createContext()) {
            JMSConsumer consumer = context.createConsumer(queue);
            for (int i = 0; i < expected; i++) {
                String text = consumer.receiveBody(String.class, AT_MOST.toMillis());
                if (text == null) {
                    break;
                }
                texts.add(text);
            }
            String more = consumer.receiveBody(String.class, 500);
            if (more != null) {
                texts.add(more);
            }
        }
        return texts;
    }

    @Test
    void twoSendsInOneJtaTransactionAreVisibleOnlyOnceItCommitsInTwoPhases() throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions();
        TestContainer.SmallPool pool = new TestContainer.SmallPool(2, transactions);
        ConnectionFactory factory = factory(pool);
        Queue queue = new AdministeredQueue("xa-outbound-committed");

        TestContainer.Transaction transaction = transactions.begin();
        sendTwice(factory, queue, "committed");
        assertThat(pool.created()).as("two managed connections, each enlisted").hasSize(2);
        assertThat(receiveAll(queue, 0)).as("nothing visible before the commit").isEmpty();
        transaction.commit();

        assertThat(receiveAll(queue, 2)).containsExactlyInAnyOrder("committed 1", "committed 2");
        assertThat(transactions.committed.get()).isEqualTo(1);
    }

    @Test
    void aRolledBackJtaTransactionSendsNothingAndItsConnectionsArePooledAgain() throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions();
        TestContainer.SmallPool pool = new TestContainer.SmallPool(2, transactions);
        ConnectionFactory factory = factory(pool);
        Queue queue = new AdministeredQueue("xa-outbound-rolled-back");

        transactions.begin();
        sendTwice(factory, queue, "rolled back");
        transactions.current().rollback();

        assertThat(receiveAll(queue, 0)).isEmpty();
        try (Connection connection = factory.createConnection()) {   // outside a transaction: a session as asked
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            assertThat(session.getTransacted()).isFalse();
            session.createProducer(queue).send(session.createTextMessage("outside"));
        }
        assertThat(pool.created()).as("the rolled back transaction's connections served again").hasSize(2);
        assertThat(receiveAll(queue, 1)).containsExactly("outside");
    }

    @Test
    void aBranchPreparedByADestroyedConnectionIsRecoveredThroughTheAdapterAndCommitted() throws Exception {
        TestContainer.Transactions transactions = new TestContainer.Transactions();
        TestContainer.SmallPool pool = new TestContainer.SmallPool(1, transactions);
        ConnectionFactory factory = factory(pool);
        Queue queue = new AdministeredQueue("xa-outbound-recovered");

        TestContainer.Transaction transaction = transactions.begin();
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession();
            session.createProducer(queue).send(session.createTextMessage("in doubt"));
        }
        List<TestContainer.TestXid> prepared = transaction.endAndPrepare();
        for (ManagedConnection connection : pool.created()) {
            pool.destroy(connection); // the container is gone between prepare and commit
        }
        assertThat(receiveAll(queue, 0)).as("prepared, not committed").isEmpty();

        XAResource[] resources = adapter.getXAResources(new ActivationSpec[0]);
        assertThat(resources).hasSize(1);
        XAResource recovery = resources[0];
        assertThat(recover(recovery)).as("the prepared branch is listed")
                .anySatisfy(xid -> assertThat(prepared.get(0).sameAs(xid)).isTrue());
        recovery.commit(prepared.get(0), false);

        assertThat(receiveAll(queue, 1)).containsExactly("in doubt");
        assertThat(recover(recovery)).as("no longer in doubt")
                .noneSatisfy(xid -> assertThat(prepared.get(0).sameAs(xid)).isTrue());
        assertThat(adapter.getXAResources(new ActivationSpec[0])).as("the same resource for the same cluster")
                .containsExactly(recovery);
    }

    private static List<Xid> recover(XAResource resource) throws Exception {
        return Arrays.asList(resource.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN));
    }
}

package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import jakarta.jms.TransactionInProgressException;
import jakarta.jms.TransactionInProgressRuntimeException;
import jakarta.jms.XAConnection;
import jakarta.jms.XAJMSContext;
import jakarta.jms.XASession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The XAResource contract of XA sessions (JTA 1.3 / X/Open XA) on a real Strata broker: sends of a branch are seen
 * only after its commit, in one or two phases, never after its rollback; receives of a branch are acknowledged by its
 * commit and delivered again, one delivery higher, after its rollback; read-only branches; suspend, resume and join;
 * recover lists exactly the prepared branches; a branch prepared by a connection that is gone is completed by another
 * resource through the coordinator; the error codes XA names. Each test uses destinations and Xids of its own.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class XAResourceTest extends OneBrokerTest {

    /** A receive that must return nothing waits this long. */
    private static final long NOTHING_MS = 1_000;
    private static final AtomicInteger BRANCHES = new AtomicInteger();
    /** This class's Xids carry this format id, so that recover's answer can be told from other classes' branches. */
    private static final int FORMAT_ID = 0x5354;

    static StrataXAConnectionFactory xaFactory;

    @BeforeAll
    static void xaFactory() {
        Properties properties = factory.getProperties();
        xaFactory = new StrataXAConnectionFactory(properties);
    }

    static Xid xid(String global) {
        return new XaTransactionIds.StrataXid(FORMAT_ID, global.getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) BRANCHES.incrementAndGet()});
    }

    private static int code(ThrowingCall call) {
        try {
            call.run();
        } catch (XAException e) {
            return e.errorCode;
        } catch (Exception e) {
            throw new AssertionError("not an XAException: " + e, e);
        }
        throw new AssertionError("no XAException");
    }

    interface ThrowingCall {
        void run() throws Exception;
    }

    private static List<String> receiveAll(MessageConsumer consumer, int expected) throws Exception {
        List<String> texts = new ArrayList<>();
        while (texts.size() < expected) {
            Message message = consumer.receive(RECEIVE_MS);
            if (message == null) {
                break;
            }
            texts.add(((TextMessage) message).getText());
        }
        return texts;
    }

    // ------------------------------------------------------------------------------------------------ two phases

    @Test
    void aBranchsSendsAreSeenOnlyAfterItsTwoPhaseCommit() throws Exception {
        try (XAConnection xa = xaFactory.createXAConnection(); Connection plain = factory.createConnection()) {
            XASession session = xa.createXASession();
            Queue queue = session.createQueue("xa-two-phase");
            MessageConsumer consumer = plain.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(queue);
            plain.start();
            XAResource resource = session.getXAResource();
            Xid xid = xid("two-phase");

            resource.start(xid, XAResource.TMNOFLAGS);
            MessageProducer producer = session.createProducer(queue);
            for (int i = 0; i < 3; i++) {
                producer.send(session.createTextMessage("m" + i));
            }
            resource.end(xid, XAResource.TMSUCCESS);
            assertThat(resource.prepare(xid)).isEqualTo(XAResource.XA_OK);
            assertThat(consumer.receive(NOTHING_MS)).as("prepared, not committed").isNull();

            resource.commit(xid, false);

            assertThat(receiveAll(consumer, 3)).containsExactly("m0", "m1", "m2");
        }
    }

    @Test
    void aRolledBackBranchDiscardsItsSendsAndItsReceivesComeAgainOneDeliveryHigher() throws Exception {
        try (XAConnection xa = xaFactory.createXAConnection(); Connection plain = factory.createConnection()) {
            Session plainSession = plain.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue in = plainSession.createQueue("xa-rollback-in");
            Queue out = plainSession.createQueue("xa-rollback-out");
            plainSession.createProducer(in).send(plainSession.createTextMessage("order"));
            XASession session = xa.createXASession();
            MessageConsumer xaConsumer = session.createConsumer(in);
            xa.start();
            XAResource resource = session.getXAResource();
            Xid xid = xid("rollback");

            resource.start(xid, XAResource.TMNOFLAGS);
            Message received = xaConsumer.receive(RECEIVE_MS);
            assertThat(received.getIntProperty("JMSXDeliveryCount")).isEqualTo(1);
            session.createProducer(out).send(session.createTextMessage("shipment"));
            resource.end(xid, XAResource.TMSUCCESS);
            assertThat(resource.prepare(xid)).isEqualTo(XAResource.XA_OK);
            resource.rollback(xid);
            xaConsumer.close();

            MessageConsumer again = plainSession.createConsumer(in);
            MessageConsumer shipments = plainSession.createConsumer(out);
            plain.start();
            Message redelivered = again.receive(RECEIVE_MS);
            assertThat(((TextMessage) redelivered).getText()).isEqualTo("order");
            assertThat(redelivered.getJMSRedelivered()).isTrue();
            assertThat(redelivered.getIntProperty("JMSXDeliveryCount")).isEqualTo(2);
            assertThat(shipments.receive(NOTHING_MS)).as("the branch's send is discarded").isNull();
        }
    }

    @Test
    void aCommittedBranchAcknowledgesWhatItReceivedFromAQueueAndASharedSubscription() throws Exception {
        try (XAConnection xa = xaFactory.createXAConnection(); Connection plain = factory.createConnection()) {
            Session plainSession = plain.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue in = plainSession.createQueue("xa-ack-in");
            Topic prices = plainSession.createTopic("xa-ack-prices");
            XASession session = xa.createXASession();
            MessageConsumer fromQueue = session.createConsumer(in);
            MessageConsumer fromSubscription = session.createSharedDurableConsumer(prices, "xa-ack-sub");
            xa.start();
            plainSession.createProducer(in).send(plainSession.createTextMessage("order"));
            plainSession.createProducer(prices).send(plainSession.createTextMessage("price"));
            XAResource resource = session.getXAResource();
            Xid xid = xid("acknowledge");

            resource.start(xid, XAResource.TMNOFLAGS);
            assertThat(((TextMessage) fromQueue.receive(RECEIVE_MS)).getText()).isEqualTo("order");
            assertThat(((TextMessage) fromSubscription.receive(RECEIVE_MS)).getText()).isEqualTo("price");
            resource.end(xid, XAResource.TMSUCCESS);
            assertThat(resource.prepare(xid)).as("receives alone are work").isEqualTo(XAResource.XA_OK);
            resource.commit(xid, false);
            fromQueue.close();
            fromSubscription.close();

            MessageConsumer queueAgain = plainSession.createConsumer(in);
            MessageConsumer subscriptionAgain = plainSession.createSharedDurableConsumer(prices, "xa-ack-sub");
            plain.start();
            assertThat(queueAgain.receive(NOTHING_MS)).as("acknowledged by the commit").isNull();
            assertThat(subscriptionAgain.receive(NOTHING_MS)).as("acknowledged by the commit").isNull();
            subscriptionAgain.close();
            plainSession.unsubscribe("xa-ack-sub");
        }
    }

    @Test
    void aOnePhaseCommitNeedsNoPrepare() throws Exception {
        try (XAConnection xa = xaFactory.createXAConnection(); Connection plain = factory.createConnection()) {
            XASession session = xa.createXASession();
            Queue queue = session.createQueue("xa-one-phase");
            MessageConsumer consumer = plain.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(queue);
            plain.start();
            XAResource resource = session.getXAResource();
            Xid xid = xid("one-phase");

            resource.start(xid, XAResource.TMNOFLAGS);
            session.createProducer(queue).send(session.createTextMessage("once"));
            resource.end(xid, XAResource.TMSUCCESS);
            resource.commit(xid, true);

            assertThat(receiveAll(consumer, 1)).containsExactly("once");
            assertThat(code(() -> resource.commit(xid, true))).as("gone once committed")
                    .isEqualTo(XAException.XAER_NOTA);
        }
    }

    @Test
    void aBranchThatDidNothingIsReadOnlyAndDone() throws Exception {
        try (XAConnection xa = xaFactory.createXAConnection()) {
            XAResource resource = xa.createXASession().getXAResource();
            Xid xid = xid("read-only");

            resource.start(xid, XAResource.TMNOFLAGS);
            resource.end(xid, XAResource.TMSUCCESS);

            assertThat(resource.prepare(xid)).isEqualTo(XAResource.XA_RDONLY);
            assertThat(code(() -> resource.commit(xid, true))).isEqualTo(XAException.XAER_NOTA);
        }
    }

    // ------------------------------------------------------------------------------------------------ association

    @Test
    void suspendResumeAndJoinPutTheWorkOfTwoSessionsInOneBranchAndOutsideABranchTheSessionIsNotTransacted()
            throws Exception {
        try (XAConnection xa = xaFactory.createXAConnection(); XAConnection other = xaFactory.createXAConnection();
             Connection plain = factory.createConnection()) {
            XASession first = xa.createXASession();
            XASession second = other.createXASession();
            Queue queue = first.createQueue("xa-join");
            MessageConsumer consumer = plain.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(queue);
            plain.start();
            XAResource one = first.getXAResource();
            XAResource two = second.getXAResource();
            assertThat(one.isSameRM(two)).isTrue();
            Xid xid = xid("join");
            MessageProducer producer = first.createProducer(queue);

            one.start(xid, XAResource.TMNOFLAGS);
            producer.send(first.createTextMessage("a"));
            one.end(xid, XAResource.TMSUSPEND);
            Queue elsewhere = first.createQueue("xa-join-outside");
            first.createProducer(elsewhere).send(first.createTextMessage("outside"));
            // On another queue: a queue's readers see nothing past a transaction still open on it (read_committed).
            MessageConsumer outside = plain.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(elsewhere);
            assertThat(receiveAll(outside, 1)).as("outside a branch: sent at once").containsExactly("outside");
            one.start(xid, XAResource.TMRESUME);
            producer.send(first.createTextMessage("b"));
            one.end(xid, XAResource.TMSUCCESS);
            two.start(xid, XAResource.TMJOIN);
            second.createProducer(queue).send(second.createTextMessage("c"));
            assertThat(code(() -> two.prepare(xid))).as("still associated").isEqualTo(XAException.XAER_PROTO);
            two.end(xid, XAResource.TMSUCCESS);
            assertThat(consumer.receive(NOTHING_MS)).isNull();

            assertThat(two.prepare(xid)).isEqualTo(XAResource.XA_OK);
            one.commit(xid, false);

            assertThat(receiveAll(consumer, 3)).containsExactlyInAnyOrder("a", "b", "c");
        }
    }

    @Test
    void callsOutOfOrderOrForUnknownXidsGetTheCodesXaNames() throws Exception {
        try (XAConnection xa = xaFactory.createXAConnection(); XAConnection other = xaFactory.createXAConnection()) {
            XASession session = xa.createXASession();
            XAResource resource = session.getXAResource();
            XAResource second = other.createXASession().getXAResource();
            Xid xid = xid("codes");
            Xid unknown = xid("codes-unknown");

            assertThat(code(() -> resource.start(xid, XAResource.TMSUCCESS))).isEqualTo(XAException.XAER_INVAL);
            assertThat(code(() -> resource.start(null, XAResource.TMNOFLAGS))).isEqualTo(XAException.XAER_INVAL);
            assertThat(code(() -> resource.start(unknown, XAResource.TMJOIN))).isEqualTo(XAException.XAER_NOTA);
            assertThat(code(() -> resource.prepare(unknown))).isEqualTo(XAException.XAER_NOTA);
            assertThat(code(() -> resource.commit(unknown, true))).isEqualTo(XAException.XAER_NOTA);
            assertThat(code(() -> resource.commit(unknown, false))).as("not prepared at the coordinator")
                    .isEqualTo(XAException.XAER_NOTA);
            assertThat(code(() -> resource.forget(unknown))).isEqualTo(XAException.XAER_NOTA);

            resource.start(xid, XAResource.TMNOFLAGS);
            assertThat(code(() -> second.start(xid, XAResource.TMNOFLAGS))).isEqualTo(XAException.XAER_DUPID);
            assertThat(code(() -> resource.start(xid("codes-other"), XAResource.TMNOFLAGS)))
                    .as("one branch at a time").isEqualTo(XAException.XAER_PROTO);
            assertThat(code(() -> second.end(xid, XAResource.TMSUCCESS))).isEqualTo(XAException.XAER_PROTO);
            assertThat(code(() -> resource.commit(xid, true))).as("still associated")
                    .isEqualTo(XAException.XAER_PROTO);
            assertThatThrownBy(session::commit).isInstanceOf(TransactionInProgressException.class);
            assertThatThrownBy(session::rollback).isInstanceOf(TransactionInProgressException.class);
            assertThat(session.getTransacted()).isTrue();
            session.createProducer(session.createQueue("xa-codes")).send(session.createTextMessage("x"));
            resource.end(xid, XAResource.TMSUCCESS);
            assertThat(code(() -> resource.commit(xid, false))).as("not prepared")
                    .isEqualTo(XAException.XAER_PROTO);
            assertThat(resource.prepare(xid)).isEqualTo(XAResource.XA_OK);
            assertThat(code(() -> resource.commit(xid, true))).as("prepared: two phases")
                    .isEqualTo(XAException.XAER_PROTO);
            assertThat(code(() -> resource.recover(12345))).isEqualTo(XAException.XAER_INVAL);
            resource.rollback(xid);

            Xid failed = xid("codes-failed");
            resource.start(failed, XAResource.TMNOFLAGS);
            session.createProducer(session.createQueue("xa-codes")).send(session.createTextMessage("y"));
            resource.end(failed, XAResource.TMFAIL);
            assertThat(code(() -> resource.prepare(failed))).isEqualTo(XAException.XA_RBROLLBACK);
            assertThat(code(() -> resource.rollback(failed))).as("rolled back already")
                    .isEqualTo(XAException.XAER_NOTA);
        }
    }

    // ------------------------------------------------------------------------------------------------ recovery

    @Test
    void recoverListsExactlyThePreparedBranchesAndAnotherResourceCompletesThem() throws Exception {
        Xid committed = xid("recover-commit");
        Xid rolledBack = xid("recover-rollback");
        Xid notPrepared = xid("recover-open");
        XAConnection gone = xaFactory.createXAConnection();
        XASession session = gone.createXASession();
        Queue queue = session.createQueue("xa-recover");
        XAResource resource = session.getXAResource();
        for (Xid xid : List.of(committed, rolledBack, notPrepared)) {
            resource.start(xid, XAResource.TMNOFLAGS);
            session.createProducer(queue).send(session.createTextMessage(xid.toString()));
            resource.end(xid, XAResource.TMSUCCESS);
            if (xid != notPrepared) {
                assertThat(resource.prepare(xid)).isEqualTo(XAResource.XA_OK);
            }
        }
        gone.close(); // prepared branches stay prepared; the other is rolled back

        try (XAConnection xa = xaFactory.createXAConnection(); Connection plain = factory.createConnection()) {
            XAResource recovering = xa.createXASession().getXAResource();
            Xid[] found = recovering.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
            assertThat(Arrays.stream(found).filter(xid -> xid.getFormatId() == FORMAT_ID).toList())
                    .containsExactlyInAnyOrder(committed, rolledBack);
            assertThat(recovering.recover(XAResource.TMNOFLAGS)).as("all came with the scan's start").isEmpty();

            recovering.commit(committed, false);
            recovering.rollback(rolledBack);

            assertThat(Arrays.stream(recovering.recover(XAResource.TMSTARTRSCAN))
                    .filter(xid -> xid.getFormatId() == FORMAT_ID)).isEmpty();
            assertThat(code(() -> recovering.commit(committed, false))).as("completed").isEqualTo(
                    XAException.XAER_NOTA);
            MessageConsumer consumer = plain.createSession(false, Session.AUTO_ACKNOWLEDGE).createConsumer(queue);
            plain.start();
            assertThat(receiveAll(consumer, 1)).containsExactly(committed.toString());
            assertThat(consumer.receive(NOTHING_MS)).as("the rolled back and the unprepared branches' sends").isNull();
        }
    }

    // ------------------------------------------------------------------------------------------------ JMSContext

    @Test
    void anXaContextSendsInItsBranchAndRefusesLocalCommit() throws Exception {
        try (XAJMSContext context = xaFactory.createXAContext();
             JMSContext plain = factory.createContext()) {
            Queue queue = context.createQueue("xa-context");
            var consumer = plain.createConsumer(queue);
            XAResource resource = context.getXAResource();
            Xid xid = xid("context");
            assertThat(context.getTransacted()).isTrue();
            assertThat(context.getContext()).isSameAs(context);

            resource.start(xid, XAResource.TMNOFLAGS);
            context.createProducer().send(queue, "in a branch");
            assertThatThrownBy(context::commit).isInstanceOf(TransactionInProgressRuntimeException.class);
            resource.end(xid, XAResource.TMSUCCESS);
            assertThat(consumer.receiveBody(String.class, NOTHING_MS)).isNull();
            resource.commit(xid, true);

            assertThat(consumer.receiveBody(String.class, RECEIVE_MS)).isEqualTo("in a branch");
        }
    }
}

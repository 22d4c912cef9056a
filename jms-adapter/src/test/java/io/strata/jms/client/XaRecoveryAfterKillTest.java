package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.XAConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process prepares an XA branch that received messages from one queue and sent to another, and is killed with
 * SIGKILL before the second phase. A fresh client's recover finds the branch, and its commit makes the sends visible
 * and the receives acknowledged, exactly once; its rollback discards the sends and the received messages come again,
 * one delivery higher. Nothing lost, nothing duplicated.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class XaRecoveryAfterKillTest extends OneBrokerTest {

    private static final int MESSAGES = 3;
    private static final long NOTHING_MS = 1_000;

    @Test
    void aBranchPreparedByAKilledProcessIsRecoveredAndCommittedExactlyOnce() throws Exception {
        String in = "xa-kill-commit-in";
        String out = "xa-kill-commit-out";
        Xid xid = prepareInAProcessThatIsKilled(in, out, "kill-commit");

        try (XAConnection xa = xaFactory().createXAConnection(); Connection plain = factory.createConnection()) {
            XAResource resource = xa.createXASession().getXAResource();
            assertThat(Arrays.asList(resource.recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN)))
                    .contains(xid);
            resource.commit(xid, false);

            Session session = plain.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer shipments = session.createConsumer(session.createQueue(out));
            MessageConsumer orders = session.createConsumer(session.createQueue(in));
            plain.start();
            assertThat(receive(shipments, MESSAGES)).containsExactly("shipped order-0", "shipped order-1",
                    "shipped order-2");
            assertThat(shipments.receive(NOTHING_MS)).as("nothing duplicated").isNull();
            assertThat(orders.receive(NOTHING_MS)).as("the received orders were acknowledged").isNull();
        }
    }

    @Test
    void aBranchPreparedByAKilledProcessIsRecoveredAndRolledBackItsMessagesComingAgain() throws Exception {
        String in = "xa-kill-rollback-in";
        String out = "xa-kill-rollback-out";
        Xid xid = prepareInAProcessThatIsKilled(in, out, "kill-rollback");

        try (XAConnection xa = xaFactory().createXAConnection(); Connection plain = factory.createConnection()) {
            XAResource resource = xa.createXASession().getXAResource();
            assertThat(Arrays.asList(resource.recover(XAResource.TMSTARTRSCAN))).contains(xid);
            resource.rollback(xid);

            Session session = plain.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer shipments = session.createConsumer(session.createQueue(out));
            MessageConsumer orders = session.createConsumer(session.createQueue(in));
            plain.start();
            List<Message> again = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                Message message = orders.receive(RECEIVE_MS);
                assertThat(message).as("order " + i + " comes again").isNotNull();
                again.add(message);
            }
            assertThat(again).allSatisfy(message ->
                    assertThat(message.getIntProperty("JMSXDeliveryCount")).isEqualTo(2));
            assertThat(orders.receive(NOTHING_MS)).as("nothing duplicated").isNull();
            assertThat(shipments.receive(NOTHING_MS)).as("the sends are discarded").isNull();
        }
    }

    private static StrataXAConnectionFactory xaFactory() {
        Properties properties = factory.getProperties();
        return new StrataXAConnectionFactory(properties);
    }

    /** Sends the orders, has a child JVM prepare a branch over them, and kills it with SIGKILL once prepared. */
    private static Xid prepareInAProcessThatIsKilled(String in, String out, String global) throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue orders = session.createQueue(in);
            session.createConsumer(orders).close(); // the share group exists before the orders, which it then reads
            MessageProducer producer = session.createProducer(orders);
            for (int i = 0; i < MESSAGES; i++) {
                producer.send(session.createTextMessage("order-" + i));
            }
        }
        Process preparer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), XaBranchPreparer.class.getName(),
                broker.bootstrapServers(), in, out, global, Integer.toString(MESSAGES))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(preparer.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(output.readLine()).as("the child process prepared its branch").isEqualTo("prepared");
        } finally {
            preparer.destroyForcibly(); // SIGKILL: no close, no rollback
            preparer.waitFor(30, TimeUnit.SECONDS);
        }
        return XaBranchPreparer.xid(global);
    }

    private static List<String> receive(MessageConsumer consumer, int count) throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message message = consumer.receive(RECEIVE_MS);
            if (message == null) {
                break;
            }
            texts.add(((TextMessage) message).getText());
        }
        return texts;
    }
}

package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.TransactionRolledBackException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker restarts (same data, same port) between the receives of a consume-transform-produce transaction and its
 * commit. Usually the commit is rolled back ({@code TransactionRolledBackException}: the restarted broker no longer
 * counts the received messages as this consumer's, so they cannot be acknowledged in the transaction) and the inputs
 * come again; when the consumer's member fetched them again before the commit acknowledged them, the commit succeeds
 * and the copies it fetched cannot be committed a second time. Either way, once the work is done every output is there
 * exactly once and no input comes again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransactedBrokerRestartTest extends OneBrokerTest {

    private static final int COUNT = 5;

    @Test
    void aCommitAfterARestartIsRolledBackAndTheWorkIsDoneOnceAfterwards() throws Exception {
        StrataConnectionFactory factory = JmsBroker.factory(broker, COUNT);
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer feeder = plain.createProducer(plain.createQueue("restart-in"));
            for (int i = 0; i < COUNT; i++) {
                feeder.send(plain.createTextMessage("in-" + i));
            }
            Session transacted = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer input = transacted.createConsumer(transacted.createQueue("restart-in"));
            MessageProducer output = transacted.createProducer(transacted.createQueue("restart-out"));
            for (int i = 0; i < COUNT; i++) {
                Message message = input.receive(JmsBroker.RECEIVE_MS);
                assertThat(message).isNotNull();
                output.send(transacted.createTextMessage("out-" + ((TextMessage) message).getText()));
            }

            broker.restart();
            List<String> done = new ArrayList<>();
            try {
                transacted.commit(); // the consumer's member fetched the inputs again before the commit acknowledged
                for (int i = 0; i < COUNT; i++) {
                    done.add("in-" + i);
                }
            } catch (TransactionRolledBackException e) {
                assertThat(e.getMessage()).contains("could not be acknowledged in the transaction");
            }

            long deadline = System.nanoTime() + AT_MOST.multipliedBy(2).toNanos();
            while (done.size() < COUNT) {
                assertThat(System.nanoTime()).as("every input again in time; done " + done).isLessThan(deadline);
                Message message = input.receive(200);
                if (message == null) {
                    continue;
                }
                // Not asserted: JMSRedelivered. This broker stops gracefully, releasing what its consumers held
                // when their connections close; ClusterFailoverTest checks the flag across a SIGKILL.
                String text = ((TextMessage) message).getText();
                output.send(transacted.createTextMessage("out-" + text));
                try {
                    transacted.commit();
                    done.add(text);
                } catch (TransactionRolledBackException e) {
                    // A copy fetched before the commit that acknowledged it, held in the consumer's buffer: the
                    // broker refuses to acknowledge it again, and the output sent with it is discarded.
                }
            }
            assertThat(done).containsExactlyInAnyOrder("in-0", "in-1", "in-2", "in-3", "in-4");
            transacted.close();

            MessageConsumer outputReader = plain.createConsumer(plain.createQueue("restart-out"));
            List<String> outputs = new ArrayList<>();
            for (Message message = outputReader.receive(JmsBroker.RECEIVE_MS); message != null;
                 message = outputReader.receive(1_000)) {
                outputs.add(((TextMessage) message).getText());
            }
            assertThat(outputs).as("each output committed once, the rolled-back ones never")
                    .containsExactlyInAnyOrder("out-in-0", "out-in-1", "out-in-2", "out-in-3", "out-in-4");
            assertThat(plain.createConsumer(plain.createQueue("restart-in")).receive(1_000))
                    .as("no committed input comes again").isNull();
        }
    }
}

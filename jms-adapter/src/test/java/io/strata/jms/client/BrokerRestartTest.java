package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker restarts (same data, same port) while a CLIENT_ACKNOWLEDGE consumer holds unacknowledged messages and
 * a producer goes on sending: every message the broker acknowledged to the producer arrives, the ones acknowledged
 * before the restart never again, the held ones again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrokerRestartTest extends OneBrokerTest {

    @Test
    void afterARestartEverySentMessageArrivesAndNoAcknowledgedOneComesAgain() throws Exception {
        StrataConnectionFactory factory = JmsBroker.factory(broker, 5);
        try (Connection consuming = factory.createConnection(); Connection producing = factory.createConnection()) {
            consuming.start();
            Session producerSession = producing.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = producerSession.createQueue("restarted");
            MessageProducer producer = producerSession.createProducer(queue);
            for (int i = 0; i < 10; i++) {
                producer.send(producerSession.createTextMessage("r" + i));
            }
            Session session = consuming.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(queue);
            Set<String> acknowledged = new HashSet<>();
            Message last = null;
            for (int i = 0; i < 3; i++) {
                last = consumer.receive(JmsBroker.RECEIVE_MS);
                acknowledged.add(((TextMessage) last).getText());
            }
            last.acknowledge();
            consumer.receive(JmsBroker.RECEIVE_MS);
            consumer.receive(JmsBroker.RECEIVE_MS); // held, not acknowledged

            broker.restart();
            for (int i = 10; i < 20; i++) {
                producer.send(producerSession.createTextMessage("r" + i)); // returns once the broker has it
            }

            Set<String> expected = new HashSet<>();
            for (int i = 3; i < 20; i++) {
                expected.add("r" + i);
            }
            List<String> received = new ArrayList<>();
            int failedAcknowledgements = 0;
            long deadline = System.nanoTime() + AT_MOST.multipliedBy(2).toNanos();
            while (!received.containsAll(expected)) {
                assertThat(System.nanoTime()).as("all in time; got " + received).isLessThan(deadline);
                Message message = consumer.receive(200);
                if (message != null) {
                    received.add(((TextMessage) message).getText());
                    try {
                        message.acknowledge();
                    } catch (jakarta.jms.JMSException e) {
                        // Held before the restart: the restarted broker no longer counts them as this consumer's
                        // and says so; they come again, as a JMS application expects after a failure.
                        assertThat(e.getErrorCode()).isEqualTo("INVALID_RECORD_STATE");
                        failedAcknowledgements++;
                    }
                }
            }
            assertThat(received).doesNotContainAnyElementsOf(acknowledged);
            assertThat(failedAcknowledgements).as("only the first acknowledgement after the restart fails").isLessThanOrEqualTo(1);
            assertThat(consumer.receive(1000)).isNull();
        }
    }
}

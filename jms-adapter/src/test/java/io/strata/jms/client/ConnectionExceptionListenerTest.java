package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The connection's ExceptionListener (JMS 3.1 section 6.1.7) when its broker goes away: told once, with the
 * provider's error code, not again while the broker stays away; the connection delivers again when it is back.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConnectionExceptionListenerTest extends OneBrokerTest {

    @Test
    void theListenerIsToldOnceWhenTheBrokerGoesAwayAndTheConnectionWorksWhenItIsBack() throws Exception {
        StrataConnectionFactory factory = JmsBroker.factory(broker, 10);
        try (Connection connection = factory.createConnection()) {
            List<JMSException> told = new CopyOnWriteArrayList<>();
            connection.setExceptionListener(told::add);
            // CLIENT_ACKNOWLEDGE: acknowledge() waits for the broker, so "before" cannot come again after the stop.
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            Queue queue = session.createQueue("lost-and-found");
            session.createProducer(queue).send(session.createTextMessage("before"));
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            TextMessage before = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(before.getText()).isEqualTo("before");
            before.acknowledge();
            assertThat(told).as("nothing while the broker answers").isEmpty();

            broker.stop();
            await().atMost(AT_MOST).until(() -> !told.isEmpty());
            assertThat(told.get(0).getErrorCode()).isEqualTo(StrataConnection.CONNECTION_LOST);
            // Several health probes fail meanwhile; the listener hears of the loss once.
            Duration probes = Duration.ofMillis(3 * StrataConnection.HEALTH_CHECK_INTERVAL_MS);
            await().during(probes).atMost(probes.plus(AT_MOST)).until(() -> told.size() == 1);

            broker.start();
            session.createProducer(queue).send(session.createTextMessage("after"));
            assertThat(((TextMessage) consumer.receive(AT_MOST.toMillis())).getText()).isEqualTo("after");
        }
    }
}

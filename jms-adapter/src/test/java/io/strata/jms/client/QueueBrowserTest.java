package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidSelectorException;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Queue browsers on a real broker (JMS 3.1 section 4.1.6): a browser shows the messages not yet consumed, in order,
 * without consuming them; with a selector only those it selects; neither expired messages nor those whose delivery
 * time is ahead; what consumers acknowledged disappears from later enumerations. Each test uses a queue of its own.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class QueueBrowserTest extends OneBrokerTest {

    @Test
    void aBrowserShowsTheQueuesMessagesInOrderWithoutConsumingThem() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("browsed");
            send(session, queue, "b0", "b1", "b2", "b3", "b4");

            QueueBrowser browser = session.createBrowser(queue);
            assertThat(browser.getQueue()).isEqualTo(queue);
            assertThat(browser.getMessageSelector()).isNull();
            assertThat(texts(browser.getEnumeration())).containsExactly("b0", "b1", "b2", "b3", "b4");
            assertThat(texts(browser.getEnumeration())).as("a second enumeration starts over")
                    .containsExactly("b0", "b1", "b2", "b3", "b4");

            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            for (int i = 0; i < 5; i++) {
                Message message = consumer.receive(RECEIVE_MS);
                assertThat(((TextMessage) message).getText()).isEqualTo("b" + i);
                assertThat(message.getJMSRedelivered()).as("browsing acquired nothing").isFalse();
            }
            browser.close();
            assertThatThrownBy(browser::getEnumeration).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void anEnumerationEndsWithTheMessagesThereWhenItWasMadeAndSaysSo() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("browsed-end");
            send(session, queue, "e0");
            QueueBrowser browser = session.createBrowser(queue);
            Enumeration<?> enumeration = browser.getEnumeration();
            send(session, queue, "e1");

            assertThat(enumeration.hasMoreElements()).isTrue();
            assertThat(((TextMessage) enumeration.nextElement()).getText()).isEqualTo("e0");
            assertThat(enumeration.hasMoreElements()).isFalse();
            assertThatThrownBy(enumeration::nextElement).isInstanceOf(NoSuchElementException.class);
            assertThat(texts(browser.getEnumeration())).containsExactly("e0", "e1");
        }
    }

    @Test
    void aBrowserWithASelectorShowsOnlyTheMessagesItSelects() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("browsed-selected");
            MessageProducer producer = session.createProducer(queue);
            for (int i = 0; i < 6; i++) {
                TextMessage message = session.createTextMessage("s" + i);
                message.setIntProperty("n", i);
                producer.send(message);
            }

            QueueBrowser browser = session.createBrowser(queue, "n >= 2 AND n < 5");
            assertThat(browser.getMessageSelector()).isEqualTo("n >= 2 AND n < 5");
            assertThat(texts(browser.getEnumeration())).containsExactly("s2", "s3", "s4");
            assertThatThrownBy(() -> session.createBrowser(queue, "n >>> 2"))
                    .isInstanceOf(InvalidSelectorException.class);
        }
    }

    @Test
    void expiredMessagesAndMessagesNotYetDueAreNotShown() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("browsed-timed");
            MessageProducer producer = session.createProducer(queue);
            TextMessage expiring = session.createTextMessage("expiring");
            producer.send(expiring, Message.DEFAULT_DELIVERY_MODE, Message.DEFAULT_PRIORITY, 200);
            producer.setDeliveryDelay(60_000);
            producer.send(session.createTextMessage("delayed"));
            producer.setDeliveryDelay(0);
            producer.send(session.createTextMessage("plain"));
            await().atMost(AT_MOST).until(() -> System.currentTimeMillis() > expiring.getJMSExpiration());

            assertThat(texts(session.createBrowser(queue).getEnumeration())).containsExactly("plain");
        }
    }

    @Test
    void messagesConsumersAcknowledgedLeaveTheBrowsersView() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            Queue queue = session.createQueue("browsed-consumed");
            send(session, queue, "c0", "c1", "c2", "c3", "c4", "c5");
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            Message last = null;
            for (int i = 0; i < 3; i++) {
                last = consumer.receive(RECEIVE_MS);
            }
            last.acknowledge(); // waits for the broker's answer
            consumer.close();

            QueueBrowser browser = session.createBrowser(queue);
            // Approximate by design: the share group's start offset moves past acknowledged records in steps.
            await().atMost(AT_MOST).until(() -> texts(browser.getEnumeration()).equals(List.of("c3", "c4", "c5")));
        }
    }

    @Test
    void theSimplifiedApiBrowsesToo() throws Exception {
        try (JMSContext context = factory.createContext()) {
            Queue queue = context.createQueue("browsed-context");
            context.createProducer().send(queue, "x0").send(queue, "x1");
            QueueBrowser browser = context.createBrowser(queue, "JMSPriority = 4");
            assertThat(texts(browser.getEnumeration())).containsExactly("x0", "x1");
            assertThat(context.createConsumer(queue).receiveBody(String.class, RECEIVE_MS)).isEqualTo("x0");
        }
    }

    private static void send(Session session, Queue queue, String... texts) throws Exception {
        MessageProducer producer = session.createProducer(queue);
        for (String text : texts) {
            producer.send(session.createTextMessage(text));
        }
        producer.close();
    }

    private static List<String> texts(Enumeration<?> enumeration) throws Exception {
        List<String> texts = new ArrayList<>();
        while (enumeration.hasMoreElements()) {
            texts.add(((TextMessage) enumeration.nextElement()).getText());
        }
        return texts;
    }
}

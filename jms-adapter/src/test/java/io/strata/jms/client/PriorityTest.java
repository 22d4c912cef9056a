package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * JMSPriority on a real broker: of the messages a consumer fetched ahead (its prefetch), the highest priority is
 * delivered first, and messages of one priority keep their send order. Each test sends 20 messages of priorities 1,
 * 8 and 4 mixed to a destination of its own before its consumer asks for any: the consumer's first fetch brings them
 * all (they are fewer than its prefetch), and they are buffered at once.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PriorityTest extends OneBrokerTest {

    private static final int PREFETCH = 100;

    @Test
    void aQueueDeliversTheMessagesWaitingForItHighestPriorityFirstAndInSendOrderWithinAPriority() throws Exception {
        try (Connection connection = JmsBroker.factory(broker, PREFETCH).createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("priority-queue");
            List<String> sent = sendMixedPriorities(session, queue);
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();

            List<String> received = texts(consumer, sent.size());
            assertThat(received).containsExactlyElementsOf(byPriority(sent));
            assertThat(received.subList(0, 8)).allMatch(text -> text.startsWith("8-"));
        }
    }

    @Test
    void aDurableSubscriptionDeliversWhatItKeptHighestPriorityFirstAndInSendOrderWithinAPriority()
            throws Exception {
        try (Connection connection = JmsBroker.factory(broker, PREFETCH).createConnection()) {
            connection.setClientID("priority-client");
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("priority-topic");
            connection.start();
            MessageConsumer subscription = session.createDurableConsumer(topic, "by-priority");
            session.createProducer(topic).send(session.createTextMessage("subscribed"));
            assertThat(texts(subscription, 1)).as("the subscription has started").containsExactly("subscribed");
            subscription.close();

            List<String> sent = sendMixedPriorities(session, topic);
            MessageConsumer back = session.createDurableConsumer(topic, "by-priority");

            assertThat(texts(back, sent.size())).containsExactlyElementsOf(byPriority(sent));
            back.close();
            session.unsubscribe("by-priority");
        }
    }

    @Test
    void aNonDurableSubscriberOrdersTheMessagesOfOneFetchByPriority() throws Exception {
        try (Connection connection = JmsBroker.factory(broker, PREFETCH).createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("priority-news");
            MessageConsumer subscriber = session.createConsumer(topic);
            Session transacted = connection.createSession(true, Session.SESSION_TRANSACTED);
            List<String> sent = sendMixedPriorities(transacted, topic);
            transacted.commit(); // readable all at once (read_committed), so the subscriber's first fetch has them all

            connection.start();

            assertThat(texts(subscriber, sent.size())).containsExactlyElementsOf(byPriority(sent));
        }
    }

    @Test
    void aConsumerThatFetchesOneMessageAheadDeliversInSendOrder() throws Exception {
        try (Connection connection = JmsBroker.factory(broker, 1).createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("priority-narrow");
            MessageProducer producer = session.createProducer(queue);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int priority = i % 2 == 0 ? 1 : 8;
                producer.send(session.createTextMessage(priority + "-" + i), producer.getDeliveryMode(), priority, 0);
                sent.add(priority + "-" + i);
            }
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();

            assertThat(texts(consumer, sent.size())).as("the prefetch is the window priority orders")
                    .containsExactlyElementsOf(sent);
        }
    }

    /** 20 messages of priorities 1 and 8 alternating, every fifth 4; each text is {@code priority-index}. */
    private static List<String> sendMixedPriorities(Session session, Destination destination) throws JMSException {
        MessageProducer producer = session.createProducer(destination);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int priority = i % 5 == 4 ? 4 : i % 2 == 0 ? 1 : 8;
            String text = priority + "-" + i;
            producer.send(session.createTextMessage(text), producer.getDeliveryMode(), priority, 0);
            sent.add(text);
        }
        return sent;
    }

    /** {@code sent} highest priority first, in send order within a priority (a stable sort). */
    private static List<String> byPriority(List<String> sent) {
        List<String> expected = new ArrayList<>(sent);
        expected.sort(Comparator.comparingInt((String text) -> Integer.parseInt(text.split("-")[0])).reversed());
        return expected;
    }

    private static List<String> texts(MessageConsumer consumer, int count) throws JMSException {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message message = consumer.receive(RECEIVE_MS);
            assertThat(message).as("message %d of %d", i + 1, count).isNotNull();
            texts.add(((TextMessage) message).getText());
        }
        return texts;
    }
}

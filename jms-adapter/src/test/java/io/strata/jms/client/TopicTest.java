package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * JMS topics on a real Strata broker: non-durable subscribers from the log end (with a client-side selector and
 * noLocal), a shared subscription's consumers splitting the messages, and a durable subscription that keeps messages
 * while its consumer is closed until it is unsubscribed. Each test uses a topic of its own.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TopicTest extends OneBrokerTest {

    @BeforeAll
    static void prefetchTwo() {
        factory = JmsBroker.factory(broker, 2);
    }

    @Test
    void nonDurableSubscribersGetEveryMessageSentAfterTheySubscribedAndNothingBefore() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("news");
            MessageProducer producer = session.createProducer(topic);
            producer.send(session.createTextMessage("before"));
            MessageConsumer one = session.createConsumer(topic);
            MessageConsumer two = session.createConsumer(topic);
            MessageConsumer selective = session.createConsumer(topic, "n >= 1");
            for (int i = 0; i < 3; i++) {
                TextMessage message = session.createTextMessage("after-" + i);
                message.setIntProperty("n", i);
                producer.send(message);
            }
            assertThat(texts(one, 3)).containsExactly("after-0", "after-1", "after-2");
            assertThat(texts(two, 3)).containsExactly("after-0", "after-1", "after-2");
            assertThat(texts(selective, 2)).containsExactly("after-1", "after-2");
            assertThat(one.receive(300)).isNull();
            assertThat(selective.receive(300)).isNull();
        }
    }

    @Test
    void aNoLocalSubscriberDoesNotGetItsOwnConnectionsMessages() throws Exception {
        try (Connection mine = factory.createConnection(); Connection other = factory.createConnection()) {
            mine.start();
            Session session = mine.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("local");
            MessageConsumer noLocal = session.createConsumer(topic, null, true);
            session.createProducer(topic).send(session.createTextMessage("mine"));
            Session otherSession = other.createSession(false, Session.AUTO_ACKNOWLEDGE);
            otherSession.createProducer(topic).send(otherSession.createTextMessage("theirs"));
            assertThat(texts(noLocal, 1)).containsExactly("theirs");
        }
    }

    @Test
    void aSharedSubscriptionsConsumersSplitItsMessages() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session one = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Session two = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = one.createTopic("orders");
            MessageConsumer first = one.createSharedConsumer(topic, "billing");
            MessageConsumer second = two.createSharedConsumer(topic, "billing");
            MessageConsumer otherSubscription = two.createSharedDurableConsumer(topic, "audit");
            MessageProducer producer = one.createProducer(topic);
            for (int i = 0; i < 40; i++) {
                producer.send(one.createTextMessage("o" + i));
            }
            List<String> byFirst = new ArrayList<>();
            List<String> bySecond = new ArrayList<>();
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (byFirst.size() + bySecond.size() < 40) {
                assertThat(System.nanoTime()).as("all in time").isLessThan(deadline);
                receiveInto(first, byFirst);
                receiveInto(second, bySecond);
            }
            List<String> all = new ArrayList<>(byFirst);
            all.addAll(bySecond);
            assertThat(all).hasSize(40).doesNotHaveDuplicates();
            assertThat(byFirst).isNotEmpty();
            assertThat(bySecond).isNotEmpty();
            assertThat(texts(otherSubscription, 40)).as("another subscription gets every message").hasSize(40);
            otherSubscription.close();
            two.unsubscribe("audit");
        }
    }

    @Test
    void aDurableSubscriptionKeepsMessagesWhileItsConsumerIsClosedUntilUnsubscribed() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.setClientID("durable-client");
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("prices");
            MessageProducer producer = session.createProducer(topic);
            MessageConsumer durable = session.createDurableConsumer(topic, "watcher");
            assertThatThrownBy(() -> session.createDurableConsumer(topic, "watcher"))
                    .hasMessageContaining("already has an active consumer");
            producer.send(session.createTextMessage("p1"));
            assertThat(texts(durable, 1)).containsExactly("p1");
            durable.close();

            producer.send(session.createTextMessage("p2"));
            producer.send(session.createTextMessage("p3"));
            MessageConsumer back = session.createDurableConsumer(topic, "watcher");
            assertThat(texts(back, 2)).containsExactly("p2", "p3");
            back.close();

            producer.send(session.createTextMessage("p4"));
            session.unsubscribe("watcher");
            assertThatThrownBy(() -> session.unsubscribe("watcher")).isInstanceOf(InvalidDestinationException.class);
            MessageConsumer fresh = session.createDurableConsumer(topic, "watcher");
            producer.send(session.createTextMessage("p5"));
            assertThat(texts(fresh, 1)).as("p4 went with the old subscription").containsExactly("p5");
        }
    }

    @Test
    void aDurableSubscriptionReCreatedWithAnotherSelectorReplacesTheOldOneAndWhatItHeld() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.setClientID("selector-client");
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("colours");
            MessageProducer producer = session.createProducer(topic);
            MessageConsumer reds = session.createDurableConsumer(topic, "paint", "colour = 'red'", false);
            producer.send(coloured(session, "red", "r1"));
            assertThat(texts(reds, 1)).containsExactly("r1");
            reds.close();
            // Held by the subscription while no consumer is active: a blue one it does not want, a red one it does.
            producer.send(coloured(session, "blue", "b1"));
            producer.send(coloured(session, "red", "r2"));

            MessageConsumer blues = session.createDurableConsumer(topic, "paint", "colour = 'blue'", false);
            producer.send(coloured(session, "red", "r3"));
            producer.send(coloured(session, "blue", "b2"));
            assertThat(texts(blues, 1)).as("a new subscription: nothing the old one held, b1 included")
                    .containsExactly("b2");
            assertThat(blues.receive(500)).isNull();

            // The same definition again keeps the subscription and what it holds.
            blues.close();
            producer.send(coloured(session, "blue", "b3"));
            MessageConsumer bluesAgain = session.createDurableConsumer(topic, "paint", "colour = 'blue'", false);
            assertThat(texts(bluesAgain, 1)).containsExactly("b3");
            bluesAgain.close();
            session.unsubscribe("paint");
        }
    }

    @Test
    void aSharedDurableSubscriptionWithAnActiveConsumerCannotBeReCreatedWithAnotherSelector() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("shapes");
            MessageConsumer active = session.createSharedDurableConsumer(topic, "outlines", "shape = 'circle'");
            assertThatThrownBy(() -> session.createSharedDurableConsumer(topic, "outlines", "shape = 'square'"))
                    .isInstanceOf(jakarta.jms.JMSException.class).hasMessageContaining("active consumer");
            MessageConsumer second = session.createSharedDurableConsumer(topic, "outlines", "shape = 'circle'");
            second.close();
            active.close();
            session.createSharedDurableConsumer(topic, "outlines", "shape = 'square'").close();
            session.unsubscribe("outlines");
        }
    }

    @Test
    void aDurableSubscriptionReCreatedWithNoLocalIsANewOne() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.setClientID("nolocal-client");
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("gossip");
            session.createDurableConsumer(topic, "ears", null, false).close();
            session.createProducer(topic).send(session.createTextMessage("held"));
            MessageConsumer noLocal = session.createDurableConsumer(topic, "ears", null, true);
            assertThat(noLocal.receive(1_000)).as("the old subscription's message went with it").isNull();
            noLocal.close();
            session.unsubscribe("ears");
        }
    }

    @Test
    void anUnsharedDurableSubscriptionHasOneConsumerAcrossConnectionsSharingAClientId() throws Exception {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("bootstrap.servers", broker.bootstrapServers());
        properties.setProperty("strata.jms.client.id", "shared-admin-id");
        StrataConnectionFactory configured = new StrataConnectionFactory(properties);
        try (Connection first = configured.createConnection(); Connection second = configured.createConnection()) {
            Session one = first.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Session two = second.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = one.createTopic("audit-trail");
            MessageConsumer active = one.createDurableConsumer(topic, "auditor");
            assertThatThrownBy(() -> two.createDurableConsumer(topic, "auditor"))
                    .hasMessageContaining("already has an active consumer (in another connection)");
            active.close();
            two.createDurableConsumer(topic, "auditor").close();
            two.unsubscribe("auditor");
        }
    }

    private static TextMessage coloured(Session session, String colour, String text) throws Exception {
        TextMessage message = session.createTextMessage(text);
        message.setStringProperty("colour", colour);
        return message;
    }

    @Test
    void aDurableSubscriptionMadeOnAStoppedConnectionKeepsWhatIsSentBeforeTheStart() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.setClientID("late-starter");
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("early-news");
            MessageConsumer durable = session.createDurableConsumer(topic, "reader");
            MessageConsumer shared = session.createSharedConsumer(topic, "readers");
            session.createProducer(topic).send(session.createTextMessage("before start"));
            connection.start();
            assertThat(texts(durable, 1)).containsExactly("before start");
            assertThat(texts(shared, 1)).containsExactly("before start");
            durable.close();
            shared.close();
            session.unsubscribe("reader");
        }
    }

    @Test
    void aSharedSubscriptionWithAnActiveConsumerRefusesAnotherTopicOrSelector() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic first = session.createTopic("weather");
            Topic second = session.createTopic("traffic");
            MessageConsumer active = session.createSharedConsumer(first, "news");
            assertThatThrownBy(() -> session.createSharedConsumer(second, "news"))
                    .isInstanceOf(jakarta.jms.JMSException.class).hasMessageContaining("on another topic");
            assertThatThrownBy(() -> session.createSharedConsumer(first, "news", "urgent = TRUE"))
                    .isInstanceOf(jakarta.jms.JMSException.class).hasMessageContaining("with the selector");
            session.createSharedConsumer(first, "news").close(); // the same subscription: a second consumer
            active.close();
            session.createSharedConsumer(second, "news").close(); // none active: any topic
        }
    }

    @Test
    void anUnsharedDurableSubscriptionNeedsAClientId() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = session.createTopic("anonymous");
            assertThatThrownBy(() -> session.createDurableConsumer(topic, "sub"))
                    .isInstanceOf(jakarta.jms.IllegalStateException.class).hasMessageContaining("client identifier");
        }
    }

    private static void receiveInto(MessageConsumer consumer, List<String> into) throws Exception {
        Message message = consumer.receive(50);
        if (message != null) {
            into.add(((TextMessage) message).getText());
        }
    }

    private static List<String> texts(MessageConsumer consumer, int count) throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message message = consumer.receive(RECEIVE_MS);
            assertThat(message).as("message " + i + " of " + count + " after " + texts).isNotNull();
            texts.add(((TextMessage) message).getText());
        }
        return texts;
    }
}

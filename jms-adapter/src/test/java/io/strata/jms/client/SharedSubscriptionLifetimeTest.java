package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shared non-durable subscription lives while it has a consumer (JMS 3.1 section 8.3.2): its share group stays
 * while any connection still consumes, and goes, with its undelivered messages, when the last consumer closes.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SharedSubscriptionLifetimeTest extends OneBrokerTest {

    private static final String GROUP = "jms:shared:lifetime::prices";

    @Test
    void theSubscriptionsGroupGoesWithItsLastConsumerAndTakesItsUndeliveredMessages() throws Exception {
        try (Connection first = factory.createConnection(); Connection second = factory.createConnection();
             Admin admin = broker.admin()) {
            Session firstSession = first.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Session secondSession = second.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Topic topic = firstSession.createTopic("lifetime");
            MessageConsumer firstConsumer = firstSession.createSharedConsumer(topic, "prices");
            MessageConsumer secondConsumer = secondSession.createSharedConsumer(topic, "prices");
            MessageProducer producer = firstSession.createProducer(topic);
            producer.send(firstSession.createTextMessage("undelivered"));

            firstConsumer.close();
            assertThat(shareGroups(admin)).as("another connection still consumes").contains(GROUP);
            secondConsumer.close();
            assertThat(shareGroups(admin)).as("the last consumer closed").doesNotContain(GROUP);

            MessageConsumer anew = secondSession.createSharedConsumer(topic, "prices");
            second.start();
            producer.send(firstSession.createTextMessage("fresh"));
            assertThat(((TextMessage) anew.receive(RECEIVE_MS)).getText())
                    .as("a new subscription: what the old one did not deliver is gone").isEqualTo("fresh");
            assertThat(anew.receive(500)).isNull();
        }
    }

    private static Set<String> shareGroups(Admin admin) throws Exception {
        return admin.listGroups(ListGroupsOptions.forShareGroups()).all().get(30, TimeUnit.SECONDS).stream()
                .map(GroupListing::groupId).collect(Collectors.toSet());
    }
}

package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.Destination;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Temporary queues and topics on a real broker (JMS 3.1 section 6.2.2): a Kafka topic of one partition under the
 * documented prefix, consumed only by the connection that created it, answered by others through JMSReplyTo, deleted
 * by {@code delete()} (refused while consumed) or with its connection.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TemporaryDestinationTest extends OneBrokerTest {

    @Test
    void anotherConnectionAnswersARequestThroughTheTemporaryQueueInItsReplyTo() throws Exception {
        try (Connection requester = factory.createConnection(); Connection responder = factory.createConnection()) {
            Session requests = requester.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue replies = requests.createTemporaryQueue();
            MessageConsumer replyConsumer = requests.createConsumer(replies);
            Queue service = requests.createQueue("temp-service");
            TextMessage request = requests.createTextMessage("what time is it?");
            request.setJMSReplyTo(replies);
            request.setJMSCorrelationID("req-1");
            requests.createProducer(service).send(request);

            Session serving = responder.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer serviceConsumer = serving.createConsumer(service);
            responder.start();
            Message received = serviceConsumer.receive(RECEIVE_MS);
            Destination replyTo = received.getJMSReplyTo();
            assertThat(replyTo).isInstanceOf(TemporaryQueue.class).isEqualTo(replies);
            TextMessage reply = serving.createTextMessage("noon");
            reply.setJMSCorrelationID(received.getJMSCorrelationID());
            serving.createProducer(replyTo).send(reply);
            assertThatThrownBy(() -> serving.createConsumer(replyTo))
                    .as("only the creating connection consumes from a temporary queue")
                    .isInstanceOf(InvalidDestinationException.class);
            assertThatThrownBy(((TemporaryQueue) replyTo)::delete).isInstanceOf(JMSException.class);

            requester.start();
            TextMessage answer = (TextMessage) replyConsumer.receive(RECEIVE_MS);
            assertThat(answer.getText()).isEqualTo("noon");
            assertThat(answer.getJMSCorrelationID()).isEqualTo("req-1");
            assertThat(answer.getJMSDestination()).isEqualTo(replies);
        }
    }

    @Test
    void aTemporaryDestinationIsATopicOfOnePartitionUnderTheDocumentedPrefix() throws Exception {
        try (Connection connection = factory.createConnection(); Admin admin = broker.admin()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue queue = session.createTemporaryQueue();
            TemporaryTopic topic = session.createTemporaryTopic();
            assertThat(queue.getQueueName()).startsWith("jms.temp-queue.");
            assertThat(topic.getTopicName()).startsWith("jms.temp-topic.");
            assertThat(queue).isNotEqualTo(session.createTemporaryQueue());
            TopicDescription description = admin.describeTopics(List.of(queue.getQueueName())).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(queue.getQueueName());
            assertThat(description.partitions()).hasSize(1);

            MessageConsumer subscriber = session.createConsumer(topic);
            connection.start();
            session.createProducer(topic).send(session.createTextMessage("to the temporary topic"));
            assertThat(((TextMessage) subscriber.receive(RECEIVE_MS)).getText()).isEqualTo("to the temporary topic");
        }
    }

    @Test
    void deleteIsRefusedWhileConsumedThenRemovesTheTopicAndFurtherUse() throws Exception {
        try (Connection connection = factory.createConnection(); Admin admin = broker.admin()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue queue = session.createTemporaryQueue();
            MessageProducer producer = session.createProducer(null);
            MessageConsumer consumer = session.createConsumer(queue);
            producer.send(queue, session.createTextMessage("before delete"));

            assertThatThrownBy(queue::delete).isInstanceOf(JMSException.class).hasMessageContaining("consumers");
            consumer.close();
            queue.delete();

            assertThat(topics(admin)).doesNotContain(queue.getQueueName());
            assertThatThrownBy(() -> producer.send(queue, session.createTextMessage("after delete")))
                    .isInstanceOf(InvalidDestinationException.class);
            assertThatThrownBy(() -> session.createConsumer(queue)).isInstanceOf(InvalidDestinationException.class);
            assertThat(topics(admin)).as("a send does not bring it back").doesNotContain(queue.getQueueName());
        }
    }

    @Test
    void closingTheConnectionDeletesItsTemporaryDestinations() throws Exception {
        String queueName;
        String topicName;
        try (JMSContext context = factory.createContext()) {
            TemporaryQueue queue = context.createTemporaryQueue();
            TemporaryTopic topic = context.createTemporaryTopic();
            context.createConsumer(queue);
            context.createProducer().send(queue, "left behind");
            queueName = queue.getQueueName();
            topicName = topic.getTopicName();
        }
        try (Admin admin = broker.admin()) {
            assertThat(topics(admin)).doesNotContain(queueName, topicName);
        }
    }

    private static Set<String> topics(Admin admin) throws Exception {
        return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    }
}

package io.strata.jms.client;

import io.strata.broker.it.TestBroker;
import io.strata.jms.destination.StrataTemporaryQueue;
import io.strata.jms.destination.StrataTemporaryTopic;
import jakarta.jms.Connection;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The broker deletes the temporary destinations of a connection that ended without closing (JMS 3.1 section 6.2.2:
 * they live as long as their connection): each temporary topic names its connection's lease group in the topic config
 * {@code strata.jms.temporary.owner}, and once that group has no member (the process died, its session expired) the
 * broker deletes the topic, then the lease group and the temporary queue's share group. The broker here expires a
 * session after {@value #SESSION_TIMEOUT_MS} ms and looks every {@value #CLEANUP_INTERVAL_MS} ms, so this takes
 * seconds.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TemporaryDestinationCleanupTest {

    private static final int SESSION_TIMEOUT_MS = 2000;
    private static final long CLEANUP_INTERVAL_MS = 300;

    @TempDir
    static Path dir;
    static TestBroker broker;
    static StrataConnectionFactory factory;

    @BeforeAll
    static void startBroker() {
        Map<String, Object> settings = new HashMap<>(JmsBroker.FAST_SHARE_GROUPS);
        settings.put("group.consumer.min.session.timeout.ms", 1000);
        settings.put("group.consumer.session.timeout.ms", SESSION_TIMEOUT_MS);
        settings.put("group.consumer.min.heartbeat.interval.ms", 500);
        settings.put("group.consumer.heartbeat.interval.ms", 1000);
        settings.put("group.share.min.session.timeout.ms", 1000);
        settings.put("group.share.session.timeout.ms", SESSION_TIMEOUT_MS);
        settings.put("temporary.topic.cleanup.interval.ms", CLEANUP_INTERVAL_MS);
        broker = TestBroker.start(dir, settings);
        factory = JmsBroker.factory(broker, 10);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void theTemporaryDestinationsOfAKilledProcessGoWithinTheSessionTimeout() throws Exception {
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TemporaryDestinationHolder.class.getName(),
                broker.bootstrapServers()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String leaseGroup;
        String queueName;
        String topicName;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            leaseGroup = out.readLine();
            queueName = out.readLine();
            topicName = out.readLine();
            assertThat(topicName).as("the child process printed what it created").isNotNull();
        } finally {
            holder.destroyForcibly(); // no close: the lease stops heartbeating, the topics stay
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        try (Admin admin = broker.admin(); Connection sender = factory.createConnection()) {
            assertThat(topics(admin)).contains(queueName, topicName);
            assertThat(groups(admin)).contains(leaseGroup, queueName);

            // Gone once the lease's session expired and the cleaner looked: seconds, with room for a loaded machine.
            await().atMost(Duration.ofMillis(SESSION_TIMEOUT_MS * 5L)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(topics(admin)).doesNotContain(queueName, topicName));

            Session session = sender.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(null);
            assertThatThrownBy(() -> producer.send(new StrataTemporaryQueue(queueName),
                    session.createTextMessage("to a dead connection's queue")))
                    .isInstanceOf(InvalidDestinationException.class);
            assertThatThrownBy(() -> producer.send(new StrataTemporaryTopic(topicName),
                    session.createTextMessage("to a dead connection's topic")))
                    .isInstanceOf(InvalidDestinationException.class);

            await().atMost(Duration.ofMillis(SESSION_TIMEOUT_MS * 5L)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(groups(admin))
                            .as("the lease group and the temporary queue's share group go too")
                            .doesNotContain(leaseGroup, queueName));
        }
    }

    @Test
    void aLiveConnectionKeepsItsTemporaryDestinationsAndATopicWithoutOwnerIsNeverTouched() throws Exception {
        try (Connection connection = factory.createConnection(); Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic("cleanup-plain-topic", Optional.of(1), Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            TemporaryQueue queue = session.createTemporaryQueue();
            TemporaryTopic topic = session.createTemporaryTopic();
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();

            await().during(Duration.ofMillis(SESSION_TIMEOUT_MS * 2L + 1000))
                    .atMost(Duration.ofMillis(SESSION_TIMEOUT_MS * 2L + 5000)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(topics(admin))
                            .contains(queue.getQueueName(), topic.getTopicName(), "cleanup-plain-topic"));

            session.createProducer(queue).send(session.createTextMessage("still there"));
            assertThat(((TextMessage) consumer.receive(RECEIVE_MS)).getText()).isEqualTo("still there");
        }
    }

    @Test
    void closingDeletesTheTemporaryDestinationsAtOnceAndLeavesTheLease() throws Exception {
        try (Admin admin = broker.admin()) {
            String queueName;
            String topicName;
            String leaseGroup;
            try (Connection connection = factory.createConnection()) {
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                queueName = session.createTemporaryQueue().getQueueName();
                topicName = session.createTemporaryTopic().getTopicName();
                leaseGroup = ((StrataConnection) connection).connectionLeaseGroup();
                var lease = admin.describeConsumerGroups(List.of(leaseGroup)).all().get(30, TimeUnit.SECONDS)
                        .get(leaseGroup);
                assertThat(lease.members()).as("the connection is its lease group's one member").hasSize(1);
            }
            assertThat(topics(admin)).doesNotContain(queueName, topicName);
            var left = admin.describeConsumerGroups(List.of(leaseGroup)).all().get(30, TimeUnit.SECONDS)
                    .get(leaseGroup);
            assertThat(left.members()).as("the lease was left on close, not left to expire").isEmpty();
        }
    }

    private static Set<String> topics(Admin admin) throws Exception {
        return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    }

    private static Set<String> groups(Admin admin) throws Exception {
        return admin.listGroups(new ListGroupsOptions()).all().get(30, TimeUnit.SECONDS).stream()
                .map(GroupListing::groupId).collect(Collectors.toSet());
    }
}

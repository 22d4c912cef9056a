package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Poison messages on a real broker: the provider gives its share groups the dead-letter topic {@code dlq.jms} (the
 * default) and the delivery limit of {@code strata.jms.delivery.limit}, so that a message delivered that often without
 * being acknowledged leaves its queue for the dead-letter topic, still the JMS message it was; an operator's own
 * group configs win.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DeadLetterTest extends OneBrokerTest {

    private static final String DEAD_LETTERS = ProviderSettings.DEAD_LETTER_TOPIC_DEFAULT;
    private static final int LIMIT = 3;

    @Test
    void aMessageRecoveredPastTheDeliveryLimitGoesToTheDeadLetterTopicWithItsBodyAndProperties() throws Exception {
        try (Connection connection = limitedFactory().createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            Queue queue = session.createQueue("poison-recovered");
            TextMessage poison = session.createTextMessage("cannot be processed");
            poison.setStringProperty("orderId", "o-17");
            poison.setIntProperty("quantity", 3);
            poison.setJMSCorrelationID("corr-17");
            session.createProducer(queue).send(poison, DeliveryMode.PERSISTENT, 6, 0);
            String id = poison.getJMSMessageID();
            MessageConsumer consumer = session.createConsumer(queue);

            List<Integer> deliveryCounts = new ArrayList<>();
            for (int delivery = 1; delivery <= LIMIT; delivery++) {
                Message message = consumer.receive(RECEIVE_MS);
                assertThat(message).as("delivery %d", delivery).isNotNull();
                assertThat(message.getJMSMessageID()).isEqualTo(id);
                deliveryCounts.add(message.getIntProperty("JMSXDeliveryCount"));
                session.recover();
            }

            assertThat(deliveryCounts).containsExactly(1, 2, 3);
            TextMessage dead = (TextMessage) receiveDeadLetter(connection, id);
            assertThat(dead.getText()).isEqualTo("cannot be processed");
            assertThat(dead.getStringProperty("orderId")).isEqualTo("o-17");
            assertThat(dead.getObjectProperty("quantity")).isEqualTo(3);
            assertThat(dead.getJMSCorrelationID()).isEqualTo("corr-17");
            assertThat(dead.getJMSPriority()).isEqualTo(6);
            assertThat(dead.getJMSDestination()).as("where it was sent").isEqualTo(queue);
            assertThat(consumer.receive(500)).as("no longer delivered on the queue").isNull();

            ConsumerRecord<byte[], byte[]> record = deadLetterRecord(id);
            assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("cannot be processed");
            assertThat(header(record, "orderId")).isEqualTo("o-17");
            assertThat(header(record, "__dlq.errors.topic")).isEqualTo("poison-recovered");
            assertThat(header(record, "__dlq.errors.group")).isEqualTo("poison-recovered");
            assertThat(header(record, "__dlq.errors.delivery.count")).isEqualTo(Integer.toString(LIMIT));
        }
    }

    @Test
    void aMessageWhoseListenerAlwaysThrowsIsDeliveredUpToTheLimitThenDeadLettered() throws Exception {
        try (Connection connection = limitedFactory().createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("poison-listener");
            TextMessage poison = session.createTextMessage("throws every time");
            session.createProducer(queue).send(poison);
            List<Integer> deliveryCounts = new CopyOnWriteArrayList<>();
            session.createConsumer(queue).setMessageListener(message -> {
                try {
                    deliveryCounts.add(message.getIntProperty("JMSXDeliveryCount"));
                } catch (JMSException e) {
                    throw new IllegalStateException(e);
                }
                throw new IllegalStateException("this listener cannot handle the message");
            });
            connection.start();

            ConsumerRecord<byte[], byte[]> record = deadLetterRecord(poison.getJMSMessageID());

            assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("throws every time");
            assertThat(header(record, "__dlq.errors.topic")).isEqualTo("poison-listener");
            assertThat(deliveryCounts).containsExactly(1, 2, 3);
        }
    }

    @Test
    void theProviderGivesAGroupItsDeadLetterTopicAndLimitUnlessTheGroupHasItsOwn() throws Exception {
        try (Admin admin = admin()) {
            ConfigResource operated = new ConfigResource(ConfigResource.Type.GROUP, "operated");
            admin.incrementalAlterConfigs(Map.of(operated, List.of(
                    set(GroupConfigurer.DEAD_LETTER_TOPIC_NAME, "dlq.operated"),
                    set(GroupConfigurer.DELIVERY_COUNT_LIMIT, "7")))).all().get(30, TimeUnit.SECONDS);
            ConfigResource provided = new ConfigResource(ConfigResource.Type.GROUP, "provided");

            try (Connection connection = limitedFactory().createConnection()) {
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                session.createConsumer(session.createQueue("operated"));
                session.createConsumer(session.createQueue("provided"));
            }

            Config ours = describe(admin, provided);
            assertThat(ours.get(GroupConfigurer.DEAD_LETTER_TOPIC_NAME).value()).isEqualTo(DEAD_LETTERS);
            assertThat(ours.get(GroupConfigurer.DEAD_LETTER_COPY_RECORD).value()).isEqualTo("true");
            assertThat(ours.get(GroupConfigurer.DELIVERY_COUNT_LIMIT).value()).isEqualTo(Integer.toString(LIMIT));
            Config theirs = describe(admin, operated);
            assertThat(theirs.get(GroupConfigurer.DEAD_LETTER_TOPIC_NAME).value()).isEqualTo("dlq.operated");
            assertThat(theirs.get(GroupConfigurer.DEAD_LETTER_COPY_RECORD).value()).isEqualTo("false");
            assertThat(theirs.get(GroupConfigurer.DELIVERY_COUNT_LIMIT).value()).isEqualTo("7");
            assertThat(theirs.get(GroupConfigurer.ISOLATION_LEVEL).value()).as("JMS needs it anyway")
                    .isEqualTo("read_committed");
            Config topic = describe(admin, new ConfigResource(ConfigResource.Type.TOPIC, DEAD_LETTERS));
            assertThat(topic.get(GroupConfigurer.DEAD_LETTER_GROUP_ENABLE).value()).isEqualTo("true");
        }
    }

    @Test
    void anEmptyDeadLetterTopicSettingLeavesGroupsWithoutOne() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", broker.bootstrapServers());
        properties.setProperty(ProviderSettings.DEAD_LETTER_TOPIC, "");
        try (Admin admin = admin();
             Connection connection = new StrataConnectionFactory(properties).createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            session.createConsumer(session.createQueue("undead"));

            Config config = describe(admin, new ConfigResource(ConfigResource.Type.GROUP, "undead"));
            assertThat(config.get(GroupConfigurer.DEAD_LETTER_TOPIC_NAME).value()).isEmpty();
            assertThat(config.get(GroupConfigurer.DELIVERY_COUNT_LIMIT).source())
                    .isNotEqualTo(ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
        }
    }

    @Test
    void aDeadLetterTopicKafkaCannotHaveIsRefusedByTheFactory() {
        for (String name : List.of("__internal", "dlq:orders")) {
            Properties properties = new Properties();
            properties.setProperty("bootstrap.servers", broker.bootstrapServers());
            properties.setProperty(ProviderSettings.DEAD_LETTER_TOPIC, name);
            assertThatThrownBy(() -> new StrataConnectionFactory(properties))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(ProviderSettings.DEAD_LETTER_TOPIC);
        }
    }

    private static StrataConnectionFactory limitedFactory() {
        StrataConnectionFactory limited = JmsBroker.factory(broker, 10);
        limited.setProperty(ProviderSettings.DELIVERY_LIMIT, Integer.toString(LIMIT));
        return limited;
    }

    /** The dead letter of message {@code id}, read from the dead-letter topic as the JMS queue of its name. */
    private static Message receiveDeadLetter(Connection connection, String id) throws JMSException {
        Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer deadLetters = session.createConsumer(session.createQueue(DEAD_LETTERS));
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        while (System.nanoTime() < deadline) {
            Message message = deadLetters.receive(RECEIVE_MS);
            if (message != null && id.equals(message.getJMSMessageID())) {
                session.close();
                return message;
            }
        }
        throw new AssertionError("no dead letter of " + id + " in " + DEAD_LETTERS + " within " + AT_MOST);
    }

    /** The record of message {@code id} in the dead-letter topic, as a Kafka consumer reads it. */
    private static ConsumerRecord<byte[], byte[]> deadLetterRecord(String id) {
        Properties properties = new Properties();
        properties.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        properties.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
            await().atMost(AT_MOST).until(() -> {
                List<TopicPartition> partitions = consumer.partitionsFor(DEAD_LETTERS).stream()
                        .map(partition -> new TopicPartition(DEAD_LETTERS, partition.partition())).toList();
                if (partitions.isEmpty()) {
                    return false;
                }
                if (!consumer.assignment().containsAll(partitions)) {
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (id.equals(header(record, "JMSMessageID"))) {
                        found.add(record);
                    }
                });
                return !found.isEmpty();
            });
            assertThat(found).as("one dead letter per message").hasSize(1);
            return found.get(0);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header header = record.headers().lastHeader(key);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
    }

    private static Config describe(Admin admin, ConfigResource resource) throws Exception {
        return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }
}

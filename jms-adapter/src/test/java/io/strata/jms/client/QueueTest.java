package io.strata.jms.client;

import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionMetaData;
import jakarta.jms.DeliveryMode;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.InvalidSelectorException;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import jakarta.jms.TextMessage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * JMS queues on a real Strata broker: every message type through the classic and the simplified API, the
 * acknowledgement modes, recover, listeners, stop/start, selectors, a KafkaShareConsumer in a queue's group, and
 * records of plain Kafka producers. Each test uses a queue of its own.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class QueueTest extends OneBrokerTest {

    @Test
    void aConsumerOfAStoppedConnectionLeavesTheQueuesMessagesToTheOthers() throws Exception {
        try (Connection stopped = factory.createConnection(); Connection running = factory.createConnection()) {
            Session idle = stopped.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = idle.createQueue("stopped-consumer");
            MessageConsumer held = idle.createConsumer(queue); // its connection never started
            Session active = running.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer working = active.createConsumer(queue);
            running.start();
            MessageProducer producer = active.createProducer(queue);
            for (int i = 0; i < 5; i++) {
                producer.send(active.createTextMessage("m" + i));
            }
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Message message = working.receive(RECEIVE_MS);
                assertThat(message).as("message " + i + " (the stopped consumer must not hold it)").isNotNull();
                got.add(((TextMessage) message).getText());
            }
            assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4");

            // Stopped after it started: the running consumer gets what is sent then, the stopped one nothing.
            stopped.start();
            stopped.stop();
            producer.send(active.createTextMessage("m5"));
            assertThat(((TextMessage) working.receive(RECEIVE_MS)).getText()).isEqualTo("m5");
            stopped.start();
            assertThat(held.receive(500)).isNull();
        }
    }

    @Test
    void everyMessageTypeCrossesAQueueWithItsHeadersAndProperties() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("every-type");
            MessageProducer producer = session.createProducer(queue);
            TextMessage text = session.createTextMessage("hello");
            text.setJMSCorrelationID("corr-1");
            text.setJMSType("greeting");
            text.setIntProperty("quantity", 7);
            text.setBooleanProperty("express", true);
            text.setStringProperty("JMSXGroupID", "g1");
            producer.send(text, DeliveryMode.NON_PERSISTENT, 7, 0);
            BytesMessage bytes = session.createBytesMessage();
            bytes.writeBytes(new byte[] {1, 2, 3});
            producer.send(bytes);
            MapMessage map = session.createMapMessage();
            map.setInt("n", 42);
            map.setString("s", "x");
            producer.send(map);
            StreamMessage stream = session.createStreamMessage();
            stream.writeLong(5L);
            stream.writeString("y");
            producer.send(stream);
            producer.send(session.createObjectMessage(new java.util.ArrayList<>(List.of("a", "b"))));
            Message plain = session.createMessage();
            plain.setDoubleProperty("ratio", 0.5);
            producer.send(plain);
            assertThat(text.getJMSMessageID()).startsWith("ID:");
            assertThat(text.getJMSTimestamp()).isPositive();
            assertThat(text.getJMSDestination()).isEqualTo(queue);

            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            TextMessage gotText = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(gotText.getText()).isEqualTo("hello");
            assertThat(gotText.getJMSMessageID()).isEqualTo(text.getJMSMessageID());
            assertThat(gotText.getJMSCorrelationID()).isEqualTo("corr-1");
            assertThat(gotText.getJMSType()).isEqualTo("greeting");
            assertThat(gotText.getJMSPriority()).isEqualTo(7);
            assertThat(gotText.getJMSDeliveryMode()).isEqualTo(DeliveryMode.NON_PERSISTENT);
            assertThat(gotText.getJMSTimestamp()).isEqualTo(text.getJMSTimestamp());
            assertThat(gotText.getJMSDestination()).isEqualTo(queue);
            assertThat(gotText.getIntProperty("quantity")).isEqualTo(7);
            assertThat(gotText.getBooleanProperty("express")).isTrue();
            assertThat(gotText.getStringProperty("JMSXGroupID")).isEqualTo("g1");
            assertThat(gotText.getJMSRedelivered()).isFalse();
            assertThat(gotText.getIntProperty("JMSXDeliveryCount")).isEqualTo(1);
            BytesMessage gotBytes = (BytesMessage) consumer.receive(RECEIVE_MS);
            byte[] body = new byte[3];
            assertThat(gotBytes.readBytes(body)).isEqualTo(3);
            assertThat(body).containsExactly(1, 2, 3);
            MapMessage gotMap = (MapMessage) consumer.receive(RECEIVE_MS);
            assertThat(gotMap.getInt("n")).isEqualTo(42);
            assertThat(gotMap.getString("s")).isEqualTo("x");
            StreamMessage gotStream = (StreamMessage) consumer.receive(RECEIVE_MS);
            assertThat(gotStream.readLong()).isEqualTo(5L);
            assertThat(gotStream.readString()).isEqualTo("y");
            assertThat(((ObjectMessage) consumer.receive(RECEIVE_MS)).getObject()).isEqualTo(List.of("a", "b"));
            Message gotPlain = consumer.receive(RECEIVE_MS);
            assertThat(gotPlain.getDoubleProperty("ratio")).isEqualTo(0.5);
            assertThat(consumer.receiveNoWait()).isNull();
        }
    }

    @Test
    void theSimplifiedApiSendsAndReceivesEveryBodyType() throws Exception {
        try (JMSContext context = factory.createContext()) {
            Queue queue = context.createQueue("simplified");
            context.createProducer().setProperty("origin", "test").send(queue, "text")
                    .send(queue, new byte[] {9}).send(queue, Map.of("k", 1)).send(queue, 12345L);
            JMSConsumer consumer = context.createConsumer(queue);
            Message first = consumer.receive(RECEIVE_MS);
            assertThat(context.getMetaData().getJMSVersion()).isEqualTo("3.1");
            assertThat(first).isInstanceOf(TextMessage.class);
            assertThat(consumer.receiveBody(byte[].class, RECEIVE_MS)).containsExactly(9);
            assertThat(consumer.receiveBody(Map.class, RECEIVE_MS)).isEqualTo(Map.of("k", 1));
            assertThat(consumer.receiveBody(Long.class, RECEIVE_MS)).isEqualTo(12345L);
            assertThat(first.getBody(String.class)).isEqualTo("text");
            assertThat(first.getStringProperty("origin")).isEqualTo("test");
        }
    }

    @Test
    void recoverRedeliversWithJmsRedeliveredAndDeliveryCountTwo() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            Queue queue = session.createQueue("recovered");
            session.createProducer(queue).send(session.createTextMessage("again"));
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            Message first = consumer.receive(RECEIVE_MS);
            assertThat(first.getJMSRedelivered()).isFalse();
            assertThat(first.getIntProperty("JMSXDeliveryCount")).isEqualTo(1);

            session.recover();

            Message second = consumer.receive(RECEIVE_MS);
            assertThat(second.getJMSMessageID()).isEqualTo(first.getJMSMessageID());
            assertThat(second.getJMSRedelivered()).isTrue();
            assertThat(second.getIntProperty("JMSXDeliveryCount")).isEqualTo(2);
            second.acknowledge();
            assertThat(consumer.receive(500)).isNull();
        }
    }

    @Test
    void clientAcknowledgeAcknowledgesEveryConsumedMessageAndTheRestComesBackAfterClose() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session sender = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = sender.createQueue("client-ack");
            MessageProducer producer = sender.createProducer(queue);
            for (int i = 0; i < 5; i++) {
                producer.send(sender.createTextMessage("m" + i));
            }
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(queue);
            List<String> first = new ArrayList<>();
            Message last = null;
            for (int i = 0; i < 3; i++) {
                last = consumer.receive(RECEIVE_MS);
                first.add(((TextMessage) last).getText());
            }
            last.acknowledge(); // all three
            consumer.receive(RECEIVE_MS);
            consumer.receive(RECEIVE_MS); // two not acknowledged
            session.close();
            assertThatThrownBy(last::acknowledge).isInstanceOf(IllegalStateException.class);

            Session again = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            MessageConsumer next = again.createConsumer(queue);
            List<String> redelivered = new ArrayList<>();
            for (Message m = next.receive(RECEIVE_MS); m != null; m = next.receive(1000)) {
                assertThat(m.getJMSRedelivered()).isTrue();
                redelivered.add(((TextMessage) m).getText());
                m.acknowledge();
            }
            assertThat(first).containsExactly("m0", "m1", "m2");
            assertThat(redelivered).containsExactly("m3", "m4");
        }
    }

    @Test
    void dupsOkAcknowledgesWhatWasReceived() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
            Queue queue = session.createQueue("dups-ok");
            MessageProducer producer = session.createProducer(queue);
            for (int i = 0; i < 3; i++) {
                producer.send(session.createTextMessage("d" + i));
            }
            MessageConsumer consumer = session.createConsumer(queue);
            for (int i = 0; i < 3; i++) {
                assertThat(((TextMessage) consumer.receive(RECEIVE_MS)).getText()).isEqualTo("d" + i);
            }
            consumer.close();
            MessageConsumer later = session.createConsumer(queue);
            assertThat(later.receive(1500)).isNull();
        }
    }

    @Test
    void twoConsumersAndAKafkaShareConsumerInTheQueuesGroupSplitTheMessages() throws Exception {
        Properties kafka = new Properties();
        kafka.put("bootstrap.servers", broker.bootstrapServers());
        kafka.put("group.id", "shared-work");
        kafka.put("key.deserializer", StringDeserializer.class.getName());
        kafka.put("value.deserializer", StringDeserializer.class.getName());
        kafka.put("max.poll.records", 5);
        try (Connection connection = JmsBroker.factory(broker, 2).createConnection()) {
            Session one = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Session two = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = one.createQueue("shared-work");
            MessageConsumer first = one.createConsumer(queue);
            MessageConsumer second = two.createConsumer(queue);
            connection.start();
            try (KafkaShareConsumer<String, String> kafkaConsumer = new KafkaShareConsumer<>(kafka)) {
                kafkaConsumer.subscribe(List.of("shared-work"));
                kafkaConsumer.poll(Duration.ofMillis(500)); // joins
                MessageProducer producer = one.createProducer(queue);
                for (int i = 0; i < 100; i++) {
                    producer.send(one.createTextMessage("w" + i));
                }
                List<String> byJms = new ArrayList<>();
                List<String> byKafka = new ArrayList<>();
                long deadline = System.nanoTime() + AT_MOST.toNanos();
                while (byJms.size() + byKafka.size() < 100) {
                    assertThat(System.nanoTime()).as("all in time: " + byJms.size() + " + " + byKafka.size())
                            .isLessThan(deadline);
                    for (MessageConsumer consumer : List.of(first, second)) {
                        Message m = consumer.receive(50);
                        if (m != null) {
                            byJms.add(((TextMessage) m).getText());
                        }
                    }
                    for (ConsumerRecord<String, String> record : kafkaConsumer.poll(Duration.ofMillis(50))) {
                        byKafka.add(record.value());
                    }
                    kafkaConsumer.commitSync();
                }
                List<String> all = new ArrayList<>(byJms);
                all.addAll(byKafka);
                assertThat(all).hasSize(100).doesNotHaveDuplicates();
                assertThat(byKafka).as("the KafkaShareConsumer took part").isNotEmpty();
                assertThat(byJms).as("the JMS consumers took part").isNotEmpty();
            }
        }
    }

    @Test
    void aListenerWithAutoAcknowledgeGetsEveryMessageAndStopPausesDelivery() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("listened");
            List<String> got = new CopyOnWriteArrayList<>();
            MessageConsumer consumer = session.createConsumer(queue);
            consumer.setMessageListener(m -> {
                try {
                    got.add(((TextMessage) m).getText());
                } catch (JMSException e) {
                    throw new java.lang.IllegalStateException(e);
                }
            });
            Session sender = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = sender.createProducer(queue);
            producer.send(sender.createTextMessage("while-stopped"));
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(got::isEmpty);
            assertThatThrownBy(() -> consumer.receive(10)).isInstanceOf(IllegalStateException.class);

            connection.start();
            await().atMost(AT_MOST).until(() -> got.size() == 1);
            connection.stop();
            producer.send(sender.createTextMessage("stopped-again"));
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> got.size() == 1);
            connection.start();
            producer.send(sender.createTextMessage("started"));
            await().atMost(AT_MOST).until(() -> got.size() == 3);
            assertThat(got).containsExactly("while-stopped", "stopped-again", "started");
            consumer.close();
            MessageConsumer after = sender.createConsumer(queue);
            assertThat(after.receive(1000)).as("the listener's messages were acknowledged").isNull();
        }
    }

    @Test
    void consumersWithComplementarySelectorsGetTheirOwnMessagesAndABadSelectorIsRefused() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("selected");
            MessageConsumer red = session.createConsumer(queue, "color = 'red'");
            MessageConsumer notRed = session.createConsumer(queue, "color <> 'red' AND quantity > 1");
            MessageProducer producer = session.createProducer(queue);
            for (int i = 0; i < 6; i++) {
                TextMessage message = session.createTextMessage("s" + i);
                message.setStringProperty("color", i % 2 == 0 ? "red" : "blue");
                message.setIntProperty("quantity", 5);
                producer.send(message);
            }
            Set<String> reds = new HashSet<>();
            Set<String> blues = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                reds.add(((TextMessage) red.receive(RECEIVE_MS)).getText());
                blues.add(((TextMessage) notRed.receive(RECEIVE_MS)).getText());
            }
            assertThat(reds).containsExactlyInAnyOrder("s0", "s2", "s4");
            assertThat(blues).containsExactlyInAnyOrder("s1", "s3", "s5");
            assertThatThrownBy(() -> session.createConsumer(queue, "color = = 'red'"))
                    .isInstanceOf(InvalidSelectorException.class);
        }
    }

    @Test
    void aPlainKafkaRecordArrivesAsABytesMessageOrAsTextWhenMarked() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("from-kafka");
            MessageConsumer consumer = session.createConsumer(queue); // creates the topic
            try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
                producer.send(new ProducerRecord<>("from-kafka", "raw")).get();
                ProducerRecord<String, String> marked = new ProducerRecord<>("from-kafka", "marked");
                marked.headers().add("strata.jms.body", "text".getBytes(StandardCharsets.UTF_8));
                marked.headers().add("trace", "t1".getBytes(StandardCharsets.UTF_8));
                producer.send(marked).get();
            }
            BytesMessage raw = (BytesMessage) consumer.receive(RECEIVE_MS);
            byte[] body = new byte[(int) raw.getBodyLength()];
            raw.readBytes(body);
            assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo("raw");
            assertThat(raw.getJMSMessageID()).startsWith("ID:from-kafka:0:");
            TextMessage text = (TextMessage) consumer.receive(RECEIVE_MS);
            assertThat(text.getText()).isEqualTo("marked");
            assertThat(text.getStringProperty("trace")).isEqualTo("t1");
        }
    }

    @Test
    void aBatchLargerThanThePrefetchIsDeliveredInTheQueuesOrder() throws Exception {
        broker.createTopic("big-batch", 1, Map.of());
        // One record batch of 35 records: the leader hands out whole batches, 3.5 times this consumer's prefetch.
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("linger.ms", 60_000,
                "batch.size", 1 << 20))) {
            for (int i = 0; i < 35; i++) {
                ProducerRecord<String, String> record = new ProducerRecord<>("big-batch", "b" + i);
                record.headers().add("strata.jms.body", "text".getBytes(StandardCharsets.UTF_8));
                producer.send(record);
            }
            producer.flush();
        }
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(session.createQueue("big-batch"));
            connection.start();
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 35; i++) {
                Message message = consumer.receive(RECEIVE_MS);
                assertThat(message).as("message %d of 35", i).isNotNull();
                got.add(((TextMessage) message).getText());
            }
            assertThat(got).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 35)
                    .mapToObj(i -> "b" + i).toList());
            assertThat(consumer.receive(300)).isNull();
        }
    }

    @Test
    void credentialsAreAcceptedAndNotSentWhenTheFactoryHasNoSecurity() throws Exception {
        // A PLAINTEXT listener authenticates no one: like a JMS broker with security off, any user connects.
        try (Connection connection = factory.createConnection("j2ee", "j2ee");
             JMSContext context = factory.createContext("invalid", "invalid")) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("with-credentials");
            session.createProducer(queue).send(session.createTextMessage("from j2ee"));
            assertThat(context.createConsumer(queue).receiveBody(String.class, RECEIVE_MS)).isEqualTo("from j2ee");
        }
        StrataConnectionFactory kerberos = JmsBroker.factory(broker, 10);
        kerberos.setProperty("sasl.mechanism", "GSSAPI");
        assertThatThrownBy(() -> kerberos.createConnection("j2ee", "j2ee")).isInstanceOf(JMSSecurityException.class)
                .hasMessageContaining("sasl.mechanism=GSSAPI");
    }

    @Test
    void whatTheProviderRefusesItRefusesClearly() throws Exception {
        try (Connection connection = factory.createConnection()) {
            ConnectionMetaData metaData = connection.getMetaData();
            assertThat(metaData.getJMSMajorVersion()).isEqualTo(3);
            assertThat(metaData.getJMSMinorVersion()).isEqualTo(1);
            assertThat(metaData.getJMSProviderName()).isEqualTo("Strata");
            assertThat(Collections.list(metaData.getJMSXPropertyNames()))
                    .containsExactlyInAnyOrder("JMSXDeliveryCount", "JMSXGroupID", "JMSXGroupSeq");
            assertThatThrownBy(() -> connection.setClientID("late")).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> connection.createSession(false, 42))
                    .isInstanceOf(JMSException.class).hasMessageContaining("session mode 42");
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            assertThatThrownBy(() -> session.createQueue("no spaces")).isInstanceOf(InvalidDestinationException.class)
                    .hasMessageContaining("Kafka topic");
            session.close();
            assertThatThrownBy(session::createMessage).isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * The JMS 1.0 domains: a QueueSession refuses what only topics have, a TopicSession what only queues have
     * (IllegalStateException, as their javadoc says), while a plain Session does both.
     */
    @Test
    void aQueueSessionRefusesTopicOperationsAndATopicSessionQueueOnes() throws Exception {
        try (jakarta.jms.QueueConnection connection = factory.createQueueConnection()) {
            jakarta.jms.QueueSession queues = connection.createQueueSession(false, Session.AUTO_ACKNOWLEDGE);
            jakarta.jms.Topic topic = connection.createSession().createTopic("domains-topic");
            assertThatThrownBy(() -> queues.createTopic("domains-topic")).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(queues::createTemporaryTopic).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> queues.createSharedConsumer(topic, "s"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("QueueSession");
            assertThatThrownBy(() -> queues.createSharedDurableConsumer(topic, "s"))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> queues.createDurableSubscriber(topic, "s"))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> queues.createDurableConsumer(topic, "s"))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> queues.unsubscribe("s")).isInstanceOf(IllegalStateException.class);
            assertThat(queues.createQueue("domains-queue").getQueueName()).isEqualTo("domains-queue");
        }
        try (jakarta.jms.TopicConnection connection = factory.createTopicConnection()) {
            jakarta.jms.TopicSession topics = connection.createTopicSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = connection.createSession().createQueue("domains-queue");
            assertThatThrownBy(() -> topics.createQueue("domains-queue")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("TopicSession");
            assertThatThrownBy(topics::createTemporaryQueue).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> topics.createBrowser(queue)).isInstanceOf(IllegalStateException.class);
            assertThat(topics.createTopic("domains-topic").getTopicName()).isEqualTo("domains-topic");
        }
    }

    /** An invalid destination is what a durable subscription without a client identifier reports first. */
    @Test
    void aDurableConsumerOfNoTopicIsAnInvalidDestinationEvenWithoutAClientId() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession();
            assertThatThrownBy(() -> session.createDurableConsumer(null, "s"))
                    .isInstanceOf(InvalidDestinationException.class);
        }
    }

    /**
     * JMSConsumer.receiveBody with a class the body cannot be read as: MessageFormatRuntimeException, and in
     * AUTO_ACKNOWLEDGE the message is neither acknowledged nor counted as delivered: the next receive gets it.
     */
    @Test
    void receiveBodyOfTheWrongTypeLeavesTheMessageForTheNextReceive() {
        try (JMSContext context = factory.createContext(JMSContext.AUTO_ACKNOWLEDGE)) {
            Queue queue = context.createQueue("receive-body-type");
            JMSConsumer consumer = context.createConsumer(queue);
            context.createProducer().send(queue, "the text");

            assertThatThrownBy(() -> consumer.receiveBody(byte[].class, RECEIVE_MS))
                    .isInstanceOf(jakarta.jms.MessageFormatRuntimeException.class);
            assertThatThrownBy(() -> consumer.receiveBodyNoWait(java.util.Map.class))
                    .isInstanceOf(jakarta.jms.MessageFormatRuntimeException.class);

            assertThat(consumer.receiveBody(String.class, RECEIVE_MS)).isEqualTo("the text");
            assertThat(consumer.receiveNoWait()).as("accepted once read as a String").isNull();
        }
    }
}

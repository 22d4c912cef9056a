package io.strata.jms.client;

import jakarta.jms.CompletionListener;
import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The producer's delivery options on a real broker (JMS 3.1 sections 7.3, 7.6-7.8, 3.4): delivery delay, time to
 * live, disabled message IDs and timestamps, and asynchronous sends with their CompletionListener (completion after
 * the broker's acknowledgement, in send order, off the sending thread; failure through onException; a listener may not
 * close its own producer, session, context or connection).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DeliveryOptionsTest extends OneBrokerTest {

    @Test
    void aDelayedMessageIsNotReceivedBeforeItsDeliveryTimeAndIsAfter() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("delayed");
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            MessageProducer producer = session.createProducer(queue);
            producer.setDeliveryDelay(2_000);
            TextMessage sent = session.createTextMessage("later");
            producer.send(sent);
            assertThat(sent.getJMSDeliveryTime()).isEqualTo(sent.getJMSTimestamp() + 2_000);

            assertThat(consumer.receive(1_000)).as("not before its delivery time").isNull();
            Message received = consumer.receive(RECEIVE_MS);
            long receivedAt = System.currentTimeMillis();
            assertThat(((TextMessage) received).getText()).isEqualTo("later");
            assertThat(received.getJMSDeliveryTime()).isEqualTo(sent.getJMSDeliveryTime());
            assertThat(receivedAt).isGreaterThanOrEqualTo(sent.getJMSDeliveryTime());
        }
    }

    @Test
    void aDelayedMessageHeldLongerThanItsLockIsDeliveredOnceAndAReSentOneWaitsAgain() throws Exception {
        try (Connection connection = factory.createConnection(); Admin admin = broker.admin()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("delayed-past-lock");
            MessageConsumer consumer = session.createConsumer(queue);
            // The group locks what it hands out for 1 s; the delay is longer, so the consumer must keep renewing.
            admin.incrementalAlterConfigs(Map.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.GROUP, "delayed-past-lock"), List.of(
                    new org.apache.kafka.clients.admin.AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry(
                            "share.record.lock.duration.ms", "1000"),
                            org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
            connection.start();
            MessageProducer producer = session.createProducer(queue);
            producer.setDeliveryDelay(4_000);
            producer.send(session.createTextMessage("much later"));

            assertThat(consumer.receive(2_500)).as("not before its delivery time").isNull();
            Message received = consumer.receive(RECEIVE_MS);
            assertThat(((TextMessage) received).getText()).isEqualTo("much later");
            assertThat(received.getJMSRedelivered()).as("kept by the consumer, not handed out again").isFalse();

            // Sent again with a delay, the received message waits its new delay, and the first copy is gone.
            long resentAt = System.currentTimeMillis();
            producer.send(received);
            Message again = consumer.receive(RECEIVE_MS);
            assertThat(again).isNotNull();
            assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(resentAt + 4_000);
            assertThat(consumer.receive(1_500)).as("each send once").isNull();
        }
    }

    @Test
    void anExpiredMessageIsNotDeliveredAndLeavesTheShareGroup() throws Exception {
        try (Connection connection = factory.createConnection(); Admin admin = broker.admin()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("expiring");
            MessageProducer producer = session.createProducer(queue);
            producer.setTimeToLive(200);
            TextMessage expiring = session.createTextMessage("expiring");
            producer.send(expiring);
            assertThat(expiring.getJMSExpiration()).isEqualTo(expiring.getJMSTimestamp() + 200);
            producer.setTimeToLive(0);
            TextMessage lasting = session.createTextMessage("lasting");
            producer.send(lasting);
            assertThat(lasting.getJMSExpiration()).isZero();
            await().atMost(AT_MOST).until(() -> System.currentTimeMillis() > expiring.getJMSExpiration());

            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            assertThat(((TextMessage) consumer.receive(RECEIVE_MS)).getText()).isEqualTo("lasting");
            assertThat(consumer.receive(500)).isNull();
            consumer.close();

            // The expired record was accepted, not released: the group's start offset moves past both records.
            TopicPartition partition = new TopicPartition("expiring", 0);
            await().atMost(AT_MOST).until(() -> startOffset(admin, "expiring", partition) == 2L);
            MessageConsumer again = session.createConsumer(queue);
            assertThat(again.receive(1_000)).as("the expired message does not come back").isNull();
        }
    }

    @Test
    void disabledMessageIdsAndTimestampsAreNotSetOnSendAndTheReceiverSeesTheRecordsOwn() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("anonymous");
            MessageProducer producer = session.createProducer(queue);
            producer.setDisableMessageID(true);
            producer.setDisableMessageTimestamp(true);
            TextMessage sent = session.createTextMessage("no id");
            long before = System.currentTimeMillis();
            producer.send(sent);
            assertThat(sent.getJMSMessageID()).isNull();
            assertThat(sent.getJMSTimestamp()).isZero();

            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            Message received = consumer.receive(RECEIVE_MS);
            // docs/jms-mapping.md: without the headers, the ID is the record's place and the timestamp the record's.
            assertThat(received.getJMSMessageID()).isEqualTo("ID:anonymous:0:0");
            assertThat(received.getJMSTimestamp()).isBetween(before, System.currentTimeMillis());
        }
    }

    @Test
    void asyncSendsCompleteInOrderOffTheSendingThreadAfterTheBrokerHasThem() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("async");
            MessageProducer producer = session.createProducer(queue);
            List<String> completed = new CopyOnWriteArrayList<>();
            List<Thread> threads = new CopyOnWriteArrayList<>();
            CompletionListener listener = listener(message -> {
                completed.add(text(message));
                threads.add(Thread.currentThread());
            }, (message, e) -> completed.add("failed " + e));
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                sent.add("a" + i);
                producer.send(session.createTextMessage("a" + i), listener);
            }
            producer.close(); // waits for the sends and their listeners
            assertThat(completed).containsExactlyElementsOf(sent);
            assertThat(threads).doesNotContain(Thread.currentThread());

            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            List<String> received = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                received.add(text(consumer.receive(RECEIVE_MS)));
            }
            assertThat(received).containsExactlyElementsOf(sent);
        }
    }

    @Test
    void nonPersistentSendsArriveInOrderAndARefusedOneReachesTheExceptionListener() throws Exception {
        // The topic's limit is above a batch of the twenty (the producer splits a batch the broker finds too large and
        // an idempotent producer's first batch may then land behind the next one, as with Kafka), below the last one.
        broker.createTopic("non-persistent-small", 1, Map.of("max.message.bytes", "100000"));
        try (Connection connection = factory.createConnection()) {
            List<jakarta.jms.JMSException> told = new CopyOnWriteArrayList<>();
            connection.setExceptionListener(told::add);
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("non-persistent-small");
            MessageConsumer consumer = session.createConsumer(queue);
            connection.start();
            MessageProducer producer = session.createProducer(queue);
            producer.setDeliveryMode(jakarta.jms.DeliveryMode.NON_PERSISTENT);
            for (int i = 0; i < 20; i++) {
                producer.send(session.createTextMessage("n" + i));
            }
            // The broker refuses this one (larger than the topic's max.message.bytes): the send has returned already.
            producer.send(session.createTextMessage("x".repeat(200_000)));
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                got.add(((TextMessage) consumer.receive(RECEIVE_MS)).getText());
            }
            assertThat(got).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 20)
                    .mapToObj(i -> "n" + i).toList());
            await().atMost(AT_MOST).until(() -> !told.isEmpty());
            assertThat(told.get(0)).hasMessageContaining("larger than the broker");
            assertThat(consumer.receive(500)).isNull();
        }
    }

    @Test
    void anAsyncSendTheBrokerRefusesEndsInOnException() throws Exception {
        broker.createTopic("async-small", 1, Map.of("max.message.bytes", "2000"));
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(session.createQueue("async-small"));
            CompletableFuture<Exception> failure = new CompletableFuture<>();
            TextMessage large = session.createTextMessage("x".repeat(10_000));
            producer.send(large, listener(message -> failure.complete(null),
                    (message, e) -> failure.complete(e)));
            assertThat(failure.get(30, TimeUnit.SECONDS)).isInstanceOf(MessageFormatException.class)
                    .hasMessageContaining("larger than the broker");

            CompletableFuture<Message> small = new CompletableFuture<>();
            producer.send(session.createTextMessage("small"), listener(small::complete,
                    (message, e) -> small.completeExceptionally(e)));
            assertThat(text(small.get(30, TimeUnit.SECONDS))).isEqualTo("small");
        }
    }

    @Test
    void aCompletionListenerCannotCloseItsOwnProducerSessionContextOrConnection() throws Exception {
        Connection connection = factory.createConnection();
        Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageProducer producer = session.createProducer(session.createQueue("async-close"));
        List<Exception> refusals = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> done = new CompletableFuture<>();
        producer.send(session.createTextMessage("m"), listener(message -> {
            for (AutoCloseable closeable : List.<AutoCloseable>of(producer, session, connection)) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    refusals.add(e);
                }
            }
            done.complete(null);
        }, (message, e) -> done.completeExceptionally(e)));
        done.get(30, TimeUnit.SECONDS);
        assertThat(refusals).hasSize(3).allMatch(e -> e instanceof IllegalStateException);
        connection.close(); // from the application's thread it closes

        try (JMSContext context = factory.createContext()) {
            CompletableFuture<Exception> refusal = new CompletableFuture<>();
            context.createProducer().setAsync(listener(message -> {
                try {
                    context.close();
                    refusal.complete(null);
                } catch (Exception e) {
                    refusal.complete(e);
                }
            }, (message, e) -> refusal.complete(e))).send(context.createQueue("async-close"), "c");
            assertThat(refusal.get(30, TimeUnit.SECONDS)).isInstanceOf(IllegalStateRuntimeException.class);
        }
    }

    private static long startOffset(Admin admin, String group, TopicPartition partition) throws Exception {
        Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin.listShareGroupOffsets(Map.of(group,
                new ListShareGroupOffsetsSpec().topicPartitions(List.of(partition))))
                .partitionsToOffsetInfo(group).get(30, TimeUnit.SECONDS);
        SharePartitionOffsetInfo info = offsets.get(partition);
        return info == null ? -1 : info.startOffset();
    }

    private static String text(Message message) {
        try {
            return ((TextMessage) message).getText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static CompletionListener listener(Consumer<Message> completed,
                                               java.util.function.BiConsumer<Message, Exception> failed) {
        return new CompletionListener() {
            @Override
            public void onCompletion(Message message) {
                completed.accept(message);
            }

            @Override
            public void onException(Message message, Exception exception) {
                failed.accept(message, exception);
            }
        };
    }
}

package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.AT_MOST;
import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Transacted sessions (JMS 3.1 section 6.2.9) on a real Strata broker: sends are seen only after the commit and never
 * after a rollback; consumed messages are acknowledged by the commit and delivered again, one delivery higher, after a
 * rollback or a close; a transaction that only receives ends at the coordinator; a listener commits its own session;
 * topic subscribers without a group get their messages again after a rollback. Each test uses queues of its own.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransactedSessionTest extends OneBrokerTest {

    /** Long enough for a message that is coming to come; a receive that must return nothing waits this long. */
    private static final long NOTHING_MS = 1_000;

    @Test
    void sendsAreSeenOnlyAfterTheCommitAndNeverAfterARollback() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session transacted = connection.createSession(true, Session.AUTO_ACKNOWLEDGE);
            assertThat(transacted.getTransacted()).isTrue();
            assertThat(transacted.getAcknowledgeMode()).isEqualTo(Session.SESSION_TRANSACTED);
            Queue queue = transacted.createQueue("tx-sends");
            MessageProducer producer = transacted.createProducer(queue);
            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer consumer = plain.createConsumer(queue);
            connection.start();

            for (int i = 0; i < 10; i++) {
                producer.send(transacted.createTextMessage("c" + i));
            }
            assertThat(consumer.receive(NOTHING_MS)).as("nothing before the commit").isNull();
            transacted.commit();
            assertThat(receiveTexts(consumer, 10)).containsExactly("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7",
                    "c8", "c9");

            for (int i = 0; i < 5; i++) {
                producer.send(transacted.createTextMessage("rolled-back-" + i));
            }
            transacted.rollback();
            producer.send(transacted.createTextMessage("after"));
            transacted.commit();
            assertThat(receiveTexts(consumer, 1)).containsExactly("after");
            assertThat(consumer.receive(NOTHING_MS)).as("a rolled-back send is never delivered").isNull();
        }
    }

    @Test
    void consumeTransformProduceCommitsBothSidesOrNeither() throws Exception {
        sendTexts("ctp-a", "a0", "a1", "a2", "a3", "a4");
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session transacted = connection.createSession(Session.SESSION_TRANSACTED);
            MessageConsumer input = transacted.createConsumer(transacted.createQueue("ctp-a"));
            MessageProducer output = transacted.createProducer(transacted.createQueue("ctp-b"));
            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer outputReader = plain.createConsumer(plain.createQueue("ctp-b"));

            for (Message message : receive(input, 5)) {
                assertThat(message.getJMSRedelivered()).isFalse();
                output.send(transacted.createTextMessage("b-" + ((TextMessage) message).getText()));
            }
            transacted.rollback();
            assertThat(outputReader.receive(NOTHING_MS)).as("the rolled-back output").isNull();

            List<String> again = new ArrayList<>();
            for (Message message : receive(input, 5)) {
                assertThat(message.getJMSRedelivered()).isTrue();
                assertThat(message.getIntProperty("JMSXDeliveryCount")).isEqualTo(2);
                again.add(((TextMessage) message).getText());
                output.send(transacted.createTextMessage("b-" + ((TextMessage) message).getText()));
            }
            assertThat(again).containsExactlyInAnyOrder("a0", "a1", "a2", "a3", "a4");
            transacted.commit();
            assertThat(receiveTexts(outputReader, 5)).containsExactlyInAnyOrder("b-a0", "b-a1", "b-a2", "b-a3",
                    "b-a4");
            transacted.close();

            MessageConsumer inputAfter = plain.createConsumer(plain.createQueue("ctp-a"));
            assertThat(inputAfter.receive(NOTHING_MS)).as("the committed inputs are gone for good").isNull();
            assertThat(outputReader.receive(NOTHING_MS)).as("each output once").isNull();
        }
    }

    @Test
    void aTransactionThatOnlyReceivesEndsAtTheCoordinatorAndTheNextOneWorks() throws Exception {
        sendTexts("receive-only", "r0", "r1", "r2");
        try (Connection connection = factory.createConnection()) {
            connection.start();
            StrataSession transacted = (StrataSession) connection.createSession(true, Session.SESSION_TRANSACTED);
            Queue queue = transacted.createQueue("receive-only");
            MessageConsumer consumer = transacted.createConsumer(queue);
            assertThat(receive(consumer, 3)).hasSize(3);
            transacted.commit();
            // Without an EndTxn the acknowledgements would stay pending in an open transaction until its timeout.
            assertThat(transactionState(transacted.transactionalId())).isEqualTo(TransactionState.COMPLETE_COMMIT);

            // The producer took the epoch the EndTxn bumped: its next transaction, with a send, commits.
            sendTexts("receive-only", "r3");
            assertThat(receive(consumer, 1)).hasSize(1);
            transacted.createProducer(transacted.createQueue("receive-only-out"))
                    .send(transacted.createTextMessage("out"));
            transacted.commit();
            transacted.close();

            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            assertThat(receiveTexts(plain.createConsumer(plain.createQueue("receive-only-out")), 1))
                    .containsExactly("out");
            assertThat(plain.createConsumer(queue).receive(NOTHING_MS)).as("acknowledged, not delivered again")
                    .isNull();
        }
    }

    @Test
    void closingATransactedSessionRollsItsWorkBack() throws Exception {
        sendTexts("close-in", "x0", "x1");
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session transacted = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer consumer = transacted.createConsumer(transacted.createQueue("close-in"));
            assertThat(receive(consumer, 2)).hasSize(2);
            transacted.createProducer(transacted.createQueue("close-out")).send(transacted.createTextMessage("no"));
            transacted.close();

            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            List<Message> again = receive(plain.createConsumer(plain.createQueue("close-in")), 2);
            assertThat(again).extracting(m -> ((TextMessage) m).getText()).containsExactlyInAnyOrder("x0", "x1");
            assertThat(again).allSatisfy(m -> assertThat(m.getJMSRedelivered()).isTrue());
            assertThat(plain.createConsumer(plain.createQueue("close-out")).receive(NOTHING_MS)).isNull();
        }
    }

    @Test
    void aMessageListenerCommitsItsSessionInOnMessage() throws Exception {
        sendTexts("listened-in", "l0", "l1", "l2");
        try (Connection connection = factory.createConnection()) {
            Session transacted = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer output = transacted.createProducer(transacted.createQueue("listened-out"));
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            transacted.createConsumer(transacted.createQueue("listened-in")).setMessageListener(message -> {
                try {
                    output.send(transacted.createTextMessage("out-" + ((TextMessage) message).getText()));
                    transacted.commit();
                } catch (Exception e) {
                    failures.add(e);
                }
            });
            connection.start();

            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            assertThat(receiveTexts(plain.createConsumer(plain.createQueue("listened-out")), 3))
                    .containsExactlyInAnyOrder("out-l0", "out-l1", "out-l2");
            assertThat(failures).isEmpty();
            transacted.close();
            assertThat(plain.createConsumer(plain.createQueue("listened-in")).receive(NOTHING_MS)).isNull();
        }
    }

    @Test
    void aTopicSubscriberGetsItsMessagesAgainAfterARollback() throws Exception {
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session transacted = connection.createSession(true, Session.SESSION_TRANSACTED);
            Topic topic = transacted.createTopic("tx-topic");
            MessageConsumer subscriber = transacted.createConsumer(topic);
            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer publisher = plain.createProducer(topic);
            for (int i = 0; i < 3; i++) {
                publisher.send(plain.createTextMessage("t" + i));
            }
            assertThat(receive(subscriber, 3)).allSatisfy(m -> assertThat(m.getJMSRedelivered()).isFalse());
            transacted.rollback();

            List<Message> again = receive(subscriber, 3);
            assertThat(again).extracting(m -> ((TextMessage) m).getText()).containsExactly("t0", "t1", "t2");
            assertThat(again).allSatisfy(m -> {
                assertThat(m.getJMSRedelivered()).isTrue();
                assertThat(m.getIntProperty("JMSXDeliveryCount")).isEqualTo(2);
            });
            transacted.commit();
            assertThat(subscriber.receive(NOTHING_MS)).as("consumed by the commit").isNull();
        }
    }

    @Test
    void aConsumerClosedInsideTheTransactionHasItsMessagesAcknowledgedByTheCommit() throws Exception {
        sendTexts("closed-consumer", "k0", "k1");
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session transacted = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer consumer = transacted.createConsumer(transacted.createQueue("closed-consumer"));
            assertThat(receive(consumer, 2)).hasSize(2);
            consumer.close();
            transacted.commit();

            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            assertThat(plain.createConsumer(plain.createQueue("closed-consumer")).receive(NOTHING_MS)).isNull();
        }
    }

    @Test
    void commitRollbackAndRecoverAreRefusedWhereJmsRefusesThem() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            assertThat(plain.getTransacted()).isFalse();
            assertThatThrownBy(plain::commit).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(plain::rollback).isInstanceOf(IllegalStateException.class);
            Session transacted = connection.createSession(true, Session.AUTO_ACKNOWLEDGE);
            assertThatThrownBy(transacted::recover).isInstanceOf(IllegalStateException.class);
            transacted.commit(); // an empty transaction commits
            transacted.rollback();
            transacted.close();
            assertThatThrownBy(transacted::commit).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aTransactedJmsContextCommitsAndRollsBack() throws Exception {
        sendTexts("context-in", "j0");
        try (JMSContext context = factory.createContext(JMSContext.SESSION_TRANSACTED);
             JMSContext plain = context.createContext(JMSContext.AUTO_ACKNOWLEDGE)) {
            assertThat(context.getTransacted()).isTrue();
            assertThat(context.getSessionMode()).isEqualTo(JMSContext.SESSION_TRANSACTED);
            JMSConsumer input = context.createConsumer(context.createQueue("context-in"));
            Queue out = context.createQueue("context-out");
            JMSConsumer outputReader = plain.createConsumer(out);

            assertThat(input.receiveBody(String.class, RECEIVE_MS)).isEqualTo("j0");
            context.createProducer().send(out, "first");
            context.rollback();
            Message again = input.receive(RECEIVE_MS);
            assertThat(again.getJMSRedelivered()).isTrue();
            context.createProducer().send(out, "second");
            assertThat(outputReader.receive(NOTHING_MS)).isNull();
            context.commit();
            assertThat(outputReader.receiveBody(String.class, RECEIVE_MS)).isEqualTo("second");
            assertThat(outputReader.receive(NOTHING_MS)).isNull();
            assertThatThrownBy(plain::commit).isInstanceOf(IllegalStateRuntimeException.class);
        }
    }

    @Test
    void theProducerIdAndEpochReadFromTheProducerAreTheCoordinatorsAcrossCommits() throws Exception {
        String transactionalId = "epoch-reader";
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId));
             Admin admin = broker.admin()) {
            producer.initTransactions();
            broker.createTopic("epoch-out", 1, Map.of());
            ProducerTransactionState state = ProducerTransactionState.of(producer, transactionalId);
            List<Short> epochs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("epoch-out", 0, null, "e" + i));
                producer.flush();
                TransactionDescription description = admin.describeTransactions(List.of(transactionalId))
                        .description(transactionalId).get(30, TimeUnit.SECONDS);
                assertThat(state.current().producerId()).isEqualTo(description.producerId());
                assertThat(state.current().producerEpoch()).isEqualTo((short) description.producerEpoch());
                assertThat(state.protocolVersion2()).isTrue();
                epochs.add(state.current().producerEpoch());
                producer.commitTransaction();
            }
            assertThat(epochs).as("transaction protocol 2 bumps the epoch at each EndTxn").doesNotHaveDuplicates();
            assertThat(transactionState(transactionalId)).isEqualTo(TransactionState.COMPLETE_COMMIT);
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private static void sendTexts(String queue, String... texts) throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(session.createQueue(queue));
            for (String text : texts) {
                producer.send(session.createTextMessage(text));
            }
        }
    }

    /** Exactly {@code count} messages, each within {@link JmsBroker#RECEIVE_MS}. */
    private static List<Message> receive(MessageConsumer consumer, int count) throws Exception {
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message message = consumer.receive(RECEIVE_MS);
            assertThat(message).as("message " + (i + 1) + " of " + count + " after " + messages).isNotNull();
            messages.add(message);
        }
        return messages;
    }

    private static List<String> receiveTexts(MessageConsumer consumer, int count) throws Exception {
        List<String> texts = new ArrayList<>();
        for (Message message : receive(consumer, count)) {
            texts.add(((TextMessage) message).getText());
        }
        return texts;
    }

    private static TransactionState transactionState(String transactionalId) throws Exception {
        try (Admin admin = broker.admin()) {
            await().atMost(AT_MOST).until(() -> description(admin, transactionalId).state()
                    != TransactionState.PREPARE_COMMIT);
            return description(admin, transactionalId).state();
        }
    }

    private static TransactionDescription description(Admin admin, String transactionalId) throws Exception {
        return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                .get(30, TimeUnit.SECONDS);
    }
}

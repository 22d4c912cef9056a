package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import io.strata.jms.client.StrataConnectionFactory;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSProducer;
import jakarta.jms.Queue;
import jakarta.jms.Topic;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.strata.jms.ra.TestContainer.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Message endpoints activated on a real broker through a started resource adapter whose work manager is a real thread
 * pool: concurrency, selectors, a durable subscription shared with a Kafka share consumer, redelivery and
 * dead-lettering of what an endpoint throws on, and a deactivation that waits for the deliveries in progress.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InboundTest {

    private static final String DEAD_LETTERS = "dlq.ra-inbound";

    @TempDir
    static Path dir;
    static TestBroker broker;
    static TestContainer.Pool work;
    static StrataResourceAdapter adapter;
    static StrataConnectionFactory sender;

    @BeforeAll
    static void start() throws Exception {
        broker = TestContainer.broker(dir);
        work = new TestContainer.Pool(16);
        adapter = TestContainer.adapter(broker, work);
        adapter.setDeadLetterTopic(DEAD_LETTERS);
        adapter.setDeliveryLimit(3);
        sender = new StrataConnectionFactory(broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        adapter.stop();
        work.close();
        broker.close();
    }

    static StrataActivationSpec queueSpec(String queue, int maxSession) throws Exception {
        StrataActivationSpec spec = new StrataActivationSpec();
        spec.setResourceAdapter(adapter);
        spec.setDestination(queue);
        spec.setDestinationType("jakarta.jms.Queue");
        spec.setMaxSession(maxSession);
        return spec;
    }

    static void activate(TestContainer.Endpoints endpoints, StrataActivationSpec spec) throws Exception {
        adapter.endpointActivation(endpoints, spec);
        await().atMost(AT_MOST).until(() -> adapter.activation(endpoints, spec).connected());
    }

    static void send(jakarta.jms.Destination destination, List<String> texts, String property, String value) {
        try (JMSContext context = sender.createContext()) {
            JMSProducer producer = context.createProducer();
            if (property != null) {
                producer.setProperty(property, value);
            }
            texts.forEach(text -> producer.send(destination, text));
        }
    }

    static List<String> numbered(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }

    @Test
    void maxSessionFourDeliversToFourEndpointsInParallelAndEachMessageOnce() throws Exception {
        TestContainer.Endpoints endpoints = new TestContainer.Endpoints("parallel");
        CountDownLatch fourAtOnce = new CountDownLatch(4);
        endpoints.behaviour = received -> {
            fourAtOnce.countDown();
            try {
                fourAtOnce.await(AT_MOST.toMillis(), TimeUnit.MILLISECONDS); // returns at once when 4 are in
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        StrataActivationSpec spec = queueSpec("ra-parallel", 4);
        activate(endpoints, spec);
        List<String> sent = numbered("p", 40);
        send(new AdministeredQueue("ra-parallel"), sent, null, null);

        await().atMost(AT_MOST).until(() -> endpoints.received.size() >= 40);
        assertThat(fourAtOnce.getCount()).as("four deliveries were in onMessage at once").isZero();
        assertThat(endpoints.mostInOnMessage.get()).isEqualTo(4);
        assertThat(endpoints.texts()).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(endpoints.received).allSatisfy(received -> {
            assertThat(received.thread()).as("run by the work manager").startsWith("test-work-");
            assertThat(received.deliveryCount()).isEqualTo(1);
        });
        assertThat(endpoints.received.stream().map(TestContainer.Received::endpoint).distinct()).hasSize(4);
        adapter.endpointDeactivation(endpoints, spec);
        assertThat(endpoints.released).hasValue(4);
    }

    @Test
    void aMessageSelectorDeliversOnlyTheMessagesItSelects() throws Exception {
        TestContainer.Endpoints endpoints = new TestContainer.Endpoints("selecting");
        StrataActivationSpec spec = queueSpec("ra-selected", 2);
        spec.setMessageSelector("colour = 'red'");
        activate(endpoints, spec);
        Queue queue = new AdministeredQueue("ra-selected");
        send(queue, numbered("blue", 5), "colour", "blue");
        send(queue, numbered("red", 5), "colour", "red");

        await().atMost(AT_MOST).until(() -> endpoints.received.size() >= 5);
        adapter.endpointDeactivation(endpoints, spec);
        assertThat(endpoints.texts()).containsExactlyInAnyOrderElementsOf(numbered("red", 5));
        try (JMSContext context = sender.createContext()) {   // the blue ones are still there for others
            var consumer = context.createConsumer(queue);
            List<String> blue = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                blue.add(consumer.receiveBody(String.class, AT_MOST.toMillis()));
            }
            assertThat(blue).containsExactlyInAnyOrderElementsOf(numbered("blue", 5));
        }
    }

    @Test
    void aDurableActivationSharesItsSubscriptionWithAKafkaShareConsumerOfTheSameGroup() throws Exception {
        TestContainer.Endpoints endpoints = new TestContainer.Endpoints("auditors");
        StrataActivationSpec spec = new StrataActivationSpec();
        spec.setResourceAdapter(adapter);
        spec.setDestination("ra-audit");
        spec.setDestinationType("jakarta.jms.Topic");
        spec.setSubscriptionDurability("Durable");
        spec.setSubscriptionName("audit");
        spec.setMaxSession(2);
        activate(endpoints, spec);

        Properties properties = new Properties();
        properties.put("bootstrap.servers", broker.bootstrapServers());
        properties.put("group.id", "jms:shared-durable:ra-audit::audit");
        properties.put("key.deserializer", ByteArrayDeserializer.class.getName());
        properties.put("value.deserializer", ByteArrayDeserializer.class.getName());
        properties.put("share.acknowledgement.mode", "explicit");
        properties.put("max.poll.records", 5);
        Set<String> byKafka = new HashSet<>();
        Topic topic = new AdministeredTopic("ra-audit");
        try (KafkaShareConsumer<byte[], byte[]> kafka = new KafkaShareConsumer<>(properties)) {
            kafka.subscribe(List.of("ra-audit"));
            kafka.poll(Duration.ofMillis(500)); // joins
            List<String> sent = numbered("a", 200);
            for (int batch = 0; batch < 10; batch++) {
                send(topic, sent.subList(batch * 20, batch * 20 + 20), null, null);
                for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(50))) {
                    kafka.acknowledge(record, AcknowledgeType.ACCEPT);
                    byKafka.add(new String(record.value(), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (byKafka.size() + endpoints.received.size() < 200) {
                assertThat(System.nanoTime()).as("all in time").isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(100))) {
                    kafka.acknowledge(record, AcknowledgeType.ACCEPT);
                    byKafka.add(new String(record.value(), java.nio.charset.StandardCharsets.UTF_8));
                }
                kafka.commitSync(Duration.ofSeconds(10));
            }
            kafka.commitSync(Duration.ofSeconds(10));
            adapter.endpointDeactivation(endpoints, spec);
            List<String> all = new ArrayList<>(endpoints.texts());
            all.addAll(byKafka);
            assertThat(all).containsExactlyInAnyOrderElementsOf(sent);
            assertThat(byKafka).as("the Kafka consumer's share").isNotEmpty();
            assertThat(endpoints.received).as("the activation's share").isNotEmpty();
        }
    }

    @Test
    void anEndpointThatThrowsGetsTheMessageAgainWithARisingDeliveryCountThenItIsDeadLettered() throws Exception {
        TestContainer.Endpoints endpoints = new TestContainer.Endpoints("failing");
        endpoints.behaviour = received -> {
            throw new IllegalStateException("the bean cannot take " + received.text());
        };
        StrataActivationSpec spec = queueSpec("ra-poison", 1);
        activate(endpoints, spec);
        send(new AdministeredQueue("ra-poison"), List.of("poison"), null, null);

        await().atMost(AT_MOST).until(() -> endpoints.received.size() >= 3);
        try (JMSContext context = sender.createContext()) {
            String deadLetter = context.createConsumer(context.createQueue(DEAD_LETTERS))
                    .receiveBody(String.class, AT_MOST.toMillis());
            assertThat(deadLetter).isEqualTo("poison");
        }
        adapter.endpointDeactivation(endpoints, spec);
        assertThat(endpoints.received).extracting(TestContainer.Received::deliveryCount).containsExactly(1, 2, 3);
        assertThat(endpoints.received).extracting(TestContainer.Received::redelivered)
                .containsExactly(false, true, true);
    }

    @Test
    void deactivationWaitsForTheDeliveriesInProgress() throws Exception {
        TestContainer.Endpoints endpoints = new TestContainer.Endpoints("slow");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        List<String> finished = new java.util.concurrent.CopyOnWriteArrayList<>();
        endpoints.behaviour = received -> {
            inside.countDown();
            try {
                finish.await(AT_MOST.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            finished.add(received.text());
        };
        StrataActivationSpec spec = queueSpec("ra-slow", 1);
        activate(endpoints, spec);
        send(new AdministeredQueue("ra-slow"), List.of("slow"), null, null);
        assertThat(inside.await(AT_MOST.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

        CompletableFuture<Void> deactivated = CompletableFuture.runAsync(() ->
                adapter.endpointDeactivation(endpoints, spec));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !deactivated.isDone());
        finish.countDown();
        deactivated.get(AT_MOST.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(finished).containsExactly("slow");
        assertThat(endpoints.released).hasValue(1);
        try (JMSContext context = sender.createContext()) {   // acknowledged once its delivery returned
            assertThat(context.createConsumer(new AdministeredQueue("ra-slow")).receiveBody(String.class, 1_000))
                    .isNull();
        }
    }
}

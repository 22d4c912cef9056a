package io.strata.jms.frameworks;

import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.jms.listener.DefaultMessageListenerContainer;
import org.springframework.jms.listener.SessionAwareMessageListener;
import org.springframework.jms.listener.adapter.MessageListenerAdapter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The provider under Spring Framework's JMS support, configured as Spring applications do: {@link JmsTemplate} for
 * sends, receives and request/reply, and {@link DefaultMessageListenerContainer}s with transacted sessions, three
 * concurrent consumers unless a test needs one. Each test uses queues of its own.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SpringJmsTest extends FrameworkTest {

    private final List<DefaultMessageListenerContainer> containers = new ArrayList<>();

    @AfterEach
    void shutDownContainers() {
        containers.forEach(DefaultMessageListenerContainer::shutdown);
    }

    @Test
    void jmsTemplateSendsConvertsAndReceives() throws Exception {
        JmsTemplate template = template();
        template.send("spring-template", session -> {
            TextMessage message = session.createTextMessage("created");
            message.setStringProperty("origin", "MessageCreator");
            return message;
        });
        template.convertAndSend("spring-template", Map.of("id", 7L, "item", "book"));
        template.convertAndSend("spring-template", "converted", message -> {
            message.setIntProperty("attempt", 3);
            return message;
        });

        TextMessage created = (TextMessage) template.receive("spring-template");
        assertThat(created.getText()).isEqualTo("created");
        assertThat(created.getStringProperty("origin")).isEqualTo("MessageCreator");
        assertThat(template.receiveAndConvert("spring-template")).isEqualTo(Map.of("id", 7L, "item", "book"));
        TextMessage converted = (TextMessage) template.receive("spring-template");
        assertThat(converted.getText()).isEqualTo("converted");
        assertThat(converted.getIntProperty("attempt")).isEqualTo(3);
        assertHoldsNothing("spring-template", "each message was received once");
    }

    @Test
    void threeTransactedConsumersProcessEveryMessageExactlyOnce() {
        int count = 30;
        CyclicBarrier firstThreeAtOnce = new CyclicBarrier(3);
        AtomicInteger started = new AtomicInteger();
        Map<String, Integer> processed = new ConcurrentHashMap<>();
        Set<String> consumerThreads = ConcurrentHashMap.newKeySet();
        start(transactedContainer("spring-work", (SessionAwareMessageListener<TextMessage>) (message, session) -> {
            if (started.incrementAndGet() <= 3) {
                // Returns only when three consumers hold a message each: the container consumes concurrently.
                awaitTheOthers(firstThreeAtOnce);
            }
            processed.merge(message.getText(), 1, Integer::sum);
            consumerThreads.add(Thread.currentThread().getName());
        }));

        JmsTemplate template = template();
        template.execute("spring-work", (session, producer) -> {
            for (int i = 0; i < count; i++) {
                producer.send(session.createTextMessage("work " + i));
            }
            return null;
        });

        await().atMost(AT_MOST).until(() -> processed.size() == count);
        containers.forEach(DefaultMessageListenerContainer::shutdown);
        assertThat(processed).allSatisfy((text, times) -> assertThat(times).as(text).isEqualTo(1));
        assertThat(firstThreeAtOnce.isBroken()).as("three consumers held a message each at once").isFalse();
        assertThat(consumerThreads).hasSize(3);
        assertHoldsNothing("spring-work", "every message was consumed by a commit");
    }

    @Test
    void aListenerThatThrowsRollsBackAndTheMessageIsRedeliveredAndThenProcessed() {
        List<String> deliveries = new CopyOnWriteArrayList<>();
        Set<String> processed = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        DefaultMessageListenerContainer container = transactedContainer("spring-retry",
                (SessionAwareMessageListener<TextMessage>) (message, session) -> {
                    deliveries.add(message.getText() + ", redelivered " + message.getJMSRedelivered() + ", delivery "
                            + message.getIntProperty("JMSXDeliveryCount"));
                    if (message.getText().equals("fails once") && !message.getJMSRedelivered()) {
                        throw new IllegalStateException("the first delivery of 'fails once' fails");
                    }
                    processed.add(message.getText());
                });
        container.setErrorHandler(failures::add);
        start(container);

        JmsTemplate template = template();
        template.convertAndSend("spring-retry", "fails once");
        template.convertAndSend("spring-retry", "works");

        await().atMost(AT_MOST).until(() -> processed.size() == 2);
        assertThat(deliveries).filteredOn(delivery -> delivery.startsWith("fails once")).containsExactly(
                "fails once, redelivered false, delivery 1",
                "fails once, redelivered true, delivery 2");
        assertThat(deliveries).filteredOn(delivery -> delivery.startsWith("works"))
                .containsExactly("works, redelivered false, delivery 1");
        assertThat(failures).singleElement().satisfies(failure ->
                assertThat(Stream.iterate(failure, Objects::nonNull, Throwable::getCause).map(Throwable::getMessage))
                        .contains("the first delivery of 'fails once' fails"));
    }

    @Test
    void sendAndReceiveGetsTheReplyOnATemporaryQueue() throws Exception {
        DefaultMessageListenerContainer responder = transactedContainer("spring-requests",
                new MessageListenerAdapter(new Shouter()));
        responder.setConcurrency("1");
        start(responder);

        Message reply = template().sendAndReceive("spring-requests", session -> session.createTextMessage("ping"));

        assertThat(reply).isInstanceOf(TextMessage.class);
        assertThat(((TextMessage) reply).getText()).isEqualTo("PING");
    }

    /** What a {@link MessageListenerAdapter} calls: a reply for each request. */
    public static final class Shouter {
        public String handleMessage(String request) {
            return request.toUpperCase();
        }
    }

    private static JmsTemplate template() {
        JmsTemplate template = new JmsTemplate(factory);
        template.setReceiveTimeout(RECEIVE_MS);
        return template;
    }

    /**
     * That {@code queue} (one partition) holds no message: one sent now is the next it delivers, since a message still
     * there, or given back, has an earlier offset. A receive that returns nothing would prove less: a new consumer
     * may not have joined the queue's share group yet.
     */
    private static void assertHoldsNothing(String queue, String why) {
        JmsTemplate template = template();
        template.convertAndSend(queue, "the last message");
        assertThat(template.receiveAndConvert(queue)).as(why).isEqualTo("the last message");
    }

    private static DefaultMessageListenerContainer transactedContainer(String queue, Object listener) {
        DefaultMessageListenerContainer container = new DefaultMessageListenerContainer();
        container.setConnectionFactory(factory);
        container.setDestinationName(queue);
        container.setMessageListener(listener);
        container.setSessionTransacted(true);
        container.setConcurrency("3-3");
        container.setReceiveTimeout(500); // how long shutdown waits for a consumer that is receiving
        return container;
    }

    private void start(DefaultMessageListenerContainer container) {
        container.afterPropertiesSet();
        container.start();
        containers.add(container);
    }

    private static void awaitTheOthers(CyclicBarrier barrier) {
        try {
            barrier.await(AT_MOST.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("three consumers did not hold a message each at once", e);
        }
    }
}

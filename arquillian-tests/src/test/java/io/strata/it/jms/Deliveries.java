package io.strata.it.jms;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the test's message-driven beans received, by listener name, in the order they received it: the in-container
 * tests read it directly, the client tests through {@link DeliveriesServlet}. Thread-safe.
 */
public final class Deliveries {

    private static final Map<String, Queue<String>> RECEIVED = new ConcurrentHashMap<>();

    private Deliveries() {
    }

    static void record(String listener, String value) {
        RECEIVED.computeIfAbsent(listener, name -> new ConcurrentLinkedQueue<>()).add(value);
    }

    static List<String> of(String listener) {
        return List.copyOf(RECEIVED.getOrDefault(listener, new ConcurrentLinkedQueue<>()));
    }

    /** The text of a message sent by JMS (a TextMessage) or by a Kafka producer (a BytesMessage with the value). */
    static String text(Message message) throws JMSException {
        if (message instanceof TextMessage text) {
            return text.getText();
        }
        return new String(message.getBody(byte[].class), StandardCharsets.UTF_8);
    }
}

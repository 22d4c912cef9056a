package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;

import java.util.Properties;

/**
 * The main class of a child JVM that {@link TemporaryDestinationCleanupTest} kills: it connects to the broker given as
 * its argument, creates a temporary queue (with a consumer, so that its share group exists) and a temporary topic,
 * prints the connection's lease group and both names, one a line, then waits to be killed, never closing.
 */
public final class TemporaryDestinationHolder {

    private TemporaryDestinationHolder() {
    }

    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", args[0]);
        StrataConnectionFactory factory = new StrataConnectionFactory(properties);
        Connection connection = factory.createConnection();
        Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        TemporaryQueue queue = session.createTemporaryQueue();
        TemporaryTopic topic = session.createTemporaryTopic();
        session.createConsumer(queue);
        connection.start();
        System.out.println(((StrataConnection) connection).connectionLeaseGroup());
        System.out.println(queue.getQueueName());
        System.out.println(topic.getTopicName());
        System.out.flush();
        Thread.currentThread().join(); // until killed: the connection is never closed
    }
}

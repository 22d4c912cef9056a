package io.strata.jms.ra;

import jakarta.jms.BytesMessage;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageListener;
import jakarta.jms.MessageProducer;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;
import jakarta.jms.QueueReceiver;
import jakarta.jms.QueueSender;
import jakarta.jms.QueueSession;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import jakarta.jms.TopicPublisher;
import jakarta.jms.TopicSession;
import jakarta.jms.TopicSubscriber;
import jakarta.jms.TransactionInProgressException;
import jakarta.resource.spi.ConnectionEvent;

import java.io.Serializable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The session an application holds through a {@link ConnectionHandle}: a physical session of the provider, either
 * its own (closed with it) or the managed connection's transacted session of the container's transaction (kept: the
 * container ends the transaction after the application closed its handles). Either way what the application opened
 * on it (consumers, producers, browsers, temporary destinations) is closed with it.
 *
 * <p>JMS 3.1 section 12.2: {@code setMessageListener}, {@code getMessageListener} and {@code run} are the
 * container's, as are the message listeners of consumers; they throw. In the container's transaction
 * {@code commit} and {@code rollback} throw {@link TransactionInProgressException} (section 12.3).
 *
 * <p>Used by one thread at a time, as a JMS session is.
 */
final class SessionHandle implements QueueSession, TopicSession {

    private final ConnectionHandle connection;
    private final Session physical;
    private final boolean containerTransaction;
    private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();
    private final List<Object> temporaries = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    SessionHandle(ConnectionHandle connection, Session physical, boolean containerTransaction) throws JMSException {
        this.connection = connection;
        this.physical = physical;
        this.containerTransaction = containerTransaction;
        if (!containerTransaction && physical.getTransacted()) {
            connection.managedConnection().applicationTransaction(ConnectionEvent.LOCAL_TRANSACTION_STARTED);
        }
    }

    boolean isClosed() {
        return closed;
    }

    private void checkOpen() throws IllegalStateException {
        if (closed) {
            throw new IllegalStateException("the session is closed");
        }
        connection.checkOpen();
    }

    // ------------------------------------------------------------------------------------------ messages

    @Override
    public BytesMessage createBytesMessage() throws JMSException {
        checkOpen();
        return physical.createBytesMessage();
    }

    @Override
    public MapMessage createMapMessage() throws JMSException {
        checkOpen();
        return physical.createMapMessage();
    }

    @Override
    public Message createMessage() throws JMSException {
        checkOpen();
        return physical.createMessage();
    }

    @Override
    public ObjectMessage createObjectMessage() throws JMSException {
        checkOpen();
        return physical.createObjectMessage();
    }

    @Override
    public ObjectMessage createObjectMessage(Serializable object) throws JMSException {
        checkOpen();
        return physical.createObjectMessage(object);
    }

    @Override
    public StreamMessage createStreamMessage() throws JMSException {
        checkOpen();
        return physical.createStreamMessage();
    }

    @Override
    public TextMessage createTextMessage() throws JMSException {
        checkOpen();
        return physical.createTextMessage();
    }

    @Override
    public TextMessage createTextMessage(String text) throws JMSException {
        checkOpen();
        return physical.createTextMessage(text);
    }

    // ------------------------------------------------------------------------------------------ transaction

    @Override
    public boolean getTransacted() throws JMSException {
        checkOpen();
        return physical.getTransacted();
    }

    @Override
    public int getAcknowledgeMode() throws JMSException {
        checkOpen();
        return physical.getAcknowledgeMode();
    }

    @Override
    public void commit() throws JMSException {
        checkOpen();
        if (containerTransaction) {
            throw new TransactionInProgressException("this session is in the container's transaction, which the"
                    + " container commits (JMS 3.1 section 12.3)");
        }
        physical.commit();
        connection.managedConnection().applicationTransaction(ConnectionEvent.LOCAL_TRANSACTION_COMMITTED);
        connection.managedConnection().applicationTransaction(ConnectionEvent.LOCAL_TRANSACTION_STARTED);
    }

    @Override
    public void rollback() throws JMSException {
        checkOpen();
        if (containerTransaction) {
            throw new TransactionInProgressException("this session is in the container's transaction, which the"
                    + " container rolls back (JMS 3.1 section 12.3); mark it for rollback instead");
        }
        physical.rollback();
        connection.managedConnection().applicationTransaction(ConnectionEvent.LOCAL_TRANSACTION_ROLLEDBACK);
        connection.managedConnection().applicationTransaction(ConnectionEvent.LOCAL_TRANSACTION_STARTED);
    }

    @Override
    public void recover() throws JMSException {
        checkOpen();
        physical.recover();
    }

    // ------------------------------------------------------------------------------------------ container-only

    @Override
    public MessageListener getMessageListener() throws JMSException {
        checkOpen();
        throw ConnectionHandle.forbidden("Session.getMessageListener", "consume with a message-driven bean");
    }

    @Override
    public void setMessageListener(MessageListener listener) throws JMSException {
        checkOpen();
        throw ConnectionHandle.forbidden("Session.setMessageListener", "consume with a message-driven bean");
    }

    @Override
    public void run() {
        throw new IllegalStateRuntimeException("Session.run must not be called by an application in a Jakarta EE"
                + " web or EJB container (JMS 3.1 section 12.2)");
    }

    // ------------------------------------------------------------------------------------------ producers

    @Override
    public MessageProducer createProducer(Destination destination) throws JMSException {
        checkOpen();
        return opened(physical.createProducer(destination));
    }

    @Override
    public QueueSender createSender(Queue queue) throws JMSException {
        return (QueueSender) createProducer(queue);
    }

    @Override
    public TopicPublisher createPublisher(Topic topic) throws JMSException {
        return (TopicPublisher) createProducer(topic);
    }

    // ------------------------------------------------------------------------------------------ consumers

    @Override
    public MessageConsumer createConsumer(Destination destination) throws JMSException {
        checkOpen();
        return consumer(physical.createConsumer(destination));
    }

    @Override
    public MessageConsumer createConsumer(Destination destination, String messageSelector) throws JMSException {
        checkOpen();
        return consumer(physical.createConsumer(destination, messageSelector));
    }

    @Override
    public MessageConsumer createConsumer(Destination destination, String messageSelector, boolean noLocal)
            throws JMSException {
        checkOpen();
        return consumer(physical.createConsumer(destination, messageSelector, noLocal));
    }

    @Override
    public MessageConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName) throws JMSException {
        checkOpen();
        return consumer(physical.createSharedConsumer(topic, sharedSubscriptionName));
    }

    @Override
    public MessageConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName, String messageSelector)
            throws JMSException {
        checkOpen();
        return consumer(physical.createSharedConsumer(topic, sharedSubscriptionName, messageSelector));
    }

    @Override
    public TopicSubscriber createDurableSubscriber(Topic topic, String name) throws JMSException {
        checkOpen();
        return consumer(physical.createDurableSubscriber(topic, name));
    }

    @Override
    public TopicSubscriber createDurableSubscriber(Topic topic, String name, String messageSelector, boolean noLocal)
            throws JMSException {
        checkOpen();
        return consumer(physical.createDurableSubscriber(topic, name, messageSelector, noLocal));
    }

    @Override
    public MessageConsumer createDurableConsumer(Topic topic, String name) throws JMSException {
        checkOpen();
        return consumer(physical.createDurableConsumer(topic, name));
    }

    @Override
    public MessageConsumer createDurableConsumer(Topic topic, String name, String messageSelector, boolean noLocal)
            throws JMSException {
        checkOpen();
        return consumer(physical.createDurableConsumer(topic, name, messageSelector, noLocal));
    }

    @Override
    public MessageConsumer createSharedDurableConsumer(Topic topic, String name) throws JMSException {
        checkOpen();
        return consumer(physical.createSharedDurableConsumer(topic, name));
    }

    @Override
    public MessageConsumer createSharedDurableConsumer(Topic topic, String name, String messageSelector)
            throws JMSException {
        checkOpen();
        return consumer(physical.createSharedDurableConsumer(topic, name, messageSelector));
    }

    @Override
    public QueueReceiver createReceiver(Queue queue) throws JMSException {
        return (QueueReceiver) createConsumer(queue);
    }

    @Override
    public QueueReceiver createReceiver(Queue queue, String messageSelector) throws JMSException {
        return (QueueReceiver) createConsumer(queue, messageSelector);
    }

    @Override
    public TopicSubscriber createSubscriber(Topic topic) throws JMSException {
        return (TopicSubscriber) createConsumer(topic);
    }

    @Override
    public TopicSubscriber createSubscriber(Topic topic, String messageSelector, boolean noLocal)
            throws JMSException {
        return (TopicSubscriber) createConsumer(topic, messageSelector, noLocal);
    }

    @Override
    public void unsubscribe(String name) throws JMSException {
        checkOpen();
        physical.unsubscribe(name);
    }

    // ------------------------------------------------------------------------------------------ destinations

    @Override
    public Queue createQueue(String queueName) throws JMSException {
        checkOpen();
        return physical.createQueue(queueName);
    }

    @Override
    public Topic createTopic(String topicName) throws JMSException {
        checkOpen();
        return physical.createTopic(topicName);
    }

    @Override
    public QueueBrowser createBrowser(Queue queue) throws JMSException {
        checkOpen();
        return opened(physical.createBrowser(queue));
    }

    @Override
    public QueueBrowser createBrowser(Queue queue, String messageSelector) throws JMSException {
        checkOpen();
        return opened(physical.createBrowser(queue, messageSelector));
    }

    /** Deleted when this session closes: its lifetime is the application's connection's (JMS 3.1 section 6.2.2). */
    @Override
    public TemporaryQueue createTemporaryQueue() throws JMSException {
        checkOpen();
        TemporaryQueue queue = physical.createTemporaryQueue();
        temporaries.add(queue);
        return queue;
    }

    @Override
    public TemporaryTopic createTemporaryTopic() throws JMSException {
        checkOpen();
        TemporaryTopic topic = physical.createTemporaryTopic();
        temporaries.add(topic);
        return topic;
    }

    // ------------------------------------------------------------------------------------------ close

    /**
     * Closes what the application opened on this session and its temporary destinations, then the physical session
     * unless it is the container's transaction's. Idempotent.
     */
    @Override
    public void close() throws JMSException {
        if (closed) {
            return;
        }
        closed = true;
        JMSException first = null;
        for (AutoCloseable closeable : opened) {
            try {
                closeable.close();
            } catch (Exception e) {
                first = first == null ? asJms(e) : first;
            }
        }
        opened.clear();
        for (Object temporary : temporaries) {
            try {
                if (temporary instanceof TemporaryQueue queue) {
                    queue.delete();
                } else {
                    ((TemporaryTopic) temporary).delete();
                }
            } catch (JMSException e) {
                first = first == null ? e : first;
            }
        }
        temporaries.clear();
        if (!containerTransaction) {
            physical.close();
        }
        if (first != null) {
            throw first;
        }
    }

    private static JMSException asJms(Exception e) {
        if (e instanceof JMSException jms) {
            return jms;
        }
        JMSException wrapped = new JMSException("closing failed: " + e);
        wrapped.initCause(e);
        return wrapped;
    }

    private <T extends AutoCloseable> T opened(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    private ConsumerHandle consumer(MessageConsumer consumer) {
        return opened(new ConsumerHandle(consumer));
    }

    /** A consumer of the application's: its message listener is the container's (JMS 3.1 section 12.2). */
    static final class ConsumerHandle implements QueueReceiver, TopicSubscriber {
        private final MessageConsumer physical;

        ConsumerHandle(MessageConsumer physical) {
            this.physical = physical;
        }

        @Override
        public String getMessageSelector() throws JMSException {
            return physical.getMessageSelector();
        }

        @Override
        public MessageListener getMessageListener() throws JMSException {
            throw ConnectionHandle.forbidden("MessageConsumer.getMessageListener", "consume with a message-driven"
                    + " bean");
        }

        @Override
        public void setMessageListener(MessageListener listener) throws JMSException {
            throw ConnectionHandle.forbidden("MessageConsumer.setMessageListener", "consume with a message-driven"
                    + " bean");
        }

        @Override
        public Message receive() throws JMSException {
            return physical.receive();
        }

        @Override
        public Message receive(long timeout) throws JMSException {
            return physical.receive(timeout);
        }

        @Override
        public Message receiveNoWait() throws JMSException {
            return physical.receiveNoWait();
        }

        @Override
        public void close() throws JMSException {
            physical.close();
        }

        @Override
        public Queue getQueue() throws JMSException {
            return ((QueueReceiver) physical).getQueue();
        }

        @Override
        public Topic getTopic() throws JMSException {
            return ((TopicSubscriber) physical).getTopic();
        }

        @Override
        public boolean getNoLocal() throws JMSException {
            return ((TopicSubscriber) physical).getNoLocal();
        }
    }
}

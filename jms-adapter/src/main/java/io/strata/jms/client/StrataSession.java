package io.strata.jms.client;

import io.strata.jms.destination.StrataQueue;
import io.strata.jms.destination.StrataTopic;
import io.strata.jms.message.StrataBytesMessage;
import io.strata.jms.message.StrataMapMessage;
import io.strata.jms.message.StrataMessage;
import io.strata.jms.message.StrataObjectMessage;
import io.strata.jms.message.StrataStreamMessage;
import io.strata.jms.message.StrataTextMessage;
import io.strata.jms.share.InvalidShareFilterException;
import io.strata.jms.share.ShareConsumerSettings;
import io.strata.jms.share.StrataShareConsumer;
import jakarta.jms.BytesMessage;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.InvalidSelectorException;
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
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A JMS session (JMS 3.1 section 6.2): a single thread of control that creates messages, producers and consumers,
 * and acknowledges what its consumers delivered, by its mode:
 *
 * <ul>
 *   <li>AUTO_ACKNOWLEDGE and DUPS_OK_ACKNOWLEDGE: a message is accepted once {@code receive} returned it or its
 *       listener returned (sent to the broker with the next fetch); a listener that throws has its message released,
 *       so that it comes again at once, JMSRedelivered set.</li>
 *   <li>CLIENT_ACKNOWLEDGE: {@code acknowledge()} of any message accepts every message the session delivered and
 *       not yet acknowledged, waiting for the brokers' answers; what is unacknowledged when a consumer or the session
 *       closes comes again (the share group gets it back).</li>
 *   <li>{@link #recover()} releases every unacknowledged message: they come again, JMSRedelivered true and
 *       JMSXDeliveryCount one higher.</li>
 *   <li>SESSION_TRANSACTED: sends and consumed messages belong to the session's local transaction, which
 *       {@link #commit()} makes final and {@link #rollback()} undoes (messages come again, JMSRedelivered true);
 *       {@link #close()} rolls back what is open. The mapping onto a Kafka transaction is {@link SessionTransaction}.
 *       A listener that throws leaves its message in the transaction (JMS 3.1 section 8.7).</li>
 * </ul>
 *
 * <p>Asynchronous delivery: once a consumer has a message listener, the session's own delivery thread (one per
 * session) hands the messages of its consumers to their listeners, one at a time; synchronous {@code receive} is
 * then an {@code IllegalStateException} (JMS 3.1 section 6.2.12: a session delivers either way, not both).
 *
 * <p>Thread-safety: used by one thread at a time, as JMS requires, besides {@link #close()}, which any thread may
 * call; the delivery thread and the application thread meet on the delivery lock.
 */
public class StrataSession implements QueueSession, TopicSession {

    private static final Logger LOG = Logger.getLogger(StrataSession.class.getName());
    private static final ThreadLocal<StrataSession> LISTENER_SESSION = new ThreadLocal<>();
    private static final long LISTENER_POLL_MS = 100;

    private final StrataConnection connection;
    private final int mode;
    private final List<StrataMessageConsumer> consumers = new CopyOnWriteArrayList<>();
    private final List<StrataMessageProducer> producers = new CopyOnWriteArrayList<>();
    private final List<StrataQueueBrowser> browsers = new CopyOnWriteArrayList<>();
    private final List<Delivery> unacknowledged = new ArrayList<>();
    /** The local transaction of a transacted session; null otherwise. */
    private final SessionTransaction localTransaction;
    /** Held while a message is handed to a listener, and by receive when it hands one out. */
    private final Object deliveryLock = new Object();
    private final Object listenerWakeup = new Object();
    private final AsyncSends asyncSends = new AsyncSends();
    private Thread deliveryThread;
    private Delivery inListener;
    private boolean inListenerRecovered;
    private volatile boolean closed;
    /** What a QueueSession or TopicSession of the JMS 1.0 domains is limited to; a Session does both. */
    private Domain domain = Domain.BOTH;

    /** The messaging domains of JMS 1.0: a QueueSession refuses topic operations, a TopicSession queue ones. */
    enum Domain { BOTH, QUEUE, TOPIC }

    StrataSession(StrataConnection connection, int mode) {
        this.connection = connection;
        this.mode = mode;
        this.localTransaction = mode == Session.SESSION_TRANSACTED ? new SessionTransaction(connection) : null;
    }

    /**
     * The transaction sends and receives go into now, or null when they are not transacted: the local transaction of
     * a transacted session; for an XA session, the branch it is associated with ({@link StrataXASession}).
     */
    SessionTransaction transaction() {
        return localTransaction;
    }

    StrataConnection connection() {
        return connection;
    }

    /** Limits this session to one domain, as {@code createQueueSession}/{@code createTopicSession} make it. */
    StrataSession restrictTo(Domain only) {
        this.domain = only;
        return this;
    }

    /** Refuses an operation of the other domain, as the QueueSession and TopicSession javadoc say. */
    private void checkDomain(Domain of, String operation) throws IllegalStateException {
        if (domain != Domain.BOTH && domain != of) {
            throw new IllegalStateException(operation + " is not allowed on a " + (domain == Domain.QUEUE
                    ? "QueueSession" : "TopicSession"));
        }
    }

    /** Whether the calling thread is a session's delivery thread running a message listener. */
    static boolean onListenerThread() {
        return LISTENER_SESSION.get() != null;
    }

    // --------------------------------------------------------------------------------------------- messages

    @Override
    public BytesMessage createBytesMessage() throws JMSException {
        checkOpen();
        return new StrataBytesMessage();
    }

    @Override
    public MapMessage createMapMessage() throws JMSException {
        checkOpen();
        return new StrataMapMessage();
    }

    @Override
    public Message createMessage() throws JMSException {
        checkOpen();
        return new StrataMessage();
    }

    @Override
    public ObjectMessage createObjectMessage() throws JMSException {
        checkOpen();
        return new StrataObjectMessage();
    }

    @Override
    public ObjectMessage createObjectMessage(Serializable object) throws JMSException {
        ObjectMessage message = createObjectMessage();
        message.setObject(object);
        return message;
    }

    @Override
    public StreamMessage createStreamMessage() throws JMSException {
        checkOpen();
        return new StrataStreamMessage();
    }

    @Override
    public TextMessage createTextMessage() throws JMSException {
        checkOpen();
        return new StrataTextMessage();
    }

    @Override
    public TextMessage createTextMessage(String text) throws JMSException {
        checkOpen();
        return new StrataTextMessage(text);
    }

    // --------------------------------------------------------------------------------------------- mode

    @Override
    public boolean getTransacted() throws JMSException {
        checkOpen();
        return transaction() != null;
    }

    @Override
    public int getAcknowledgeMode() throws JMSException {
        checkOpen();
        return mode;
    }

    int mode() {
        return mode;
    }

    /**
     * Commits the session's transaction: its sends become visible and its consumed messages are acknowledged,
     * together; or, when that cannot be done, {@code TransactionRolledBackException} and the transaction is rolled
     * back. May be called by a message listener of this session.
     */
    @Override
    public void commit() throws JMSException {
        checkOpen();
        if (transaction() == null) {
            throw new IllegalStateException("commit() is for transacted sessions; this session is not transacted");
        }
        synchronized (deliveryLock) {
            transaction().commit();
        }
    }

    /** Rolls back the session's transaction: sends discarded, consumed messages delivered again. */
    @Override
    public void rollback() throws JMSException {
        checkOpen();
        if (transaction() == null) {
            throw new IllegalStateException("rollback() is for transacted sessions; this session is not transacted");
        }
        synchronized (deliveryLock) {
            transaction().rollback();
        }
    }

    /** The producer this session sends with: its transaction's (begun) when transacted, else the connection's. */
    org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producerForSend() throws JMSException {
        SessionTransaction current = transaction();
        return current == null ? connection.producer() : current.producerForSend();
    }

    boolean transacted() {
        return transaction() != null;
    }

    /** The Kafka transactional id of this session's transactions; null when not transacted. */
    String transactionalId() {
        SessionTransaction current = transaction();
        return current == null ? null : current.transactionalId();
    }

    /** Whether {@code consumer}, closing, leaves its source to the transaction, which holds messages of it. */
    boolean sourceClosesWithTransaction(StrataMessageConsumer consumer) {
        SessionTransaction current = transaction();
        return current != null && current.closesAtEnd(consumer);
    }

    // --------------------------------------------------------------------------------------------- destinations

    @Override
    public Queue createQueue(String queueName) throws JMSException {
        checkDomain(Domain.QUEUE, "createQueue");
        checkOpen();
        return new StrataQueue(Names.checkTopicName(queueName, "queue"));
    }

    @Override
    public Topic createTopic(String topicName) throws JMSException {
        checkDomain(Domain.TOPIC, "createTopic");
        checkOpen();
        return new StrataTopic(Names.checkTopicName(topicName, "topic"));
    }

    @Override
    public TemporaryQueue createTemporaryQueue() throws JMSException {
        checkDomain(Domain.QUEUE, "createTemporaryQueue");
        checkOpen();
        return connection.temporaries().createQueue();
    }

    @Override
    public TemporaryTopic createTemporaryTopic() throws JMSException {
        checkDomain(Domain.TOPIC, "createTemporaryTopic");
        checkOpen();
        return connection.temporaries().createTopic();
    }

    @Override
    public QueueBrowser createBrowser(Queue queue) throws JMSException {
        return createBrowser(queue, null);
    }

    @Override
    public QueueBrowser createBrowser(Queue queue, String messageSelector) throws JMSException {
        checkDomain(Domain.QUEUE, "createBrowser");
        checkOpen();
        String topic = topicOf(queue);
        connection.temporaries().checkConsumable(topic, "queue");
        LocalSelector selector = LocalSelector.parse(messageSelector);
        connection.ensureTopic(topic, "queue");
        StrataQueueBrowser browser = new StrataQueueBrowser(this, queue, topic, selector);
        browsers.add(browser);
        return browser;
    }

    void browserClosed(StrataQueueBrowser browser) {
        browsers.remove(browser);
    }

    // --------------------------------------------------------------------------------------------- producers

    @Override
    public StrataMessageProducer createProducer(Destination destination) throws JMSException {
        checkOpen();
        if (destination != null) {
            topicOf(destination);
        }
        StrataMessageProducer producer = new StrataMessageProducer(this, destination);
        producers.add(producer);
        return producer;
    }

    @Override
    public QueueSender createSender(Queue queue) throws JMSException {
        return createProducer(queue);
    }

    @Override
    public TopicPublisher createPublisher(Topic topic) throws JMSException {
        return createProducer(topic);
    }

    void producerClosed(StrataMessageProducer producer) {
        producers.remove(producer);
    }

    AsyncSends asyncSends() {
        return asyncSends;
    }

    // --------------------------------------------------------------------------------------------- consumers

    @Override
    public MessageConsumer createConsumer(Destination destination) throws JMSException {
        return createConsumer(destination, null, false);
    }

    @Override
    public MessageConsumer createConsumer(Destination destination, String messageSelector) throws JMSException {
        return createConsumer(destination, messageSelector, false);
    }

    /**
     * A queue's consumer is a member of the queue's share group; a topic's is a non-durable unshared subscriber,
     * reading from the log end without a group.
     */
    @Override
    public MessageConsumer createConsumer(Destination destination, String messageSelector, boolean noLocal)
            throws JMSException {
        checkOpen();
        String topic = topicOf(destination);
        connection.temporaries().checkConsumable(topic, destination instanceof Queue ? "queue" : "topic");
        LocalSelector selector = LocalSelector.parse(messageSelector);
        if (destination instanceof Queue) {
            connection.ensureTopic(topic, "queue");
            String group = Names.queueGroup(topic);
            connection.configureQueueGroup(group, topic);
            return add(new StrataMessageConsumer(this, destination, selector, noLocal,
                    openShareGroup(group, topic, selector), null));
        }
        connection.ensureTopic(topic, "topic");
        return add(new StrataMessageConsumer(this, destination, selector, noLocal,
                new LogEndSource(connection.settings(), topic, connection.settings().prefetch()), null));
    }

    @Override
    public QueueReceiver createReceiver(Queue queue) throws JMSException {
        return (QueueReceiver) createConsumer(queue, null, false);
    }

    @Override
    public QueueReceiver createReceiver(Queue queue, String messageSelector) throws JMSException {
        return (QueueReceiver) createConsumer(queue, messageSelector, false);
    }

    @Override
    public TopicSubscriber createSubscriber(Topic topic) throws JMSException {
        return (TopicSubscriber) createConsumer(topic, null, false);
    }

    @Override
    public TopicSubscriber createSubscriber(Topic topic, String messageSelector, boolean noLocal)
            throws JMSException {
        return (TopicSubscriber) createConsumer(topic, messageSelector, noLocal);
    }

    @Override
    public MessageConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName) throws JMSException {
        return createSharedConsumer(topic, sharedSubscriptionName, null);
    }

    /** A member of the subscription's share group, {@code jms:shared:TOPIC:CLIENTID:NAME}. */
    @Override
    public MessageConsumer createSharedConsumer(Topic topic, String sharedSubscriptionName, String messageSelector)
            throws JMSException {
        checkDomain(Domain.TOPIC, "createSharedConsumer");
        return subscribe(topic, sharedSubscriptionName, messageSelector, false, Names.sharedGroup(
                topicOf(topic), connection.clientIdOrNull(), checkSubscriptionName(sharedSubscriptionName), false),
                false);
    }

    @Override
    public MessageConsumer createSharedDurableConsumer(Topic topic, String name) throws JMSException {
        return createSharedDurableConsumer(topic, name, null);
    }

    /** A member of the subscription's share group, {@code jms:shared-durable:TOPIC:CLIENTID:NAME}. */
    @Override
    public MessageConsumer createSharedDurableConsumer(Topic topic, String name, String messageSelector)
            throws JMSException {
        checkDomain(Domain.TOPIC, "createSharedDurableConsumer");
        return subscribe(topic, name, messageSelector, false, Names.sharedGroup(topicOf(topic),
                connection.clientIdOrNull(), checkSubscriptionName(name), true), true);
    }

    @Override
    public TopicSubscriber createDurableSubscriber(Topic topic, String name) throws JMSException {
        return createDurableSubscriber(topic, name, null, false);
    }

    /**
     * The only member of the subscription's share group, {@code jms:durable:TOPIC:CLIENTID:NAME}; the client
     * identifier must be set. One consumer at a time: this connection's are checked here, other connections' (of a
     * factory whose client identifier they share) by asking the broker for the group's members.
     */
    @Override
    public TopicSubscriber createDurableSubscriber(Topic topic, String name, String messageSelector, boolean noLocal)
            throws JMSException {
        checkDomain(Domain.TOPIC, "createDurableSubscriber");
        checkOpen();
        String topicName = topicOf(topic); // an invalid destination is reported before a missing client identifier
        String clientId = connection.clientIdOrNull();
        if (clientId == null) {
            throw new IllegalStateException("an unshared durable subscription needs the connection's client"
                    + " identifier, which is not set (setClientID or " + ProviderSettings.CLIENT_ID + ")");
        }
        String group = Names.durableGroup(topicName, clientId, checkSubscriptionName(name));
        for (StrataSession session : connection.sessions()) {
            for (StrataMessageConsumer consumer : session.consumers) {
                if (group.equals(consumer.subscriptionGroup())) {
                    throw new JMSException("the durable subscription '" + name + "' of client '" + clientId
                            + "' already has an active consumer; it is unshared (createSharedDurableConsumer"
                            + " makes a shared one)");
                }
            }
        }
        connection.checkUnsharedSubscriptionIdle(group, name);
        return (TopicSubscriber) subscribe(topic, name, messageSelector, noLocal, group, true);
    }

    @Override
    public MessageConsumer createDurableConsumer(Topic topic, String name) throws JMSException {
        return createDurableSubscriber(topic, name, null, false);
    }

    @Override
    public MessageConsumer createDurableConsumer(Topic topic, String name, String messageSelector, boolean noLocal)
            throws JMSException {
        return createDurableSubscriber(topic, name, messageSelector, noLocal);
    }

    /**
     * A member of a subscription's share group; a durable subscription is first made sure to be the one asked for
     * (re-created when its selector or noLocal changed).
     */
    private MessageConsumer subscribe(Topic topic, String name, String messageSelector, boolean noLocal,
                                      String group, boolean durable) throws JMSException {
        checkOpen();
        String topicName = topicOf(topic);
        connection.temporaries().checkConsumable(topicName, "topic");
        LocalSelector selector = LocalSelector.parse(messageSelector);
        checkNoConflictingConsumer(group, name, messageSelector);
        connection.ensureTopic(topicName, "topic");
        if (durable) {
            connection.defineDurableSubscription(group, name, messageSelector, noLocal);
        }
        connection.configureSubscriptionGroup(group, topicName);
        return add(new StrataMessageConsumer(this, topic, selector, noLocal, openShareGroup(group, topicName,
                selector), group));
    }

    /**
     * JMS 3.1 (createSharedConsumer, createSharedDurableConsumer): a subscription with an active consumer cannot be
     * used with another topic or selector; this connection's consumers are checked here (a durable subscription's
     * selector is also checked by the broker, {@link DurableSubscriptionDefinitions}).
     */
    private void checkNoConflictingConsumer(String group, String name, String messageSelector) throws JMSException {
        String identity = Names.subscriptionIdentity(group);
        String selector = messageSelector == null ? "" : messageSelector.strip();
        for (StrataSession session : connection.sessions()) {
            for (StrataMessageConsumer consumer : session.consumers()) {
                String other = consumer.subscriptionGroup();
                if (identity == null || !identity.equals(Names.subscriptionIdentity(other))) {
                    continue;
                }
                String otherSelector = consumer.getMessageSelector() == null ? ""
                        : consumer.getMessageSelector().strip();
                if (!other.equals(group) || !otherSelector.equals(selector)) {
                    throw new JMSException("the subscription '" + name + "' has an active consumer "
                            + (other.equals(group) ? "with the selector \"" + otherSelector + "\""
                            : "on another topic (share group " + other + ")")
                            + "; it cannot be used with another topic or selector until that consumer is closed");
                }
            }
        }
    }

    /**
     * Deletes the durable subscription {@code name} of this connection's client identifier (its share group, of
     * whichever topic it was made on).
     */
    @Override
    public void unsubscribe(String name) throws JMSException {
        checkDomain(Domain.TOPIC, "unsubscribe");
        checkOpen();
        String clientId = connection.clientIdOrNull();
        String suffix = ":" + Names.durableGroup("", clientId, checkSubscriptionName(name)).substring(
                "jms:durable::".length());
        for (StrataSession session : connection.sessions()) {
            for (StrataMessageConsumer consumer : session.consumers) {
                String group = consumer.subscriptionGroup();
                if (group != null && group.startsWith("jms:") && !group.startsWith("jms:shared:")
                        && group.endsWith(suffix)) {
                    throw new IllegalStateException("the durable subscription '" + name + "' has an active"
                            + " consumer; close it before unsubscribing");
                }
            }
        }
        List<String> groups = new ArrayList<>();
        try {
            for (GroupListing listing : connection.admin().listGroups(ListGroupsOptions.forShareGroups()).all()
                    .get(30, TimeUnit.SECONDS)) {
                String id = listing.groupId();
                if ((id.startsWith("jms:durable:") || id.startsWith("jms:shared-durable:")) && id.endsWith(suffix)
                        && id.indexOf(':', id.indexOf(':', 4) + 1) == id.length() - suffix.length()) {
                    groups.add(id);
                }
            }
            if (groups.isEmpty()) {
                throw new InvalidDestinationException("there is no durable subscription '" + name + "' of client "
                        + (clientId == null ? "(none)" : "'" + clientId + "'"));
            }
            connection.admin().deleteShareGroups(groups).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw JmsErrors.jms("the durable subscription '" + name + "' cannot be deleted", e.getCause());
        } catch (JMSException e) {
            throw e;
        } catch (Exception e) {
            throw StrataConnection.interruptedOr(e, "the durable subscription '" + name + "' cannot be deleted");
        }
    }

    private static String checkSubscriptionName(String name) throws JMSException {
        if (name == null || name.isEmpty()) {
            throw new InvalidDestinationException("a subscription name must not be null or empty");
        }
        return name;
    }

    private RecordSource openShareGroup(String group, String topic, LocalSelector selector) throws JMSException {
        ProviderSettings settings = connection.settings();
        Map<String, Object> client = new LinkedHashMap<>();
        settings.kafkaProperties().forEach((key, value) -> client.put(key.toString(), value));
        ShareConsumerSettings shareSettings = ShareConsumerSettings.of(settings.bootstrapServers(), group,
                        List.of(topic))
                .withClientProperties(client)
                .withBuffer(settings.prefetch(), 16L << 20)
                .withFetch(settings.prefetch(), 8 << 20, 500)
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(30));
        if (selector != null) {
            shareSettings = shareSettings.withSelector(selector.text());
        }
        try {
            // Opened paused: it takes records once the application asks for some (ShareGroupSource). Of the records
            // it fetched and has not delivered (at most the prefetch), the highest JMSPriority is delivered first.
            return new ShareGroupSource(StrataShareConsumer.open(shareSettings, true, JmsPriority::of));
        } catch (InvalidShareFilterException e) {
            throw JmsErrors.withCause(new InvalidSelectorException("the broker refused the message selector \""
                    + e.selector() + "\": " + e.getMessage()), e);
        } catch (RuntimeException e) {
            throw JmsErrors.jms("cannot consume from share group '" + group + "' of topic '" + topic + "'", e);
        }
    }

    /** The session's open consumers (a live, thread-safe view). */
    List<StrataMessageConsumer> consumers() {
        return consumers;
    }

    private StrataMessageConsumer add(StrataMessageConsumer consumer) {
        consumers.add(consumer);
        // The connection may have started or stopped while the consumer was opened paused or not.
        consumer.source().paused(!connection.started());
        return consumer;
    }

    /** The Kafka topic of a queue or topic, of Strata or of another provider, checked against Kafka's rules. */
    static String topicOf(Destination destination) throws JMSException {
        if (destination instanceof Queue queue) {
            return Names.checkTopicName(queue.getQueueName(), "queue");
        }
        if (destination instanceof Topic topic) {
            return Names.checkTopicName(topic.getTopicName(), "topic");
        }
        throw new InvalidDestinationException("destination " + destination + " is neither a Queue nor a Topic");
    }

    /** Whether an open consumer of this session reads the Kafka topic {@code topic}. */
    boolean hasConsumerOf(String topic) throws JMSException {
        for (StrataMessageConsumer consumer : consumers) {
            if (!consumer.isClosed() && topicOf(consumer.destination()).equals(topic)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an open consumer of this session reads through the share group {@code group}. */
    boolean hasConsumerInGroup(String group) {
        return consumers.stream().anyMatch(consumer -> !consumer.isClosed()
                && group.equals(consumer.subscriptionGroup()));
    }

    void consumerClosed(StrataMessageConsumer consumer) {
        consumers.remove(consumer);
        synchronized (unacknowledged) {
            unacknowledged.removeIf(delivery -> delivery.consumer == consumer);
        }
    }

    // --------------------------------------------------------------------------------------------- receiving

    /** A message of {@code consumer} for a synchronous receive, acknowledged as the mode says. */
    Message receive(StrataMessageConsumer consumer, long deadlineNanos) throws JMSException {
        return receive(consumer, deadlineNanos, null);
    }

    /**
     * As {@link #receive(StrataMessageConsumer, long)}, for {@code receiveBody(bodyType)}: in AUTO_ACKNOWLEDGE and
     * DUPS_OK_ACKNOWLEDGE a message whose body cannot be read as {@code bodyType} is neither delivered nor
     * acknowledged: it stays first for the next receive and {@code MessageFormatException} is thrown, "as if the
     * unsuccessful call had not occurred" (JMSConsumer.receiveBody). In the other modes it is delivered as usual, for
     * the application to acknowledge, recover, commit or roll back, and the caller reports the wrong type.
     */
    Message receive(StrataMessageConsumer consumer, long deadlineNanos, Class<?> bodyType) throws JMSException {
        consumer.checkOpen();
        if (deliveryThread != null && consumers.stream().anyMatch(c -> c.listener() != null)) {
            throw new IllegalStateException("this session delivers to message listeners; a synchronous receive on"
                    + " it is not allowed (JMS 3.1 section 6.2.12): use another session");
        }
        while (true) {
            SessionTransaction current = transaction();
            if (current != null) {
                current.checkRoom();
            }
            Delivery delivery = consumer.next(deadlineNanos);
            if (delivery == null) {
                return null;
            }
            synchronized (deliveryLock) {
                if (!connection.started() || closed) {
                    consumer.pushBack(delivery); // stopped meanwhile: hand it out once started again
                    continue;
                }
                boolean acknowledgedOnReceive = mode != Session.CLIENT_ACKNOWLEDGE && transaction() == null;
                if (acknowledgedOnReceive && bodyType != null && !delivery.message.isBodyAssignableTo(bodyType)) {
                    consumer.pushBack(delivery);
                    throw new jakarta.jms.MessageFormatException("the body of the next message cannot be read as "
                            + bodyType.getName() + "; the message stays for the next receive");
                }
                delivered(delivery);
                if (acknowledgedOnReceive) {
                    delivery.consumer.source().accept(delivery);
                }
                return delivery.message;
            }
        }
    }

    private void delivered(Delivery delivery) {
        delivery.message.setAcknowledger(this::acknowledgeFromMessage);
        SessionTransaction current = transaction();
        if (mode == Session.CLIENT_ACKNOWLEDGE) {
            synchronized (unacknowledged) {
                unacknowledged.add(delivery);
            }
        } else if (current != null) {
            current.consumed(delivery);
        }
    }

    /** Message.acknowledge(): in CLIENT_ACKNOWLEDGE, every message this session delivered; otherwise nothing. */
    private void acknowledgeFromMessage(Message message) throws JMSException {
        if (closed) {
            throw new IllegalStateException("the session that delivered this message is closed");
        }
        if (mode != Session.CLIENT_ACKNOWLEDGE) {
            return;
        }
        acknowledgeAll();
    }

    /** Accepts every message this session delivered and not yet acknowledged, waiting for the brokers' answers. */
    void acknowledgeAll() throws JMSException {
        checkOpen();
        for (Map.Entry<StrataMessageConsumer, List<Delivery>> entry : takeUnacknowledged().entrySet()) {
            entry.getKey().source().acceptNow(entry.getValue());
        }
    }

    private Map<StrataMessageConsumer, List<Delivery>> takeUnacknowledged() {
        Map<StrataMessageConsumer, List<Delivery>> byConsumer = new LinkedHashMap<>();
        synchronized (unacknowledged) {
            for (Delivery delivery : unacknowledged) {
                byConsumer.computeIfAbsent(delivery.consumer, c -> new ArrayList<>()).add(delivery);
            }
            unacknowledged.clear();
        }
        return byConsumer;
    }

    /**
     * Releases every message delivered and not acknowledged (with AUTO or DUPS_OK, the one its listener is handling),
     * so that they come again, JMSRedelivered true, JMSXDeliveryCount one higher.
     */
    @Override
    public void recover() throws JMSException {
        checkOpen();
        if (transaction() != null) {
            throw new IllegalStateException("recover() is for non-transacted sessions; this one is transacted:"
                    + " rollback() delivers its messages again");
        }
        synchronized (deliveryLock) {
            Map<StrataMessageConsumer, List<Delivery>> byConsumer = takeUnacknowledged();
            if (inListener != null && mode != Session.CLIENT_ACKNOWLEDGE && !inListenerRecovered) {
                byConsumer.computeIfAbsent(inListener.consumer, c -> new ArrayList<>()).add(inListener);
                inListenerRecovered = true;
            }
            for (Map.Entry<StrataMessageConsumer, List<Delivery>> entry : byConsumer.entrySet()) {
                if (!entry.getKey().isClosed()) {
                    entry.getKey().source().release(entry.getValue());
                }
            }
        }
    }

    // --------------------------------------------------------------------------------------------- listeners

    @Override
    public MessageListener getMessageListener() throws JMSException {
        checkOpen();
        return null;
    }

    /**
     * Refused: a session's distinguished listener only receives what a connection consumer assigns to the session,
     * and connection consumers are an optional application server facility (JMS 3.1 chapter 11) that this provider
     * does not offer (see {@link StrataConnection#createConnectionConsumer}).
     */
    @Override
    public void setMessageListener(MessageListener listener) throws JMSException {
        checkOpen();
        throw new JMSException("a session's distinguished message listener is an optional application server"
                + " facility (JMS 3.1 chapter 11) that Strata's provider does not offer; set the listener on a"
                + " MessageConsumer");
    }

    /** Refused, as {@link #setMessageListener}: there are no connection consumers to give the session messages. */
    @Override
    public void run() {
        throw new UnsupportedOperationException("Session.run is an optional application server facility (JMS 3.1"
                + " chapter 11) that Strata's provider does not offer");
    }

    /** A consumer got or lost its listener: start the delivery thread, or wake it. */
    synchronized void listenerChanged() {
        if (deliveryThread == null) {
            deliveryThread = new Thread(this::deliverToListeners, "strata-jms-session-" + connection.connectionId()
                    + "-" + System.identityHashCode(this));
            deliveryThread.setDaemon(true);
            deliveryThread.start();
        }
        synchronized (listenerWakeup) {
            listenerWakeup.notifyAll();
        }
    }

    /** The session's delivery thread: each listener-bearing consumer's messages in turn, one at a time. */
    private void deliverToListeners() {
        while (!closed) {
            List<StrataMessageConsumer> listening = consumers.stream()
                    .filter(c -> c.listener() != null && !c.isClosed()).toList();
            try {
                if (listening.isEmpty()) {
                    synchronized (listenerWakeup) {
                        listenerWakeup.wait(LISTENER_POLL_MS);
                    }
                    continue;
                }
                long sliceMs = Math.max(10, LISTENER_POLL_MS / listening.size());
                for (StrataMessageConsumer consumer : listening) {
                    Delivery delivery = consumer.next(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sliceMs));
                    if (delivery != null) {
                        deliverToListener(consumer, delivery);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (JMSException | RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "Message delivery of a JMS session failed: {0}", e.toString());
                    connection.report(e);
                }
            }
        }
    }

    private void deliverToListener(StrataMessageConsumer consumer, Delivery delivery) throws JMSException {
        synchronized (deliveryLock) {
            MessageListener listener = consumer.listener();
            if (!connection.started() || closed || consumer.isClosed() || listener == null) {
                if (!consumer.isClosed()) {
                    consumer.pushBack(delivery);
                }
                return;
            }
            delivered(delivery);
            inListener = delivery;
            inListenerRecovered = false;
            LISTENER_SESSION.set(this);
            boolean threw = false;
            try {
                listener.onMessage(delivery.message);
            } catch (RuntimeException e) {
                threw = true;
                LOG.log(Level.WARNING, "A JMS message listener threw; the message is delivered again: {0}",
                        e.toString());
            } finally {
                LISTENER_SESSION.remove();
                inListener = null;
            }
            if (mode != Session.CLIENT_ACKNOWLEDGE && transaction() == null && !inListenerRecovered
                    && !consumer.isClosed()) {
                if (threw) {
                    consumer.source().release(List.of(delivery));
                } else {
                    consumer.source().accept(delivery);
                }
            }
        }
    }

    /** Returns once no listener of this session is running (none when called from this session's listener). */
    void awaitListenerIdle() {
        if (LISTENER_SESSION.get() == this) {
            return;
        }
        synchronized (deliveryLock) {
            // entering the lock is the wait: a listener in progress holds it
        }
    }

    // --------------------------------------------------------------------------------------------- close

    /**
     * Closes the session: waits for a listener in progress and for asynchronous sends, rolls back an open
     * transaction, then closes its consumers
     * (their share groups get back what was delivered and not acknowledged) and producers. A message listener must
     * not close its own session. Idempotent.
     */
    @Override
    public void close() throws JMSException {
        if (closed) {
            return;
        }
        if (LISTENER_SESSION.get() == this) {
            throw new IllegalStateException("a message listener must not close its own session");
        }
        if (asyncSends.onCompletionThread()) {
            throw new IllegalStateException("a CompletionListener must not close its own session (JMS 3.1 section"
                    + " 7.3.4)");
        }
        closed = true;
        awaitListenerIdle();
        asyncSends.awaitNone(Duration.ofSeconds(60));
        closeTransaction();
        for (StrataMessageConsumer consumer : List.copyOf(consumers)) {
            consumer.close();
        }
        for (StrataMessageProducer producer : List.copyOf(producers)) {
            producer.close();
        }
        for (StrataQueueBrowser browser : List.copyOf(browsers)) {
            browser.close();
        }
        synchronized (unacknowledged) {
            unacknowledged.clear();
        }
        asyncSends.close();
        Thread thread;
        synchronized (this) {
            thread = deliveryThread;
        }
        if (thread != null) {
            synchronized (listenerWakeup) {
                listenerWakeup.notifyAll();
            }
        }
        connection.removed(this);
    }

    /** Rolls back what is open of the local transaction (JMS 3.1 section 6.2.9) as the session closes. */
    void closeTransaction() {
        if (localTransaction != null) {
            localTransaction.close();
        }
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() throws IllegalStateException {
        if (closed) {
            throw new IllegalStateException("the session is closed");
        }
        connection.checkOpen();
    }

    /**
     * The completion listeners of this session's asynchronous sends, run one at a time on a thread of its own, in the
     * order the sends completed (a producer's records to one partition complete in the order sent).
     */
    static final class AsyncSends {
        private final Object lock = new Object();
        private int inFlight;
        private ExecutorService executor;
        private volatile Thread completionThread;

        /** Whether the caller is a CompletionListener of this session, which must not close or commit it. */
        boolean onCompletionThread() {
            return Thread.currentThread() == completionThread;
        }

        void started() {
            synchronized (lock) {
                inFlight++;
                if (executor == null) {
                    executor = Executors.newSingleThreadExecutor(runnable -> {
                        Thread thread = new Thread(runnable, "strata-jms-completion");
                        thread.setDaemon(true);
                        completionThread = thread;
                        return thread;
                    });
                }
            }
        }

        void complete(Runnable callback) {
            ExecutorService target;
            synchronized (lock) {
                target = executor;
            }
            target.execute(() -> {
                try {
                    callback.run();
                } finally {
                    synchronized (lock) {
                        inFlight--;
                        lock.notifyAll();
                    }
                }
            });
        }

        void awaitNone(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (lock) {
                while (inFlight > 0) {
                    long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (leftMs <= 0) {
                        return;
                    }
                    try {
                        lock.wait(leftMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        void close() {
            synchronized (lock) {
                if (executor != null) {
                    executor.shutdown();
                }
            }
        }
    }
}

package io.strata.jms.client;

import io.strata.jms.record.MessageRecordCodec;
import jakarta.jms.ConnectionConsumer;
import jakarta.jms.ConnectionMetaData;
import jakarta.jms.Destination;
import jakarta.jms.ExceptionListener;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.Queue;
import jakarta.jms.QueueConnection;
import jakarta.jms.QueueSession;
import jakarta.jms.ServerSessionPool;
import jakarta.jms.Session;
import jakarta.jms.Topic;
import jakarta.jms.TopicConnection;
import jakarta.jms.TopicSession;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A JMS connection to a Strata cluster (JMS 3.1 chapter 6): the kafka-clients it shares among its sessions (one
 * idempotent {@code KafkaProducer} with {@code acks=all}, one {@code Admin}, made on first use), its client
 * identifier, whether it delivers (start/stop), its sessions, its exception listener and its temporary destinations
 * ({@link TemporaryDestinations}, deleted when it closes).
 *
 * <p><b>Client identifier.</b> Set administratively ({@code strata.jms.client.id}) or by {@link #setClientID} as the
 * first action on the connection; afterwards {@code IllegalStateException}. One set by {@link #setClientID} is held by
 * this connection alone across the cluster while it is open ({@link GroupLease}: the broker refuses a second holder,
 * and the second connection gets {@code InvalidClientIDException}). One set administratively is the factory's, shared
 * by the connections it makes (the factory is configured for one client), and takes no lease.
 *
 * <p><b>Exception listener.</b> While one is set, the connection asks the cluster for its metadata every
 * {@value #HEALTH_CHECK_INTERVAL_MS} ms; when the brokers stop answering it tells the listener once (a
 * {@code JMSException} with error code {@value #CONNECTION_LOST}), and once more each time they came back and were
 * lost again. kafka-clients reconnect on their own, so the connection stays usable and delivers again when a broker
 * answers.
 *
 * <p>Thread-safe, as JMS requires of a connection.
 */
public class StrataConnection implements QueueConnection, TopicConnection {

    private static final Logger LOG = Logger.getLogger(StrataConnection.class.getName());
    static final String CONNECTION_LOST = "STRATA_CONNECTION_LOST";
    static final long HEALTH_CHECK_INTERVAL_MS = 2_000;
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    /** Best-effort cleanups on close wait this long at most, so that closing without a broker does not hang. */
    static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(5);

    private final ProviderSettings settings;
    private final String connectionId = UUID.randomUUID().toString();
    private final MessageRecordCodec codec;
    private final List<StrataSession> sessions = new CopyOnWriteArrayList<>();
    private final Set<String> topicsKnown = ConcurrentHashMap.newKeySet();
    private final GroupConfigurer groupConfigurer;
    private final TemporaryDestinations temporaries = new TemporaryDestinations(this);
    private final DurableSubscriptionDefinitions durableDefinitions = new DurableSubscriptionDefinitions();
    private final Object deliveryState = new Object();
    private String clientId;
    private boolean clientIdFixed;
    private boolean started;
    private volatile boolean closed;
    private volatile ExceptionListener exceptionListener;
    /** Whether the broker was found to support transacted sessions (asked at the first one). */
    private volatile boolean transactionsSupported;
    private KafkaProducer<byte[], byte[]> producer;
    private Admin admin;
    private Thread healthCheck;
    /** The broker-held lease of a client identifier set by {@link #setClientID}; null otherwise. */
    private GroupLease clientIdLease;
    /** Guards {@link #connectionLease}: taking it waits for the cluster, which must not block the connection's lock. */
    private final Object connectionLeaseLock = new Object();
    /**
     * The broker-held lease that keeps this connection's temporary destinations alive, taken with the first of them;
     * null before.
     */
    private GroupLease connectionLease;

    /** A connection with {@code settings}, whose share groups {@code groupConfigurer} (its factory's) configures. */
    StrataConnection(ProviderSettings settings, GroupConfigurer groupConfigurer) {
        this.settings = settings;
        this.groupConfigurer = groupConfigurer;
        this.clientId = settings.clientId();
        this.clientIdFixed = settings.clientId() != null;
        Object maxRequestSize = settings.kafkaProperties().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        this.codec = maxRequestSize == null ? new MessageRecordCodec()
                : new MessageRecordCodec(Integer.parseInt(maxRequestSize.toString().trim()),
                io.strata.jms.message.ObjectMessageAllowList.defaults());
    }

    // ------------------------------------------------------------------------------------------------- sessions

    @Override
    public StrataSession createSession(boolean transacted, int acknowledgeMode) throws JMSException {
        return createSession(transacted ? Session.SESSION_TRANSACTED : acknowledgeMode);
    }

    @Override
    public StrataSession createSession(int sessionMode) throws JMSException {
        checkOpen();
        fixClientId();
        if (sessionMode == Session.SESSION_TRANSACTED && !transactionsSupported) {
            SessionTransaction.checkSupported(admin(), settings.bootstrapServers());
            transactionsSupported = true;
        }
        if (sessionMode != Session.SESSION_TRANSACTED && sessionMode != Session.AUTO_ACKNOWLEDGE
                && sessionMode != Session.CLIENT_ACKNOWLEDGE && sessionMode != Session.DUPS_OK_ACKNOWLEDGE) {
            throw new JMSException("session mode " + sessionMode + " is none of AUTO_ACKNOWLEDGE (1),"
                    + " CLIENT_ACKNOWLEDGE (2), DUPS_OK_ACKNOWLEDGE (3), SESSION_TRANSACTED (0)");
        }
        return register(new StrataSession(this, sessionMode));
    }

    /** Counts {@code session} among this connection's, which close with it. */
    <S extends StrataSession> S register(S session) {
        sessions.add(session);
        return session;
    }

    @Override
    public StrataSession createSession() throws JMSException {
        return createSession(Session.AUTO_ACKNOWLEDGE);
    }

    @Override
    public QueueSession createQueueSession(boolean transacted, int acknowledgeMode) throws JMSException {
        return createSession(transacted, acknowledgeMode).restrictTo(StrataSession.Domain.QUEUE);
    }

    @Override
    public TopicSession createTopicSession(boolean transacted, int acknowledgeMode) throws JMSException {
        return createSession(transacted, acknowledgeMode).restrictTo(StrataSession.Domain.TOPIC);
    }

    void removed(StrataSession session) {
        sessions.remove(session);
    }

    List<StrataSession> sessions() {
        return List.copyOf(sessions);
    }

    /** A failure of asynchronous delivery, for the exception listener, if there is one. */
    void report(Exception failure) {
        ExceptionListener listener = exceptionListener;
        if (listener != null) {
            listener.onException(failure instanceof JMSException jms ? jms
                    : JmsErrors.jms("asynchronous delivery failed", failure));
        }
    }

    // ------------------------------------------------------------------------------------------------- client id

    @Override
    public synchronized String getClientID() throws JMSException {
        checkOpen();
        return clientId;
    }

    @Override
    public synchronized void setClientID(String id) throws JMSException {
        checkOpen();
        if (clientIdFixed) {
            throw new IllegalStateException("the client identifier can only be set once, as the first action on"
                    + " the connection" + (clientId == null ? "" : "; it is '" + clientId + "'"));
        }
        if (id == null || id.isEmpty()) {
            throw new jakarta.jms.InvalidClientIDException("a client identifier must not be null or empty");
        }
        clientIdLease = GroupLease.clientId(settings.kafka(), id, ADMIN_TIMEOUT, this::report);
        clientId = id;
        clientIdFixed = true;
    }

    /** Any action but setting the client identifier fixes it (JMS 3.1 section 6.1.2). */
    synchronized void fixClientId() {
        clientIdFixed = true;
    }

    synchronized String clientIdOrNull() {
        return clientId;
    }

    // ------------------------------------------------------------------------------------------------- delivery

    @Override
    public void start() throws JMSException {
        checkOpen();
        fixClientId();
        synchronized (deliveryState) {
            started = true;
            deliveryState.notifyAll();
        }
        pauseConsumers(false);
    }

    /** Share-group consumers take records only while the connection is started. */
    private void pauseConsumers(boolean paused) {
        for (StrataSession session : sessions) {
            for (StrataMessageConsumer consumer : session.consumers()) {
                consumer.source().paused(paused);
            }
        }
    }

    /** Pauses delivery; returns once the message listeners in progress returned (JMS 3.1 section 6.1.5). */
    @Override
    public void stop() throws JMSException {
        checkOpen();
        fixClientId();
        if (StrataSession.onListenerThread()) {
            throw new IllegalStateException("a message listener must not stop its own connection");
        }
        synchronized (deliveryState) {
            started = false;
        }
        pauseConsumers(true);
        for (StrataSession session : sessions) {
            session.awaitListenerIdle();
        }
    }

    boolean started() {
        synchronized (deliveryState) {
            return started;
        }
    }

    /** Waits until the connection delivers, up to {@code deadlineNanos}; whether it does. */
    boolean awaitStarted(long deadlineNanos) throws InterruptedException {
        synchronized (deliveryState) {
            while (!started && !closed) {
                long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
                if (leftMs <= 0) {
                    return false;
                }
                deliveryState.wait(leftMs);
            }
            return started && !closed;
        }
    }

    // ------------------------------------------------------------------------------------------------- close

    /**
     * Closes the sessions (waiting for their message listeners to return and their asynchronous sends to complete),
     * then the producer and admin client. Idempotent. A message listener must not close its own connection.
     */
    @Override
    public void close() throws JMSException {
        if (closed) {
            return;
        }
        if (StrataSession.onListenerThread()) {
            throw new IllegalStateException("a message listener must not close its own connection");
        }
        if (sessions.stream().anyMatch(session -> session.asyncSends().onCompletionThread())) {
            throw new IllegalStateException("a CompletionListener must not close its own connection (JMS 3.1"
                    + " section 7.3.4)");
        }
        synchronized (deliveryState) {
            started = false;
        }
        for (StrataSession session : List.copyOf(sessions)) {
            session.close();
        }
        temporaries.deleteAll(); // their lifetime is the connection's (JMS 3.1 section 6.2.2)
        closed = true;
        synchronized (deliveryState) {
            deliveryState.notifyAll();
        }
        Thread check;
        KafkaProducer<byte[], byte[]> closingProducer;
        Admin closingAdmin;
        GroupLease closingLease;
        GroupLease closingConnectionLease;
        synchronized (this) {
            check = healthCheck;
            closingProducer = producer;
            closingAdmin = admin;
            closingLease = clientIdLease;
        }
        synchronized (connectionLeaseLock) {
            closingConnectionLease = connectionLease; // closed is set: no lease is taken from now on
        }
        if (check != null) {
            check.interrupt();
        }
        if (closingProducer != null) {
            closingProducer.close(Duration.ofSeconds(30));
        }
        if (closingAdmin != null) {
            closingAdmin.close(Duration.ofSeconds(5));
        }
        if (closingConnectionLease != null) {
            // After the temporary destinations' deletion: the broker deletes any that could not be, once it is left.
            closingConnectionLease.close();
        }
        if (closingLease != null) {
            closingLease.close(); // last: the identifier is free once what it named is closed
        }
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() throws IllegalStateException {
        if (closed) {
            throw new IllegalStateException("the connection is closed");
        }
    }

    // ------------------------------------------------------------------------------------------------- misc

    @Override
    public ConnectionMetaData getMetaData() throws JMSException {
        checkOpen();
        fixClientId();
        return new StrataConnectionMetaData();
    }

    @Override
    public ExceptionListener getExceptionListener() throws JMSException {
        checkOpen();
        fixClientId();
        return exceptionListener;
    }

    @Override
    public void setExceptionListener(ExceptionListener listener) throws JMSException {
        checkOpen();
        fixClientId();
        exceptionListener = listener;
        synchronized (this) {
            if (listener != null && healthCheck == null) {
                healthCheck = new Thread(this::checkHealth, "strata-jms-health-" + connectionId);
                healthCheck.setDaemon(true);
                // its admin client loads classes by the provider's loader, not the creating thread's (a Payara
                // admin thread pinging a pool cannot see kafka-clients); the session delivery and completion
                // threads keep the creator's: they run the application's listeners
                healthCheck.setContextClassLoader(StrataConnection.class.getClassLoader());
                healthCheck.start();
            }
        }
    }

    /** Tells the exception listener once each time the brokers stop answering. */
    private void checkHealth() {
        boolean reachable = true;
        while (!closed) {
            try {
                admin().describeCluster(new DescribeClusterOptions().timeoutMs((int) HEALTH_CHECK_INTERVAL_MS))
                        .nodes().get(HEALTH_CHECK_INTERVAL_MS + 1_000, TimeUnit.MILLISECONDS);
                reachable = true;
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (reachable && !closed) {
                    reachable = false;
                    LOG.log(Level.WARNING, "JMS connection {0} lost the brokers at {1}: {2}",
                            new Object[] {connectionId, settings.bootstrapServers(), e.toString()});
                    ExceptionListener listener = exceptionListener;
                    if (listener != null) {
                        JMSException lost = new JMSException("the connection lost the brokers at "
                                + settings.bootstrapServers() + " (" + e.getMessage() + "); it reconnects when one"
                                + " answers", CONNECTION_LOST);
                        listener.onException(JmsErrors.withCause(lost, e));
                    }
                }
            }
            try {
                Thread.sleep(HEALTH_CHECK_INTERVAL_MS); // a probe, not a wait for a condition
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Refused: connection consumers, with {@code ServerSessionPool} and {@code Session.run}, are the application
     * server facilities of JMS 3.1 chapter 11, which the specification makes optional ("might only be supported by
     * some providers"); an application server reaches Strata through a resource adapter instead. The method's own
     * exception, {@code JMSException}, says so.
     */
    @Override
    public ConnectionConsumer createConnectionConsumer(Destination destination, String messageSelector,
                                                       ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        throw new JMSException("connection consumers are an optional application server facility (JMS 3.1 chapter"
                + " 11) that Strata's provider does not offer: consume with a MessageConsumer and its"
                + " MessageListener");
    }

    @Override
    public ConnectionConsumer createSharedConnectionConsumer(Topic topic, String subscriptionName,
                                                             String messageSelector, ServerSessionPool sessionPool,
                                                             int maxMessages) throws JMSException {
        return createConnectionConsumer(topic, messageSelector, sessionPool, maxMessages);
    }

    @Override
    public ConnectionConsumer createDurableConnectionConsumer(Topic topic, String subscriptionName,
                                                              String messageSelector, ServerSessionPool sessionPool,
                                                              int maxMessages) throws JMSException {
        return createConnectionConsumer(topic, messageSelector, sessionPool, maxMessages);
    }

    @Override
    public ConnectionConsumer createSharedDurableConnectionConsumer(Topic topic, String subscriptionName,
                                                                    String messageSelector,
                                                                    ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        return createConnectionConsumer(topic, messageSelector, sessionPool, maxMessages);
    }

    @Override
    public ConnectionConsumer createConnectionConsumer(Queue queue, String messageSelector,
                                                       ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        return createConnectionConsumer((Destination) queue, messageSelector, sessionPool, maxMessages);
    }

    @Override
    public ConnectionConsumer createConnectionConsumer(Topic topic, String messageSelector,
                                                       ServerSessionPool sessionPool, int maxMessages)
            throws JMSException {
        return createConnectionConsumer((Destination) topic, messageSelector, sessionPool, maxMessages);
    }

    // ------------------------------------------------------------------------------------------------- clients

    ProviderSettings settings() {
        return settings;
    }

    MessageRecordCodec codec() {
        return codec;
    }

    /**
     * The group whose membership keeps this connection's temporary destinations alive ({@link GroupLease#connection}),
     * joined at the first call: the broker deletes a temporary topic naming it once it has no member.
     */
    String connectionLeaseGroup() throws JMSException {
        synchronized (connectionLeaseLock) {
            checkOpen();
            if (connectionLease == null) {
                connectionLease = GroupLease.connection(settings.kafka(), connectionId, ADMIN_TIMEOUT, this::report);
            }
            return connectionLease.groupId();
        }
    }

    TemporaryDestinations temporaries() {
        return temporaries;
    }

    /** Whether an open consumer of this connection reads the Kafka topic {@code topic}. */
    boolean hasConsumerOf(String topic) throws JMSException {
        for (StrataSession session : sessions) {
            if (session.hasConsumerOf(topic)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A shared non-durable subscription exists while it has a consumer, and goes, with its undelivered messages, when
     * the last one closes (JMS 3.1 section 8.3.2). When this connection's last consumer of one closed, its share group
     * is deleted; the broker refuses while the group still has members (GROUP_NOT_EMPTY: consumers of other
     * connections or processes, or Kafka share consumers), and then the last of those to close deletes it. A failure
     * to delete is logged, not thrown: the consumer did close, and the group is deleted by the next last consumer.
     */
    void sharedSubscriptionConsumerClosed(String group) {
        for (StrataSession session : sessions) {
            if (session.hasConsumerInGroup(group)) {
                return;
            }
        }
        try {
            admin().deleteShareGroups(List.of(group)).all().get(CLEANUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.log(Level.INFO, "Deleted the share group {0} of a shared non-durable subscription with its last"
                    + " consumer (JMS connection {1})", new Object[] {group, connectionId});
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupNotEmptyException)
                    && !(e.getCause() instanceof GroupIdNotFoundException)) {
                LOG.log(Level.WARNING, "The share group {0} of a shared non-durable subscription could not be"
                        + " deleted with its last consumer: {1}", new Object[] {group, e.getCause().toString()});
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.log(Level.WARNING, "The share group {0} of a shared non-durable subscription could not be deleted"
                    + " with its last consumer: {1}", new Object[] {group, e.toString()});
        }
    }

    /** The topic was deleted: the next use looks it up again. */
    void forgetTopic(String name) {
        topicsKnown.remove(name);
    }

    /** This connection's unique id, written on what it sends so that its noLocal subscribers can skip it. */
    String connectionId() {
        return connectionId;
    }

    /** The connection's producer: idempotent, acks=all, so that a completed send is in every in-sync replica. */
    synchronized KafkaProducer<byte[], byte[]> producer() throws JMSException {
        checkOpen();
        if (producer == null) {
            Properties properties = settings.kafka();
            properties.put(ProducerConfig.ACKS_CONFIG, "all");
            properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            properties.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
            properties.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "strata-jms-" + connectionId);
            properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            try {
                producer = new KafkaProducer<>(properties);
            } catch (RuntimeException e) {
                throw JmsErrors.jms("the connection's producer cannot be created", e);
            }
        }
        return producer;
    }

    synchronized Admin admin() {
        if (admin == null) {
            Properties properties = settings.kafka();
            properties.putIfAbsent("client.id", "strata-jms-admin-" + connectionId);
            admin = Admin.create(properties);
        }
        return admin;
    }

    /**
     * Makes sure the Kafka topic {@code name} exists: known already, or described, or created with
     * {@code strata.jms.destination.partitions} partitions when {@code strata.jms.destination.auto.create} allows.
     *
     * @throws InvalidDestinationException when it does not exist and cannot be created
     */
    void ensureTopic(String name, String kind) throws JMSException {
        if (Names.isTemporary(name)) {
            ensureTemporaryTopic(name, kind);
            return;
        }
        if (topicsKnown.contains(name)) {
            return;
        }
        try {
            admin().describeTopics(List.of(name)).allTopicNames().get(ADMIN_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
            topicsKnown.add(name);
            return;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw JmsErrors.jms("the " + kind + " '" + name + "' cannot be looked up", e.getCause());
            }
        } catch (Exception e) {
            throw interruptedOr(e, "the " + kind + " '" + name + "' cannot be looked up");
        }
        if (!settings.autoCreate()) {
            throw new InvalidDestinationException("the " + kind + " '" + name + "' does not exist (no Kafka topic "
                    + name + "); create it, or let the provider create it with "
                    + ProviderSettings.AUTO_CREATE + "=true");
        }
        try {
            admin().createTopics(List.of(new NewTopic(name, Optional.of(settings.partitions()), Optional.empty())))
                    .all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.log(Level.INFO, "Created Kafka topic {0} for JMS {1} {0} ({2} partitions)",
                    new Object[] {name, kind, settings.partitions()});
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw JmsErrors.withCause(new InvalidDestinationException("the " + kind + " '" + name
                        + "' does not exist and the broker refused to create it: " + e.getCause().getMessage()),
                        e.getCause());
            }
        } catch (Exception e) {
            throw interruptedOr(e, "the " + kind + " '" + name + "' cannot be created");
        }
        topicsKnown.add(name);
    }

    /**
     * A temporary destination's topic is never created here: only its connection makes it, and a deleted one stays
     * deleted. Another connection (answering a JMSReplyTo) looks it up at every use, since it cannot know when the
     * owner deletes it: one admin round trip per send, the price of not resurrecting a deleted destination.
     */
    private void ensureTemporaryTopic(String name, String kind) throws JMSException {
        if (temporaries.owns(name)) {
            return;
        }
        try {
            admin().describeTopics(List.of(name)).allTopicNames().get(ADMIN_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new InvalidDestinationException("the temporary " + kind + " '" + name + "' does not exist:"
                        + " the connection that created it deleted it or closed");
            }
            throw JmsErrors.jms("the temporary " + kind + " '" + name + "' cannot be looked up", e.getCause());
        } catch (Exception e) {
            throw interruptedOr(e, "the temporary " + kind + " '" + name + "' cannot be looked up");
        }
    }

    /**
     * Gives the share group of the queue {@code topic} the configs JMS needs and the provider's dead-letter topic and
     * delivery limit ({@link GroupConfigurer}), before its first member joins: a queue's group starts at the earliest
     * record, so that a queue delivers what was sent before its first consumer (Kafka's default for share groups is
     * the latest).
     */
    void configureQueueGroup(String group, String topic) throws JMSException {
        groupConfigurer.configure(admin(), settings, group, topic, true);
    }

    /**
     * Makes the durable subscription read by {@code group} the one made with {@code selector} and {@code noLocal},
     * replacing one made with others ({@link DurableSubscriptionDefinitions}).
     */
    void defineDurableSubscription(String group, String subscription, String selector, boolean noLocal)
            throws JMSException {
        durableDefinitions.define(admin(), group, subscription,
                DurableSubscriptionDefinitions.definition(selector, noLocal));
    }

    /**
     * Refuses a second consumer of an unshared durable subscription that another connection consumes (one sharing
     * an administratively set client identifier): its share group has a member.
     */
    void checkUnsharedSubscriptionIdle(String group, String subscription) throws JMSException {
        try {
            var description = admin().describeShareGroups(List.of(group)).all()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(group);
            if (description != null && !description.members().isEmpty()) {
                throw new JMSException("the durable subscription '" + subscription + "' of client '"
                        + clientIdOrNull() + "' already has an active consumer (in another connection); it is"
                        + " unshared (createSharedDurableConsumer makes a shared one)");
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw JmsErrors.jms("the durable subscription '" + subscription + "' cannot be looked up",
                        e.getCause());
            }
        } catch (JMSException e) {
            throw e;
        } catch (Exception e) {
            throw interruptedOr(e, "the durable subscription '" + subscription + "' cannot be looked up");
        }
    }

    /**
     * As {@link #configureQueueGroup}, for a subscription's share group, which keeps Kafka's start at the latest
     * record: a subscription gets what is sent after it was made.
     */
    void configureSubscriptionGroup(String group, String topic) throws JMSException {
        groupConfigurer.configure(admin(), settings, group, topic, false);
    }

    static JMSException interruptedOr(Exception e, String what) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return JmsErrors.jms(what, e);
    }
}

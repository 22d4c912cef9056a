package io.strata.jms.ra;

import io.strata.jms.client.StrataConnectionFactory;
import io.strata.jms.client.StrataXAConnection;
import io.strata.jms.client.StrataXAConnectionFactory;
import io.strata.jms.client.StrataXASession;
import io.strata.jms.destination.StrataQueue;
import io.strata.jms.destination.StrataTopic;
import jakarta.jms.Connection;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageListener;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.Topic;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.endpoint.MessageEndpoint;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import jakarta.resource.spi.work.Work;
import jakarta.resource.spi.work.WorkException;
import jakarta.resource.spi.work.WorkManager;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One message endpoint (a message-driven bean) consuming from Strata with one activation spec: a connection of the
 * provider with {@code maxSession} sessions, each with one consumer of the destination and one endpoint instance,
 * delivering one message at a time.
 *
 * <p><b>Delivery.</b> Each consumer's message listener hands its message to the endpoint in a {@link Work} of the
 * container's {@link WorkManager} ({@code doWork}: the container's thread, context and class loader run the bean)
 * and returns when the endpoint did; the session then acknowledges the message ({@code acknowledgeMode}: AUTO or
 * DUPS_OK), or, when the endpoint threw, releases it, so that the share group delivers it again with
 * {@code JMSXDeliveryCount} one higher, and dead-letters it after the group's delivery limit (jms-adapter/README.md,
 * "Poison messages").
 *
 * <p><b>Transacted delivery.</b> When the endpoint's {@code onMessage} is transacted
 * ({@link MessageEndpointFactory#isDeliveryTransacted}: a container-managed transaction, REQUIRED), the connection is
 * an XA connection and each session an XA session, whose resource the endpoint is created with. Each session then
 * runs one long-lived {@link Work} of the container that repeats: {@code beforeDelivery} (the container begins the
 * transaction and enlists the session's resource, starting a branch), a {@code receive} of at most
 * {@value #TRANSACTED_RECEIVE_MS} ms (the message is consumed in the branch), {@code onMessage} when one came, and
 * {@code afterDelivery} (the container ends and completes the transaction). The acknowledgement is thus the branch's:
 * the container's commit accepts the message together with the bean's other work, its rollback releases it, and the
 * share group delivers it again with {@code JMSXDeliveryCount} one higher, dead-lettering it after the delivery
 * limit. Connectors 2.1 (message inflow, transacted delivery) lets the adapter call {@code beforeDelivery} before it
 * has the message, so that the receive is in the transaction; a receive that found none ends a transaction that did
 * nothing (the branch is read-only: no broker call). {@code acknowledgeMode} does not apply.
 *
 * <p><b>Consumers.</b> A queue's are members of the queue's share group; a topic's share one subscription, the shared
 * durable subscription {@code subscriptionName} (or the endpoint's activation name) for a durable activation, else a
 * shared non-durable subscription named for this activation, deleted with its last consumer.
 *
 * <p><b>Failures.</b> The connection is made in a work of its own, tried again (0.5 s, doubling to 30 s) until it is
 * made or the activation stops, so an endpoint deployed while the cluster is away starts consuming when it comes. Once
 * made, the provider's clients reconnect on their own when brokers go and come back; the connection's exception
 * listener only logs it.
 *
 * <p><b>Stop.</b> {@link #stop} waits for the transacted deliveries in progress to end (each checks at most every
 * {@value #TRANSACTED_RECEIVE_MS} ms), then closes the connection, which returns once the listeners' deliveries in
 * progress returned (JMS 3.1 section 6.1.8); what was fetched and not delivered goes back to the share group. Then the
 * endpoints are released.
 *
 * <p>Thread-safe: {@link #stop} may run while the connecting work does; they meet on {@link #lock}.
 */
final class EndpointActivation {

    private static final Logger LOG = Logger.getLogger(EndpointActivation.class.getName());
    static final Method ON_MESSAGE;
    private static final long RETRY_FIRST_MS = 500;
    private static final long RETRY_MAX_MS = 30_000;
    /** How long a transacted delivery waits for a message in its transaction; bounds how long stop waits. */
    static final long TRANSACTED_RECEIVE_MS = 1_000;
    /** How long a transacted delivery waits after the container failed to begin a transaction. */
    private static final long TRANSACTED_RETRY_MS = 1_000;

    static {
        try {
            ON_MESSAGE = MessageListener.class.getMethod("onMessage", Message.class);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MessageEndpointFactory endpointFactory;
    private final StrataActivationSpec spec;
    private final ProviderConfiguration adapter;
    private final WorkManager workManager;
    /** The shared non-durable subscription of a non-durable topic activation: this activation's alone. */
    private final String nonDurableSubscription = "activation-" + UUID.randomUUID();
    private final Object lock = new Object();
    private boolean stopped;
    private Connection connection;
    private final List<MessageEndpoint> endpoints = new ArrayList<>();
    /** The transacted deliveries running; guarded by {@link #lock}. */
    private int transactedRunning;

    EndpointActivation(MessageEndpointFactory endpointFactory, StrataActivationSpec spec, ProviderConfiguration adapter,
                       WorkManager workManager) {
        this.endpointFactory = endpointFactory;
        this.spec = spec;
        this.adapter = adapter;
        this.workManager = workManager;
    }

    /** Starts connecting in a work of the container's; returns at once. */
    void start() throws ResourceException {
        workManager.scheduleWork(new ConnectWork(), WorkManager.INDEFINITE, null, null);
    }

    /** Stops delivery: returns once the deliveries in progress returned and the endpoints are released. */
    void stop() {
        Connection closing;
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
            closing = connection;
            connection = null;
        }
        awaitTransactedDeliveries();
        close(closing);
        releaseEndpoints();
        LOG.log(Level.INFO, "Strata endpoint activation stopped: {0}", describe());
    }

    /** Whether the activation consumes (its connection is made and started). */
    boolean connected() {
        synchronized (lock) {
            return connection != null && !stopped;
        }
    }

    /** Tries to connect until it succeeds or the activation stops. */
    private void connectUntilStopped() {
        long waitMs = RETRY_FIRST_MS;
        boolean warned = false;
        while (true) {
            synchronized (lock) {
                if (stopped) {
                    return;
                }
            }
            try {
                ProviderClassLoader.call(() -> {
                    connect();
                    return null;
                });
                if (warned) {
                    LOG.log(Level.INFO, "Strata endpoint activation connected after failures: {0}", describe());
                }
                return;
            } catch (Exception e) {
                Connection failed;
                synchronized (lock) {
                    failed = connection;
                    connection = null;
                    if (stopped) {
                        return;
                    }
                }
                awaitTransactedDeliveries();
                close(failed);
                releaseEndpoints();
                LOG.log(warned ? Level.FINE : Level.WARNING, "Strata endpoint activation {0} could not connect ({1});"
                        + " trying again in {2} ms and on, until it can", new Object[] {describe(), e.toString(),
                        waitMs});
                warned = true;
                synchronized (lock) {
                    long deadline = System.nanoTime() + waitMs * 1_000_000;
                    while (!stopped && System.nanoTime() < deadline) {
                        try {
                            lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                        } catch (InterruptedException interrupted) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
                waitMs = Math.min(RETRY_MAX_MS, waitMs * 2);
            }
        }
    }

    private void connect() throws JMSException, NamingException, ResourceException {
        Destination destination = destination();
        boolean transacted = transacted();
        StrataConnectionFactory factory = transacted ? new StrataXAConnectionFactory(spec.providerProperties(adapter))
                : new StrataConnectionFactory(spec.providerProperties(adapter));
        Connection made = factory.createConnection(spec.userName(adapter), spec.password(adapter));
        synchronized (lock) {
            if (stopped) {
                close(made);
                return;
            }
            connection = made;
        }
        made.setExceptionListener(lost -> LOG.log(Level.WARNING, "Strata endpoint activation {0}: {1}; the"
                + " provider reconnects and delivery goes on when a broker answers",
                new Object[] {describe(), lost.getMessage()}));
        List<TransactedDelivery> deliveries = new ArrayList<>();
        for (int i = 0; i < spec.getMaxSession(); i++) {
            Session session;
            ContainerXAResource resource = null;
            if (transacted) {
                StrataXASession xaSession = ((StrataXAConnection) made).createXASession();
                resource = new ContainerXAResource(xaSession.getXAResource());
                session = xaSession;
            } else {
                session = made.createSession(false, spec.sessionMode());
            }
            MessageConsumer consumer = consumer(session, destination);
            MessageEndpoint endpoint = endpointFactory.createEndpoint(resource);
            synchronized (lock) {
                if (stopped) {
                    endpoint.release();
                    return;
                }
                endpoints.add(endpoint);
            }
            if (transacted) {
                deliveries.add(new TransactedDelivery(made, consumer, endpoint));
            } else {
                consumer.setMessageListener(new EndpointDelivery(endpoint));
            }
        }
        made.start();
        for (TransactedDelivery delivery : deliveries) {
            workManager.scheduleWork(delivery, WorkManager.INDEFINITE, null, null);
        }
        LOG.log(Level.INFO, "Strata endpoint activation consuming{0}: {1}",
                new Object[] {transacted ? " in the container's transactions" : "", describe()});
    }

    /** Whether the endpoint's onMessage is delivered in the container's transaction. */
    private boolean transacted() throws ResourceException {
        try {
            return endpointFactory.isDeliveryTransacted(ON_MESSAGE);
        } catch (NoSuchMethodException e) {
            throw new jakarta.resource.spi.IllegalStateException("the endpoint has no onMessage(Message): " + e, e);
        }
    }

    /** Returns once no transacted delivery runs (they stop when the activation stops or its connection is dropped). */
    private void awaitTransactedDeliveries() {
        synchronized (lock) {
            while (transactedRunning > 0) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Whether a transacted delivery on {@code made} goes on: the activation runs and still uses that connection. */
    private boolean delivering(Connection made) {
        synchronized (lock) {
            return !stopped && connection == made;
        }
    }

    private MessageConsumer consumer(Session session, Destination destination) throws JMSException {
        String selector = spec.getMessageSelector() == null || spec.getMessageSelector().isEmpty() ? null
                : spec.getMessageSelector();
        if (destination instanceof Queue queue) {
            return session.createConsumer(queue, selector);
        }
        Topic topic = (Topic) destination;
        if (spec.durable()) {
            return session.createSharedDurableConsumer(topic, durableSubscription(), selector);
        }
        return session.createSharedConsumer(topic, nonDurableSubscription, selector);
    }

    /** The durable subscription's name: the spec's, else the endpoint's activation name (Connectors 2.1, 13.4.1). */
    String durableSubscription() {
        if (spec.getSubscriptionName() != null) {
            return spec.getSubscriptionName();
        }
        String activationName = endpointFactory.getActivationName();
        if (activationName == null || activationName.isEmpty()) {
            throw new java.lang.IllegalStateException("a durable activation needs a subscriptionName: the container"
                    + " gave the endpoint no activation name to use instead");
        }
        return activationName;
    }

    /** The destination: looked up in JNDI, or made from its name and type. */
    private Destination destination() throws NamingException, JMSException {
        String jndiName = spec.getDestinationLookup() != null ? spec.getDestinationLookup()
                : spec.destinationIsJndiName() ? spec.getDestination() : null;
        StrataActivationSpec.DestinationType type = spec.destinationTypeOrNull();
        if (jndiName == null) {
            return type == StrataActivationSpec.DestinationType.QUEUE ? new StrataQueue(spec.getDestination())
                    : new StrataTopic(spec.getDestination());
        }
        Object found = new InitialContext().lookup(jndiName);
        if (found instanceof Queue && type != StrataActivationSpec.DestinationType.TOPIC
                || found instanceof Topic && type != StrataActivationSpec.DestinationType.QUEUE) {
            return (Destination) found;
        }
        throw new jakarta.jms.InvalidDestinationException("'" + jndiName + "' names " + found + ", not a "
                + (type == null ? "queue or topic" : type.name().toLowerCase(java.util.Locale.ROOT)));
    }

    private void releaseEndpoints() {
        List<MessageEndpoint> releasing;
        synchronized (lock) {
            releasing = List.copyOf(endpoints);
            endpoints.clear();
        }
        for (MessageEndpoint endpoint : releasing) {
            try {
                endpoint.release();
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "A message endpoint's release failed: {0}", e.toString());
            }
        }
    }

    private static void close(Connection closing) {
        if (closing == null) {
            return;
        }
        try {
            closing.close();
        } catch (JMSException | RuntimeException e) {
            LOG.log(Level.FINE, "Closing an activation's connection failed: {0}", e.toString());
        }
    }

    private String describe() {
        return spec + " of " + endpointFactory.getActivationName();
    }

    /** The connecting, in a work of the container's; {@link #release} stops it as {@link #stop} would. */
    private final class ConnectWork implements Work {
        @Override
        public void run() {
            connectUntilStopped();
        }

        @Override
        public void release() {
            synchronized (lock) {
                lock.notifyAll(); // a container shutting down: the retry loop checks again; stop() ends it
            }
        }
    }

    /** A consumer's listener: hands each message to its endpoint in a work of the container's and waits for it. */
    private final class EndpointDelivery implements MessageListener {
        private final MessageEndpoint endpoint;

        EndpointDelivery(MessageEndpoint endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public void onMessage(Message message) {
            Delivery delivery = new Delivery(endpoint, message);
            try {
                workManager.doWork(delivery, WorkManager.INDEFINITE, null, null);
            } catch (WorkException e) {
                throw new java.lang.IllegalStateException("the container did not run the delivery of a message to "
                        + describe() + "; it comes again", e);
            }
            delivery.rethrowFailure();
        }
    }

    /**
     * One XA session's deliveries in the container's transactions, one after the other, until the activation stops or
     * drops the connection: beforeDelivery, receive, onMessage, afterDelivery (the class comment says why this order).
     * {@link #release} (a container shutting down) makes it stop after the delivery in progress.
     */
    private final class TransactedDelivery implements Work {
        private final Connection made;
        private final MessageConsumer consumer;
        private final MessageEndpoint endpoint;
        private volatile boolean released;

        TransactedDelivery(Connection made, MessageConsumer consumer, MessageEndpoint endpoint) {
            this.made = made;
            this.consumer = consumer;
            this.endpoint = endpoint;
        }

        @Override
        public void run() {
            synchronized (lock) {
                if (!delivering(made)) {
                    return;
                }
                transactedRunning++;
            }
            try {
                while (!released && delivering(made)) {
                    if (!deliverOne()) {
                        pauseAfterFailure();
                    }
                }
            } finally {
                synchronized (lock) {
                    transactedRunning--;
                    lock.notifyAll();
                }
            }
        }

        /** One transaction; false when the container could not begin it. */
        private boolean deliverOne() {
            try {
                endpoint.beforeDelivery(ON_MESSAGE);
            } catch (NoSuchMethodException | ResourceException | RuntimeException e) {
                LOG.log(Level.WARNING, "The container could not begin a transaction to deliver to {0} in: {1}; trying"
                        + " again in {2} ms", new Object[] {describe(), e.toString(), TRANSACTED_RETRY_MS});
                return false;
            }
            try {
                Message message = consumer.receive(TRANSACTED_RECEIVE_MS);
                if (message != null) {
                    ((MessageListener) endpoint).onMessage(message);
                }
            } catch (JMSException | RuntimeException e) {
                // the container marked its transaction for rollback (a bean's system exception) or it is rolled
                // back because the receive failed: afterDelivery rolls back and the message comes again
                LOG.log(Level.FINE, "A transacted delivery to {0} failed: {1}", new Object[] {describe(), e});
            } finally {
                try {
                    endpoint.afterDelivery();
                } catch (ResourceException | RuntimeException e) {
                    LOG.log(Level.WARNING, "The container could not complete the transaction of a delivery to {0}:"
                            + " {1}; a message not committed comes again", new Object[] {describe(), e.toString()});
                }
            }
            return true;
        }

        private void pauseAfterFailure() {
            synchronized (lock) {
                long deadline = System.nanoTime() + TRANSACTED_RETRY_MS * 1_000_000;
                while (delivering(made) && !released && System.nanoTime() < deadline) {
                    try {
                        lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        released = true;
                    }
                }
            }
        }

        @Override
        public void release() {
            released = true;
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    /** One message to one endpoint; remembers what the endpoint threw, for the session to deliver it again. */
    private static final class Delivery implements Work {
        private final MessageEndpoint endpoint;
        private final Message message;
        private volatile RuntimeException failure;

        Delivery(MessageEndpoint endpoint, Message message) {
            this.endpoint = endpoint;
            this.message = message;
        }

        @Override
        public void run() {
            try {
                ((MessageListener) endpoint).onMessage(message);
            } catch (RuntimeException e) {
                failure = e;
            } catch (Error e) {
                failure = new java.lang.IllegalStateException("the endpoint failed: " + e, e);
                throw e;
            }
        }

        @Override
        public void release() {
            // one onMessage call: nothing to cut short
        }

        void rethrowFailure() {
            if (failure != null) {
                throw failure;
            }
        }
    }
}

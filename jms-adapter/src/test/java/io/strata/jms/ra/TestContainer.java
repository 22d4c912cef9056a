package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.TextMessage;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.ConnectionEvent;
import jakarta.resource.spi.ConnectionEventListener;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.UnavailableException;
import jakarta.resource.spi.XATerminator;
import jakarta.resource.spi.endpoint.MessageEndpoint;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;
import jakarta.resource.spi.work.ExecutionContext;
import jakarta.resource.spi.work.Work;
import jakarta.resource.spi.work.WorkCompletedException;
import jakarta.resource.spi.work.WorkContext;
import jakarta.resource.spi.work.WorkException;
import jakarta.resource.spi.work.WorkListener;
import jakarta.resource.spi.work.WorkManager;
import jakarta.resource.spi.work.WorkRejectedException;
import jakarta.transaction.TransactionSynchronizationRegistry;

import javax.transaction.xa.XAResource;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Timer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The container's seams, as the resource adapter's tests play them: a connection manager with a small pool, a
 * bootstrap context whose work manager runs work on a real thread pool, and message endpoints that record what they
 * get. Also the broker settings the provider's own tests use.
 */
final class TestContainer {

    static final Duration AT_MOST = Duration.ofSeconds(30);

    static final Map<String, Object> FAST_SHARE_GROUPS = Map.of(
            "group.share.min.record.lock.duration.ms", 1000,
            "group.share.min.heartbeat.interval.ms", 500,
            "group.share.heartbeat.interval.ms", 1000);

    private TestContainer() {
    }

    static TestBroker broker(Path dir) {
        return TestBroker.start(dir, FAST_SHARE_GROUPS);
    }

    /** A resource adapter for {@code broker}, started with a work manager of 16 threads, prefetch 1. */
    static StrataResourceAdapter adapter(TestBroker broker, Pool work) throws ResourceException {
        StrataResourceAdapter adapter = new StrataResourceAdapter();
        adapter.setBootstrapServers(broker.bootstrapServers());
        adapter.setConsumerPrefetch(1);
        adapter.start(work);
        return adapter;
    }

    /** A bootstrap context whose work manager runs work on a pool of real threads, and counts it. */
    static final class Pool implements BootstrapContext, WorkManager, AutoCloseable {
        private final ExecutorService threads;
        final AtomicInteger deliveriesRun = new AtomicInteger();

        Pool(int size) {
            AtomicInteger number = new AtomicInteger();
            threads = Executors.newFixedThreadPool(size, runnable -> {
                Thread thread = new Thread(runnable, "test-work-" + number.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        }

        @Override
        public WorkManager getWorkManager() {
            return this;
        }

        @Override
        public XATerminator getXATerminator() {
            return null;
        }

        @Override
        public Timer createTimer() {
            return new Timer(true);
        }

        @Override
        public boolean isContextSupported(Class<? extends WorkContext> workContextClass) {
            return false;
        }

        @Override
        public TransactionSynchronizationRegistry getTransactionSynchronizationRegistry() {
            return null;
        }

        @Override
        public void doWork(Work work) throws WorkException {
            doWork(work, INDEFINITE, null, null);
        }

        @Override
        public void doWork(Work work, long startTimeout, ExecutionContext context, WorkListener listener)
                throws WorkException {
            Future<?> done = submit(work);
            try {
                done.get();
                deliveriesRun.incrementAndGet();
            } catch (ExecutionException e) {
                throw new WorkCompletedException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WorkCompletedException(e);
            }
        }

        @Override
        public long startWork(Work work) throws WorkException {
            submit(work);
            return 0;
        }

        @Override
        public long startWork(Work work, long startTimeout, ExecutionContext context, WorkListener listener)
                throws WorkException {
            submit(work);
            return 0;
        }

        @Override
        public void scheduleWork(Work work) throws WorkException {
            submit(work);
        }

        @Override
        public void scheduleWork(Work work, long startTimeout, ExecutionContext context, WorkListener listener)
                throws WorkException {
            submit(work);
        }

        private Future<?> submit(Work work) throws WorkRejectedException {
            try {
                return threads.submit(work);
            } catch (RejectedExecutionException e) {
                throw new WorkRejectedException(e);
            }
        }

        @Override
        public void close() {
            threads.shutdownNow();
        }
    }

    /**
     * A connection manager with a pool of at most {@code size} managed connections: a closed handle's connection is
     * cleaned up and handed out again, one that failed is destroyed. Records every event.
     */
    static final class SmallPool implements ConnectionManager, ConnectionEventListener {
        private final int size;
        private final List<ManagedConnection> idle = new ArrayList<>();
        private final List<ManagedConnection> all = new ArrayList<>();
        private final Set<ManagedConnection> enlisted = new HashSet<>();
        private final Set<ManagedConnection> closedInTransaction = new HashSet<>();
        final ConcurrentLinkedQueue<ConnectionEvent> events = new ConcurrentLinkedQueue<>();

        SmallPool(int size) {
            this.size = size;
        }

        @Override
        public synchronized Object allocateConnection(ManagedConnectionFactory factory, ConnectionRequestInfo info)
                throws ResourceException {
            ManagedConnection connection = factory.matchManagedConnections(new HashSet<>(idle), null, info);
            if (connection != null) {
                idle.remove(connection);
            } else {
                if (all.size() - idle.size() >= size) {
                    throw new jakarta.resource.spi.ResourceAllocationException("the pool of " + size + " is in use");
                }
                connection = factory.createManagedConnection(null, info);
                connection.addConnectionEventListener(this);
                all.add(connection);
            }
            return connection.getConnection(null, info);
        }

        synchronized Set<ManagedConnection> created() {
            return new HashSet<>(all);
        }

        /** Begins {@code connection}'s local transaction, as a container does when it enlists it. */
        synchronized void begin(ManagedConnection connection) throws ResourceException {
            connection.getLocalTransaction().begin();
            enlisted.add(connection);
        }

        /** Ends the transaction; a connection whose handles closed meanwhile goes back to the pool only now. */
        void end(ManagedConnection connection, boolean commit) throws ResourceException {
            if (commit) {
                connection.getLocalTransaction().commit();
            } else {
                connection.getLocalTransaction().rollback();
            }
            boolean release;
            synchronized (this) {
                enlisted.remove(connection);
                release = closedInTransaction.remove(connection);
            }
            if (release) {
                release(connection);
            }
        }

        @Override
        public void connectionClosed(ConnectionEvent event) {
            events.add(event);
            ManagedConnection connection = (ManagedConnection) event.getSource();
            synchronized (this) {
                if (enlisted.contains(connection)) {
                    closedInTransaction.add(connection); // pooled again when the transaction ends
                    return;
                }
            }
            release(connection);
        }

        private void release(ManagedConnection connection) {
            try {
                connection.cleanup();
            } catch (ResourceException e) {
                throw new IllegalStateException(e);
            }
            synchronized (this) {
                idle.add(connection);
            }
        }

        @Override
        public void connectionErrorOccurred(ConnectionEvent event) {
            events.add(event);
            ManagedConnection connection = (ManagedConnection) event.getSource();
            synchronized (this) {
                idle.remove(connection);
                all.remove(connection);
            }
            try {
                connection.destroy();
            } catch (ResourceException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void localTransactionStarted(ConnectionEvent event) {
            events.add(event);
        }

        @Override
        public void localTransactionCommitted(ConnectionEvent event) {
            events.add(event);
        }

        @Override
        public void localTransactionRolledback(ConnectionEvent event) {
            events.add(event);
        }

        List<Integer> eventTypes() {
            return events.stream().map(ConnectionEvent::getId).toList();
        }
    }

    /** What an endpoint got: the message's text, its delivery count, the endpoint and the thread. */
    record Received(String text, int deliveryCount, boolean redelivered, int endpoint, String thread) {
    }

    /**
     * Message endpoints that record what they get, in arrival order, and run {@link #behaviour} on each message (to
     * block or throw).
     */
    static final class Endpoints implements MessageEndpointFactory {
        final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
        final AtomicInteger created = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();
        final AtomicInteger inOnMessage = new AtomicInteger();
        final AtomicInteger mostInOnMessage = new AtomicInteger();
        private final String activationName;
        volatile Consumer<Received> behaviour = received -> { };

        Endpoints(String activationName) {
            this.activationName = activationName;
        }

        List<String> texts() {
            return received.stream().map(Received::text).toList();
        }

        @Override
        public MessageEndpoint createEndpoint(XAResource xaResource) throws UnavailableException {
            return new Endpoint(created.incrementAndGet());
        }

        @Override
        public MessageEndpoint createEndpoint(XAResource xaResource, long timeout) throws UnavailableException {
            return createEndpoint(xaResource);
        }

        @Override
        public boolean isDeliveryTransacted(Method method) {
            return false;
        }

        @Override
        public String getActivationName() {
            return activationName;
        }

        @Override
        public Class<?> getEndpointClass() {
            return Endpoint.class;
        }

        final class Endpoint implements MessageEndpoint, MessageListener {
            private final int id;

            Endpoint(int id) {
                this.id = id;
            }

            @Override
            public void onMessage(Message message) {
                int now = inOnMessage.incrementAndGet();
                mostInOnMessage.accumulateAndGet(now, Math::max);
                try {
                    Received got = new Received(((TextMessage) message).getText(),
                            message.getIntProperty("JMSXDeliveryCount"), message.getJMSRedelivered(), id,
                            Thread.currentThread().getName());
                    received.add(got);
                    behaviour.accept(got);
                } catch (jakarta.jms.JMSException e) {
                    throw new IllegalStateException(e);
                } finally {
                    inOnMessage.decrementAndGet();
                }
            }

            @Override
            public void beforeDelivery(Method method) {
                throw new IllegalStateException("non-transacted delivery calls onMessage alone");
            }

            @Override
            public void afterDelivery() {
                throw new IllegalStateException("non-transacted delivery calls onMessage alone");
            }

            @Override
            public void release() {
                released.incrementAndGet();
            }
        }
    }
}

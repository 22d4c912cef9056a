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

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
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
 * bootstrap context whose work manager runs work on a real thread pool, message endpoints that record what they get,
 * and a small transaction manager that drives the XA resources enlisted in its transactions. Also the broker settings
 * the provider's own tests use.
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
        private final Transactions transactions;

        SmallPool(int size) {
            this(size, null);
        }

        /**
         * A pool that, as a container with a transaction manager does, enlists the XA resource of each connection it
         * hands out in the calling thread's transaction of {@code transactions}, if there is one, and pools a
         * connection closed in it again only when it completes.
         */
        SmallPool(int size, Transactions transactions) {
            this.size = size;
            this.transactions = transactions;
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
            Transaction transaction = transactions == null ? null : transactions.current();
            if (transaction != null) {
                ManagedConnection enlistedConnection = connection;
                enlisted.add(connection);
                transaction.enlist(connection.getXAResource(), () -> completed(enlistedConnection));
            }
            return connection.getConnection(null, info);
        }

        /** The transaction {@code connection} was enlisted in completed: pooled again if its handles closed. */
        private void completed(ManagedConnection connection) {
            boolean release;
            synchronized (this) {
                enlisted.remove(connection);
                release = closedInTransaction.remove(connection);
            }
            if (release) {
                release(connection);
            }
        }

        /** Takes {@code connection} out of the pool and destroys it, as a container does with a broken one. */
        void destroy(ManagedConnection connection) throws ResourceException {
            synchronized (this) {
                idle.remove(connection);
                all.remove(connection);
                enlisted.remove(connection);
                closedInTransaction.remove(connection);
            }
            connection.destroy();
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

    /** A Xid of the test transaction manager's. */
    record TestXid(int getFormatId, byte[] getGlobalTransactionId, byte[] getBranchQualifier) implements Xid {
        static final int FORMAT = 0x5354; // "ST"

        boolean sameAs(Xid other) {
            return other.getFormatId() == getFormatId
                    && java.util.Arrays.equals(other.getGlobalTransactionId(), getGlobalTransactionId)
                    && java.util.Arrays.equals(other.getBranchQualifier(), getBranchQualifier);
        }
    }

    /**
     * A small transaction manager: one transaction per thread at most, each resource enlisted in its own branch (or,
     * when it joins, in the branch of an enlisted resource of the same resource manager, as {@code isSameRM} says:
     * TMJOIN), and completion in two phases (prepare, then commit what voted XA_OK), or rollback. Counts what it
     * completed.
     */
    static final class Transactions {
        private final ThreadLocal<Transaction> current = new ThreadLocal<>();
        private final boolean joinSameResourceManager;

        Transactions() {
            this(false);
        }

        Transactions(boolean joinSameResourceManager) {
            this.joinSameResourceManager = joinSameResourceManager;
        }

        private final AtomicInteger numbers = new AtomicInteger();
        final AtomicInteger committed = new AtomicInteger();
        final AtomicInteger rolledBack = new AtomicInteger();
        final AtomicInteger joins = new AtomicInteger();

        /** Begins a transaction on the calling thread. */
        Transaction begin() {
            if (current.get() != null) {
                throw new IllegalStateException("the thread is in a transaction already");
            }
            Transaction transaction = new Transaction(this, ("test-tx-" + numbers.incrementAndGet() + "-"
                    + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
            current.set(transaction);
            return transaction;
        }

        /** The calling thread's transaction, or null. */
        Transaction current() {
            return current.get();
        }
    }

    /** One transaction of {@link Transactions}: its branches, one per enlisted resource. */
    static final class Transaction {
        private final Transactions manager;
        private final byte[] global;
        private final List<XAResource> resources = new ArrayList<>();
        private final List<TestXid> branches = new ArrayList<>();
        private final List<Runnable> afterCompletion = new ArrayList<>();
        /** Resources that joined the branch of an enlisted one: ended, not completed on their own. */
        private final List<XAResource> joined = new ArrayList<>();
        private final List<TestXid> joinedBranches = new ArrayList<>();
        private volatile boolean rollbackOnly;

        Transaction(Transactions manager, byte[] global) {
            this.manager = manager;
            this.global = global;
        }

        /** Starts a branch on {@code resource}, unless it is in this transaction already. */
        void enlist(XAResource resource, Runnable whenCompleted) throws ResourceException {
            for (XAResource enlisted : resources) {
                if (enlisted == resource) {
                    return;
                }
            }
            if (joins(resource, whenCompleted)) {
                return;
            }
            TestXid branch = new TestXid(TestXid.FORMAT, global, new byte[] {(byte) (branches.size() + 1)});
            try {
                resource.start(branch, XAResource.TMNOFLAGS);
            } catch (XAException e) {
                throw new ResourceException("start failed: " + e.errorCode, e);
            }
            resources.add(resource);
            branches.add(branch);
            afterCompletion.add(whenCompleted);
        }

        private boolean joins(XAResource resource, Runnable whenCompleted) throws ResourceException {
            if (!manager.joinSameResourceManager) {
                return false;
            }
            if (joined.contains(resource)) {
                return true; // in the transaction already
            }
            try {
                for (int i = 0; i < resources.size(); i++) {
                    if (resources.get(i).isSameRM(resource)) {
                        resource.start(branches.get(i), XAResource.TMJOIN);
                        manager.joins.incrementAndGet();
                        joined.add(resource);
                        joinedBranches.add(branches.get(i));
                        afterCompletion.add(whenCompleted);
                        return true;
                    }
                }
            } catch (XAException e) {
                throw new ResourceException("join failed: " + e.errorCode, e);
            }
            return false;
        }

        void setRollbackOnly() {
            rollbackOnly = true;
        }

        boolean rollbackOnly() {
            return rollbackOnly;
        }

        /** Ends the branches and prepares them, leaving them prepared (a container that crashed here). */
        List<TestXid> endAndPrepare() throws XAException {
            end(XAResource.TMSUCCESS);
            for (int i = 0; i < resources.size(); i++) {
                resources.get(i).prepare(branches.get(i));
            }
            manager.current.remove();
            return List.copyOf(branches);
        }

        /** Commits in two phases, or rolls back when marked rollback-only or a branch does not prepare. */
        void commit() throws XAException {
            if (rollbackOnly) {
                rollback();
                return;
            }
            end(XAResource.TMSUCCESS);
            List<Integer> votes = new ArrayList<>();
            try {
                for (int i = 0; i < resources.size(); i++) {
                    votes.add(resources.get(i).prepare(branches.get(i)));
                }
            } catch (XAException e) {
                for (int i = 0; i < resources.size(); i++) {
                    rollbackQuietly(i);
                }
                complete(false);
                throw e;
            }
            for (int i = 0; i < resources.size(); i++) {
                if (votes.get(i) == XAResource.XA_OK) {
                    resources.get(i).commit(branches.get(i), false);
                }
            }
            complete(true);
        }

        void rollback() throws XAException {
            end(XAResource.TMFAIL);
            for (int i = 0; i < resources.size(); i++) {
                rollbackQuietly(i);
            }
            complete(false);
        }

        private void rollbackQuietly(int i) {
            try {
                resources.get(i).rollback(branches.get(i));
            } catch (XAException e) {
                // a branch that rolled itself back at end or prepare: nothing more to do
            }
        }

        private void end(int flags) throws XAException {
            for (int i = 0; i < joined.size(); i++) {
                try {
                    joined.get(i).end(joinedBranches.get(i), flags);
                } catch (XAException e) {
                    if (flags == XAResource.TMSUCCESS) {
                        throw e;
                    }
                }
            }
            for (int i = 0; i < resources.size(); i++) {
                try {
                    resources.get(i).end(branches.get(i), flags);
                } catch (XAException e) {
                    if (flags == XAResource.TMSUCCESS) {
                        throw e;
                    }
                }
            }
        }

        private void complete(boolean committed) {
            manager.current.remove();
            (committed ? manager.committed : manager.rolledBack).incrementAndGet();
            afterCompletion.forEach(Runnable::run);
        }
    }

    /** What an endpoint got: the message's text, its delivery count, the endpoint and the thread. */
    record Received(String text, int deliveryCount, boolean redelivered, int endpoint, String thread) {
    }

    /**
     * Message endpoints that record what they get, in arrival order, and run {@link #behaviour} on each message (to
     * block or throw). A transacted one ({@link #transacted}) plays a container-managed transaction, as a container
     * does: {@code beforeDelivery} begins a transaction of {@link #transactions} and enlists the endpoint's XA
     * resource, an exception of {@code onMessage} marks it rollback-only, {@code afterDelivery} completes it.
     */
    static final class Endpoints implements MessageEndpointFactory {
        final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
        final AtomicInteger created = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();
        final AtomicInteger inOnMessage = new AtomicInteger();
        final AtomicInteger mostInOnMessage = new AtomicInteger();
        private final String activationName;
        private final Transactions transactions;
        final ConcurrentLinkedQueue<XAResource> xaResources = new ConcurrentLinkedQueue<>();
        final AtomicInteger completionFailures = new AtomicInteger();
        /** The texts of the messages whose delivery's transaction committed, in commit order. */
        final ConcurrentLinkedQueue<String> committed = new ConcurrentLinkedQueue<>();
        volatile Consumer<Received> behaviour = received -> { };

        Endpoints(String activationName) {
            this(activationName, null);
        }

        private Endpoints(String activationName, Transactions transactions) {
            this.activationName = activationName;
            this.transactions = transactions;
        }

        /** Endpoints whose onMessage is delivered in transactions of {@code transactions}. */
        static Endpoints transacted(String activationName, Transactions transactions) {
            return new Endpoints(activationName, transactions);
        }

        List<String> texts() {
            return received.stream().map(Received::text).toList();
        }

        @Override
        public MessageEndpoint createEndpoint(XAResource xaResource) throws UnavailableException {
            if (transactions != null && xaResource == null) {
                throw new IllegalStateException("a transacted endpoint is created with the XA resource to enlist");
            }
            if (xaResource != null) {
                xaResources.add(xaResource);
            }
            return new Endpoint(created.incrementAndGet(), xaResource);
        }

        @Override
        public MessageEndpoint createEndpoint(XAResource xaResource, long timeout) throws UnavailableException {
            return createEndpoint(xaResource);
        }

        @Override
        public boolean isDeliveryTransacted(Method method) {
            return transactions != null;
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
            private final XAResource xaResource;
            /** The message delivered in the transaction in progress; one delivery at a time per endpoint. */
            private volatile String inTransaction;

            Endpoint(int id, XAResource xaResource) {
                this.id = id;
                this.xaResource = xaResource;
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
                    inTransaction = got.text();
                    behaviour.accept(got);
                } catch (jakarta.jms.JMSException e) {
                    throw new IllegalStateException(e);
                } catch (RuntimeException e) {
                    if (transactions != null) {
                        transactions.current().setRollbackOnly(); // a bean's system exception
                    }
                    throw e;
                } finally {
                    inOnMessage.decrementAndGet();
                }
            }

            @Override
            public void beforeDelivery(Method method) throws ResourceException {
                if (transactions == null) {
                    throw new IllegalStateException("non-transacted delivery calls onMessage alone");
                }
                transactions.begin().enlist(xaResource, () -> { });
            }

            @Override
            public void afterDelivery() throws ResourceException {
                if (transactions == null) {
                    throw new IllegalStateException("non-transacted delivery calls onMessage alone");
                }
                Transaction transaction = transactions.current();
                String delivered = inTransaction;
                inTransaction = null;
                try {
                    boolean rollbackOnly = transaction.rollbackOnly();
                    transaction.commit();
                    if (delivered != null && !rollbackOnly) {
                        committed.add(delivered);
                    }
                } catch (XAException e) {
                    completionFailures.incrementAndGet();
                    throw new ResourceException("the transaction did not complete: XA error " + e.errorCode, e);
                }
            }

            @Override
            public void release() {
                released.incrementAndGet();
            }
        }
    }
}

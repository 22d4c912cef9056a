package io.strata.bench.kafka;

import jakarta.jms.BytesMessage;
import jakarta.jms.CompletionListener;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.Topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

/**
 * Drives one {@link JmsCase} through a JMS {@link ConnectionFactory}, with nothing but JMS API calls, so that two
 * providers get the same load and differ only in their factory.
 *
 * <p>The consumers, each with a connection and session of its own, are created and started first (so the shared
 * durable subscription exists before anything is sent to its topic). Then one producer, on a connection of its own:
 * <ol>
 *   <li><b>primes</b> the destination, one message every {@value #PRIME_INTERVAL_MS} ms, until every consumer has
 *       received one (a provider whose consumers join a group asynchronously is then ready, and a subscription that
 *       starts at the log end has started), unmeasured;</li>
 *   <li>sends the <b>warm-up</b> messages and waits until all were received, unmeasured (JIT, caches, the
 *       journal's or log's first files);</li>
 *   <li>sends the <b>measured</b> messages: from the first send until the last of them is first received, and the
 *       broker's and this JVM's CPU over the same span.</li>
 * </ol>
 * The producer keeps at most {@code window} sent messages not yet received, so that the latencies are those of a
 * steady flow rather than of a backlog that grows with the run's length, and a run's memory is bounded. Each
 * message carries its phase, its sequence number and {@link System#nanoTime} just before its send, so latency is
 * send-to-receive on one clock. A message received twice counts once (duplicates are reported).
 *
 * <p>Not thread-safe: one run at a time. The consumer threads it starts share only atomic state with the producer.
 */
final class JmsLoad {

    static final String PHASE_PROPERTY = "benchPhase";
    static final String SEQUENCE_PROPERTY = "benchSeq";
    static final String SENT_NANOS_PROPERTY = "benchSentNanos";

    private static final int PRIME = 0;
    private static final int WARMUP = 1;
    private static final int MEASURED = 2;
    private static final long PRIME_INTERVAL_MS = 5;
    /** How long a consumer's receive waits before it looks at the stop flag, and commits what its transaction holds. */
    private static final long RECEIVE_POLL_MS = 20;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * @param messages       measured messages
     * @param warmupMessages messages sent and received before them, unmeasured (0: none)
     * @param messageBytes   each message's body, random bytes in a BytesMessage
     * @param window         sent messages not yet received that the producer may have outstanding
     * @param primeTimeout   how long priming may take before the case fails
     * @param timeout        how long the warm-up and measured phases may take together before the case fails
     * @param namePrefix     put before the case's destination and subscription names ("" for the measured pass)
     */
    record Settings(int messages, int warmupMessages, int messageBytes, int window, Duration primeTimeout,
                    Duration timeout, String namePrefix) {

        Settings(int messages, int warmupMessages, int messageBytes, int window, Duration primeTimeout,
                 Duration timeout) {
            this(messages, warmupMessages, messageBytes, window, primeTimeout, timeout, "");
        }

        Settings {
            if (messages < 1 || warmupMessages < 0 || messageBytes < 1) {
                throw new IllegalArgumentException("messages must be positive, warm-up messages not negative and the"
                        + " body at least a byte: " + messages + ", " + warmupMessages + ", " + messageBytes);
            }
            if (window < JmsCase.MESSAGES_PER_TRANSACTION) {
                // A transacted producer's messages are received only after its commit, so a smaller window would
                // wait for receipts that its own open transaction holds back.
                throw new IllegalArgumentException("the window must hold at least one transaction, "
                        + JmsCase.MESSAGES_PER_TRANSACTION + " messages: " + window);
            }
        }
    }

    /**
     * What the measured phase gave.
     *
     * @param seconds              from the first measured send until the last measured message was first received
     * @param latencyNanos         each measured message's send-to-first-receive latency, sorted
     * @param duplicates           receipts of a message already received (all phases)
     * @param brokerCpuSeconds     the broker's CPU over the measured phase
     * @param clientCpuSeconds     this JVM's CPU over the measured phase: the provider's client, the load's own code
     */
    record Result(int messages, double seconds, long[] latencyNanos, long duplicates, double brokerCpuSeconds,
                  double clientCpuSeconds) {

        double messagesPerSecond() {
            return messages / seconds;
        }

        double latencyMsP50() {
            return percentileNanos(latencyNanos, 50) / 1e6;
        }

        double latencyMsP99() {
            return percentileNanos(latencyNanos, 99) / 1e6;
        }

        double brokerCpuSecondsPerMillion() {
            return brokerCpuSeconds * 1e6 / messages;
        }

        double clientCpuSecondsPerMillion() {
            return clientCpuSeconds * 1e6 / messages;
        }
    }

    private final ConnectionFactory factory;
    private final JmsCase benchCase;
    private final Settings settings;
    private final DoubleSupplier brokerCpuSeconds;
    private final DoubleSupplier clientCpuSeconds;
    private final byte[] body;

    private final Semaphore window;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong asyncSendsCompleted = new AtomicLong();
    private volatile boolean stopping;

    JmsLoad(ConnectionFactory factory, JmsCase benchCase, Settings settings, DoubleSupplier brokerCpuSeconds,
            DoubleSupplier clientCpuSeconds) {
        this.factory = factory;
        this.benchCase = benchCase;
        this.settings = settings;
        this.brokerCpuSeconds = brokerCpuSeconds;
        this.clientCpuSeconds = clientCpuSeconds;
        this.body = new byte[settings.messageBytes()];
        new Random(benchCase.id().hashCode()).nextBytes(body);
        this.window = new Semaphore(settings.window());
    }

    /** Runs the case; throws if a phase does not complete in time or a send, receive or commit fails. */
    Result run() throws JMSException, InterruptedException {
        List<Connection> connections = new ArrayList<>();
        List<Thread> consumerThreads = new ArrayList<>();
        CountDownLatch primed = new CountDownLatch(benchCase.consumers());
        Phase warmup = new Phase(settings.warmupMessages());
        Phase measured = new Phase(settings.messages());
        try {
            for (int i = 0; i < benchCase.consumers(); i++) {
                Connection connection = factory.createConnection();
                connections.add(connection);
                Session session = createSession(connection);
                MessageConsumer consumer = createConsumer(session);
                connection.start();
                Thread thread = new Thread(() -> consume(session, consumer, primed, warmup, measured),
                        "bench-jms-consumer-" + i);
                thread.setDaemon(true);
                consumerThreads.add(thread);
            }
            consumerThreads.forEach(Thread::start);
            Connection producerConnection = factory.createConnection();
            connections.add(producerConnection);
            Session session = createSession(producerConnection);
            MessageProducer producer = session.createProducer(destination(session));
            producer.setDeliveryMode(benchCase.mode().persistent() ? DeliveryMode.PERSISTENT
                    : DeliveryMode.NON_PERSISTENT);

            prime(session, producer, primed);
            long deadlineNanos = System.nanoTime() + settings.timeout().toNanos();
            send(session, producer, WARMUP, warmup, deadlineNanos);
            warmup.await(deadlineNanos, "warm-up", failure);

            double brokerCpuBefore = brokerCpuSeconds.getAsDouble();
            double clientCpuBefore = clientCpuSeconds.getAsDouble();
            long startNanos = System.nanoTime();
            send(session, producer, MEASURED, measured, deadlineNanos);
            measured.await(deadlineNanos, "measured", failure);
            double brokerCpu = brokerCpuSeconds.getAsDouble() - brokerCpuBefore;
            double clientCpu = clientCpuSeconds.getAsDouble() - clientCpuBefore;
            awaitAsyncCompletions(deadlineNanos);
            return new Result(settings.messages(), (measured.lastFirstReceiptNanos() - startNanos) / 1e9,
                    measured.sortedLatencies(), duplicates.get(), brokerCpu, clientCpu);
        } finally {
            stopping = true;
            for (Thread thread : consumerThreads) {
                thread.join(CLOSE_TIMEOUT.toMillis());
            }
            for (Connection connection : connections) {
                connection.close();
            }
        }
    }

    private Session createSession(Connection connection) throws JMSException {
        return benchCase.mode() == JmsCase.SendMode.TRANSACTED ? connection.createSession(Session.SESSION_TRANSACTED)
                : connection.createSession(Session.AUTO_ACKNOWLEDGE);
    }

    private Destination destination(Session session) throws JMSException {
        return switch (benchCase.destination()) {
            case QUEUE -> session.createQueue(settings.namePrefix() + benchCase.destinationName());
            case SHARED_SUBSCRIPTION -> session.createTopic(settings.namePrefix() + benchCase.destinationName());
        };
    }

    private MessageConsumer createConsumer(Session session) throws JMSException {
        return switch (benchCase.destination()) {
            case QUEUE -> session.createConsumer(destination(session));
            case SHARED_SUBSCRIPTION -> session.createSharedDurableConsumer((Topic) destination(session),
                    settings.namePrefix() + benchCase.subscriptionName());
        };
    }

    /** Sends a prime every few ms until each consumer has received one. */
    private void prime(Session session, MessageProducer producer, CountDownLatch primed)
            throws JMSException, InterruptedException {
        long deadlineNanos = System.nanoTime() + settings.primeTimeout().toNanos();
        int sent = 0;
        do {
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException(primed.getCount() + " of " + benchCase.consumers() + " consumers had"
                        + " received none of " + sent + " priming messages after " + settings.primeTimeout().toSeconds()
                        + " s");
            }
            rethrowConsumerFailure();
            Message message = message(session, PRIME, sent++);
            producer.send(message);
            if (benchCase.mode() == JmsCase.SendMode.TRANSACTED) {
                session.commit();
            }
        } while (!primed.await(PRIME_INTERVAL_MS, TimeUnit.MILLISECONDS));
    }

    /** Sends {@code phase}'s messages in the case's mode, each once a place in the window is free. */
    private void send(Session session, MessageProducer producer, int phaseId, Phase phase, long deadlineNanos)
            throws JMSException, InterruptedException {
        CompletionListener completion = new CompletionListener() {
            @Override
            public void onCompletion(Message message) {
                asyncSendsCompleted.incrementAndGet();
            }

            @Override
            public void onException(Message message, Exception exception) {
                failure.compareAndSet(null, exception);
            }
        };
        boolean transacted = benchCase.mode() == JmsCase.SendMode.TRANSACTED;
        int inTransaction = 0;
        for (int sequence = 0; sequence < phase.messages(); sequence++) {
            if (!window.tryAcquire(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("timed out after " + settings.timeout().toSeconds() + " s with "
                        + phase.received() + " of " + phase.messages() + " messages of this phase received and "
                        + settings.window() + " sent ones outstanding");
            }
            rethrowConsumerFailure();
            Message message = message(session, phaseId, sequence);
            if (benchCase.mode() == JmsCase.SendMode.PERSISTENT_ASYNC) {
                producer.send(message, completion);
            } else {
                producer.send(message);
            }
            if (transacted && ++inTransaction == JmsCase.MESSAGES_PER_TRANSACTION) {
                session.commit();
                inTransaction = 0;
            }
        }
        if (transacted && inTransaction > 0) {
            session.commit();
        }
    }

    private Message message(Session session, int phase, int sequence) throws JMSException {
        BytesMessage message = session.createBytesMessage();
        message.writeBytes(body);
        message.setIntProperty(PHASE_PROPERTY, phase);
        message.setIntProperty(SEQUENCE_PROPERTY, sequence);
        message.setLongProperty(SENT_NANOS_PROPERTY, System.nanoTime());
        return message;
    }

    /** A consumer thread: receives until the run stops, committing every transaction's worth in transacted mode. */
    private void consume(Session session, MessageConsumer consumer, CountDownLatch primed, Phase warmup,
                         Phase measured) {
        boolean transacted = benchCase.mode() == JmsCase.SendMode.TRANSACTED;
        boolean primedHere = false;
        int inTransaction = 0;
        try {
            while (!stopping) {
                Message message = consumer.receive(RECEIVE_POLL_MS);
                if (message == null) {
                    if (transacted && inTransaction > 0) {
                        session.commit();
                        inTransaction = 0;
                    }
                    continue;
                }
                long receivedNanos = System.nanoTime();
                int phase = message.getIntProperty(PHASE_PROPERTY);
                if (phase == PRIME) {
                    if (!primedHere) {
                        primedHere = true;
                        primed.countDown();
                    }
                } else {
                    Phase of = phase == WARMUP ? warmup : measured;
                    if (of.record(message.getIntProperty(SEQUENCE_PROPERTY),
                            receivedNanos - message.getLongProperty(SENT_NANOS_PROPERTY))) {
                        window.release();
                    } else {
                        duplicates.incrementAndGet();
                    }
                }
                if (transacted && ++inTransaction == JmsCase.MESSAGES_PER_TRANSACTION) {
                    session.commit();
                    inTransaction = 0;
                }
            }
            if (transacted && inTransaction > 0) {
                session.commit();
            }
        } catch (JMSException | RuntimeException e) {
            if (!stopping) {
                failure.compareAndSet(null, e);
            }
        }
    }

    private void awaitAsyncCompletions(long deadlineNanos) throws InterruptedException {
        if (benchCase.mode() != JmsCase.SendMode.PERSISTENT_ASYNC) {
            return;
        }
        long expected = (long) settings.warmupMessages() + settings.messages();
        while (asyncSendsCompleted.get() < expected) {
            rethrowConsumerFailure();
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("only " + asyncSendsCompleted.get() + " of " + expected
                        + " asynchronous sends completed in time, though every message was received");
            }
            Thread.sleep(1);
        }
    }

    private void rethrowConsumerFailure() {
        Throwable thrown = failure.get();
        if (thrown != null) {
            throw new IllegalStateException("a consumer or a completion listener failed: " + thrown, thrown);
        }
    }

    /** The {@code percentile}th percentile of {@code sorted}, nearest-rank; NaN when empty. */
    static double percentileNanos(long[] sorted, double percentile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    /** One phase's messages: which arrived, each one's latency, and when the last first arrived. Thread-safe. */
    private static final class Phase {

        private static final long NOT_RECEIVED = -1;

        private final AtomicLongArray latencyNanos;
        private final AtomicInteger received = new AtomicInteger();
        private final CountDownLatch allReceived = new CountDownLatch(1);
        private volatile long lastFirstReceiptNanos;

        Phase(int messages) {
            latencyNanos = new AtomicLongArray(messages);
            for (int i = 0; i < messages; i++) {
                latencyNanos.set(i, NOT_RECEIVED);
            }
            if (messages == 0) {
                allReceived.countDown();
            }
        }

        int messages() {
            return latencyNanos.length();
        }

        int received() {
            return received.get();
        }

        /** Records a receipt; false if {@code sequence} was received before. */
        boolean record(int sequence, long latency) {
            if (!latencyNanos.compareAndSet(sequence, NOT_RECEIVED, Math.max(0, latency))) {
                return false;
            }
            if (received.incrementAndGet() == messages()) {
                lastFirstReceiptNanos = System.nanoTime();
                allReceived.countDown();
            }
            return true;
        }

        void await(long deadlineNanos, String name, AtomicReference<Throwable> failure) throws InterruptedException {
            while (!allReceived.await(100, TimeUnit.MILLISECONDS)) {
                Throwable thrown = failure.get();
                if (thrown != null) {
                    throw new IllegalStateException("a consumer failed during the " + name + " phase: " + thrown,
                            thrown);
                }
                if (System.nanoTime() > deadlineNanos) {
                    throw new IllegalStateException("timed out in the " + name + " phase with " + received() + " of "
                            + messages() + " messages received");
                }
            }
        }

        long lastFirstReceiptNanos() {
            return lastFirstReceiptNanos;
        }

        long[] sortedLatencies() {
            long[] sorted = new long[messages()];
            for (int i = 0; i < sorted.length; i++) {
                sorted[i] = latencyNanos.get(i);
            }
            Arrays.sort(sorted);
            return sorted;
        }
    }
}

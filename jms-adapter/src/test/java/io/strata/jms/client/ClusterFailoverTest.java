package io.strata.jms.client;

import io.strata.broker.it.BrokerProcesses;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import jakarta.jms.TransactionRolledBackException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TopicListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The provider against a cluster of three Strata brokers, each a JVM of its own, whose destinations have replication
 * factor 3 and {@code min.insync.replicas=2}: the broker that leads a destination's partition is killed with SIGKILL
 * while JMS clients send and receive, and they carry on without the application reconnecting (the provider's clients
 * find the new leader). What a send or an acknowledgement returned from is never lost, what was acknowledged never
 * comes again, what was delivered and not acknowledged comes again; a transacted consume-transform-produce commits
 * every output once. With all three brokers gone, the connection's ExceptionListener is told once.
 *
 * <p>One cluster serves the class, its destinations one partition each (a queue keeps its order). The queue and
 * transaction tests start their victim again, and the next kill waits until it is back in the controller quorum and
 * every ISR (Raft's majority of three survives one failure at a time); the subscription test leaves its victim down,
 * and the listener test kills the other two.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverTest {

    private static final Duration AT_MOST = Duration.ofSeconds(90);
    /** Three JVMs starting at once on a loaded two-core machine took 80 s. */
    private static final Duration START_AT_MOST = Duration.ofSeconds(150);
    private static final int BROKERS = 3;
    private static final String QUEUE = "failover-queue";
    private static final String TRANSACTION_INPUT = "failover-tx-in";
    private static final String TRANSACTION_OUTPUT = "failover-tx-out";
    private static final String TOPIC = "failover-topic";
    private static final String LISTENER_QUEUE = "failover-listener";

    @TempDir
    static Path dir;

    private static BrokerProcesses brokers;
    /** The broker the last test killed and started again, until it serves again; 0 when none. */
    private static int restarted;
    /** The broker killed and not started again; 0 when none. */
    private static int down;

    private static void phase(String what) {
        System.err.println(java.time.LocalTime.now() + " jms-failover: " + what);
    }

    @BeforeAll
    static void startCluster() throws Exception {
        Map<String, Object> settings = new HashMap<>(JmsBroker.FAST_SHARE_GROUPS);
        settings.put("share.coordinator.state.topic.num.partitions", 3);
        settings.put("transaction.state.log.num.partitions", 3);
        brokers = new BrokerProcesses(dir, "jms-cluster-failover", BROKERS, settings);
        brokers.startAll(START_AT_MOST);
        // Created while all three run: a replication factor of 3 needs three registered brokers.
        brokers.createTopics(1, Map.of("min.insync.replicas", "2"), QUEUE, TRANSACTION_INPUT, TRANSACTION_OUTPUT,
                TOPIC, LISTENER_QUEUE);
        phase("three brokers up");
    }

    @AfterAll
    static void stopCluster() {
        if (brokers != null) {
            brokers.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ a) queue

    @Test
    @Order(1)
    void aQueueLosesNoSentMessageAndRedeliversOnlyTheUnacknowledgedAcrossALeaderKill() throws Exception {
        StrataConnectionFactory factory = factory(null);
        try (Connection producing = factory.createConnection(); Connection consuming = factory.createConnection()) {
            List<JMSException> told = new CopyOnWriteArrayList<>();
            consuming.setExceptionListener(told::add);
            consuming.start();
            Session producerSession = producing.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = producerSession.createQueue(QUEUE);
            QueueConsumers consumers = new QueueConsumers();
            for (int i = 0; i < 2; i++) {
                Session session = consuming.createSession(false, Session.CLIENT_ACKNOWLEDGE);
                consumers.start(session.createConsumer(queue), "consumer-" + i);
            }
            SendingThread sender = new SendingThread(producerSession.createProducer(queue), producerSession);
            sender.start();
            try {
                await().atMost(AT_MOST).until(() -> consumers.acknowledged.size() > 100);
                // Each consumer stops acknowledging and holds what it received since its last acknowledgement.
                consumers.acknowledging.set(false);
                await().atMost(AT_MOST).until(consumers::eachHolds);
                int sentAtKill = sender.sent.size();

                int leader = killLeaderOf(QUEUE);
                long killedNanos = System.nanoTime();
                consumers.killed(killedNanos);
                sender.killedNanos = killedNanos;
                consumers.acknowledging.set(true);
                phase("a) killed broker " + leader + ", leader of the queue; held " + consumers.heldAtKill);

                await("the producer sends again after the kill").atMost(AT_MOST)
                        .until(() -> sender.sent.size() > sentAtKill + 50);
                await("the consumers acknowledge again after the kill").atMost(AT_MOST)
                        .until(() -> consumers.firstAcknowledgedAfterKillNanos.get() != 0);
                phase("a) failover: first send after the kill in "
                        + millis(sender.firstSentAfterKillNanos.get() - killedNanos) + " ms, first message received"
                        + " (and then acknowledged) after the kill in "
                        + millis(consumers.firstAcknowledgedAfterKillNanos.get() - killedNanos) + " ms");
                restart(leader);
                sender.stop();
                assertThat(sender.failure).as("the producer thread failed").isNull();
                await("every message whose send returned is received and acknowledged").atMost(AT_MOST)
                        .until(() -> consumers.acknowledged.containsAll(sender.sent));
            } finally {
                sender.stop();
                consumers.stop();
                Set<Integer> missing = new TreeSet<>(sender.sent);
                missing.removeAll(consumers.acknowledged);
                phase("a) sent and not acknowledged: " + missing);
            }

            assertThat(consumers.receiveFailures).as("receive never threw across the failover").isEmpty();
            assertThat(consumers.deliveredAfterAcknowledgement).as("acknowledged messages delivered again")
                    .isEmpty();
            assertThat(consumers.deliveriesAfterKill.keySet()).as("messages held unacknowledged at the kill"
                    + " are delivered again").containsAll(consumers.heldAtKill);
            assertThat(told).as("one broker gone is not a lost connection: the other two answer").isEmpty();
            logRedeliveryFlags(consumers);
            phase("a) " + sender.sent.size() + " sent, " + sender.failedSends.size() + " sends failed, "
                    + consumers.acknowledged.size() + " acknowledged, " + consumers.failedAcknowledgements.get()
                    + " acknowledge() calls failed");
        }
    }

    /**
     * Sends numbered persistent messages (int property {@code n}) one after another, each send synchronous, until
     * stopped: {@link #sent} holds the numbers whose send returned, {@link #failedSends} those whose send threw.
     */
    private static final class SendingThread {
        final Set<Integer> sent = ConcurrentHashMap.newKeySet();
        final Set<Integer> failedSends = ConcurrentHashMap.newKeySet();
        final AtomicLong firstSentAfterKillNanos = new AtomicLong();
        volatile long killedNanos = Long.MAX_VALUE;
        volatile Throwable failure;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        SendingThread(MessageProducer producer, Session session) {
            this.thread = new Thread(() -> {
                try {
                    for (int n = 0; running.get(); n++) {
                        TextMessage message = session.createTextMessage("m" + n);
                        message.setIntProperty("n", n);
                        long startedNanos = System.nanoTime();
                        try {
                            producer.send(message);
                            sent.add(n);
                            if (startedNanos > killedNanos) {
                                firstSentAfterKillNanos.compareAndSet(0, System.nanoTime());
                            }
                        } catch (JMSException e) {
                            failedSends.add(n);
                            phase("send " + n + " failed: " + e);
                        }
                        // About 100 messages a second: enough to be sending at the kill, little for two cores.
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }, "failover-sender");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(AT_MOST.toMillis());
        }
    }

    /**
     * CLIENT_ACKNOWLEDGE consumers, a thread each, acknowledging every third message they receive (or holding
     * what they received while {@link #acknowledging} is false). Records every delivery, every acknowledgement that
     * returned and the deliveries of messages already acknowledged.
     */
    private static final class QueueConsumers {
        final AtomicBoolean acknowledging = new AtomicBoolean(true);
        final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        final List<Integer> deliveredAfterAcknowledgement = new CopyOnWriteArrayList<>();
        final List<Throwable> receiveFailures = new CopyOnWriteArrayList<>();
        final AtomicLong failedAcknowledgements = new AtomicLong();
        /** Number to the (JMSRedelivered, JMSXDeliveryCount) of each delivery after the kill. */
        final Map<Integer, List<String>> deliveriesAfterKill = new ConcurrentHashMap<>();
        final Set<Integer> heldAtKill = new TreeSet<>();
        final AtomicLong firstAcknowledgedAfterKillNanos = new AtomicLong();
        volatile long killedNanos = Long.MAX_VALUE;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final List<Set<Integer>> holding = new CopyOnWriteArrayList<>();

        void start(MessageConsumer consumer, String name) {
            Set<Integer> held = ConcurrentHashMap.newKeySet();
            holding.add(held);
            Thread thread = new Thread(() -> consume(consumer, held), name);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }

        boolean eachHolds() {
            return holding.stream().noneMatch(Set::isEmpty);
        }

        /** The kill happened at {@code nanos}: what each consumer holds now is held at the kill. */
        void killed(long nanos) {
            holding.forEach(heldAtKill::addAll);
            killedNanos = nanos;
        }

        private void consume(MessageConsumer consumer, Set<Integer> held) {
            Message last = null;
            long firstHeldNanos = 0;
            while (running.get()) {
                if (!acknowledging.get() && !held.isEmpty()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // holding until the kill
                    continue;
                }
                try {
                    Message message = consumer.receive(200);
                    if (message != null) {
                        long receivedNanos = System.nanoTime();
                        int n = message.getIntProperty("n");
                        if (acknowledged.contains(n)) {
                            deliveredAfterAcknowledgement.add(n);
                        }
                        if (receivedNanos > killedNanos) {
                            deliveriesAfterKill.computeIfAbsent(n, k -> new CopyOnWriteArrayList<>()).add(
                                    message.getJMSRedelivered() + "/" + message.getIntProperty("JMSXDeliveryCount"));
                        }
                        if (held.isEmpty()) {
                            firstHeldNanos = receivedNanos;
                        }
                        held.add(n);
                        last = message;
                    }
                    // Every third message, and whatever is held when no more come.
                    if (acknowledging.get() && !held.isEmpty() && (held.size() >= 3 || message == null)) {
                        acknowledge(last, held, firstHeldNanos);
                    }
                } catch (JMSException | RuntimeException e) {
                    receiveFailures.add(e);
                    phase(Thread.currentThread().getName() + " receive failed: " + e);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // no busy loop on a closed consumer
                }
            }
        }

        private void acknowledge(Message last, Set<Integer> held, long firstHeldNanos) {
            try {
                last.acknowledge();
                acknowledged.addAll(held);
                if (firstHeldNanos > killedNanos) {
                    firstAcknowledgedAfterKillNanos.compareAndSet(0, firstHeldNanos);
                }
            } catch (JMSException e) {
                // Held by a session the broker lost: they come again.
                failedAcknowledgements.incrementAndGet();
                phase(Thread.currentThread().getName() + " acknowledge of " + held + " failed: " + e);
            }
            held.clear();
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(AT_MOST.toMillis());
            }
        }
    }

    private static void logRedeliveryFlags(QueueConsumers consumers) {
        Map<Integer, List<String>> flags = new TreeMap<>();
        consumers.heldAtKill.forEach(n -> flags.put(n, consumers.deliveriesAfterKill.get(n)));
        phase("a) redelivered/JMSXDeliveryCount of the messages held at the kill: " + flags);
        // The leader writes its share state ahead of what it delivers (the delivery bound), so the new leader knows
        // what was held at the kill was delivered: it comes again marked redelivered (JMS 3.1 section 3.4.7).
        assertThat(flags).as("the first delivery after the kill of each message held at it")
                .allSatisfy((number, deliveries) -> assertThat(deliveries.get(0)).startsWith("true/"));
    }

    // ------------------------------------------------------------------------------------------- b) transacted

    @Test
    @Order(2)
    void aTransactedConsumeTransformProduceCommitsEveryOutputOnceAcrossALeaderKill() throws Exception {
        int inputs = 150;
        StrataConnectionFactory factory = factory(null);
        try (Connection connection = factory.createConnection()) {
            connection.start();
            Session plain = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer feeder = plain.createProducer(plain.createQueue(TRANSACTION_INPUT));
            for (int n = 0; n < inputs; n++) {
                TextMessage message = plain.createTextMessage("in-" + n);
                message.setIntProperty("n", n);
                feeder.send(message);
            }
            Session session = connection.createSession(Session.SESSION_TRANSACTED);
            MessageConsumer consumer = session.createConsumer(session.createQueue(TRANSACTION_INPUT));
            MessageProducer producer = session.createProducer(session.createQueue(TRANSACTION_OUTPUT));
            Set<Integer> committed = new TreeSet<>();
            List<Integer> transaction = new ArrayList<>();
            int rolledBack = 0;
            int killed = 0;
            long killedNanos = 0;
            long firstCommitAfterKillNanos = 0;
            long deadline = System.nanoTime() + AT_MOST.multipliedBy(2).toNanos();
            while (committed.size() < inputs) {
                assertThat(System.nanoTime()).as("every input committed in time; got " + committed.size())
                        .isLessThan(deadline);
                Message message = consumer.receive(200);
                if (message != null) {
                    int n = message.getIntProperty("n");
                    TextMessage output = session.createTextMessage("out-" + n);
                    output.setIntProperty("n", n);
                    producer.send(output);
                    transaction.add(n);
                }
                if (killed == 0 && committed.size() >= inputs / 3 && transaction.size() == 3) {
                    // Mid-transaction: three inputs consumed, three outputs sent, nothing committed.
                    killed = killLeaderOf(TRANSACTION_INPUT);
                    killedNanos = System.nanoTime();
                    phase("b) killed broker " + killed + ", leader of the input, with " + transaction + " open");
                }
                if (transaction.size() >= 5 || (message == null && !transaction.isEmpty())) {
                    try {
                        session.commit();
                        committed.addAll(transaction);
                        if (killed != 0 && firstCommitAfterKillNanos == 0) {
                            firstCommitAfterKillNanos = System.nanoTime();
                        }
                    } catch (TransactionRolledBackException e) {
                        rolledBack++;
                        phase("b) commit of " + transaction + " rolled back: " + e.getMessage());
                    }
                    transaction.clear();
                }
            }
            phase("b) failover: first commit after the kill in " + millis(firstCommitAfterKillNanos - killedNanos)
                    + " ms; " + rolledBack + " transactions rolled back");
            assertThat(killed).as("a broker was killed mid-transaction").isPositive();
            restart(killed);

            Map<Integer, Integer> outputs = committedOutputs(TRANSACTION_OUTPUT, inputs);
            Map<Integer, Integer> notOnce = new TreeMap<>();
            for (int n = 0; n < inputs; n++) {
                if (outputs.getOrDefault(n, 0) != 1) {
                    notOnce.put(n, outputs.getOrDefault(n, 0));
                }
            }
            assertThat(notOnce).as("inputs whose output is not committed exactly once (input -> times)").isEmpty();
        }
    }

    /** How many times each input's output ("out-N") is in {@code topic}'s committed records. */
    private static Map<Integer, Integer> committedOutputs(String topic, int expected) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        Map<Integer, Integer> outputs = new HashMap<>();
        try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(properties)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            reader.assign(List.of(partition));
            reader.seekToBeginning(List.of(partition));
            long end = reader.endOffsets(List.of(partition)).get(partition);
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (reader.position(partition) < end) {
                assertThat(System.nanoTime()).as("the output read in time").isLessThan(deadline);
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
                    outputs.merge(Integer.parseInt(record.value().substring("out-".length())), 1, Integer::sum);
                }
            }
        }
        assertThat(outputs).as("outputs read").hasSizeLessThanOrEqualTo(expected);
        return outputs;
    }

    // ------------------------------------------------------------------------------------- c) durable subscription

    @Test
    @Order(3)
    void aDurableSubscriptionLosesNothingAcknowledgedAndRedeliversTheRestAcrossALeaderKill() throws Exception {
        int total = 100;
        try (Connection connection = factory("failover-subscriber").createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.CLIENT_ACKNOWLEDGE);
            Topic topic = session.createTopic(TOPIC);
            Subscriber subscriber = new Subscriber(session.createDurableConsumer(topic, "audit"));
            Session producerSession = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = producerSession.createProducer(topic);
            send(producerSession, producer, 0, total / 2);

            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (subscriber.acknowledged.size() < total / 4) {
                assertThat(System.nanoTime()).as("a quarter acknowledged in time").isLessThan(deadline);
                if (subscriber.receive() != null && subscriber.held.size() >= 5) {
                    subscriber.acknowledge();
                }
            }
            while (subscriber.held.size() < 3) {
                assertThat(System.nanoTime()).as("three held in time").isLessThan(deadline);
                subscriber.receive();
            }
            Set<Integer> heldAtKill = Set.copyOf(subscriber.held);
            int leader = killLeaderOf(TOPIC);
            long killedNanos = System.nanoTime();
            phase("c) killed broker " + leader + ", leader of the topic; held " + heldAtKill);
            send(producerSession, producer, total / 2, total);
            long sentAfterKillNanos = System.nanoTime();

            subscriber.deliveriesAfterKill = new TreeMap<>();
            long firstAcknowledgedAfterKillNanos = 0;
            deadline = System.nanoTime() + AT_MOST.toNanos();
            while (subscriber.acknowledged.size() < total) {
                assertThat(System.nanoTime()).as("all acknowledged in time; got " + subscriber.acknowledged)
                        .isLessThan(deadline);
                Integer n = subscriber.receive();
                // Every fifth message, and whatever is held when no more come.
                boolean acknowledgeNow = n == null ? !subscriber.held.isEmpty() : subscriber.held.size() >= 5;
                if (acknowledgeNow && subscriber.acknowledge() && firstAcknowledgedAfterKillNanos == 0) {
                    firstAcknowledgedAfterKillNanos = System.nanoTime();
                }
            }
            phase("c) failover: the sends after the kill took " + millis(sentAfterKillNanos - killedNanos)
                    + " ms, the first acknowledgement after the kill returned at "
                    + millis(firstAcknowledgedAfterKillNanos - killedNanos) + " ms");
            assertThat(subscriber.deliveredAfterAcknowledgement).as("acknowledged messages delivered again").isEmpty();
            assertThat(subscriber.deliveriesAfterKill.keySet()).as("held at the kill, delivered again")
                    .containsAll(heldAtKill);
        }
    }

    private static void send(Session session, MessageProducer producer, int from, int to) throws JMSException {
        for (int n = from; n < to; n++) {
            TextMessage message = session.createTextMessage("t" + n);
            message.setIntProperty("n", n);
            producer.send(message);
        }
    }

    /**
     * A CLIENT_ACKNOWLEDGE consumer driven by the test's thread: what it holds unacknowledged, what its
     * acknowledgements that returned covered, and any delivery of a message already acknowledged.
     */
    private static final class Subscriber {
        final Set<Integer> held = new TreeSet<>();
        final Set<Integer> acknowledged = new TreeSet<>();
        final List<Integer> deliveredAfterAcknowledgement = new ArrayList<>();
        /** Deliveries per number, once set (after the kill). */
        Map<Integer, Integer> deliveriesAfterKill;
        private final MessageConsumer consumer;
        private Message last;

        Subscriber(MessageConsumer consumer) {
            this.consumer = consumer;
        }

        /** Receives one message, held until acknowledged; its number, or null when none came. */
        Integer receive() throws JMSException {
            Message message = consumer.receive(200);
            if (message == null) {
                return null;
            }
            int n = message.getIntProperty("n");
            if (acknowledged.contains(n)) {
                deliveredAfterAcknowledgement.add(n);
            }
            if (deliveriesAfterKill != null) {
                deliveriesAfterKill.merge(n, 1, Integer::sum);
            }
            held.add(n);
            last = message;
            return n;
        }

        /** Acknowledges what the session holds; whether the acknowledgement returned (else it comes again). */
        boolean acknowledge() {
            try {
                last.acknowledge();
                acknowledged.addAll(held);
                return true;
            } catch (JMSException e) {
                phase("c) acknowledge of " + held + " failed: " + e);
                return false;
            } finally {
                held.clear();
            }
        }
    }

    // ------------------------------------------------------------------------------------ d) exception listener

    @Test
    @Order(4)
    void theExceptionListenerIsToldOnceWhenEveryBrokerIsGone() throws Exception {
        try (Connection connection = factory(null).createConnection()) {
            List<JMSException> told = new CopyOnWriteArrayList<>();
            connection.setExceptionListener(told::add);
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            session.createProducer(session.createQueue(LISTENER_QUEUE)).send(session.createTextMessage("before"));
            assertThat(told).as("nothing while brokers answer").isEmpty();

            int[] alive = IntStream.rangeClosed(1, BROKERS).filter(id -> id != down).toArray();
            brokers.killTogether(alive);
            long killedNanos = System.nanoTime();
            phase("d) killed " + Arrays.toString(alive) + (down == 0 ? "" : "; broker " + down + " was down"));
            await().atMost(AT_MOST).until(() -> !told.isEmpty());
            phase("d) the exception listener was told after " + millis(System.nanoTime() - killedNanos) + " ms");
            assertThat(told.get(0).getErrorCode()).isEqualTo(StrataConnection.CONNECTION_LOST);
            // Several health probes fail meanwhile; the listener hears of the loss once.
            Duration probes = Duration.ofMillis(3 * StrataConnection.HEALTH_CHECK_INTERVAL_MS);
            await().during(probes).atMost(probes.plus(AT_MOST)).until(() -> told.size() == 1);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static StrataConnectionFactory factory(String clientId) {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", brokers.bootstrapServers());
        properties.setProperty("strata.jms.consumer.prefetch", "10");
        properties.setProperty("strata.jms.destination.auto.create", "false");
        if (clientId != null) {
            properties.setProperty("strata.jms.client.id", clientId);
        }
        return new StrataConnectionFactory(properties);
    }

    /** Kills the leader of {@code topic}'s partition, once every broker serves again; its id. */
    private static int killLeaderOf(String topic) throws Exception {
        awaitEveryBrokerServing();
        int leader;
        try (Admin admin = brokers.admin()) {
            leader = describe(admin, topic).partitions().get(0).leader().id();
        }
        brokers.kill(leader);
        down = leader;
        return leader;
    }

    /** Starts the killed broker {@code id} again; the next kill waits until it serves. */
    private static void restart(int id) throws Exception {
        brokers.start(id);
        down = 0;
        restarted = id;
    }

    /** Waits until the broker last started again is in the controller quorum and in the ISR of every partition. */
    private static void awaitEveryBrokerServing() throws Exception {
        if (restarted == 0) {
            return;
        }
        int id = restarted;
        brokers.awaitInControllerQuorum(id, AT_MOST);
        try (Admin admin = brokers.admin()) {
            await("broker " + id + " back in every ISR").atMost(AT_MOST).ignoreExceptions().untilAsserted(() -> {
                Collection<String> topics = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
                        .listInternal(true)).listings().get(10, TimeUnit.SECONDS).stream()
                        .map(TopicListing::name).toList();
                for (TopicDescription description : admin.describeTopics(topics).allTopicNames()
                        .get(10, TimeUnit.SECONDS).values()) {
                    for (TopicPartitionInfo partition : description.partitions()) {
                        assertThat(partition.isr()).extracting(Node::id)
                                .as("ISR of %s-%d", description.name(), partition.partition()).contains(id);
                    }
                }
            });
        }
        phase("broker " + id + " serves again");
        restarted = 0;
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}

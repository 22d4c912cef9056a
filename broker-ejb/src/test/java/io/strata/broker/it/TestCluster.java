package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;

/**
 * A cluster of real Strata brokers in this JVM, each a {@link TestBroker} with its own Hazelcast member, clustered
 * over loopback with short failure detection and replication timings, so that tests of failover and reassignment run
 * in seconds. Broker ids are 1 to {@code count}; brokers can be stopped and started again on their ports.
 *
 * <p>Not thread-safe; one test drives it.
 */
public final class TestCluster implements AutoCloseable {

    private final List<TestBroker> brokers = new ArrayList<>();

    private TestCluster() {
    }

    /** Starts {@code count} brokers with data under {@code dir} and waits until all have joined. */
    public static TestCluster start(Path dir, int count, Map<String, Object> extraSettings) throws Exception {
        return start(dir, count, extraSettings, broker -> { });
    }

    /** Starts {@code count} brokers, each prepared by {@code prepare} before its first start (e.g. its seams). */
    public static TestCluster start(Path dir, int count, Map<String, Object> extraSettings,
                                    java.util.function.Consumer<TestBroker> prepare) throws Exception {
        TestCluster cluster = new TestCluster();
        int base = freePortBlock(count);
        StringBuilder members = new StringBuilder("tcpip:");
        for (int i = 0; i < count; i++) {
            members.append(i == 0 ? "" : ",").append("127.0.0.1:").append(base + i);
        }
        String clusterName = "strata-test-" + UUID.randomUUID();
        for (int i = 0; i < count; i++) {
            Map<String, Object> settings = new HashMap<>();
            settings.put(BrokerConfig.NODE_ID, i + 1);
            settings.put(BrokerConfig.CLUSTER_JOIN, members.toString());
            settings.put(BrokerConfig.CLUSTER_NAME, clusterName);
            settings.put(BrokerConfig.CLUSTER_PORT, base + i);
            settings.put(BrokerConfig.BROKER_SESSION_TIMEOUT_MS, 3000);
            // Members on loopback in one JVM reach each other at once: the brokers that start together need not
            // look for a running cluster for 5 s. A graceful leave (CP Subsystem left, data handed over) takes about
            // 2 s here, as Hazelcast checks on it every second: 3 s lets it finish, where the default of 10 s only
            // prolongs the stops that cannot finish (the CP Subsystem lost its majority, the whole cluster stops).
            settings.put(BrokerConfig.CLUSTER_JOIN_TIMEOUT_MS, 1000);
            settings.put(BrokerConfig.CLUSTER_SHUTDOWN_TIMEOUT_MS, 3000);
            settings.put(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, 5000L);
            settings.put(BrokerConfig.REPLICA_FETCH_WAIT_MAX_MS, 200);
            settings.put(BrokerConfig.REPLICA_FETCH_BACKOFF_MS, 100);
            Path brokerDir = dir.resolve("broker-" + (i + 1));
            // "${broker.dir}" in a setting stands for the broker's own data directory, e.g. for two log.dirs each.
            extraSettings.forEach((name, value) -> settings.put(name, value instanceof String text
                    ? text.replace("${broker.dir}", brokerDir.toString()) : value));
            TestBroker broker = new TestBroker(brokerDir, settings);
            prepare.accept(broker);
            cluster.brokers.add(broker);
        }
        try {
            // All at once, as separate servers would: a broker's start waits for a controller, and with the CP
            // Subsystem (three or more tcpip members) none is elected before three members have joined.
            cluster.startAll();
        } catch (Exception | AssertionError e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private static int freePortBlock(int count) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket probe = new ServerSocket(0)) {
                base = probe.getLocalPort();
            }
            if (base + count >= 65535) {
                continue;
            }
            boolean free = true;
            for (int i = 0; i < count && free; i++) {
                try (ServerSocket s = new ServerSocket(base + i)) {
                    s.setReuseAddress(true);
                } catch (Exception e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no block of free ports");
    }

    /** The broker with this id (1-based). */
    public TestBroker broker(int id) {
        return brokers.get(id - 1);
    }

    public List<TestBroker> brokers() {
        return List.copyOf(brokers);
    }

    /** The addresses of the brokers running now. */
    public String bootstrapServers() {
        StringBuilder servers = new StringBuilder();
        for (TestBroker broker : brokers) {
            if (broker.server() != null) {
                servers.append(servers.length() == 0 ? "" : ",").append(broker.bootstrapServers());
            }
        }
        return servers.toString();
    }

    public Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return Admin.create(properties);
    }

    /** An idempotent acks=all producer of strings, with room for a failover in its timeouts. */
    public KafkaProducer<String, String> producer() {
        return producer(Map.of());
    }

    /** {@link #producer()} with some of its settings replaced. */
    public KafkaProducer<String, String> producer(Map<String, Object> overrides) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.putAll(overrides);
        return new KafkaProducer<>(properties);
    }

    /** A consumer of strings in {@code group} that starts at the earliest offset and commits only when told. */
    public KafkaConsumer<String, String> consumer(String group) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(properties);
    }

    /**
     * Reads every partition of {@code topic} from the beginning until {@code expected} values came, or a minute passed.
     * No group: reading must not depend on {@code __consumer_offsets}, which is not created while fewer than
     * {@code offsets.topic.replication.factor} brokers are alive.
     */
    public List<String> readAll(String topic, int expected) {
        List<String> values = new ArrayList<>();
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    /**
     * Stops every broker, all at once as a whole cluster stops (a CP member leaving alone waits for the others to
     * acknowledge it); fails if one logged an error.
     */
    @Override
    public void close() {
        for (Throwable failure : onEveryBrokerAtOnce("stop", TestBroker::close)) {
            if (failure instanceof AssertionError error) {
                throw error;
            }
            throw new AssertionError("A broker did not stop cleanly: " + failure, failure);
        }
    }

    /** Starts every broker at once and waits until each sees all. */
    private void startAll() {
        List<Throwable> failures = onEveryBrokerAtOnce("start", TestBroker::start);
        if (!failures.isEmpty()) {
            AssertionError failed = new AssertionError("A broker did not start: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).forEach(failed::addSuppressed);
            throw failed;
        }
        await().atMost(Duration.ofSeconds(30)).until(() ->
                broker(1).server().membership().liveBrokers().size() == brokers.size());
    }

    /**
     * Starts again every broker that is stopped and waits until the cluster is whole once more: every broker sees all,
     * is acknowledged by the controller and counts toward the controller quorum. What a test that shares the cluster
     * with others calls when it is done, so that the next one begins from the cluster it would have started.
     */
    public void restoreStoppedBrokers() {
        for (TestBroker broker : brokers) {
            if (broker.server() == null) {
                broker.start();
            }
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> brokers.stream().allMatch(broker ->
                broker.server().membership().liveBrokers().size() == brokers.size()
                        && broker.server().isAcknowledgedByController() && broker.server().inControllerQuorum()));
    }

    /** Stops every broker at once, as a restart of the whole cluster does, then starts them all again. */
    public void restartAll() {
        List<Throwable> failures = onEveryBrokerAtOnce("stop", TestBroker::stop);
        if (!failures.isEmpty()) {
            throw new AssertionError("A broker did not stop: " + failures.get(0), failures.get(0));
        }
        startAll();
    }

    /** What a broker does in {@link #onEveryBrokerAtOnce}. */
    private interface BrokerAction {
        void run(TestBroker broker) throws Exception;
    }

    /** Runs {@code action} on every broker at once, each in a thread of its own; returns what failed. */
    private List<Throwable> onEveryBrokerAtOnce(String name, BrokerAction action) {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            TestBroker broker = brokers.get(i);
            Thread thread = new Thread(() -> {
                try {
                    action.run(broker);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, name + "-broker-" + (i + 1));
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while the brokers " + name, e);
            }
        }
        return failures;
    }
}

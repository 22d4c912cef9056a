package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A real Strata broker for tests: started in this JVM on a free port with its data in a test directory, stopped and
 * restarted on demand, with kafka-clients producers, consumers and admins pointed at it.
 */
public final class TestBroker implements AutoCloseable {

    private static final Logger STRATA_LOGS = Logger.getLogger("io.strata");

    private final Path dataDir;
    private final Map<String, Object> settings;
    private final List<String> severe = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Predicate<String>> accepted = new CopyOnWriteArrayList<>();
    private final Handler severeCollector = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                severe.add(record.getLoggerName() + ": " + record.getMessage()
                        + (record.getThrown() == null ? "" : " (" + record.getThrown() + ")"));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final AheadClock clock = new AheadClock();
    private BrokerServer server;
    private int port;
    private java.util.function.Consumer<BrokerServer> beforeStart = server -> { };

    /** The wall clock, moved ahead by however much a test asked: time passes for the broker without waiting. */
    private static final class AheadClock extends Clock {
        private final AtomicLong aheadMs = new AtomicLong();

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("the broker's clock is UTC");
        }

        @Override
        public long millis() {
            return System.currentTimeMillis() + aheadMs.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }

    public TestBroker(Path dataDir, Map<String, Object> extraSettings) {
        this.dataDir = dataDir;
        this.settings = new HashMap<>();
        settings.put(BrokerConfig.LOG_DIRS, dataDir.toString());
        settings.put(BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:0");
        settings.put(BrokerConfig.GROUP_INITIAL_REBALANCE_DELAY_MS, 0);
        settings.put(BrokerConfig.NUM_NETWORK_THREADS, 2);
        settings.put(BrokerConfig.NUM_IO_THREADS, 4);
        settings.put(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 5);
        settings.putAll(extraSettings);
    }

    /** Errors the broker logged: a handler that failed, a thread that died. Tests fail on any at close. */
    public List<String> severeLogs() {
        return List.copyOf(severe);
    }

    /**
     * Accepts the errors a test causes on purpose (a disk it failed), logged so far and until close, so that close
     * does not fail on them.
     */
    public void acceptLoggedErrors(java.util.function.Predicate<String> expected) {
        accepted.add(expected);
    }

    public static TestBroker start(Path dataDir, Map<String, Object> extraSettings) {
        TestBroker broker = new TestBroker(dataDir, extraSettings);
        broker.start();
        return broker;
    }

    /** Starts the broker, on the same port as before if it ran already, so clients find it again. */
    public void start() {
        STRATA_LOGS.removeHandler(severeCollector); // a restart starts again: collect once
        STRATA_LOGS.addHandler(severeCollector);
        if (port != 0) {
            settings.put(BrokerConfig.LISTENERS, "PLAINTEXT://" + listenerHost() + ":" + port);
        }
        server = new BrokerServer(BrokerConfig.of(settings), Executors.defaultThreadFactory(), clock);
        beforeStart.accept(server);
        server.start();
        port = server.boundPort("PLAINTEXT");
    }

    /**
     * Serves share consumers with {@code persister} (a test's in-memory one, until the share coordinator's lands) and
     * the given group settings, from the next start on.
     */
    public void serveShareGroups(io.strata.broker.share.SharePersister persister,
                                 java.util.function.Function<String, io.strata.broker.share.ShareGroupSettings>
                                         groupSettings) {
        beforeStart = server -> server.serveShareGroups(broker -> persister, groupSettings);
    }

    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public void restart() {
        stop();
        start();
    }

    /** Moves the broker's clock ahead, as if that much time had passed (it never goes back). */
    public void advanceClock(Duration duration) {
        clock.aheadMs.addAndGet(duration.toMillis());
    }

    public BrokerServer server() {
        return server;
    }

    public Path dataDir() {
        return dataDir;
    }

    public String bootstrapServers() {
        return listenerHost() + ":" + port;
    }

    /** The host of the broker's PLAINTEXT listener, as its settings name it (a test may add others beside it). */
    private String listenerHost() {
        for (String listener : String.valueOf(settings.get(BrokerConfig.LISTENERS)).split(",")) {
            if (listener.trim().startsWith("PLAINTEXT://")) {
                return listener.substring(listener.indexOf("://") + 3, listener.lastIndexOf(':'));
            }
        }
        throw new IllegalStateException("the test broker needs a PLAINTEXT listener: " + settings);
    }

    public Properties producerProperties() {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return properties;
    }

    public KafkaProducer<String, String> producer(Map<String, Object> overrides) {
        Properties properties = producerProperties();
        properties.putAll(overrides);
        return new KafkaProducer<>(properties);
    }

    public Properties consumerProperties(String groupId) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (groupId != null) {
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        return properties;
    }

    public KafkaConsumer<String, String> consumer(String groupId, Map<String, Object> overrides) {
        Properties properties = consumerProperties(groupId);
        properties.putAll(overrides);
        return new KafkaConsumer<>(properties);
    }

    public Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return Admin.create(properties);
    }

    public void createTopic(String name, int partitions, Map<String, String> configs) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("creating topic " + name + " failed", e.getCause());
        }
    }

    /** Stops the broker; fails if it logged an error meanwhile, which would otherwise go unnoticed. */
    @Override
    public void close() {
        stop();
        STRATA_LOGS.removeHandler(severeCollector);
        severe.removeIf(line -> accepted.stream().anyMatch(expected -> expected.test(line)));
        if (!severe.isEmpty()) {
            throw new AssertionError("the broker logged errors: " + severe);
        }
    }
}

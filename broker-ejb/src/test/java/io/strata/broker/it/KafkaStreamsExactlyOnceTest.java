package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Kafka Streams application with {@code processing.guarantee=exactly_once_v2} keeps a count and a sum per key
 * (a stateful aggregation, its store backed by a changelog topic) while a cluster of three brokers in three JVMs
 * loses a broker to SIGKILL, one at a time: first the one that coordinates the application's transactions, then a
 * leader of the input, then the coordinator of the application's group. kafka-clients 4.3.1 runs transaction
 * protocol version 2 (KIP-890: an epoch bump at every commit, partitions and offsets added by the brokers) against
 * Strata, whose finalized features name {@code transaction.version} 2 (the test asserts and prints them), as Streams
 * does against Kafka 4 brokers. At the end the last committed aggregate of every key, read with
 * read_committed, is exactly the count and sum of the input, and the aggregates of a key only ever grew: a record lost
 * or counted twice would show.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class KafkaStreamsExactlyOnceTest {

    private static final String INPUT = "payments";
    private static final String OUTPUT = "totals";
    private static final String APPLICATION_ID = "totals-app";
    private static final int PARTITIONS = 3;
    private static final int KEYS = 50;
    private static final int RECORDS_PER_PHASE = 2_000;
    /** How long the input written while a broker is killed takes to arrive. */
    private static final Duration SPREAD_WHILE_KILLING = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private BrokerProcesses brokers;
    private KafkaStreams streams;
    private final AtomicReference<Throwable> streamsFailure = new AtomicReference<>();
    /** What the input holds so far: key -> {count, sum}. */
    private final Map<String, long[]> expected = new HashMap<>();
    private long nextAmount = 1;

    private static void phase(String what) {
        System.err.println(java.time.LocalTime.now() + " streams-eos: " + what);
    }

    @AfterEach
    void stopAll() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(10));
        }
        if (brokers != null) {
            brokers.close();
        }
    }

    @Test
    void exactlyOnceV2AggregationEqualsTheInputAcrossBrokerKills() throws Exception {
        long seed = System.nanoTime();
        phase("seed " + seed);
        Random random = new Random(seed);
        long started = System.nanoTime();
        brokers = new BrokerProcesses(dir, "streams-eos", 3);
        brokers.startAll(Duration.ofSeconds(90));
        brokers.createTopics(PARTITIONS, Map.of("min.insync.replicas", "2"), INPUT, OUTPUT);
        try (Admin admin = brokers.admin()) {
            Map<String, FinalizedVersionRange> finalized = admin.describeFeatures().featureMetadata()
                    .get(30, TimeUnit.SECONDS).finalizedFeatures();
            phase("finalized features " + finalized);
            assertThat(finalized.get("transaction.version").maxVersionLevel()).as("transaction protocol version 2")
                    .isEqualTo((short) 2);
        }
        produce(random, Duration.ZERO, new AtomicInteger());
        streams = startStreams();
        awaitOutputMatchesInput("before any kill");
        phase("the aggregation matches the first " + RECORDS_PER_PHASE + " records");

        int coordinator = transactionCoordinatorOfTheApplication();
        produceWhileKilling(random, coordinator, "the transaction coordinator of the application");
        int leader = leaderOf(INPUT, random.nextInt(PARTITIONS));
        produceWhileKilling(random, leader, "a leader of " + INPUT);
        int groupCoordinator = groupCoordinatorOfTheApplication();
        produceWhileKilling(random, groupCoordinator, "the group coordinator of the application");

        produce(random, Duration.ZERO, new AtomicInteger());
        awaitOutputMatchesInput("after the kills");
        assertThat(streamsFailure.get()).as("a stream thread failed").isNull();
        phase("the aggregation of " + expected.values().stream().mapToLong(total -> total[0]).sum()
                + " records matches after killing brokers " + coordinator + ", " + leader + " and " + groupCoordinator
                + "; " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms in all");
    }

    /**
     * Writes input spread over a few seconds and, while Streams aggregates it in its transactions, kills broker
     * {@code victim}; checks the aggregation without the broker, then restarts it.
     */
    private void produceWhileKilling(Random random, int victim, String role) throws Exception {
        AtomicInteger sent = new AtomicInteger();
        ExecutorService producing = Executors.newSingleThreadExecutor();
        try {
            Future<?> phase = producing.submit(() -> {
                produce(random, SPREAD_WHILE_KILLING, sent);
                return null;
            });
            await("input written before the kill").atMost(Duration.ofSeconds(60))
                    .until(() -> phase.isDone() || sent.get() >= RECORDS_PER_PHASE / 4);
            brokers.kill(victim);
            phase("killed broker " + victim + ", " + role + ", after " + sent.get() + " records of this phase");
            long killed = System.nanoTime();
            phase.get(180, TimeUnit.SECONDS);
            awaitOutputMatchesInput("without broker " + victim);
            phase("the aggregation matches without broker " + victim + ", "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed) + " ms after the kill");
        } finally {
            producing.shutdownNow();
        }
        brokers.start(victim);
        awaitBackInEveryIsr(victim);
        brokers.awaitInControllerQuorum(victim, Duration.ofSeconds(90));
        phase("broker " + victim + " back in every ISR and the controller quorum");
    }

    private KafkaStreams startStreams() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3);
        props.put(StreamsConfig.topicPrefix("min.insync.replicas"), "2");
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("streams-state").toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(INPUT, Consumed.with(Serdes.String(), Serdes.Long()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()))
                .aggregate(() -> "0:0", (key, amount, total) -> {
                    String[] parts = total.split(":");
                    return (Long.parseLong(parts[0]) + 1) + ":" + (Long.parseLong(parts[1]) + amount);
                }, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to(OUTPUT, Produced.with(Serdes.String(), Serdes.String()));
        KafkaStreams app = new KafkaStreams(builder.build(), props);
        app.setUncaughtExceptionHandler(error -> {
            streamsFailure.compareAndSet(null, error);
            phase("a stream thread failed: " + error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        app.start();
        return app;
    }

    /**
     * Writes RECORDS_PER_PHASE records with increasing amounts to random keys, idempotent and acks=all, spread evenly
     * over {@code spread}, and adds them to what the output must come to.
     */
    private void produce(Random random, Duration spread, AtomicInteger sent) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        int slices = 20;
        try (KafkaProducer<String, Long> producer = new KafkaProducer<>(props, new StringSerializer(),
                Serdes.Long().serializer())) {
            List<Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < RECORDS_PER_PHASE; i++) {
                if (i > 0 && i % (RECORDS_PER_PHASE / slices) == 0) {
                    // Pacing, not waiting for a condition: the input arrives while brokers are killed.
                    Thread.sleep(spread.toMillis() / slices);
                }
                String key = "account-" + random.nextInt(KEYS);
                long amount = nextAmount++;
                sends.add(producer.send(new ProducerRecord<>(INPUT, key, amount)));
                long[] total = expected.computeIfAbsent(key, k -> new long[2]);
                total[0]++;
                total[1] += amount;
                sent.incrementAndGet();
            }
            for (Future<?> send : sends) {
                send.get(120, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Reads the whole output with read_committed until the last aggregate of every key equals the input's count and
     * sum, checking on the way that a key's aggregates only ever grow.
     */
    private void awaitOutputMatchesInput(String when) {
        Map<String, String> expectedTotals = new HashMap<>();
        expected.forEach((key, total) -> expectedTotals.put(key, total[0] + ":" + total[1]));
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, String> latest = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(OUTPUT, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<String> shrinking = new ArrayList<>();
            await("the aggregation " + when).atMost(Duration.ofSeconds(240)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    String before = latest.put(record.key(), record.value());
                    if (before != null && count(record.value()) <= count(before)) {
                        shrinking.add(record.key() + ": " + before + " then " + record.value());
                    }
                }
                return streamsFailure.get() != null || !shrinking.isEmpty() || latest.equals(expectedTotals);
            });
            assertThat(streamsFailure.get()).as("a stream thread failed").isNull();
            assertThat(shrinking).as("aggregates that did not grow").isEmpty();
            assertThat(latest).as("the last committed aggregate per key").isEqualTo(expectedTotals);
        }
    }

    private static long count(String aggregate) {
        return Long.parseLong(aggregate.split(":")[0]);
    }

    /** The coordinator of a transactional id of the application (Streams names them after application.id). */
    private int transactionCoordinatorOfTheApplication() {
        int[] coordinator = {-1};
        try (Admin admin = brokers.admin()) {
            await("a transaction coordinator of " + APPLICATION_ID).atMost(Duration.ofSeconds(60))
                    .ignoreExceptions().until(() -> {
                        List<String> ids = admin.listTransactions().all().get(10, TimeUnit.SECONDS).stream()
                                .map(TransactionListing::transactionalId)
                                .filter(id -> id.startsWith(APPLICATION_ID)).sorted().toList();
                        coordinator[0] = admin.describeTransactions(ids.subList(0, 1)).description(ids.get(0))
                                .get(10, TimeUnit.SECONDS).coordinatorId();
                        phase("transactional ids " + ids + ", the coordinator of the first: " + coordinator[0]);
                        return coordinator[0] > 0;
                    });
        }
        return coordinator[0];
    }

    /** The coordinator of the application's consumer group, which holds its transactions' pending offsets. */
    private int groupCoordinatorOfTheApplication() {
        int[] coordinator = {-1};
        try (Admin admin = brokers.admin()) {
            await("the group coordinator of " + APPLICATION_ID).atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> {
                        coordinator[0] = admin.describeConsumerGroups(List.of(APPLICATION_ID)).describedGroups()
                                .get(APPLICATION_ID).get(10, TimeUnit.SECONDS).coordinator().id();
                        return coordinator[0] > 0;
                    });
        }
        return coordinator[0];
    }

    private int leaderOf(String topic, int partition) {
        int[] leader = {-1};
        try (Admin admin = brokers.admin()) {
            await("the leader of " + topic + "-" + partition).atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> {
                        Node node = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                                .get(topic).partitions().get(partition).leader();
                        leader[0] = node == null ? -1 : node.id();
                        return leader[0] > 0;
                    });
        }
        return leader[0];
    }

    /** Waits until broker {@code id} is in the ISR of every partition of every topic. */
    private void awaitBackInEveryIsr(int id) {
        try (Admin admin = brokers.admin()) {
            await("broker " + id + " back in every ISR").atMost(Duration.ofSeconds(120)).ignoreExceptions()
                    .untilAsserted(() -> {
                        var names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
                                .listInternal(true)).names().get(10, TimeUnit.SECONDS);
                        for (var description : admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS)
                                .values()) {
                            for (TopicPartitionInfo info : description.partitions()) {
                                assertThat(info.isr()).extracting(Node::id)
                                        .as("ISR of %s-%d", description.name(), info.partition()).contains(id);
                            }
                        }
                    });
        }
    }
}

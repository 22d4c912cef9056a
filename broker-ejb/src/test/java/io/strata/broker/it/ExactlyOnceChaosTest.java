package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A consume-transform-produce loop (a read_committed {@link KafkaConsumer} in a group and a transactional
 * {@link KafkaProducer} that commits the consumer's offsets with {@code sendOffsetsToTransaction}) copies numbered
 * records from {@code input} to {@code output} in a cluster of three brokers in three JVMs, while partition leaders of
 * both topics, the broker of the loop's transaction coordinator and that of its group coordinator (which holds the
 * transaction's pending offsets) are killed with SIGKILL and started again, one at a time. The loop
 * aborts one transaction in ten on purpose, after sending its copies and offsets, and rewinds; once it stalls
 * mid-transaction and a successor producer with the same transactional id fences it. The loop
 * handles errors as kafka-clients documents: an abortable error aborts the transaction, a fatal one (fenced, epoch)
 * closes the producer; either way the loop starts over from the group's committed offsets. At the end {@code output},
 * read with read_committed, holds every input record exactly once, and the group's offsets are at the end of
 * {@code input}.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ExactlyOnceChaosTest {

    private static final String INPUT = "input";
    private static final String OUTPUT = "output";
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 6_000;
    private static final String GROUP = "eos-copier";
    private static final String TRANSACTIONAL_ID = "eos-copier-tx";
    /** Input records per transaction: small, so that there are many transactions for the kills to land in. */
    private static final int RECORDS_PER_TRANSACTION_MAX = 10;
    /** How long the loop works on a transaction between its sends and its commit while the brokers are killed. */
    private static final long WORK_PER_TRANSACTION_MS = 150;
    /** Input records the loop may copy per round of kills; it waits for the next round when it has copied them. */
    private static final int RECORDS_PER_ROUND = 600;
    /**
     * Partition leader, transaction coordinator, group coordinator, then again in that order: 3 rounds in CI (each kind
     * of kill once; a round is 20-27 s, mostly a broker rejoining), more for the stress loop with
     * {@code -Dstrata.chaos.rounds=6}.
     */
    private static final int ROUNDS = Integer.getInteger("strata.chaos.rounds", 3);
    /** One transaction in this many is aborted on purpose, its copies sent and its offsets too. */
    private static final int ABORT_ONE_IN = 10;

    @TempDir
    Path dir;

    private BrokerProcesses brokers;

    private final AtomicBoolean copying = new AtomicBoolean(true);
    /** True while brokers are killed: the loop then takes its time over each transaction. */
    private final AtomicBoolean chaos = new AtomicBoolean(true);
    /** Up to how many input records (counted in committed transactions) the loop may copy now. */
    private final AtomicLong allowance = new AtomicLong(RECORDS_PER_ROUND);
    private final AtomicLong copied = new AtomicLong();
    private final AtomicLong transactionsCommitted = new AtomicLong();
    private final AtomicLong transactionsAborted = new AtomicLong();
    private final AtomicLong transactionsAbortedOnPurpose = new AtomicLong();
    private final AtomicLong producersCreated = new AtomicLong();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> loopFailure = new AtomicReference<>();
    /** Set by the test: the loop stalls mid-transaction and a successor producer takes over. */
    private final AtomicBoolean zombieWanted = new AtomicBoolean();
    /** What became of the stalled producer's commit. */
    private final AtomicReference<String> zombieOutcome = new AtomicReference<>();

    private static void phase(String what) {
        System.err.println(java.time.LocalTime.now() + " eos-chaos: " + what);
    }

    @AfterEach
    void killAll() {
        copying.set(false);
        if (brokers != null) {
            brokers.close();
        }
    }

    @Test
    void consumeTransformProduceCopiesEveryRecordOnceThroughLeaderAndCoordinatorKills() throws Exception {
        long seed = System.nanoTime();
        phase("seed " + seed);
        Random random = new Random(seed);
        long started = System.nanoTime();
        brokers = new BrokerProcesses(dir, "eos-chaos", 3);
        brokers.startAll(Duration.ofSeconds(90));
        brokers.createTopics(PARTITIONS, Map.of("min.insync.replicas", "2"), INPUT, OUTPUT);
        fillInput();
        phase("cluster of three up, " + RECORDS + " records in " + INPUT);

        Random loopRandom = new Random(random.nextLong());
        Thread loop = new Thread(() -> copyLoop(loopRandom), "eos-copier");
        loop.start();
        long chaosStarted = System.nanoTime();
        int coordinatorKills = 0;
        int leaderKills = 0;
        int groupCoordinatorKills = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long copiedAtRound = copied.get();
            await("the loop copies in round " + round).atMost(Duration.ofSeconds(120))
                    .until(() -> loopFailure.get() != null || copied.get() >= copiedAtRound + 30);
            assertThat(loopFailure.get()).as("the loop failed").isNull();
            assertThat(copied.get()).as("records left to copy at the kill").isLessThan(RECORDS);
            int victim;
            if (round % 3 == 1) {
                victim = transactionCoordinator();
                coordinatorKills++;
                phase("round " + round + ": killing broker " + victim + ", the transaction coordinator of "
                        + TRANSACTIONAL_ID);
            } else if (round % 3 == 2) {
                victim = groupCoordinator();
                groupCoordinatorKills++;
                phase("round " + round + ": killing broker " + victim + ", the group coordinator of " + GROUP);
            } else {
                String topic = round % 2 == 0 ? INPUT : OUTPUT;
                int partition = random.nextInt(PARTITIONS);
                victim = leaderOf(topic, partition);
                leaderKills++;
                phase("round " + round + ": killing broker " + victim + ", leader of " + topic + "-" + partition);
            }
            long copiedAtKill = copied.get();
            brokers.kill(victim);
            await("the loop copies again after the kill of broker " + victim).atMost(Duration.ofSeconds(180))
                    .until(() -> loopFailure.get() != null || copied.get() >= copiedAtKill + 30);
            assertThat(loopFailure.get()).as("the loop failed").isNull();
            phase("round " + round + ": the loop carries on without broker " + victim + ", " + copied.get()
                    + " copied");
            brokers.start(victim);
            awaitBackInEveryIsr(victim);
            // Raft's majority of three survives one failure at a time: the next kill waits for the restarted broker.
            brokers.awaitInControllerQuorum(victim, Duration.ofSeconds(90));
            phase("round " + round + ": broker " + victim + " back in every ISR and the controller quorum");
            allowance.addAndGet(RECORDS_PER_ROUND);
        }
        zombieWanted.set(true);
        await("a stalled producer and its successor").atMost(Duration.ofSeconds(120))
                .until(() -> loopFailure.get() != null || zombieOutcome.get() != null);
        assertThat(loopFailure.get()).as("the loop failed").isNull();
        assertThat(zombieOutcome.get()).as("the commit of a producer whose successor started").startsWith("fenced");
        long chaosMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - chaosStarted);
        chaos.set(false);
        allowance.set(Long.MAX_VALUE);
        phase("chaos over after " + chaosMs + " ms, " + copied.get() + " copied; the loop finishes");

        awaitGroupAtEndOfInput();
        copying.set(false);
        loop.join(60_000);
        assertThat(loopFailure.get()).as("the loop failed").isNull();
        long totalMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        Map<Long, Integer> copies = readOutput();
        long duplicates = copies.values().stream().filter(count -> count > 1).count();
        List<Long> missing = new ArrayList<>();
        for (long n = 0; n < RECORDS; n++) {
            if (!copies.containsKey(n)) {
                missing.add(n);
            }
        }
        phase("transactions committed " + transactionsCommitted.get() + ", aborted on purpose "
                + transactionsAbortedOnPurpose.get() + ", aborted after an error "
                + transactionsAborted.get()
                + ", producers created " + producersCreated.get() + ", errors " + errors + "; kills: "
                + leaderKills + " partition leaders, " + coordinatorKills + " transaction coordinators, "
                + groupCoordinatorKills + " group coordinators; output holds "
                + copies.size() + " distinct records, " + duplicates + " duplicated, " + missing.size()
                + " missing; " + totalMs + " ms in all");
        assertThat(leaderKills).isGreaterThanOrEqualTo(ROUNDS / 3);
        assertThat(coordinatorKills).isGreaterThanOrEqualTo(ROUNDS / 3);
        assertThat(groupCoordinatorKills).isGreaterThanOrEqualTo(ROUNDS / 3);
        assertThat(transactionsAbortedOnPurpose.get()).as("transactions aborted on purpose").isPositive();
        assertThat(missing).as("input records missing from the output").isEmpty();
        assertThat(copies).as("input records in the output more than once")
                .allSatisfy((number, count) -> assertThat(count).as("copies of %d", number).isEqualTo(1));
        assertThat(copies).hasSize(RECORDS);
    }

    /** Writes the numbers 0..RECORDS-1 to {@code input}, keyed by the number, idempotent and acks=all. */
    private void fillInput() throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            for (long n = 0; n < RECORDS; n++) {
                producer.send(new ProducerRecord<>(INPUT, Long.toString(n), Long.toString(n)));
            }
            producer.flush();
            producer.send(new ProducerRecord<>(INPUT, "last", "-1")).get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * The loop: poll a batch, send a transformed record for each, commit the batch's offsets in the transaction,
     * commit. On any error the consumer and, unless the transaction could be aborted, the producer are made anew, so
     * that the loop reads on from the group's committed offsets. Unknown failures end the loop and the test.
     */
    private void copyLoop(Random random) {
        KafkaConsumer<String, String> consumer = null;
        KafkaProducer<String, String> producer = null;
        try {
            while (copying.get()) {
                try {
                    if (producer == null) {
                        producer = newProducer();
                    }
                    if (consumer == null) {
                        consumer = newConsumer();
                    }
                    if (copied.get() >= allowance.get()) {
                        // Waiting for the next round of kills; poll keeps the consumer in its group meanwhile.
                        consumer.pause(consumer.assignment());
                        consumer.poll(Duration.ofMillis(100));
                        continue;
                    }
                    consumer.resume(consumer.paused());
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                    if (records.isEmpty()) {
                        continue;
                    }
                    if (zombieWanted.compareAndSet(true, false)) {
                        producer = replaceByASuccessor(consumer, producer, records);
                    } else if (random.nextInt(ABORT_ONE_IN) == 0) {
                        copyAndAbort(consumer, producer, records);
                    } else {
                        copy(consumer, producer, records);
                    }
                } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
                         | AuthorizationException fatal) {
                    count(fatal);
                    closeQuietly(producer);
                    producer = null;
                    closeQuietly(consumer);
                    consumer = null;
                } catch (KafkaException abortable) {
                    count(abortable);
                    if (producer != null && !abort(producer)) {
                        closeQuietly(producer);
                        producer = null;
                    }
                    closeQuietly(consumer);
                    consumer = null;
                }
            }
        } catch (Throwable unexpected) {
            loopFailure.set(unexpected);
            phase("the loop failed: " + unexpected);
            unexpected.printStackTrace();
        } finally {
            closeQuietly(producer);
            closeQuietly(consumer);
        }
    }

    private void copy(KafkaConsumer<String, String> consumer, KafkaProducer<String, String> producer,
                      ConsumerRecords<String, String> records) throws InterruptedException {
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        int count = 0;
        for (ConsumerRecord<String, String> record : records) {
            if (!record.key().equals("last")) {
                producer.send(new ProducerRecord<>(OUTPUT, record.key(), "copy-of-" + record.value()));
                count++;
            }
            next.put(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1));
        }
        if (chaos.get()) {
            // The work a real loop would do: it keeps transactions open long enough that kills land in them.
            Thread.sleep(WORK_PER_TRANSACTION_MS);
        }
        producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
        producer.commitTransaction();
        transactionsCommitted.incrementAndGet();
        copied.addAndGet(count);
    }

    /**
     * The loop stalls mid-transaction, its copies and offsets sent, as a paused or partitioned instance would, and a
     * successor with the same transactional id takes over: the successor's initTransactions fences the stalled
     * producer and aborts its transaction, so the stalled producer's commit must fail. The consumer is rewound to the
     * group's committed offsets, and the successor copies the batch again.
     */
    private KafkaProducer<String, String> replaceByASuccessor(KafkaConsumer<String, String> consumer,
                                                              KafkaProducer<String, String> stalled,
                                                              ConsumerRecords<String, String> records) {
        stalled.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, String> record : records) {
            if (!record.key().equals("last")) {
                stalled.send(new ProducerRecord<>(OUTPUT, record.key(), "copy-of-" + record.value()));
            }
            next.put(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1));
        }
        stalled.sendOffsetsToTransaction(next, consumer.groupMetadata());
        stalled.flush();
        KafkaProducer<String, String> successor = newProducer();
        try {
            stalled.commitTransaction();
            zombieOutcome.set("committed");
        } catch (ProducerFencedException | InvalidProducerEpochException fenced) {
            zombieOutcome.set("fenced: " + fenced.getClass().getSimpleName());
        } finally {
            closeQuietly(stalled);
        }
        phase("the stalled producer's commit after its successor's start: " + zombieOutcome.get());
        rewind(consumer);
        return successor;
    }

    /**
     * Sends a batch's copies and offsets as {@link #copy} does, but aborts the transaction, as an application that
     * failed to process the batch would, and rewinds the consumer to the group's committed offsets: the copies must
     * never be read with read_committed, and the batch is copied again.
     */
    private void copyAndAbort(KafkaConsumer<String, String> consumer, KafkaProducer<String, String> producer,
                              ConsumerRecords<String, String> records) {
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, String> record : records) {
            if (!record.key().equals("last")) {
                producer.send(new ProducerRecord<>(OUTPUT, record.key(), "copy-of-" + record.value()));
            }
            next.put(new TopicPartition(record.topic(), record.partition()),
                    new OffsetAndMetadata(record.offset() + 1));
        }
        producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
        producer.abortTransaction();
        transactionsAbortedOnPurpose.incrementAndGet();
        rewind(consumer);
    }

    /** Seeks the consumer to the group's committed offsets of the partitions assigned to it. */
    private static void rewind(KafkaConsumer<String, String> consumer) {
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(consumer.assignment());
        for (TopicPartition partition : consumer.assignment()) {
            OffsetAndMetadata offset = committed.get(partition);
            if (offset == null) {
                consumer.seekToBeginning(List.of(partition));
            } else {
                consumer.seek(partition, offset);
            }
        }
    }

    /**
     * Aborts the open transaction; false if the producer cannot, and must be closed. The producer refuses with an
     * IllegalStateException when no transaction is open (the error came outside one) or a timed-out commit is pending.
     */
    private boolean abort(KafkaProducer<String, String> producer) {
        try {
            producer.abortTransaction();
            transactionsAborted.incrementAndGet();
            return true;
        } catch (KafkaException | IllegalStateException e) {
            count(e);
            return false;
        }
    }

    private void count(Throwable error) {
        errors.computeIfAbsent(error.getClass().getSimpleName(), name -> new AtomicLong()).incrementAndGet();
        phase("loop: " + error);
    }

    private KafkaProducer<String, String> newProducer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        producersCreated.incrementAndGet();
        KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer());
        try {
            producer.initTransactions();
        } catch (RuntimeException e) {
            closeQuietly(producer);
            throw e;
        }
        return producer;
    }

    private KafkaConsumer<String, String> newConsumer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, RECORDS_PER_TRANSACTION_MAX);
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer());
        consumer.subscribe(List.of(INPUT));
        return consumer;
    }

    private static void closeQuietly(KafkaProducer<String, String> producer) {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (KafkaException e) {
                phase("closing a producer: " + e);
            }
        }
    }

    private static void closeQuietly(KafkaConsumer<String, String> consumer) {
        if (consumer != null) {
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (KafkaException e) {
                phase("closing a consumer: " + e);
            }
        }
    }

    private int transactionCoordinator() {
        int[] coordinator = {-1};
        try (Admin admin = brokers.admin()) {
            await("the coordinator of " + TRANSACTIONAL_ID).atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> {
                        coordinator[0] = admin.describeTransactions(List.of(TRANSACTIONAL_ID))
                                .description(TRANSACTIONAL_ID).get(10, TimeUnit.SECONDS).coordinatorId();
                        return coordinator[0] > 0;
                    });
        }
        return coordinator[0];
    }

    private int groupCoordinator() {
        int[] coordinator = {-1};
        try (Admin admin = brokers.admin()) {
            await("the coordinator of " + GROUP).atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                coordinator[0] = admin.describeConsumerGroups(List.of(GROUP)).describedGroups().get(GROUP)
                        .get(10, TimeUnit.SECONDS).coordinator().id();
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

    /** Waits until broker {@code id} is in the ISR of every partition of the topics the loop writes to. */
    private void awaitBackInEveryIsr(int id) {
        List<String> topics = List.of(INPUT, OUTPUT, "__consumer_offsets", "__transaction_state");
        try (Admin admin = brokers.admin()) {
            await("broker " + id + " back in every ISR").atMost(Duration.ofSeconds(120)).ignoreExceptions()
                    .untilAsserted(() -> {
                        Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames()
                                .get(10, TimeUnit.SECONDS);
                        for (TopicDescription description : descriptions.values()) {
                            for (TopicPartitionInfo info : description.partitions()) {
                                assertThat(info.isr()).extracting(Node::id)
                                        .as("ISR of %s-%d", description.name(), info.partition()).contains(id);
                            }
                        }
                    });
        }
    }

    private void awaitGroupAtEndOfInput() {
        try (Admin admin = brokers.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(INPUT, p), OffsetSpec.latest());
            }
            await("the group's offsets at the end of " + INPUT).atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
                        assertThat(loopFailure.get()).as("the loop failed").isNull();
                        Map<TopicPartition, Long> ends = new HashMap<>();
                        admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS)
                                .forEach((partition, info) -> ends.put(partition, info.offset()));
                        Map<TopicPartition, Long> committed = new HashMap<>();
                        admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                                .get(10, TimeUnit.SECONDS)
                                .forEach((partition, offset) -> committed.put(partition, offset.offset()));
                        assertThat(committed).as("the group's committed offsets").isEqualTo(ends);
                    });
        }
    }

    /** Reads {@code output} to its last stable offset with read_committed: how often each input number is there. */
    private Map<Long, Integer> readOutput() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<Long, Integer> copies = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(OUTPUT, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            await("reading " + OUTPUT + " to its end").atMost(Duration.ofSeconds(120)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    assertThat(record.value()).isEqualTo("copy-of-" + record.key());
                    copies.merge(Long.parseLong(record.key()), 1, Integer::sum);
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
            });
        }
        return copies;
    }
}

package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Transactional producers of kafka-clients against one real broker: initTransactions, offsets sent to a transaction,
 * commit and abort, zombie fencing, the broker's abort of a transaction left open past its timeout, Admin's
 * describeTransactions and listTransactions, and a restart that keeps the coordinator's state.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TransactionsTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 3,
                BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 200L));
        broker.createTopic("orders", 1, Map.of());
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static KafkaProducer<String, String> transactional(String transactionalId, int timeoutMs) {
        return broker.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000));
    }

    private static TransactionDescription describe(Admin admin, String transactionalId) throws Exception {
        return TransactionReads.describe(admin, transactionalId);
    }

    private static List<String> readAll(String topic, String isolation) {
        return TransactionReads.readAll(broker, topic, isolation);
    }

    /**
     * The isolation levels through real clients: read_committed sees committed records only, never aborted or still
     * open ones, and stops at the open transaction (its end offset is the last stable offset) until it commits;
     * read_uncommitted sees everything written.
     */
    @Test
    void readCommittedSeesOnlyCommittedRecordsAndReadUncommittedSeesAll() throws Exception {
        broker.createTopic("isolated", 1, Map.of());
        try (KafkaProducer<String, String> producer = transactional("isolation-tx", 60_000)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("isolated", "committed-1"));
            producer.send(new ProducerRecord<>("isolated", "committed-2"));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("isolated", "aborted-1")).get(15, TimeUnit.SECONDS);
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("isolated", "open-1")).get(15, TimeUnit.SECONDS);

            assertThat(readAll("isolated", "read_committed")).containsExactly("committed-1", "committed-2");
            assertThat(readAll("isolated", "read_uncommitted"))
                    .containsExactly("committed-1", "committed-2", "aborted-1", "open-1");

            producer.commitTransaction();
            assertThat(readAll("isolated", "read_committed")).containsExactly("committed-1", "committed-2", "open-1");
        }
        try (Admin admin = broker.admin()) {
            TopicPartition tp = new TopicPartition("isolated", 0);
            long committedEnd = admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()),
                    new org.apache.kafka.clients.admin.ListOffsetsOptions(
                            org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).partitionResult(tp)
                    .get(15, TimeUnit.SECONDS).offset();
            // Four records and three markers.
            assertThat(committedEnd).isEqualTo(7);
        }
    }

    @Test
    void offsetsSentToATransactionAreCommittedWithIt() throws Exception {
        try (KafkaProducer<String, String> producer = transactional("offsets-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(5)),
                    new ConsumerGroupMetadata("offsets-group"));
            assertThat(describe(admin, "offsets-tx").state()).isEqualTo(TransactionState.ONGOING);
            assertThat(describe(admin, "offsets-tx").topicPartitions()).singleElement()
                    .satisfies(tp -> assertThat(tp.topic()).isEqualTo("__consumer_offsets"));

            producer.commitTransaction();

            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(describe(admin, "offsets-tx").state()).isEqualTo(TransactionState.COMPLETE_COMMIT));
            TransactionDescription described = describe(admin, "offsets-tx");
            assertThat(described.producerId()).isNotNegative();
            assertThat(described.producerEpoch()).as("transaction version 2: bumped by the commit").isOne();
            assertThat(described.transactionTimeoutMs()).isEqualTo(60_000);
            assertThat(described.coordinatorId()).isEqualTo(broker.server().config().nodeId);
        }
    }

    @Test
    void theCommitMarkerMakesTheTransactionsOffsetsTheGroupsCommittedOffsets() throws Exception {
        try (KafkaProducer<String, String> producer = transactional("marker-offsets-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(5)),
                    new ConsumerGroupMetadata("marker-offsets-group"));
            producer.commitTransaction();

            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(admin
                    .listConsumerGroupOffsets("marker-offsets-group").partitionsToOffsetAndMetadata().get()
                    .get(ORDERS_0)).isNotNull().extracting(OffsetAndMetadata::offset).isEqualTo(5L));
        }
    }

    @Test
    void anAbortedTransactionsOffsetsAreNotCommitted() throws Exception {
        try (KafkaProducer<String, String> producer = transactional("abort-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(9)),
                    new ConsumerGroupMetadata("abort-group"));

            producer.abortTransaction();

            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(describe(admin, "abort-tx").state()).isEqualTo(TransactionState.COMPLETE_ABORT));
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(10)),
                    new ConsumerGroupMetadata("abort-group"));
            producer.commitTransaction();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(describe(admin, "abort-tx").state()).isEqualTo(TransactionState.COMPLETE_COMMIT));
        }
    }

    @Test
    void theAbortMarkerDropsTheTransactionsOffsets() throws Exception {
        try (KafkaProducer<String, String> producer = transactional("marker-abort-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(9)),
                    new ConsumerGroupMetadata("marker-abort-group"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(10)),
                    new ConsumerGroupMetadata("marker-abort-group"));
            producer.commitTransaction();

            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(admin
                    .listConsumerGroupOffsets("marker-abort-group").partitionsToOffsetAndMetadata().get()
                    .get(ORDERS_0)).isNotNull().extracting(OffsetAndMetadata::offset).isEqualTo(10L));
        }
    }

    @Test
    void aSecondProducerWithTheSameTransactionalIdFencesTheFirst() throws Exception {
        try (KafkaProducer<String, String> zombie = transactional("fenced-tx", 60_000);
             KafkaProducer<String, String> successor = transactional("fenced-tx", 60_000);
             Admin admin = broker.admin()) {
            zombie.initTransactions();
            successor.initTransactions();

            zombie.beginTransaction();
            assertThatThrownBy(() -> zombie.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(1)),
                    new ConsumerGroupMetadata("fenced-group"))).isInstanceOf(ProducerFencedException.class);

            successor.beginTransaction();
            successor.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(2)),
                    new ConsumerGroupMetadata("fenced-group"));
            successor.commitTransaction();
            assertThat(describe(admin, "fenced-tx").producerEpoch()).as("1 for the successor, 1 by its commit")
                    .isEqualTo((short) 2);
        }
    }

    @Test
    void adminFenceProducersFencesTheProducerOfATransactionalIdAsKafkaConnectDoes() throws Exception {
        try (KafkaProducer<String, String> producer = transactional("connect-task-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(1)),
                    new ConsumerGroupMetadata("connect-group"));

            admin.fenceProducers(List.of("connect-task-tx")).all().get(30, TimeUnit.SECONDS);

            assertThatThrownBy(producer::commitTransaction).isInstanceOf(ProducerFencedException.class);
            TransactionDescription described = describe(admin, "connect-task-tx");
            assertThat(described.state()).as("the open transaction was aborted").isEqualTo(TransactionState.EMPTY);
            assertThat(described.producerEpoch()).as("bumped twice to abort a transaction of version 2, then to"
                    + " fence").isEqualTo((short) 3);
        }
    }

    @Test
    void aNewProducerAbortsTheTransactionTheOldOneLeftOpen() throws Exception {
        try (KafkaProducer<String, String> crashed = transactional("left-open-tx", 60_000);
             Admin admin = broker.admin()) {
            crashed.initTransactions();
            crashed.beginTransaction();
            crashed.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(3)),
                    new ConsumerGroupMetadata("left-open-group"));
            assertThat(describe(admin, "left-open-tx").state()).isEqualTo(TransactionState.ONGOING);

            try (KafkaProducer<String, String> restarted = transactional("left-open-tx", 60_000)) {
                restarted.initTransactions(); // retries CONCURRENT_TRANSACTIONS until the abort completes

                TransactionDescription described = describe(admin, "left-open-tx");
                assertThat(described.state()).isEqualTo(TransactionState.EMPTY);
                assertThat(described.producerEpoch()).as("two bumps to abort a transaction of version 2, one for"
                        + " the new producer").isEqualTo((short) 3);
            }
            assertThatThrownBy(crashed::commitTransaction).isInstanceOf(KafkaException.class);
        }
    }

    @Test
    void aTransactionLeftOpenPastItsTimeoutIsAbortedByTheBroker() throws Exception {
        try (KafkaProducer<String, String> producer = transactional("slow-tx", 1_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(4)),
                    new ConsumerGroupMetadata("slow-group"));

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(describe(admin, "slow-tx").state()).isEqualTo(TransactionState.COMPLETE_ABORT));

            assertThat(describe(admin, "slow-tx").producerEpoch()).as("bumped twice (transaction version 2), to"
                    + " fence the producer").isEqualTo((short) 2);
            assertThatThrownBy(producer::commitTransaction).isInstanceOfAny(ProducerFencedException.class,
                    InvalidProducerEpochException.class, KafkaException.class);
        }
    }

    @Test
    void listTransactionsFiltersByStateAndProducerId() throws Exception {
        try (KafkaProducer<String, String> open = transactional("listed-open-tx", 60_000);
             KafkaProducer<String, String> idle = transactional("listed-idle-tx", 60_000);
             Admin admin = broker.admin()) {
            open.initTransactions();
            idle.initTransactions();
            open.beginTransaction();
            open.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(1)),
                    new ConsumerGroupMetadata("listed-group"));

            Collection<TransactionListing> ongoing = admin.listTransactions(new ListTransactionsOptions()
                    .filterStates(Set.of(TransactionState.ONGOING))).all()
                    .get(15, TimeUnit.SECONDS);
            long idleProducerId = describe(admin, "listed-idle-tx").producerId();
            Collection<TransactionListing> byProducer = admin.listTransactions(new ListTransactionsOptions()
                    .filterProducerIds(Set.of(idleProducerId))).all().get(15, TimeUnit.SECONDS);
            Collection<TransactionListing> all = admin.listTransactions().all().get(15, TimeUnit.SECONDS);

            assertThat(ongoing).extracting(TransactionListing::transactionalId).contains("listed-open-tx")
                    .doesNotContain("listed-idle-tx");
            assertThat(byProducer).extracting(TransactionListing::transactionalId).containsExactly("listed-idle-tx");
            assertThat(all).extracting(TransactionListing::transactionalId)
                    .contains("listed-open-tx", "listed-idle-tx");
            open.abortTransaction();
        }
    }

    @Test
    void kafkaTransactionsShListsAndDescribesTransactions() throws Exception {
        try (KafkaProducer<String, String> producer = transactional("tool-tx", 60_000)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(1)),
                    new ConsumerGroupMetadata("tool-group"));

            String tool = "org.apache.kafka.tools.TransactionsCommand";
            ToolResult listed = tool(tool, "--bootstrap-server", broker.bootstrapServers(), "list");
            ToolResult described = tool(tool, "--bootstrap-server", broker.bootstrapServers(), "describe",
                    "--transactional-id", "tool-tx");

            assertThat(listed.exit()).as(listed.err()).isZero();
            assertThat(listed.out()).containsPattern("tool-tx\\s+" + broker.server().config().nodeId
                    + "\\s+\\d+\\s+Ongoing");
            assertThat(described.exit()).as(described.err()).isZero();
            assertThat(described.out()).contains("tool-tx").contains("Ongoing").contains("60000")
                    .contains("__consumer_offsets-");
            producer.abortTransaction();
        }
    }

    @Test
    void adminDescribeProducersShowsAnOpenTransactionsStartOffsetAndNoneOnceItCommits() throws Exception {
        broker.createTopic("described", 1, Map.of());
        TopicPartition described = new TopicPartition("described", 0);
        try (KafkaProducer<String, String> producer = transactional("described-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("described", "k", "first")).get(15, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>("described", "k", "second")).get(15, TimeUnit.SECONDS);
            long producerId = describe(admin, "described-tx").producerId();

            ProducerState open = onlyProducer(admin, described);
            assertThat(open.producerId()).isEqualTo(producerId);
            assertThat(open.currentTransactionStartOffset()).hasValue(0);
            assertThat(open.lastSequence()).isEqualTo(1);
            assertThat(open.lastTimestamp()).isPositive();
            assertThat(open.coordinatorEpoch()).as("no marker yet").isEmpty();

            producer.commitTransaction();
            // The marker is written after EndTxn is answered.
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(onlyProducer(admin, described).currentTransactionStartOffset()).isEmpty());
            ProducerState committed = onlyProducer(admin, described);
            assertThat(committed.producerEpoch()).as("the commit marker's epoch: transaction protocol v2 bumps it")
                    .isEqualTo((short) (open.producerEpoch() + 1));
            assertThat(committed.coordinatorEpoch()).as("the marker's").isPresent();
            assertThat(committed.lastSequence()).as("a new epoch starts its sequence over").isEqualTo(-1);
        }
    }

    @Test
    void kafkaTransactionsShDescribesProducersAndFindsATransactionNoCoordinatorKnows() throws Exception {
        // A hanging transaction is what a leader that does not verify transactional batches with the coordinator
        // (a broker before KIP-890, or transaction.partition.verification.enable=false) can be left with.
        try (TestBroker unverified = TestBroker.start(dir.resolve("unverified"),
                Map.of(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false))) {
            findHangingTransaction(unverified);
        }
    }

    private void findHangingTransaction(TestBroker broker) throws Exception {
        broker.createTopic("hanging", 1, Map.of());
        TopicPartition hanging = new TopicPartition("hanging", 0);
        long producerId = 777_001L;
        try (TransactionWriter writer = new TransactionWriter(broker.bootstrapServers(), hanging, 0)) {
            // A transactional batch whose producer no coordinator knows: its transaction never ends by itself.
            writer.produceTransactional(producerId, "left-open");
            String tool = "org.apache.kafka.tools.TransactionsCommand";
            ToolResult producers = tool(tool, "--bootstrap-server", broker.bootstrapServers(), "describe-producers",
                    "--topic", "hanging", "--partition", "0");
            ToolResult found = tool(tool, "--bootstrap-server", broker.bootstrapServers(), "find-hanging",
                    "--broker-id", Integer.toString(broker.server().config().nodeId), "--max-transaction-timeout",
                    "1");

            assertThat(producers.exit()).as(producers.err()).isZero();
            // ProducerId, ProducerEpoch, LatestCoordinatorEpoch (none yet), LastSequence, LastTimestamp,
            // CurrentTransactionStartOffset.
            assertThat(producers.out()).containsPattern("(?m)^" + producerId + "\\s+0\\s+-1\\s+0\\s+-?\\d+\\s+0\\s*$");
            assertThat(found.exit()).as(found.err()).isZero();
            // Topic, Partition, ProducerId, ProducerEpoch, CoordinatorEpoch, StartOffset, ...
            assertThat(found.out()).containsPattern("(?m)^hanging\\s+0\\s+" + producerId + "\\s+0\\s+-1\\s+0\\s");
            writer.marker(producerId, false);
        }
    }

    /** The one producer Admin#describeProducers reports for {@code partition}. */
    private static ProducerState onlyProducer(Admin admin, TopicPartition partition) throws Exception {
        List<ProducerState> producers = admin.describeProducers(List.of(partition)).partitionResult(partition)
                .get(15, TimeUnit.SECONDS).activeProducers();
        assertThat(producers).hasSize(1);
        return producers.get(0);
    }

    private record ToolResult(int exit, String out, String err) {
    }

    /** Runs one of Kafka's tools in its own JVM, as kafka-transactions.sh would. */
    private static ToolResult tool(String mainClass, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                new java.io.File("/dev/null"))).start();
        java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> readAll(process.getInputStream()));
        java.util.concurrent.CompletableFuture<String> err = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> readAll(process.getErrorStream()));
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", mainClass).isTrue();
        return new ToolResult(process.exitValue(), out.get(), err.get());
    }

    private static String readAll(java.io.InputStream stream) {
        try {
            return new String(stream.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void recordsProducedInATransactionAreFollowedByItsMarker() throws Exception {
        broker.createTopic("txn-records", 1, Map.of());
        try (KafkaProducer<String, String> producer = transactional("records-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn-records", "k", "committed")).get();
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn-records", "k", "aborted")).get();
            producer.abortTransaction();

            // Two records and two markers: the log end is past the records by the control batches.
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(admin.listOffsets(Map.of(
                    new TopicPartition("txn-records", 0), org.apache.kafka.clients.admin.OffsetSpec.latest()))
                    .all().get().get(new TopicPartition("txn-records", 0)).offset()).isEqualTo(4L));
        }
    }

    @Test
    void theCoordinatorsStateSurvivesARestart() throws Exception {
        long producerId;
        try (KafkaProducer<String, String> producer = transactional("restart-tx", 60_000);
             Admin admin = broker.admin()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(ORDERS_0, new OffsetAndMetadata(8)),
                    new ConsumerGroupMetadata("restart-group"));
            producer.commitTransaction();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(describe(admin, "restart-tx").state()).isEqualTo(TransactionState.COMPLETE_COMMIT));
            producerId = describe(admin, "restart-tx").producerId();
        }

        broker.restart();

        try (KafkaProducer<String, String> producer = transactional("restart-tx", 60_000);
             Admin admin = broker.admin()) {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                    assertThat(describe(admin, "restart-tx").state()).isEqualTo(TransactionState.COMPLETE_COMMIT));
            producer.initTransactions();
            TransactionDescription described = describe(admin, "restart-tx");
            assertThat(described.producerId()).as("the same id, replayed from __transaction_state")
                    .isEqualTo(producerId);
            assertThat(described.producerEpoch()).as("1 by the commit, 1 by the new producer").isEqualTo((short) 2);
        }
    }
}

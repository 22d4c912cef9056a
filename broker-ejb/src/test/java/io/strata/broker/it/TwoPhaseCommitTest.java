package io.strata.broker.it;

import io.strata.broker.api.StrataExtensions;
import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.requests.DescribeTransactionsResponse;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ListTransactionsResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Strata's prepared transactions ({@code strata.transaction.prepare}) on a real broker, through kafka-clients'
 * producer and the raw requests an XA resource sends: EndTxn with the prepare tag stores the transaction Prepared,
 * which survives a restart of the broker, outlives its transaction timeout, is listed by ListTransactions with the
 * state filter {@code Prepared} and keeps its records from read_committed consumers until EndTxn commits (exactly
 * once) or aborts it. InitProducerId without KeepPreparedTxn is refused, and malformed tags are INVALID_REQUEST.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TwoPhaseCommitTest {

    private static final String TOPIC = "xa-orders";
    private static final TopicPartition ORDERS_0 = new TopicPartition(TOPIC, 0);
    private static final String TX = "strata-xa:4660:67747269:62717561";
    private static final int RECORDS = 5;
    private static final int TIMEOUT_MS = 10_000;

    @TempDir
    Path dir;

    private TestBroker broker;

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private void startBroker() {
        broker = TestBroker.start(dir, Map.of(
                BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 100L,
                BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 3));
        broker.createTopic(TOPIC, 1, Map.of());
    }

    @Test
    void aPreparedTransactionSurvivesARestartAndItsCommitShowsItsRecordsExactlyOnce() throws Exception {
        startBroker();
        Prepared prepared = sendAndPrepare(broker.bootstrapServers(), TX);

        broker.restart();

        try (RawRequests raw = new RawRequests(broker.bootstrapServers())) {
            await("the coordinator loaded").atMost(Duration.ofSeconds(30)).until(() ->
                    listPrepared(raw).contains(TX));
            assertThat(describedState(raw, TX)).isEqualTo("Prepared");
            assertThat(lastStableOffset(broker.bootstrapServers())).as("the records are held back").isZero();

            assertThat(end(raw, TX, prepared, true)).isEqualTo(Errors.NONE);
            assertThat(end(raw, TX, prepared, true)).as("a retried commit").isEqualTo(Errors.NONE);
        }
        assertThat(readCommitted(broker.bootstrapServers(), RECORDS)).containsExactly(values());
    }

    @Test
    void anAbortOfAPreparedTransactionHidesItsRecords() throws Exception {
        startBroker();
        Prepared prepared = sendAndPrepare(broker.bootstrapServers(), TX);

        try (RawRequests raw = new RawRequests(broker.bootstrapServers())) {
            assertThat(end(raw, TX, prepared, false)).isEqualTo(Errors.NONE);
            await("the abort completed").atMost(Duration.ofSeconds(30)).until(() ->
                    describedState(raw, TX).equals("CompleteAbort"));
            assertThat(listPrepared(raw)).doesNotContain(TX);
        }
        assertThat(lastStableOffset(broker.bootstrapServers())).isEqualTo(RECORDS + 1); // past the marker
        assertThat(readCommitted(broker.bootstrapServers(), 0)).isEmpty();
    }

    @Test
    void aPreparedTransactionOutlivesItsTimeoutAndAnInitProducerIdThatDoesNotKeepItIsRefused() throws Exception {
        startBroker();
        Prepared prepared = sendAndPrepare(broker.bootstrapServers(), TX);

        broker.advanceClock(Duration.ofMillis(TIMEOUT_MS * 3L));
        try (RawRequests raw = new RawRequests(broker.bootstrapServers())) {
            // The timeout check runs every 100 ms: an Ongoing transaction would be aborted within a few rounds.
            await("still prepared after ten rounds of the timeout check").during(Duration.ofSeconds(1))
                    .atMost(Duration.ofSeconds(5)).until(() -> describedState(raw, TX).equals("Prepared"));

            InitProducerIdResponseData plain = initProducerId(raw, TX, false, false);
            assertThat(Errors.forCode(plain.errorCode())).isEqualTo(Errors.INVALID_TXN_STATE);
            assertThat(describedState(raw, TX)).isEqualTo("Prepared");

            InitProducerIdResponseData kept = initProducerId(raw, TX, true, true);
            assertThat(Errors.forCode(kept.errorCode())).isEqualTo(Errors.NONE);
            assertThat(kept.ongoingTxnProducerId()).isEqualTo(prepared.producerId());
            assertThat(kept.ongoingTxnProducerEpoch()).isEqualTo(prepared.epoch());
            assertThat(kept.producerId()).isEqualTo(prepared.producerId());

            assertThat(end(raw, TX, new Prepared(kept.ongoingTxnProducerId(), kept.ongoingTxnProducerEpoch()),
                    true)).isEqualTo(Errors.NONE);
        }
        assertThat(readCommitted(broker.bootstrapServers(), RECORDS)).containsExactly(values());
    }

    @Test
    void malformedPrepareAndKeepPreparedTxnRequestsAreInvalidAndChangeNothing() throws Exception {
        startBroker();
        try (KafkaProducer<String, String> producer = transactionalProducer(broker.bootstrapServers(), TX);
             RawRequests raw = new RawRequests(broker.bootstrapServers())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(TOPIC, "k", "v")).get(30, TimeUnit.SECONDS);
            Prepared open = producerOf(raw, TX);

            assertThat(sendEndTxn(raw, TX, open, true, new byte[] {1})).as("a value").isEqualTo(
                    Errors.INVALID_REQUEST);
            assertThat(sendEndTxn(raw, TX, open, false, new byte[0])).as("committed false").isEqualTo(
                    Errors.INVALID_REQUEST);
            assertThat(Errors.forCode(initProducerId(raw, TX, false, true).errorCode()))
                    .as("KeepPreparedTxn without Enable2Pc").isEqualTo(Errors.INVALID_REQUEST);
            assertThat(describedState(raw, TX)).as("nothing done").isEqualTo("Ongoing");
            producer.abortTransaction();
        }
    }

    @Test
    void theBrokerAdvertisesTheFeature() throws Exception {
        startBroker();
        try (Admin admin = broker.admin()) {
            assertThat(admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS).supportedFeatures())
                    .containsKey(StrataExtensions.TRANSACTION_PREPARE_FEATURE);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The producer id and epoch of a transaction. */
    record Prepared(long producerId, short epoch) {
    }

    private static String[] values() {
        String[] values = new String[RECORDS];
        for (int i = 0; i < RECORDS; i++) {
            values[i] = "order-" + i;
        }
        return values;
    }

    static KafkaProducer<String, String> transactionalProducer(String bootstrapServers, String transactionalId) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        properties.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TIMEOUT_MS);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.StringSerializer.class.getName());
        return new KafkaProducer<>(properties);
    }

    /**
     * Sends {@value #RECORDS} records in a transaction of {@code transactionalId} and prepares it with the prepare
     * tag, sent to the coordinator at {@code coordinator}; the producer is then closed without aborting, as a process
     * that dies after prepare.
     */
    static Prepared sendAndPrepare(String bootstrapServers, String transactionalId, String coordinator)
            throws Exception {
        try (RawRequests raw = new RawRequests(coordinator)) {
            KafkaProducer<String, String> producer = transactionalProducer(bootstrapServers, transactionalId);
            try {
                producer.initTransactions();
                producer.beginTransaction();
                for (String value : values()) {
                    producer.send(new ProducerRecord<>(TOPIC, value, value));
                }
                producer.flush();
                Prepared open = producerOf(raw, transactionalId);
                assertThat(sendEndTxn(raw, transactionalId, open, true, new byte[0])).isEqualTo(Errors.NONE);
                assertThat(describedState(raw, transactionalId)).isEqualTo("Prepared");
                assertThat(listPrepared(raw)).contains(transactionalId);
                return open;
            } finally {
                producer.close(Duration.ZERO); // a forced close sends no EndTxn: the transaction stays prepared
            }
        }
    }

    private static Prepared sendAndPrepare(String bootstrapServers, String transactionalId) throws Exception {
        return sendAndPrepare(bootstrapServers, transactionalId, bootstrapServers);
    }

    static Prepared producerOf(RawRequests raw, String transactionalId) {
        DescribeTransactionsResponse described = raw.send(ApiKeys.DESCRIBE_TRANSACTIONS,
                new DescribeTransactionsRequestData().setTransactionalIds(List.of(transactionalId)));
        var state = described.data().transactionStates().get(0);
        assertThat(Errors.forCode(state.errorCode())).isEqualTo(Errors.NONE);
        return new Prepared(state.producerId(), state.producerEpoch());
    }

    static String describedState(RawRequests raw, String transactionalId) {
        DescribeTransactionsResponse described = raw.send(ApiKeys.DESCRIBE_TRANSACTIONS,
                new DescribeTransactionsRequestData().setTransactionalIds(List.of(transactionalId)));
        return described.data().transactionStates().get(0).transactionState();
    }

    /** The transactional ids ListTransactions shows in state Prepared with Strata's XA prefix. */
    static List<String> listPrepared(RawRequests raw) {
        ListTransactionsResponse listed = raw.send(ApiKeys.LIST_TRANSACTIONS, new ListTransactionsRequestData()
                .setStateFilters(List.of("Prepared")).setTransactionalIdPattern("strata-xa:.*"));
        assertThat(Errors.forCode(listed.data().errorCode())).isEqualTo(Errors.NONE);
        List<String> ids = new ArrayList<>();
        for (ListTransactionsResponseData.TransactionState state : listed.data().transactionStates()) {
            assertThat(state.transactionState()).isEqualTo("Prepared");
            ids.add(state.transactionalId());
        }
        return ids;
    }

    static EndTxnRequestData endTxnData(String transactionalId, Prepared producer, boolean commit) {
        return new EndTxnRequestData().setTransactionalId(transactionalId).setProducerId(producer.producerId())
                .setProducerEpoch(producer.epoch()).setCommitted(commit);
    }

    static Errors sendEndTxn(RawRequests raw, String transactionalId, Prepared producer, boolean commit,
                             byte[] prepareTag) {
        EndTxnRequestData data = endTxnData(transactionalId, producer, commit);
        data.unknownTaggedFields().add(new RawTaggedField(StrataExtensions.TRANSACTION_PREPARE_TAG, prepareTag));
        return Errors.forCode(((EndTxnResponse) raw.send(ApiKeys.END_TXN, data)).data().errorCode());
    }

    static Errors end(RawRequests raw, String transactionalId, Prepared producer, boolean commit) {
        return Errors.forCode(((EndTxnResponse) raw.send(ApiKeys.END_TXN,
                endTxnData(transactionalId, producer, commit))).data().errorCode());
    }

    static InitProducerIdResponseData initProducerId(RawRequests raw, String transactionalId, boolean enable2Pc,
                                                     boolean keepPrepared) {
        InitProducerIdResponse response = raw.send(ApiKeys.INIT_PRODUCER_ID, new InitProducerIdRequestData()
                .setTransactionalId(transactionalId).setTransactionTimeoutMs(TIMEOUT_MS)
                .setEnable2Pc(enable2Pc).setKeepPreparedTxn(keepPrepared));
        return response.data();
    }

    static long lastStableOffset(String bootstrapServers) {
        try (KafkaConsumer<String, String> consumer = readCommittedConsumer(bootstrapServers)) {
            return consumer.endOffsets(List.of(ORDERS_0), Duration.ofSeconds(30)).get(ORDERS_0);
        }
    }

    /** What a read_committed consumer reads of the topic, polling until {@code expected} came and a second more. */
    static List<String> readCommitted(String bootstrapServers, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = readCommittedConsumer(bootstrapServers)) {
            consumer.assign(List.of(ORDERS_0));
            consumer.seekToBeginning(List.of(ORDERS_0));
            long end = consumer.endOffsets(List.of(ORDERS_0), Duration.ofSeconds(30)).get(ORDERS_0);
            await("read_committed to the last stable offset").atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
                return values.size() >= expected && consumer.position(ORDERS_0) >= end;
            });
        }
        return values;
    }

    private static KafkaConsumer<String, String> readCommittedConsumer(String bootstrapServers) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(properties);
    }

    static void createTopic(Admin admin, int replicas) throws Exception {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) replicas))).all().get(30, TimeUnit.SECONDS);
    }
}

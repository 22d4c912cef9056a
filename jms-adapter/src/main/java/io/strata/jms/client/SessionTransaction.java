package io.strata.jms.client;

import io.strata.jms.share.AcknowledgementResult;
import io.strata.jms.share.AcknowledgementTransaction;
import jakarta.jms.JMSException;
import jakarta.jms.ResourceAllocationException;
import jakarta.jms.TransactionRolledBackException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.SupportedVersionRange;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The local transaction of a transacted session (JMS 3.1 section 6.2.9), on a Kafka transaction: it owns the
 * session's transactional {@code KafkaProducer} and the messages the session consumed since the last commit or
 * rollback. A transaction begins implicitly, with the first send or receive, and a new one after each commit or
 * rollback.
 *
 * <ul>
 *   <li><b>Sends</b> go into the producer's transaction (read_committed consumers, and every JMS consumer, see them
 *       only after the commit; an abort discards them). {@code send} does not wait for each record: the commit
 *       flushes, and a send that failed fails the commit.</li>
 *   <li><b>Commit</b>: the producer flushes; the messages consumed from share groups (queues, durable and shared
 *       subscriptions) are accepted inside the transaction ({@code strata.share.transactional.acknowledge}, tag
 *       32001, with the producer id and epoch of {@link ProducerTransactionState}), pending at their leaders; then
 *       {@code commitTransaction()} makes the sends visible and the acceptances final at once. A transaction that
 *       only acknowledged has its partition counted by the producer ({@link ProducerTransactionState#include}) so
 *       that the commit sends EndTxn. When any step fails the transaction is aborted and the commit throws
 *       {@link TransactionRolledBackException}: the sends are discarded, the consumed messages come again.</li>
 *   <li><b>Rollback</b>: {@code abortTransaction()} and RELEASE of the consumed messages, which come again with
 *       JMSRedelivered true and JMSXDeliveryCount one higher (the share group counts the delivery).</li>
 *   <li><b>Topic subscribers without a group</b> (non-durable, unshared) acknowledge nothing to the broker: at commit
 *       their messages are simply consumed. At rollback they are delivered again from the client, in their order,
 *       one delivery higher ({@link LogEndSource#release}): the transaction still holds every message it consumed,
 *       so replaying them from memory needs no fetch, and unlike seeking the consumer back to the first offset of
 *       the transaction it does not deliver again the records the consumer skipped (selector, noLocal, expired), and
 *       it counts the delivery so that JMSRedelivered is true.</li>
 *   <li><b>A consumer closed</b> with messages in the open transaction keeps its share-group member until the
 *       transaction ends, so that the commit can still accept them (a closed member's records go back to the
 *       group).</li>
 * </ul>
 *
 * <p><b>Transactional id.</b> {@code strata-jms-tx-} and a random UUID, one per session, kept for the session's life.
 * Kafka's stable transactional ids exist so that a restarted instance fences its zombie predecessor on the same input
 * partitions; a JMS session has no identity across restarts to derive one from, and its inputs need no such fencing:
 * a share-group record is acquired by one member at a time and, once its acceptance is pending in a transaction,
 * cannot be acknowledged by anyone else. The cost of a random id: a process that dies leaves its open transaction to
 * the coordinator's timeout ({@code transaction.timeout.ms}, kafka-clients' 60 s by default, settable on the factory),
 * which keeps the transaction's inputs held until then; and each session leaves an entry in
 * {@code __transaction_state} until {@code transactional.id.expiration.ms}. Within the session the id is kept: a
 * producer that failed is replaced by one of the same id, whose {@code initTransactions} aborts what the old one left
 * open at once.
 *
 * <p>Bounds: at most {@value #CONSUMED_MAX} messages consumed per transaction ({@code ResourceAllocationException}
 * beyond); a share group holds them acquired meanwhile (its record lock, 30 s by default, bounds how long a
 * transaction may take between receive and commit: a lock that ran out fails the commit, rolled back). Every call
 * that waits on the brokers is bounded by the producer's {@code max.block.ms} or the acknowledgement timeout.
 *
 * <p>Thread-safety: every method is synchronized; the session's thread of control and its delivery thread call it.
 */
final class SessionTransaction {

    private static final Logger LOG = Logger.getLogger(SessionTransaction.class.getName());

    /** The broker feature, as {@code io.strata.jms.share.StrataFeatures} names it; version 2 is exactly once. */
    static final String FEATURE = "strata.share.transactional.acknowledge";
    static final short FEATURE_VERSION_MIN = 2;
    static final int CONSUMED_MAX = 100_000;
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final StrataConnection connection;
    private final String transactionalId;
    /** The producer's {@code transaction.timeout.ms}, or 0 for the factory's (or kafka-clients') own. */
    private final int timeoutMs;
    private final List<Delivery> consumed = new ArrayList<>();
    private final List<RecordSource> closeAtEnd = new ArrayList<>();
    private KafkaProducer<byte[], byte[]> producer;
    private ProducerTransactionState producerState;
    /** What a prepared transaction consumed, until its second phase; null when not prepared. */
    private List<Delivery> prepared;
    private boolean begun;
    private boolean sent;

    SessionTransaction(StrataConnection connection) {
        this(connection, "strata-jms-tx-" + UUID.randomUUID(), 0);
    }

    /**
     * A transaction of {@code transactionalId}: an XA branch's ({@link XaTransactionIds}), whose producer has
     * {@code timeoutMs} as its transaction timeout when it is positive.
     */
    SessionTransaction(StrataConnection connection, String transactionalId, int timeoutMs) {
        this.connection = connection;
        this.transactionalId = transactionalId;
        this.timeoutMs = timeoutMs;
    }

    /**
     * Checks that transacted sessions can work: kafka-clients has what {@link ProducerTransactionState} reads, and
     * the broker {@code admin} asks advertises {@value #FEATURE} at version 2 or later.
     */
    static void checkSupported(Admin admin, String bootstrapServers) throws JMSException {
        String reason = ProducerTransactionState.unavailableReason();
        if (reason != null) {
            throw new JMSException(reason);
        }
        SupportedVersionRange range;
        try {
            range = admin.describeFeatures().featureMetadata().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .supportedFeatures().get(FEATURE);
        } catch (ExecutionException e) {
            throw JmsErrors.jms("cannot ask the broker at " + bootstrapServers + " whether it supports transacted"
                    + " sessions", e.getCause());
        } catch (Exception e) {
            throw StrataConnection.interruptedOr(e, "cannot ask the broker at " + bootstrapServers
                    + " whether it supports transacted sessions");
        }
        if (range == null || range.maxVersion() < FEATURE_VERSION_MIN) {
            throw new JMSException("transacted sessions need a broker that acknowledges share-group records inside"
                    + " a Kafka transaction (feature " + FEATURE + " version " + FEATURE_VERSION_MIN + " or later);"
                    + " the broker at " + bootstrapServers + " advertises " + (range == null ? "none" : range)
                    + ": use a Strata broker with it, or a non-transacted session");
        }
    }

    String transactionalId() {
        return transactionalId;
    }

    /** The producer to send with, its transaction begun. */
    synchronized KafkaProducer<byte[], byte[]> producerForSend() throws JMSException {
        begin();
        sent = true;
        return producer;
    }

    /** Refuses a further message when the transaction holds {@value #CONSUMED_MAX}. */
    synchronized void checkRoom() throws ResourceAllocationException {
        if (consumed.size() >= CONSUMED_MAX) {
            throw new ResourceAllocationException("a transaction of this session consumed " + consumed.size()
                    + " messages, the most one transaction may; commit or roll back first");
        }
    }

    /** {@code delivery} was handed to the application: it is consumed when the transaction commits. */
    synchronized void consumed(Delivery delivery) {
        consumed.add(delivery);
    }

    /**
     * The consumer closed: whether the transaction closes its source when it ends (it holds messages of it), rather
     * than the consumer now.
     */
    synchronized boolean closesAtEnd(StrataMessageConsumer consumer) {
        for (Delivery delivery : consumed) {
            if (delivery.consumer == consumer) {
                closeAtEnd.add(consumer.source());
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------- commit

    /**
     * Commits: the sends become visible and the consumed messages are accepted, together.
     *
     * @throws TransactionRolledBackException when that could not be done: the transaction was rolled back
     * @throws JMSException                   when the brokers did not say whether the commit was made
     */
    synchronized void commit() throws JMSException {
        List<Delivery> deliveries = takeConsumed();
        try {
            Map<ShareGroupSource, List<Delivery>> shared = shareGroupDeliveries(deliveries);
            if (!begun && shared.isEmpty()) {
                return; // nothing sent, and nothing the broker must hear of: a topic subscriber's messages are consumed
            }
            begin();
            Set<Pending> pending = new HashSet<>();
            try {
                producer.flush();
                acknowledge(shared, pending);
            } catch (TransactionRolledBackException e) {
                throw rolledBack(deliveries, pending, e.getMessage(), e.getErrorCode(), null);
            } catch (RuntimeException e) {
                throw rolledBack(deliveries, pending, "the consumed messages could not be acknowledged in the"
                        + " transaction: " + e.getMessage(), null, e);
            }
            endCommit(deliveries, pending);
        } finally {
            closeSourcesAtEnd();
        }
    }

    /** Accepts the share groups' messages in the transaction; those the leaders hold pending go to {@code pending}. */
    private void acknowledge(Map<ShareGroupSource, List<Delivery>> shared, Set<Pending> pending)
            throws TransactionRolledBackException {
        if (shared.isEmpty()) {
            return;
        }
        if (!producerState.protocolVersion2()) {
            throw new TransactionRolledBackException("the transactional producer does not speak transaction"
                    + " protocol version 2 (KIP-890), which acknowledgements inside a transaction need; the broker"
                    + " must finalize transaction.version 2");
        }
        AcknowledgementTransaction transaction = producerState.current();
        TopicIdPartition acknowledged = null;
        for (Map.Entry<ShareGroupSource, List<Delivery>> entry : shared.entrySet()) {
            for (AcknowledgementResult result : entry.getKey().acceptInTransaction(entry.getValue(), transaction)) {
                if (!result.succeeded()) {
                    throw new TransactionRolledBackException("messages at offsets " + result.offsets() + " of "
                            + result.topicPartition() + " could not be acknowledged in the transaction: "
                            + result.error() + " " + result.message() + " (their acquisition lock ran out, or the"
                            + " broker lost this consumer's session)", result.error().name());
                }
                result.offsets().forEach(offset -> pending.add(new Pending(result.topicPartition(), offset)));
                acknowledged = result.topicPartition();
            }
        }
        if (!sent && acknowledged != null) {
            producerState.include(acknowledged.topicPartition()); // else commitTransaction() sends no EndTxn
        }
    }

    private void endCommit(List<Delivery> deliveries, Set<Pending> pending) throws JMSException {
        for (int attempt = 1; ; attempt++) {
            try {
                producer.commitTransaction();
                begun = false;
                sent = false;
                return;
            } catch (TimeoutException e) {
                if (attempt < 2) {
                    continue; // kafka-clients lets a timed-out commit be called again; it resumes where it was
                }
                discardProducer();
                throw JmsErrors.jms("the commit of transaction '" + transactionalId + "' was not answered in time;"
                        + " whether it was made is unknown (an open transaction is aborted by the broker)", e);
            } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
                     | UnsupportedVersionException | IllegalStateException e) {
                discardProducer(); // the producer cannot go on; its transaction ends aborted
                releaseExcept(deliveries, pending);
                throw rolledBack("the transaction could not be committed: " + e.getMessage(), null, e);
            } catch (KafkaException e) {
                throw rolledBack(deliveries, pending, "the transaction could not be committed: " + e.getMessage(),
                        null, e);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- two phases

    /**
     * Whether the brokers must hear of this transaction at its end: it sent, or consumed from share groups. An XA
     * branch without either is read-only (a topic subscriber's messages are simply consumed).
     */
    synchronized boolean hasBrokerWork() {
        return begun || !shareGroupDeliveries(consumed).isEmpty();
    }

    /**
     * The first phase of a two-phase commit (an XA branch): the sends are flushed, the consumed share-group messages
     * accepted inside the transaction (pending at their leaders), and the transaction stored as Prepared by its
     * coordinator (EndTxn with Strata's prepare tag). Then only {@link #commitPrepared} or {@link #rollback} ends it,
     * from this process, or the coordinator's answer to another ({@link StrataXAResource} recovery).
     *
     * @throws TransactionRolledBackException when it could not be prepared: it was rolled back
     * @throws JMSException                   when the coordinator did not answer: whether it is prepared is unknown
     */
    synchronized void prepare(TransactionCoordinatorClient coordinator, long deadlineMs) throws JMSException {
        List<Delivery> deliveries = takeConsumed();
        Map<ShareGroupSource, List<Delivery>> shared = shareGroupDeliveries(deliveries);
        begin();
        Set<Pending> pending = new HashSet<>();
        AcknowledgementTransaction transaction;
        try {
            producer.flush();
            if (producerState.hasFailedSend()) {
                throw new TransactionRolledBackException("a send of the transaction failed: "
                        + producerState.failure());
            }
            acknowledge(shared, pending);
            transaction = producerState.current();
            if (!sent && shared.isEmpty()) {
                throw new IllegalStateException("transaction '" + transactionalId + "' has nothing to prepare");
            }
        } catch (TransactionRolledBackException e) {
            throw rolledBack(deliveries, pending, e.getMessage(), e.getErrorCode(), null);
        } catch (RuntimeException e) {
            throw rolledBack(deliveries, pending, "the consumed messages could not be acknowledged in the"
                    + " transaction: " + e.getMessage(), null, e);
        }
        Errors answer;
        try {
            answer = coordinator.prepare(transactionalId, transaction.producerId(), transaction.producerEpoch(),
                    deadlineMs);
        } catch (TransactionCoordinatorClient.UnreachableException e) {
            prepared = deliveries; // it may be prepared: a rollback must still release what it holds
            throw new JMSException("transaction '" + transactionalId + "' was sent to be prepared, and its"
                    + " coordinator did not answer: " + e.getMessage());
        }
        if (answer != Errors.NONE) {
            throw rolledBack(deliveries, pending, "the coordinator did not prepare transaction '" + transactionalId
                    + "': " + answer, answer.name(), null);
        }
        prepared = deliveries;
    }

    /**
     * The second phase, commit, of a transaction {@link #prepare prepared} here: EndTxn commit from the producer,
     * which makes the sends visible and the acceptances final. The producer closes: a branch's transactional id is not
     * used again.
     *
     * @throws JMSException when the coordinator did not answer in time (ask again: it is still prepared or committed)
     */
    synchronized void commitPrepared() throws JMSException {
        if (prepared == null) {
            throw new IllegalStateException("transaction '" + transactionalId + "' is not prepared");
        }
        try {
            producer.commitTransaction();
        } catch (TimeoutException e) {
            throw JmsErrors.jms("the commit of prepared transaction '" + transactionalId + "' was not answered in"
                    + " time; it stays prepared until committed again", e);
        } catch (KafkaException e) {
            throw JmsErrors.jms("prepared transaction '" + transactionalId + "' could not be committed", e);
        }
        prepared = null;
        begun = false;
        sent = false;
        closeProducer();
        closeSourcesAtEnd();
    }

    /** Whether {@link #prepare} stored the transaction (or may have: its answer did not come). */
    synchronized boolean isPrepared() {
        return prepared != null;
    }

    /**
     * Ends the transaction of a finished XA branch that is gone (committed one-phase, rolled back, or read-only): its
     * producer closes, its transactional id is not used again.
     */
    synchronized void closeAfterBranch() {
        closeProducer();
        closeSourcesAtEnd();
    }

    /**
     * Leaves a prepared transaction as it is when its process gives it up (the connection closes): the producer closes
     * without ending it, so that the transaction manager's recovery decides it from the coordinator.
     */
    synchronized void abandonPrepared() {
        if (producer != null) {
            producer.close(Duration.ZERO); // a graceful close would abort the open transaction
            producer = null;
            producerState = null;
        }
    }

    private void closeProducer() {
        if (producer != null) {
            producer.close(CLOSE_TIMEOUT);
            producer = null;
            producerState = null;
        }
    }

    // ------------------------------------------------------------------------------------------------- rollback

    /**
     * Rolls back: the sends are discarded, the consumed messages come again one delivery higher. For a prepared
     * transaction the abort's markers release the share-group messages; the others are released here.
     */
    synchronized void rollback() {
        List<Delivery> deliveries = takeConsumed();
        if (prepared != null) {
            deliveries = new ArrayList<>(prepared);
            deliveries.removeIf(delivery -> delivery.shareRecord != null);
            prepared = null;
            begun = true; // abort() sends the EndTxn
        }
        try {
            abort();
            releaseExcept(deliveries, Set.of());
        } finally {
            closeSourcesAtEnd();
        }
    }

    /** Rolls back what is open and closes the producer (the session closes). */
    synchronized void close() {
        try {
            rollback();
        } finally {
            if (producer != null) {
                producer.close(CLOSE_TIMEOUT);
                producer = null;
            }
        }
    }

    private TransactionRolledBackException rolledBack(List<Delivery> deliveries, Set<Pending> pending,
                                                      String why, String errorCode, Throwable cause) {
        abort();
        releaseExcept(deliveries, pending); // the abort releases the pending ones itself
        return rolledBack(why, errorCode, cause);
    }

    private static TransactionRolledBackException rolledBack(String why, String errorCode, Throwable cause) {
        TransactionRolledBackException exception = new TransactionRolledBackException(why
                + "; the transaction was rolled back: its sends are discarded and its messages come again",
                errorCode);
        return cause == null ? exception : JmsErrors.withCause(exception, cause);
    }

    /** Aborts the open transaction, if any; a producer that cannot abort is replaced. */
    private void abort() {
        if (!begun) {
            return;
        }
        try {
            producer.abortTransaction();
            begun = false;
            sent = false;
        } catch (KafkaException e) {
            LOG.log(Level.WARNING, "Transaction {0} could not be aborted; its producer is replaced: {1}",
                    new Object[] {transactionalId, e.toString()});
            discardProducer();
        }
    }

    /**
     * Releases the consumed messages whose acceptance is not pending in the transaction, so that they come again.
     * A release that fails is logged: those messages come again anyway, when their lock runs out or the broker
     * has lost the consumer's session.
     */
    private void releaseExcept(List<Delivery> deliveries, Set<Pending> pending) {
        Map<StrataMessageConsumer, List<Delivery>> byConsumer = new LinkedHashMap<>();
        for (Delivery delivery : deliveries) {
            if (delivery.shareRecord == null || !pending.contains(Pending.of(delivery))) {
                byConsumer.computeIfAbsent(delivery.consumer, c -> new ArrayList<>()).add(delivery);
            }
        }
        for (Map.Entry<StrataMessageConsumer, List<Delivery>> entry : byConsumer.entrySet()) {
            try {
                entry.getKey().source().release(entry.getValue());
            } catch (JMSException | RuntimeException e) {
                LOG.log(Level.WARNING, "Transaction {0}: {1} consumed messages could not be released; they come"
                        + " again when the broker lets them go: {2}",
                        new Object[] {transactionalId, entry.getValue().size(), e.toString()});
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- producer

    private void begin() throws JMSException {
        if (begun) {
            return;
        }
        if (producer == null) {
            producer = newProducer();
        }
        try {
            producer.beginTransaction();
        } catch (KafkaException e) {
            discardProducer();
            throw JmsErrors.jms("transaction '" + transactionalId + "' cannot begin", e);
        }
        begun = true;
    }

    private KafkaProducer<byte[], byte[]> newProducer() throws JMSException {
        Properties properties = connection.settings().kafka();
        properties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        if (timeoutMs > 0) {
            properties.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs);
        }
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        // A transaction's first sends and its EndTxn meet the previous transaction's unsettled state routinely (its
        // markers are milliseconds away), retried by the producer after retry.backoff.ms: at Kafka's default 100 ms
        // a fifth of bin/bench-jms's transacted commits stalled ~126 ms in flush(). Kafka's producer retries its own
        // CONCURRENT_TRANSACTIONS of AddPartitionsToTxn after 20 ms for the same reason; further failures still back
        // off exponentially up to retry.backoff.max.ms. A factory's own retry.backoff.ms wins.
        properties.putIfAbsent(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        KafkaProducer<byte[], byte[]> created = null;
        try {
            created = new KafkaProducer<>(properties);
            created.initTransactions();
            producerState = ProducerTransactionState.of(created, transactionalId);
            return created;
        } catch (RuntimeException e) {
            if (created != null) {
                created.close(Duration.ZERO);
            }
            throw JmsErrors.jms("the transactional producer '" + transactionalId + "' cannot be created", e);
        }
    }

    /**
     * Drops a producer that cannot go on, and makes its successor of the same transactional id at once: its
     * {@code initTransactions} aborts whatever the old one left open (and with it any pending acceptances), rather
     * than leaving that to the transaction timeout. When the brokers cannot be reached, the next transaction makes it.
     */
    private void discardProducer() {
        if (producer != null) {
            producer.close(Duration.ZERO);
            producer = null;
            producerState = null;
        }
        begun = false;
        sent = false;
        try {
            producer = newProducer();
        } catch (JMSException e) {
            LOG.log(Level.WARNING, "Transactional producer {0} could not be made again: {1}",
                    new Object[] {transactionalId, e.getMessage()});
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private List<Delivery> takeConsumed() {
        List<Delivery> taken = List.copyOf(consumed);
        consumed.clear();
        return taken;
    }

    private static Map<ShareGroupSource, List<Delivery>> shareGroupDeliveries(List<Delivery> deliveries) {
        Map<ShareGroupSource, List<Delivery>> bySource = new LinkedHashMap<>();
        for (Delivery delivery : deliveries) {
            if (delivery.consumer.source() instanceof ShareGroupSource source) {
                bySource.computeIfAbsent(source, s -> new ArrayList<>()).add(delivery);
            }
        }
        return bySource;
    }

    private void closeSourcesAtEnd() {
        for (RecordSource source : closeAtEnd) {
            source.close();
        }
        closeAtEnd.clear();
    }

    /** A record whose acceptance a leader holds pending in the transaction. */
    private record Pending(TopicIdPartition partition, long offset) {
        static Pending of(Delivery delivery) {
            return new Pending(delivery.shareRecord.topicPartition(), delivery.shareRecord.offset());
        }
    }
}

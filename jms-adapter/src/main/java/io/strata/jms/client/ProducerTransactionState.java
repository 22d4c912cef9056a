package io.strata.jms.client;

import io.strata.jms.share.AcknowledgementTransaction;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.internals.TransactionManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.ProducerIdAndEpoch;

import java.lang.reflect.Field;

/**
 * The one place that reaches into kafka-clients' transactional producer ({@code TransactionManager}, pinned at
 * kafka-clients 4.3.1), for the things a transacted session needs and {@code KafkaProducer} does not offer (and, for
 * an XA branch's prepare, whether a send of the transaction failed, {@link #hasFailedSend}):
 *
 * <ul>
 *   <li><b>The producer id and epoch</b> of the open transaction, which its share acknowledgements must carry (tag
 *       32001). Read from the transaction manager's {@code producerIdAndEpoch} field at each acknowledgement: with
 *       transaction protocol version 2 the coordinator bumps the epoch at every EndTxn and the producer takes the new
 *       one from the EndTxn answer, so the value must be read per transaction, never cached. The alternatives cost
 *       more: {@code Admin.describeTransactions} asks the coordinator (a FindCoordinator and a DescribeTransactions,
 *       two round trips, per commit, besides the acknowledgement and the EndTxn the commit needs anyway, so a small
 *       transaction would take about twice as long); an InitProducerId of our own would mean writing the
 *       transactional producer (sequence numbers, epochs, EndTxn) again. A field read costs nothing.</li>
 *   <li><b>Making the producer end a transaction it added no partition to.</b> {@code commitTransaction()} sends no
 *       EndTxn when the producer itself added nothing (it completes the transaction locally), so a transaction that
 *       only acknowledged would stay open at the coordinator until its timeout aborted it. {@link #include} tells
 *       the transaction manager that the acknowledged partition is in the transaction, which it is: the
 *       share-partition leader added it at the coordinator. With protocol version 2 that only marks the transaction
 *       started (no request; the leader did the adding), so the commit sends EndTxn, takes the bumped epoch from its
 *       answer and stays usable; with version 1 the producer would send AddPartitionsToTxn for it, which the
 *       coordinator takes as a repeat.</li>
 * </ul>
 *
 * Sending EndTxn ourselves (a raw request to the coordinator) was the other way to end such a transaction: it would
 * leave the producer at the epoch before the bump, fenced at its next transaction.
 *
 * <p>The two fields are looked up once; when kafka-clients lacks them (another version than the one pinned) a
 * transacted session cannot be created and says so. Thread-safety: the field is volatile in kafka-clients and
 * {@code maybeAddPartition} synchronized; called by one session's thread of control.
 */
final class ProducerTransactionState {

    private static final Field TRANSACTION_MANAGER;
    private static final Field PRODUCER_ID_AND_EPOCH;
    private static final java.lang.reflect.Method HAS_ERROR;
    private static final java.lang.reflect.Method LAST_ERROR;
    private static final String MISSING;

    static {
        Field manager = null;
        Field idAndEpoch = null;
        java.lang.reflect.Method hasError = null;
        java.lang.reflect.Method lastError = null;
        String missing = null;
        try {
            manager = KafkaProducer.class.getDeclaredField("transactionManager");
            manager.setAccessible(true);
            idAndEpoch = TransactionManager.class.getDeclaredField("producerIdAndEpoch");
            idAndEpoch.setAccessible(true);
            hasError = TransactionManager.class.getDeclaredMethod("hasError");
            hasError.setAccessible(true);
            lastError = TransactionManager.class.getDeclaredMethod("lastError");
            lastError.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            missing = "transacted sessions read the producer id and epoch from kafka-clients' internal"
                    + " KafkaProducer.transactionManager and TransactionManager.producerIdAndEpoch, written for"
                    + " kafka-clients 4.3.1; this kafka-clients (" + AppInfoParser.getVersion() + ") lacks them: "
                    + e;
        }
        TRANSACTION_MANAGER = manager;
        PRODUCER_ID_AND_EPOCH = idAndEpoch;
        HAS_ERROR = hasError;
        LAST_ERROR = lastError;
        MISSING = missing;
    }

    private final TransactionManager manager;
    private final String transactionalId;

    private ProducerTransactionState(TransactionManager manager, String transactionalId) {
        this.manager = manager;
        this.transactionalId = transactionalId;
    }

    /** Why transacted sessions cannot work with this kafka-clients, or null when they can. */
    static String unavailableReason() {
        return MISSING;
    }

    /**
     * The transaction state of {@code producer}, a transactional producer of {@code transactionalId} after
     * {@code initTransactions()}.
     *
     * @throws IllegalStateException when kafka-clients lacks the fields, or the producer is not transactional
     */
    static ProducerTransactionState of(KafkaProducer<?, ?> producer, String transactionalId) {
        if (MISSING != null) {
            throw new IllegalStateException(MISSING);
        }
        try {
            TransactionManager manager = (TransactionManager) TRANSACTION_MANAGER.get(producer);
            if (manager == null || !manager.isTransactional()) {
                throw new IllegalStateException("the producer of transactional id '" + transactionalId
                        + "' has no transaction manager (transactional.id unset?)");
            }
            return new ProducerTransactionState(manager, transactionalId);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("kafka-clients' KafkaProducer.transactionManager cannot be read", e);
        }
    }

    /** The producer id and epoch the open transaction's acknowledgements carry, as the producer holds them now. */
    AcknowledgementTransaction current() {
        ProducerIdAndEpoch idAndEpoch;
        try {
            idAndEpoch = (ProducerIdAndEpoch) PRODUCER_ID_AND_EPOCH.get(manager);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("kafka-clients' TransactionManager.producerIdAndEpoch cannot be read", e);
        }
        if (idAndEpoch == null || !idAndEpoch.isValid()) {
            throw new IllegalStateException("the producer of transactional id '" + transactionalId
                    + "' has no producer id (" + idAndEpoch + "): initTransactions did not complete");
        }
        return new AcknowledgementTransaction(transactionalId, idAndEpoch.producerId, idAndEpoch.epoch);
    }

    /**
     * Whether a send of the open transaction failed (the transaction manager is in an error state): the first phase of
     * a two-phase commit must not store a transaction that lacks a record. {@code commitTransaction()} finds this by
     * itself; a prepare, sent beside the producer, asks here (TransactionManager.hasError, package-private).
     */
    boolean hasFailedSend() {
        try {
            return (Boolean) HAS_ERROR.invoke(manager);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kafka-clients' TransactionManager.hasError cannot be called", e);
        }
    }

    /** The failure of the open transaction, or null. */
    RuntimeException failure() {
        try {
            return (RuntimeException) LAST_ERROR.invoke(manager);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("kafka-clients' TransactionManager.lastError cannot be called", e);
        }
    }

    /**
     * Whether the producer speaks transaction protocol version 2 (KIP-890), which transactional acknowledgements
     * need: the share-partition leader adds the partition as for such a producer.
     */
    boolean protocolVersion2() {
        return manager.isTransactionV2Enabled();
    }

    /**
     * Counts {@code partition}, which the share-partition leader added to the open transaction, as part of it, so
     * that {@code commitTransaction()} and {@code abortTransaction()} send EndTxn.
     */
    void include(TopicPartition partition) {
        manager.maybeAddPartition(partition);
    }
}

package io.strata.broker.transaction;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.CoordinatorShard;
import io.strata.broker.transaction.TransactionCoordinator.Description;
import io.strata.broker.transaction.TransactionCoordinator.EndResult;
import io.strata.broker.transaction.TransactionCoordinator.InitResult;
import io.strata.broker.transaction.TransactionCoordinator.Listing;
import io.strata.broker.transaction.TransactionRecords.Stored;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The transactional ids of one {@code __transaction_state} partition and their state machines (see
 * {@link TransactionState}), as Kafka's transaction coordinator runs them with transaction protocol version 1:
 * InitProducerId gives a producer id and bumps the epoch (fencing older producers with the same transactional id, and
 * aborting a transaction they left open), AddPartitionsToTxn and AddOffsetsToTxn open a transaction and add to it,
 * EndTxn writes PrepareCommit or PrepareAbort and answers, then the markers are written to every partition of the
 * transaction and CompleteCommit or CompleteAbort closes it. Transactions open past their timeout are aborted with a
 * bumped epoch; transactional ids idle past {@code transactional.id.expiration.ms} are deleted.
 *
 * <p>With transaction protocol version 2 (KIP-890: EndTxn version 5, partitions added by their leaders rather than by
 * the producer) every EndTxn bumps the producer epoch: PrepareCommit or PrepareAbort is written at the next epoch,
 * the markers carry it (so the partitions refuse the old epoch's late writes), and the answer hands it to the
 * producer. A retried EndTxn, naming the epoch before the bump, is answered as the first was. When the epoch is
 * exhausted a new producer id is taken at PrepareCommit or PrepareAbort and becomes the id's, at epoch 0, once the
 * markers are written; the old id is kept as the previous one so that a retry is still recognised. An abort with
 * nothing added (the producer cannot know whether its first produce added a partition) bumps the epoch too.
 *
 * <p>Two-phase commit (Strata's {@code strata.transaction.prepare}, docs/protocol-extensions.md): EndTxn with the
 * prepare tag stores an Ongoing transaction as {@link TransactionState#PREPARED} at the same producer id and epoch and
 * answers once that is committed. A Prepared transaction outlives its timeout and the coordinator's restarts and moves;
 * EndTxn commit or abort at its producer id and epoch ends it as an Ongoing one is ended. InitProducerId with
 * {@code KeepPreparedTxn} (KIP-939's field) hands another process its producer id and epoch without writing; one
 * without it is refused with INVALID_TXN_STATE rather than aborting it, so that only the transaction manager decides.
 *
 * <p>Every state change takes effect once its record is committed; until then the id has a pending state and other
 * requests for it are answered CONCURRENT_TRANSACTIONS. When the partition is loaded, transactions found in
 * PrepareCommit or PrepareAbort have their markers sent again.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread.
 */
final class TransactionCoordinatorShard implements CoordinatorShard {

    /**
     * Sends a transaction's markers; the job calls back (on another thread) once all are written. False if the sender
     * cannot take it now.
     */
    @FunctionalInterface
    interface MarkerDispatch {
        boolean send(TransactionMarkerJob job);
    }

    /** How long after a failed write of CompleteCommit or CompleteAbort it is tried again. */
    static final long COMPLETE_RETRY_MS = 100;
    /** How long after the sender refused a job (too many markers in flight) it is offered again. */
    static final long MARKERS_RETRY_MS = 1_000;
    private static final String ABORT_TIMER = "abort-timed-out-transactions";
    private static final String EXPIRE_TIMER = "remove-expired-transactional-ids";
    private static final System.Logger LOG = System.getLogger(TransactionCoordinatorShard.class.getName());

    private final CoordinatorContext context;
    private final BrokerConfig config;
    private final LongSupplier producerIds;
    private final MarkerDispatch markers;
    /** Told the transactional id of each state change stored (or failed): who waits out CONCURRENT_TRANSACTIONS. */
    private final Consumer<String> settled;
    private final int coordinatorEpoch;
    private final Map<String, TransactionMetadata> transactions = new HashMap<>();
    /** Marker jobs in flight, by transactional id; cancelled on unload. */
    private final Map<String, TransactionMarkerJob> markerJobs = new HashMap<>();

    /**
     * @param producerIds      hands out new producer ids
     * @param coordinatorEpoch the leader epoch of this {@code __transaction_state} partition, which markers carry so
     *                         that partition leaders refuse those of a coordinator that has been replaced
     */
    TransactionCoordinatorShard(CoordinatorContext context, BrokerConfig config, LongSupplier producerIds,
                                MarkerDispatch markers, int coordinatorEpoch) {
        this(context, config, producerIds, markers, id -> { }, coordinatorEpoch);
    }

    /**
     * @param settled told, on this shard's thread, the transactional id whose pending state change was just stored
     *                (or failed), so that what was answered CONCURRENT_TRANSACTIONS may be asked again; must be quick
     */
    TransactionCoordinatorShard(CoordinatorContext context, BrokerConfig config, LongSupplier producerIds,
                                MarkerDispatch markers, Consumer<String> settled, int coordinatorEpoch) {
        this.context = context;
        this.config = config;
        this.producerIds = producerIds;
        this.markers = markers;
        this.settled = settled;
        this.coordinatorEpoch = coordinatorEpoch;
    }

    // ---------------------------------------------------------------------------------------------------- loading

    @Override
    public void replay(long offset, CoordinatorRecord record) {
        String transactionalId;
        try {
            transactionalId = TransactionRecords.decodeKey(record.key());
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "Skipping an unreadable key at offset {0} of {1}-{2}: {3}", offset,
                    TransactionCoordinator.TRANSACTION_STATE_TOPIC, context.partition(), e.getMessage());
            return;
        }
        if (record.value() == null) {
            transactions.remove(transactionalId);
            return;
        }
        Stored stored = TransactionRecords.decodeValue(record.value());
        transactions.put(transactionalId, TransactionMetadata.of(transactionalId, stored));
    }

    @Override
    public void onLoaded() {
        int resumed = 0;
        int prepared = 0;
        for (TransactionMetadata metadata : transactions.values()) {
            if (metadata.state.isPreparing()) {
                sendMarkers(metadata);
                resumed++;
            } else if (metadata.state == TransactionState.PREPARED) {
                prepared++;
            }
        }
        LOG.log(Level.INFO, "Loaded {0} transactional id(s) from {1}-{2} at coordinator epoch {3}; resumed the"
                + " markers of {4} transaction(s); {5} prepared for a two-phase commit",
                transactions.size(), TransactionCoordinator.TRANSACTION_STATE_TOPIC, context.partition(),
                coordinatorEpoch, resumed, prepared);
        scheduleAbortTimedOut();
        scheduleExpiry();
    }

    @Override
    public void onUnloaded() {
        markerJobs.values().forEach(TransactionMarkerJob::cancel);
        markerJobs.clear();
        transactions.clear();
    }

    private void scheduleAbortTimedOut() {
        context.schedule(ABORT_TIMER, config.transactionAbortTimedOutCleanupIntervalMs, () -> {
            abortTimedOutTransactions();
            scheduleAbortTimedOut();
        });
    }

    private void scheduleExpiry() {
        context.schedule(EXPIRE_TIMER, config.transactionRemoveExpiredCleanupIntervalMs, () -> {
            removeExpiredTransactionalIds();
            scheduleExpiry();
        });
    }

    // ---------------------------------------------------------------------------------------------------- init

    /**
     * InitProducerId with a transactional id. {@code expectedProducerId}/{@code expectedEpoch} are -1 unless the
     * producer asks to keep its id after an error (KIP-360, version 3+).
     */
    CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs, long expectedProducerId,
                                                 short expectedEpoch) {
        return initProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch, false);
    }

    /**
     * InitProducerId; with {@code keepPrepared} (version 6, {@code KeepPreparedTxn}) a Prepared transaction is kept and
     * its producer id and epoch answered, both as the producer's and as the ongoing transaction's, with nothing
     * written: the caller completes it with EndTxn at them. Without, a Prepared transaction is not aborted: the answer
     * is INVALID_TXN_STATE. For any other state {@code keepPrepared} changes nothing (an Ongoing transaction was never
     * prepared, and is aborted as usual).
     */
    CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs, long expectedProducerId,
                                                 short expectedEpoch, boolean keepPrepared) {
        TransactionMetadata existing = transactions.get(transactionalId);
        if (existing != null && existing.state == TransactionState.PREPARED && existing.pending == null) {
            if (!keepPrepared) {
                LOG.log(Level.INFO, "InitProducerId without KeepPreparedTxn for {0} refused: a prepared transaction"
                        + " is ended only by EndTxn commit or abort", existing);
                return CompletableFuture.completedFuture(InitResult.failed(Errors.INVALID_TXN_STATE));
            }
            return CompletableFuture.completedFuture(new InitResult(Errors.NONE, existing.producerId,
                    existing.producerEpoch, existing.producerId, existing.producerEpoch));
        }
        if (timeoutMs <= 0 || timeoutMs > config.transactionMaxTimeoutMs) {
            return CompletableFuture.completedFuture(InitResult.failed(Errors.INVALID_TRANSACTION_TIMEOUT));
        }
        long nowMs = context.nowMs();
        TransactionMetadata metadata = transactions.get(transactionalId);
        if (metadata == null) {
            long producerId;
            try {
                producerId = producerIds.getAsLong();
            } catch (ApiException e) {
                LOG.log(Level.WARNING, "No producer id for transactional id {0}: {1}", transactionalId, e.getMessage());
                return CompletableFuture.completedFuture(InitResult.failed(Errors.forException(e)));
            }
            metadata = new TransactionMetadata(transactionalId, producerId, (short) -1, timeoutMs,
                    TransactionState.EMPTY, nowMs);
            transactions.put(transactionalId, metadata);
        }
        if (metadata.pending != null || metadata.state.isPreparing()
                || metadata.state == TransactionState.PREPARE_EPOCH_FENCE || metadata.state == TransactionState.DEAD) {
            return CompletableFuture.completedFuture(InitResult.failed(Errors.CONCURRENT_TRANSACTIONS));
        }
        boolean expected = expectedProducerId >= 0;
        if (expected && metadata.producerEpoch >= 0 && (expectedProducerId != metadata.producerId
                || (expectedEpoch != metadata.producerEpoch && expectedEpoch != metadata.lastProducerEpoch))) {
            return CompletableFuture.completedFuture(InitResult.failed(Errors.PRODUCER_FENCED));
        }
        if (metadata.state == TransactionState.ONGOING) {
            // The previous producer left a transaction open: abort it with a bumped epoch, which fences that producer.
            // The new one is told to retry, and gets its epoch once the abort is complete.
            return abortOngoing(metadata, "InitProducerId of a new producer").thenApply(error ->
                    InitResult.failed(error == Errors.NONE ? Errors.CONCURRENT_TRANSACTIONS : error));
        }
        if (expected && metadata.lastProducerEpoch >= 0 && expectedEpoch == metadata.lastProducerEpoch) {
            // A retry of an InitProducerId whose answer was lost: the same answer again, as Kafka gives it.
            return CompletableFuture.completedFuture(new InitResult(Errors.NONE, metadata.producerId,
                    metadata.producerEpoch));
        }
        long producerId = metadata.producerId;
        short epoch;
        if (metadata.producerEpoch >= Short.MAX_VALUE - 1) {
            try {
                producerId = producerIds.getAsLong(); // the epoch is exhausted: a new producer id starts at epoch 0
            } catch (ApiException e) {
                return CompletableFuture.completedFuture(InitResult.failed(Errors.forException(e)));
            }
            epoch = 0;
        } else {
            epoch = (short) (metadata.producerEpoch + 1);
        }
        // Only a producer that named its current epoch may retry with it; a new producer leaves nothing to retry, so
        // that an older producer naming the epoch before cannot take the new one's (Kafka's lastProducerEpoch).
        short lastEpoch = expected ? metadata.producerEpoch : -1;
        Stored target = metadata.transition(TransactionState.EMPTY, producerId, epoch, timeoutMs, Set.of(), -1, nowMs);
        CompletableFuture<InitResult> result = new CompletableFuture<>();
        TransactionMetadata initialised = metadata;
        write(metadata, target, () -> {
            initialised.lastProducerEpoch = lastEpoch;
            result.complete(new InitResult(Errors.NONE, target.producerId(), target.producerEpoch()));
        }, error -> result.complete(InitResult.failed(error)));
        return result;
    }

    // ---------------------------------------------------------------------------------------------------- add

    /** AddPartitionsToTxn of a producer of transaction protocol version 1. */
    CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch,
                                            Set<TopicPartition> partitions) {
        return addPartitions(transactionalId, producerId, producerEpoch, partitions, false);
    }

    /**
     * AddPartitionsToTxn (and AddOffsetsToTxn, with the group's offsets partition): one error for all partitions.
     *
     * @param version2 whether a partition leader adds the partition for a producer of transaction version 2
     */
    CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch,
                                            Set<TopicPartition> partitions, boolean version2) {
        TransactionMetadata metadata = transactions.get(transactionalId);
        if (metadata != null && metadata.state.isPreparing() && metadata.nextProducerId >= 0
                && metadata.nextProducerId == producerId) {
            // The producer was told its new producer id before the markers of the exhausted one are written.
            return CompletableFuture.completedFuture(Errors.CONCURRENT_TRANSACTIONS);
        }
        Errors check = checkProducer(metadata, producerId, producerEpoch);
        if (check != Errors.NONE) {
            return CompletableFuture.completedFuture(check);
        }
        if (metadata.pending != null || metadata.state.isPreparing()
                || metadata.state == TransactionState.PREPARE_EPOCH_FENCE) {
            return CompletableFuture.completedFuture(Errors.CONCURRENT_TRANSACTIONS);
        }
        if (metadata.state == TransactionState.DEAD) {
            return CompletableFuture.completedFuture(Errors.INVALID_PRODUCER_ID_MAPPING);
        }
        if (metadata.state == TransactionState.PREPARED) {
            return CompletableFuture.completedFuture(Errors.INVALID_TXN_STATE); // prepared: nothing more may join
        }
        if (metadata.state == TransactionState.ONGOING && metadata.partitions.containsAll(partitions)
                && (!version2 || metadata.transactionVersion >= 2)) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }
        long nowMs = context.nowMs();
        Set<TopicPartition> all = new LinkedHashSet<>(metadata.state == TransactionState.ONGOING
                ? metadata.partitions : Set.of());
        all.addAll(partitions);
        long startMs = metadata.state == TransactionState.ONGOING ? metadata.startMs : nowMs;
        short version = version2 ? 2 : metadata.state == TransactionState.ONGOING ? metadata.transactionVersion : 0;
        Stored target = metadata.transition(TransactionState.ONGOING, metadata.producerId, metadata.producerEpoch,
                all, startMs, nowMs, metadata.previousProducerId, -1, version);
        CompletableFuture<Errors> result = new CompletableFuture<>();
        write(metadata, target, () -> result.complete(Errors.NONE), result::complete);
        return result;
    }

    /**
     * AddPartitionsToTxn with {@code verifyOnly} (KIP-890 part 1): whether each partition is in the producer's open
     * transaction, as its leader asks before taking the first transactional batch of a producer of transaction
     * version 1. Writes nothing. INVALID_TXN_STATE for a partition not added.
     */
    Map<TopicPartition, Errors> verifyPartitions(String transactionalId, long producerId, short producerEpoch,
                                                 Set<TopicPartition> partitions) {
        TransactionMetadata metadata = transactions.get(transactionalId);
        Errors error = checkProducer(metadata, producerId, producerEpoch);
        if (error == Errors.NONE && metadata.state.isPreparing()) {
            error = Errors.CONCURRENT_TRANSACTIONS;
        }
        Map<TopicPartition, Errors> result = new HashMap<>();
        for (TopicPartition partition : partitions) {
            result.put(partition, error != Errors.NONE ? error : metadata.state == TransactionState.ONGOING
                    && metadata.partitions.contains(partition) ? Errors.NONE : Errors.INVALID_TXN_STATE);
        }
        return result;
    }

    /** Whether {@code producerId} at {@code producerEpoch} is the current producer of the transactional id. */
    private static Errors checkProducer(TransactionMetadata metadata, long producerId, short producerEpoch) {
        if (metadata == null || metadata.producerId != producerId) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (metadata.producerEpoch != producerEpoch) {
            return Errors.PRODUCER_FENCED;
        }
        return Errors.NONE;
    }

    // ---------------------------------------------------------------------------------------------------- end

    /**
     * EndTxn of transaction protocol version 1: writes PrepareCommit or PrepareAbort and answers once it is
     * committed; the markers follow. A retried EndTxn of a transaction already completing the same way is answered
     * CONCURRENT_TRANSACTIONS (or NONE once complete); one asking the other way is answered INVALID_TXN_STATE.
     */
    CompletableFuture<Errors> endTransaction(String transactionalId, long producerId, short producerEpoch,
                                             boolean commit) {
        TransactionMetadata metadata = transactions.get(transactionalId);
        Errors check = checkProducer(metadata, producerId, producerEpoch);
        if (check != Errors.NONE) {
            return CompletableFuture.completedFuture(check);
        }
        if (metadata.pending != null) {
            return CompletableFuture.completedFuture(Errors.CONCURRENT_TRANSACTIONS);
        }
        Errors error = switch (metadata.state) {
            case ONGOING, PREPARED -> null;
            case COMPLETE_COMMIT -> commit ? Errors.NONE : Errors.INVALID_TXN_STATE;
            case COMPLETE_ABORT -> commit ? Errors.INVALID_TXN_STATE : Errors.NONE;
            case PREPARE_COMMIT -> commit ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE;
            case PREPARE_ABORT -> commit ? Errors.INVALID_TXN_STATE : Errors.CONCURRENT_TRANSACTIONS;
            case PREPARE_EPOCH_FENCE -> Errors.CONCURRENT_TRANSACTIONS;
            case EMPTY, DEAD -> Errors.INVALID_TXN_STATE;
        };
        if (error != null) {
            return CompletableFuture.completedFuture(error);
        }
        return prepare(metadata, commit, metadata.producerEpoch);
    }

    /**
     * EndTxn of transaction protocol version 2 (version 5 of the request): as {@link #endTransaction(String, long,
     * short, boolean)}, but PrepareCommit or PrepareAbort is written at the next epoch (or, the epoch exhausted, with
     * a new producer id to move to) and the answer carries the producer id and epoch to go on with. A retry names the
     * epoch before the bump (or the previous producer id after an exhaustion) and gets the same answer, NONE once
     * complete and CONCURRENT_TRANSACTIONS until then; the same epoch in a completed state is the next transaction,
     * which may only be an abort with nothing added.
     */
    CompletableFuture<EndResult> endTransactionV2(String transactionalId, long producerId, short producerEpoch,
                                                  boolean commit) {
        TransactionMetadata metadata = transactions.get(transactionalId);
        if (metadata == null) {
            return CompletableFuture.completedFuture(EndResult.failed(Errors.INVALID_PRODUCER_ID_MAPPING));
        }
        boolean retryAfterNewProducerId = metadata.previousProducerId == producerId
                && metadata.producerId != producerId && producerEpoch == Short.MAX_VALUE - 1
                && metadata.producerEpoch == 0;
        boolean retryAfterBump = metadata.producerId == producerId && metadata.transactionVersion >= 2
                && metadata.producerEpoch == producerEpoch + 1;
        if (metadata.producerId != producerId && !retryAfterNewProducerId) {
            return CompletableFuture.completedFuture(EndResult.failed(Errors.INVALID_PRODUCER_ID_MAPPING));
        }
        boolean validEpoch = switch (metadata.state) {
            case ONGOING, PREPARED, EMPTY, DEAD, PREPARE_EPOCH_FENCE -> producerEpoch == metadata.producerEpoch;
            case PREPARE_COMMIT, PREPARE_ABORT -> retryAfterBump;
            case COMPLETE_COMMIT, COMPLETE_ABORT -> retryAfterBump || retryAfterNewProducerId
                    || producerEpoch == metadata.producerEpoch;
        };
        if (!validEpoch) {
            return CompletableFuture.completedFuture(EndResult.failed(Errors.PRODUCER_FENCED));
        }
        if (metadata.pending != null) {
            return CompletableFuture.completedFuture(EndResult.failed(Errors.CONCURRENT_TRANSACTIONS));
        }
        boolean retry = retryAfterBump || retryAfterNewProducerId;
        EndResult done = new EndResult(Errors.NONE, metadata.producerId, metadata.producerEpoch);
        EndResult invalid = EndResult.failed(Errors.INVALID_TXN_STATE);
        return switch (metadata.state) {
            case ONGOING, PREPARED -> prepareV2(metadata, commit, false);
            case COMPLETE_COMMIT -> commit ? CompletableFuture.completedFuture(retry ? done : invalid)
                    : retry ? CompletableFuture.completedFuture(invalid) : prepareV2(metadata, false, true);
            case COMPLETE_ABORT -> commit ? CompletableFuture.completedFuture(invalid)
                    : retry ? CompletableFuture.completedFuture(done) : prepareV2(metadata, false, true);
            case EMPTY -> commit ? CompletableFuture.completedFuture(invalid) : prepareV2(metadata, false, true);
            case PREPARE_COMMIT -> CompletableFuture.completedFuture(commit
                    ? EndResult.failed(Errors.CONCURRENT_TRANSACTIONS) : invalid);
            case PREPARE_ABORT -> CompletableFuture.completedFuture(commit ? invalid
                    : EndResult.failed(Errors.CONCURRENT_TRANSACTIONS));
            case DEAD, PREPARE_EPOCH_FENCE -> CompletableFuture.completedFuture(
                    EndResult.failed(Errors.CONCURRENT_TRANSACTIONS));
        };
    }

    /**
     * EndTxn with Strata's prepare tag (version 5): stores the Ongoing transaction of the producer as Prepared, at the
     * same producer id, epoch, partitions and start, and answers once that is committed, with the producer id and epoch
     * that end it later. A repeat once Prepared is answered the same at once. INVALID_TXN_STATE when no transaction is
     * open (nothing to prepare) or it is being ended; the producer errors as for EndTxn.
     */
    CompletableFuture<EndResult> prepareTransaction(String transactionalId, long producerId, short producerEpoch) {
        TransactionMetadata metadata = transactions.get(transactionalId);
        Errors check = checkProducer(metadata, producerId, producerEpoch);
        if (check != Errors.NONE) {
            return CompletableFuture.completedFuture(EndResult.failed(check));
        }
        if (metadata.pending != null) {
            return CompletableFuture.completedFuture(EndResult.failed(Errors.CONCURRENT_TRANSACTIONS));
        }
        EndResult done = new EndResult(Errors.NONE, metadata.producerId, metadata.producerEpoch);
        if (metadata.state == TransactionState.PREPARED) {
            return CompletableFuture.completedFuture(done);
        }
        if (metadata.state != TransactionState.ONGOING) {
            return CompletableFuture.completedFuture(EndResult.failed(Errors.INVALID_TXN_STATE));
        }
        Stored prepared = metadata.transition(TransactionState.PREPARED, metadata.producerId, metadata.producerEpoch,
                metadata.partitions, metadata.startMs, context.nowMs(), metadata.previousProducerId, -1,
                metadata.transactionVersion);
        CompletableFuture<EndResult> result = new CompletableFuture<>();
        write(metadata, prepared, () -> {
            metadata.lastProducerEpoch = -1;
            LOG.log(Level.INFO, "Prepared {0} for a two-phase commit, over {1} partition(s)", metadata,
                    metadata.partitions.size());
            result.complete(done);
        }, error -> result.complete(EndResult.failed(error)));
        return result;
    }

    /**
     * Writes PrepareCommit or PrepareAbort at the next epoch, with a new producer id to move to if the epoch is
     * exhausted; once committed, answers with the producer id and epoch the producer goes on with and sends the
     * markers (at the bumped epoch, under the current producer id).
     *
     * @param nothingAdded an abort of a transaction that added nothing: no partition to mark, begun now
     */
    private CompletableFuture<EndResult> prepareV2(TransactionMetadata metadata, boolean commit,
                                                   boolean nothingAdded) {
        long nextProducerId = -1;
        if (metadata.isEpochExhausted()) {
            try {
                nextProducerId = producerIds.getAsLong();
            } catch (ApiException e) {
                LOG.log(Level.WARNING, "No new producer id for {0}: {1}", metadata, e.getMessage());
                return CompletableFuture.completedFuture(EndResult.failed(Errors.forException(e)));
            }
        }
        long nowMs = context.nowMs();
        short bumped = (short) Math.min(Short.MAX_VALUE, metadata.producerEpoch + 1);
        TransactionState target = commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT;
        Stored prepared = metadata.transition(target, metadata.producerId, bumped,
                nothingAdded ? Set.of() : metadata.partitions, nothingAdded ? nowMs : metadata.startMs, nowMs,
                metadata.previousProducerId, nextProducerId, (short) 2);
        CompletableFuture<EndResult> result = new CompletableFuture<>();
        write(metadata, prepared, () -> {
            // The window for a retried InitProducerId closes: its epoch is no longer the one before the current.
            metadata.lastProducerEpoch = -1;
            LOG.log(Level.DEBUG, "{0}: {1}", metadata, target.display());
            sendMarkers(metadata);
            result.complete(prepared.nextProducerId() >= 0
                    ? new EndResult(Errors.NONE, prepared.nextProducerId(), (short) 0)
                    : new EndResult(Errors.NONE, prepared.producerId(), prepared.producerEpoch()));
        }, error -> result.complete(EndResult.failed(error)));
        return result;
    }

    /** Writes PrepareCommit or PrepareAbort at {@code epoch}; once committed, answers NONE and sends the markers. */
    private CompletableFuture<Errors> prepare(TransactionMetadata metadata, boolean commit, short epoch) {
        TransactionState target = commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT;
        Stored prepared = metadata.transition(target, metadata.producerId, epoch, metadata.timeoutMs,
                metadata.partitions, metadata.startMs, context.nowMs());
        CompletableFuture<Errors> result = new CompletableFuture<>();
        write(metadata, prepared, () -> {
            LOG.log(Level.DEBUG, "{0}: {1}", metadata, target.display());
            sendMarkers(metadata);
            result.complete(Errors.NONE);
        }, result::complete);
        return result;
    }

    /**
     * Aborts the open transaction of {@code metadata} with the epoch bumped (Kafka's PrepareEpochFence), so that
     * the producer that opened it is fenced; only at Short.MAX_VALUE, where it cannot grow, the epoch stays. The next
     * InitProducerId then finds the epoch exhausted and gives a new producer id.
     */
    private CompletableFuture<Errors> abortOngoing(TransactionMetadata metadata, String why) {
        // A producer of transaction version 2 takes the epoch after its own for a retried EndTxn: the fence goes one
        // further (as Kafka's does), so that the fenced producer's EndTxn finds neither its epoch nor the next.
        int step = metadata.transactionVersion >= 2 ? 2 : 1;
        short epoch = (short) Math.min(Short.MAX_VALUE, metadata.producerEpoch + step);
        LOG.log(Level.INFO, "Aborting the transaction of {0}: {1}", metadata, why);
        return prepare(metadata, false, epoch);
    }

    private void sendMarkers(TransactionMetadata metadata) {
        TransactionMarkerJob job = new TransactionMarkerJob(metadata.transactionalId, metadata.producerId,
                metadata.producerEpoch, coordinatorEpoch, metadata.state == TransactionState.PREPARE_COMMIT,
                metadata.partitions);
        TransactionMarkerJob previous = markerJobs.put(metadata.transactionalId, job);
        if (previous != null) {
            previous.cancel();
        }
        dispatch(job);
    }

    private void dispatch(TransactionMarkerJob job) {
        if (markerJobs.get(job.transactionalId) == job && !job.isCancelled() && !markers.send(job)) {
            context.schedule("markers-" + job.transactionalId, MARKERS_RETRY_MS, () -> dispatch(job));
        }
    }

    /**
     * Every marker of {@code job} is written: CompleteCommit or CompleteAbort is written, and retried until it is
     * committed, unless this shard no longer coordinates the id (its new coordinator sends the markers again).
     */
    void onMarkersWritten(TransactionMarkerJob job) {
        TransactionMetadata metadata = transactions.get(job.transactionalId);
        if (markerJobs.get(job.transactionalId) != job || job.isCancelled()) {
            return;
        }
        TransactionState preparing = job.commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT;
        if (metadata == null || metadata.state != preparing || metadata.producerId != job.producerId
                || metadata.producerEpoch != job.producerEpoch) {
            LOG.log(Level.WARNING, "Markers written for {0}, which is now {1}: not completing it", job, metadata);
            markerJobs.remove(job.transactionalId, job);
            return;
        }
        if (metadata.pending != null) {
            context.schedule("complete-" + job.transactionalId, COMPLETE_RETRY_MS, () -> onMarkersWritten(job));
            return;
        }
        TransactionState target = job.commit ? TransactionState.COMPLETE_COMMIT : TransactionState.COMPLETE_ABORT;
        // After an epoch exhaustion the new producer id becomes the id's now that the old one's markers are written.
        boolean newProducerId = metadata.nextProducerId >= 0;
        Stored complete = metadata.transition(target, newProducerId ? metadata.nextProducerId : metadata.producerId,
                newProducerId ? 0 : metadata.producerEpoch, Set.of(), metadata.startMs, context.nowMs(),
                newProducerId ? metadata.producerId : metadata.previousProducerId, -1, metadata.transactionVersion);
        write(metadata, complete, () -> {
            markerJobs.remove(job.transactionalId, job);
            LOG.log(Level.DEBUG, "{0}: complete", metadata);
        }, error -> {
            if (error == Errors.NOT_COORDINATOR) {
                markerJobs.remove(job.transactionalId, job);
                return;
            }
            LOG.log(Level.WARNING, "Writing {0} for {1} failed with {2}; trying again", target.display(), metadata,
                    error);
            context.schedule("complete-" + job.transactionalId, COMPLETE_RETRY_MS, () -> onMarkersWritten(job));
        });
    }

    /** Markers in flight for {@code transactionalId}, for tests and DescribeTransactions. */
    TransactionMarkerJob markerJob(String transactionalId) {
        return markerJobs.get(transactionalId);
    }

    // ---------------------------------------------------------------------------------------------------- timers

    /** Aborts every transaction open past its timeout, with a bumped epoch, as Kafka does. */
    void abortTimedOutTransactions() {
        long nowMs = context.nowMs();
        for (TransactionMetadata metadata : List.copyOf(transactions.values())) {
            if (metadata.hasTimedOut(nowMs)) {
                abortOngoing(metadata, "open for " + (nowMs - metadata.startMs) + " ms, past its timeout of "
                        + metadata.timeoutMs + " ms").thenAccept(error -> {
                            if (error != Errors.NONE) {
                                LOG.log(Level.WARNING, "Aborting the timed-out transaction of {0} failed: {1}",
                                        metadata, error);
                            }
                        });
            }
        }
    }

    /** Deletes transactional ids without an open transaction whose last update is older than their expiration. */
    void removeExpiredTransactionalIds() {
        long nowMs = context.nowMs();
        for (TransactionMetadata metadata : List.copyOf(transactions.values())) {
            if (!metadata.state.isIdle() || metadata.pending != null
                    || nowMs - metadata.lastUpdateMs < config.transactionalIdExpirationMs) {
                continue;
            }
            metadata.pending = TransactionState.DEAD;
            context.write(List.of(CoordinatorRecord.tombstone(TransactionRecords.key(metadata.transactionalId))),
                    () -> {
                        metadata.pending = null;
                        metadata.state = TransactionState.DEAD;
                        transactions.remove(metadata.transactionalId, metadata);
                        LOG.log(Level.INFO, "Removed transactional id {0}: idle for more than {1} ms",
                                metadata.transactionalId, config.transactionalIdExpirationMs);
                    }, error -> {
                        metadata.pending = null;
                        LOG.log(Level.WARNING, "Removing the expired {0} failed: {1}", metadata, error);
                    });
        }
    }

    // ---------------------------------------------------------------------------------------------------- admin

    Description describe(String transactionalId) {
        TransactionMetadata metadata = transactions.get(transactionalId);
        if (metadata == null || metadata.state == TransactionState.DEAD) {
            return new Description(transactionalId, Errors.TRANSACTIONAL_ID_NOT_FOUND, TransactionState.DEAD, 0, -1,
                    -1, (short) -1, Set.of());
        }
        Set<TopicPartition> partitions = metadata.partitions;
        TransactionMarkerJob job = markerJobs.get(transactionalId);
        if (metadata.state.isPreparing() && job != null) {
            partitions = job.remaining(); // as Kafka shows it: only partitions still without their marker
        }
        return new Description(transactionalId, Errors.NONE, metadata.state, metadata.timeoutMs, metadata.startMs,
                metadata.producerId, metadata.producerEpoch, Set.copyOf(partitions));
    }

    /** The transactional ids that pass {@code filter}, with the time it is judged at. */
    List<Listing> list(Predicate<TransactionMetadata> filter) {
        List<Listing> listed = new ArrayList<>();
        for (TransactionMetadata metadata : transactions.values()) {
            if (metadata.state != TransactionState.DEAD && filter.test(metadata)) {
                listed.add(new Listing(metadata.transactionalId, metadata.producerId, metadata.state));
            }
        }
        return listed;
    }

    long nowMs() {
        return context.nowMs();
    }

    // ---------------------------------------------------------------------------------------------------- storage

    /** Writes {@code target} for the id; it takes effect, and {@code onCommitted} runs, once it is committed. */
    private void write(TransactionMetadata metadata, Stored target, Runnable onCommitted, Consumer<Errors> onFailed) {
        metadata.pending = target.state();
        context.write(List.of(new CoordinatorRecord(TransactionRecords.key(metadata.transactionalId),
                TransactionRecords.value(target))), () -> {
                    metadata.pending = null;
                    metadata.apply(target);
                    onCommitted.run();
                    settled.accept(metadata.transactionalId);
                }, error -> {
                    metadata.pending = null;
                    onFailed.accept(error == Errors.INVALID_COMMIT_OFFSET_SIZE ? Errors.UNKNOWN_SERVER_ERROR : error);
                    settled.accept(metadata.transactionalId);
                });
    }
}

package io.strata.broker.transaction;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorContext;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.HandCoordinatorContext;
import io.strata.broker.transaction.TransactionCoordinator.Description;
import io.strata.broker.transaction.TransactionCoordinator.InitResult;
import io.strata.broker.transaction.TransactionRecords.Stored;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transaction state machine of one {@code __transaction_state} partition on its own, single-threaded, with a
 * hand-driven context in place of the runtime (the test decides when a write is committed or fails, and when time
 * passes) and a marker sender that only records the jobs it is given.
 */
@Timeout(30)
class TransactionCoordinatorShardTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    private static final String TX = "payments-tx";

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.TRANSACTION_MAX_TIMEOUT_MS, 60_000,
            BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 1_000L,
            BrokerConfig.TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS, 10_000L,
            BrokerConfig.TRANSACTIONAL_ID_EXPIRATION_MS, 100_000L));
    private final AtomicLong producerIds = new AtomicLong(5000);
    private final List<TransactionMarkerJob> jobs = new ArrayList<>();
    private final TransactionCoordinatorShard shard = newShard(context);

    /** The state the last record written for {@code transactionalId} holds, or null for a tombstone. */
    private Stored lastWritten(String transactionalId) {
        for (int i = context.log.size() - 1; i >= 0; i--) {
            CoordinatorRecord record = context.log.get(i);
            if (TransactionRecords.decodeKey(record.key()).equals(transactionalId)) {
                return record.value() == null ? null : TransactionRecords.decodeValue(record.value());
            }
        }
        throw new AssertionError("nothing was written for " + transactionalId);
    }

    private TransactionCoordinatorShard newShard(CoordinatorContext on) {
        return new TransactionCoordinatorShard(on, config, producerIds::getAndIncrement, job -> {
            jobs.add(job);
            return true;
        }, 7);
    }

    private static <T> T answered(CompletableFuture<T> future) {
        assertThat(future).as("answered").isDone();
        return future.join();
    }

    private InitResult init(String transactionalId, int timeoutMs) {
        CompletableFuture<InitResult> result = shard.initProducerId(transactionalId, timeoutMs, -1, (short) -1);
        context.commitAll();
        return answered(result);
    }

    private Errors add(InitResult producer, TopicPartition... partitions) {
        CompletableFuture<Errors> result = shard.addPartitions(TX, producer.producerId(), producer.producerEpoch(),
                Set.of(partitions));
        context.commitAll();
        return answered(result);
    }

    private Errors end(InitResult producer, boolean commit) {
        CompletableFuture<Errors> result = shard.endTransaction(TX, producer.producerId(), producer.producerEpoch(),
                commit);
        context.commitAll();
        return answered(result);
    }

    @Test
    void aNewTransactionalIdGetsANewProducerIdAtEpochZeroOnceItsRecordIsCommitted() {
        CompletableFuture<InitResult> result = shard.initProducerId(TX, 30_000, -1, (short) -1);
        assertThat(result).as("not before the record is committed").isNotDone();

        context.commitAll();

        assertThat(answered(result)).isEqualTo(new InitResult(Errors.NONE, 5000, (short) 0));
        Stored stored = lastWritten(TX);
        assertThat(stored.state()).isEqualTo(TransactionState.EMPTY);
        assertThat(stored.producerId()).isEqualTo(5000);
        assertThat(stored.timeoutMs()).isEqualTo(30_000);
    }

    @Test
    void noProducerIdToGiveIsAnsweredWithTheControllersError() {
        TransactionCoordinatorShard starved = new TransactionCoordinatorShard(context, config, () -> {
            throw Errors.COORDINATOR_NOT_AVAILABLE.exception("the controller cannot reserve ids");
        }, job -> true, 7);

        assertThat(answered(starved.initProducerId(TX, 30_000, -1, (short) -1)).error())
                .isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(starved.describe(TX).error()).as("nothing is left behind")
                .isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND);
    }

    @Test
    void initProducerIdAgainBumpsTheEpochAndFencesTheOlderProducer() {
        InitResult first = init(TX, 30_000);
        InitResult second = init(TX, 30_000);

        assertThat(second.producerId()).isEqualTo(first.producerId());
        assertThat(second.producerEpoch()).isEqualTo((short) 1);
        assertThat(add(first, ORDERS_0)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(answered(shard.endTransaction(TX, first.producerId(), first.producerEpoch(), true)))
                .isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(add(second, ORDERS_0)).isEqualTo(Errors.NONE);
    }

    @Test
    void anExhaustedEpochGivesANewProducerIdAtEpochZero() {
        context.log.add(new CoordinatorRecord(TransactionRecords.key(TX), TransactionRecords.value(new Stored(42,
                (short) (Short.MAX_VALUE - 1), 30_000, TransactionState.COMPLETE_COMMIT, Set.of(), 1, 1))));
        shard.replay(0, context.log.get(0));

        InitResult result = init(TX, 30_000);

        assertThat(result.producerId()).isNotEqualTo(42).isEqualTo(5000);
        assertThat(result.producerEpoch()).isZero();
    }

    @Test
    void aTimeoutAboveTransactionMaxTimeoutMsIsRefused() {
        assertThat(answered(shard.initProducerId(TX, 60_001, -1, (short) -1)).error())
                .isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(answered(shard.initProducerId(TX, 0, -1, (short) -1)).error())
                .isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(context.pending).isEmpty();
    }

    @Test
    void aProducerThatNamesItsEpochBumpsItAndItsRetryGetsTheSameAnswer() {
        InitResult first = init(TX, 30_000);
        CompletableFuture<InitResult> bumped = shard.initProducerId(TX, 30_000, first.producerId(),
                first.producerEpoch());
        context.commitAll();
        InitResult second = answered(bumped);

        CompletableFuture<InitResult> retried = shard.initProducerId(TX, 30_000, first.producerId(),
                first.producerEpoch());

        assertThat(second.producerEpoch()).isEqualTo((short) (first.producerEpoch() + 1));
        assertThat(answered(retried)).as("a retry whose first answer was lost").isEqualTo(second);
        assertThat(answered(shard.initProducerId(TX, 30_000, 999, (short) 0)).error())
                .isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void aZombieNamingItsOldEpochAfterANewProducerInitialisedIsFenced() {
        InitResult zombie = init(TX, 30_000);
        init(TX, 30_000); // a new producer: it names no epoch

        CompletableFuture<InitResult> retried = shard.initProducerId(TX, 30_000, zombie.producerId(),
                zombie.producerEpoch());

        assertThat(answered(retried).error()).isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void anOpenTransactionAtTheLastUsableEpochIsAbortedAtTheMaximumAndTheNextProducerGetsANewId() {
        context.log.add(new CoordinatorRecord(TransactionRecords.key(TX), TransactionRecords.value(new Stored(42,
                (short) (Short.MAX_VALUE - 1), 30_000, TransactionState.ONGOING, Set.of(ORDERS_0), 1, 1))));
        shard.replay(0, context.log.get(0));

        CompletableFuture<InitResult> fencing = shard.initProducerId(TX, 30_000, -1, (short) -1);
        context.commitAll();

        assertThat(answered(fencing).error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(jobs.get(0).producerEpoch).as("the zombie at MAX-1 is fenced").isEqualTo(Short.MAX_VALUE);
        shard.onMarkersWritten(jobs.get(0));
        context.commitAll();
        InitResult fresh = init(TX, 30_000);
        assertThat(fresh.producerId()).isNotEqualTo(42);
        assertThat(fresh.producerEpoch()).isZero();
    }

    @Test
    void addingPartitionsOpensATransactionAndAddsToIt() {
        InitResult producer = init(TX, 30_000);

        assertThat(add(producer, ORDERS_0)).isEqualTo(Errors.NONE);
        long startMs = lastWritten(TX).startMs();
        context.nowMs += 500;
        assertThat(add(producer, ORDERS_1)).isEqualTo(Errors.NONE);

        Stored stored = lastWritten(TX);
        assertThat(stored.state()).isEqualTo(TransactionState.ONGOING);
        assertThat(stored.partitions()).containsExactlyInAnyOrder(ORDERS_0, ORDERS_1);
        assertThat(stored.startMs()).as("the transaction began with its first partition").isEqualTo(startMs);
        int written = context.log.size();
        assertThat(add(producer, ORDERS_0)).isEqualTo(Errors.NONE);
        assertThat(context.log).as("a partition already in the transaction writes nothing").hasSize(written);
    }

    @Test
    void anUnknownProducerIdOrTransactionalIdIsAnInvalidMapping() {
        InitResult producer = init(TX, 30_000);

        assertThat(answered(shard.addPartitions(TX, producer.producerId() + 1, producer.producerEpoch(),
                Set.of(ORDERS_0)))).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(answered(shard.addPartitions("other", producer.producerId(), producer.producerEpoch(),
                Set.of(ORDERS_0)))).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(answered(shard.endTransaction("other", producer.producerId(), producer.producerEpoch(), true)))
                .isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
    }

    @Test
    void aSecondRequestWhileAWriteIsInFlightIsAnsweredConcurrentTransactions() {
        InitResult producer = init(TX, 30_000);
        CompletableFuture<Errors> first = shard.addPartitions(TX, producer.producerId(), producer.producerEpoch(),
                Set.of(ORDERS_0));

        assertThat(answered(shard.addPartitions(TX, producer.producerId(), producer.producerEpoch(),
                Set.of(ORDERS_1)))).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(answered(shard.initProducerId(TX, 30_000, -1, (short) -1)).error())
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        context.commitAll();
        assertThat(answered(first)).isEqualTo(Errors.NONE);
    }

    @Test
    void aFailedWriteLeavesTheStateAsItWasAndIsAnsweredWithItsError() {
        InitResult producer = init(TX, 30_000);
        CompletableFuture<Errors> result = shard.addPartitions(TX, producer.producerId(), producer.producerEpoch(),
                Set.of(ORDERS_0));

        context.failAll(Errors.NOT_COORDINATOR);

        assertThat(answered(result)).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.EMPTY);
        assertThat(add(producer, ORDERS_0)).as("nothing pending is left behind").isEqualTo(Errors.NONE);
    }

    @Test
    void commitWritesPrepareCommitAnswersThenSendsMarkersThenWritesCompleteCommit() {
        InitResult producer = init(TX, 30_000);
        add(producer, ORDERS_0, ORDERS_1);

        CompletableFuture<Errors> result = shard.endTransaction(TX, producer.producerId(), producer.producerEpoch(),
                true);
        assertThat(result).isNotDone();
        assertThat(jobs).as("no markers before PrepareCommit is committed").isEmpty();
        context.commitAll();

        assertThat(answered(result)).isEqualTo(Errors.NONE);
        assertThat(lastWritten(TX).state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(jobs).hasSize(1);
        TransactionMarkerJob job = jobs.get(0);
        assertThat(job.commit).isTrue();
        assertThat(job.producerId).isEqualTo(producer.producerId());
        assertThat(job.producerEpoch).isEqualTo(producer.producerEpoch());
        assertThat(job.coordinatorEpoch).isEqualTo(7);
        assertThat(job.partitions).containsExactlyInAnyOrder(ORDERS_0, ORDERS_1);
        assertThat(answered(shard.endTransaction(TX, producer.producerId(), producer.producerEpoch(), true)))
                .as("a retried commit while markers are sent").isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(add(producer, ORDERS_0)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);

        shard.onMarkersWritten(job);
        context.commitAll();

        Stored complete = lastWritten(TX);
        assertThat(complete.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
        assertThat(complete.partitions()).isEmpty();
        assertThat(end(producer, true)).as("a retried commit once complete").isEqualTo(Errors.NONE);
        assertThat(end(producer, false)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(add(producer, ORDERS_0)).as("the next transaction begins").isEqualTo(Errors.NONE);
    }

    @Test
    void abortWritesPrepareAbortThenCompleteAbort() {
        InitResult producer = init(TX, 30_000);
        add(producer, ORDERS_0);

        assertThat(end(producer, false)).isEqualTo(Errors.NONE);
        assertThat(lastWritten(TX).state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(answered(shard.endTransaction(TX, producer.producerId(), producer.producerEpoch(), true)))
                .isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(jobs.get(0).commit).isFalse();
        shard.onMarkersWritten(jobs.get(0));
        context.commitAll();

        assertThat(lastWritten(TX).state()).isEqualTo(TransactionState.COMPLETE_ABORT);
        assertThat(end(producer, true)).isEqualTo(Errors.INVALID_TXN_STATE);
    }

    @Test
    void endingATransactionThatWasNeverBegunIsAnInvalidState() {
        InitResult producer = init(TX, 30_000);

        assertThat(end(producer, true)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(end(producer, false)).isEqualTo(Errors.INVALID_TXN_STATE);
    }

    @Test
    void aFailedCompleteWriteIsTriedAgain() {
        InitResult producer = init(TX, 30_000);
        add(producer, ORDERS_0);
        end(producer, true);
        shard.onMarkersWritten(jobs.get(0));

        context.failAll(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        context.advance(TransactionCoordinatorShard.COMPLETE_RETRY_MS);
        context.commitAll();

        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
    }

    @Test
    void initProducerIdOfANewProducerAbortsTheOpenTransactionWithABumpedEpochAndAsksItToRetry() {
        InitResult zombie = init(TX, 30_000);
        add(zombie, ORDERS_0);

        CompletableFuture<InitResult> result = shard.initProducerId(TX, 30_000, -1, (short) -1);
        context.commitAll();

        assertThat(answered(result).error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        Stored aborting = lastWritten(TX);
        assertThat(aborting.state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(aborting.producerEpoch()).isEqualTo((short) (zombie.producerEpoch() + 1));
        assertThat(jobs.get(0).producerEpoch).as("the markers fence the zombie's epoch")
                .isEqualTo((short) (zombie.producerEpoch() + 1));
        assertThat(add(zombie, ORDERS_1)).isEqualTo(Errors.PRODUCER_FENCED);

        shard.onMarkersWritten(jobs.get(0));
        context.commitAll();
        InitResult fresh = init(TX, 30_000);

        assertThat(fresh.error()).isEqualTo(Errors.NONE);
        assertThat(fresh.producerEpoch()).isEqualTo((short) (zombie.producerEpoch() + 2));
    }

    @Test
    void aTransactionOpenPastItsTimeoutIsAbortedWithABumpedEpoch() {
        shard.onLoaded();
        InitResult producer = init(TX, 5_000);
        add(producer, ORDERS_0);

        context.advance(4_000);
        assertThat(shard.describe(TX).state()).as("not yet timed out").isEqualTo(TransactionState.ONGOING);
        context.advance(2_000);
        context.commitAll();

        Stored aborting = lastWritten(TX);
        assertThat(aborting.state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(aborting.producerEpoch()).isEqualTo((short) (producer.producerEpoch() + 1));
        assertThat(jobs).hasSize(1);
        shard.onMarkersWritten(jobs.get(0));
        context.commitAll();
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.COMPLETE_ABORT);
        assertThat(end(producer, true)).as("the producer that left it open is fenced")
                .isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void anIdleTransactionalIdExpiresAndIsDeletedWithATombstone() {
        shard.onLoaded();
        init(TX, 30_000);
        InitResult other = init("busy-tx", 30_000);
        CompletableFuture<Errors> opened = shard.addPartitions("busy-tx", other.producerId(), other.producerEpoch(),
                Set.of(ORDERS_0));
        context.commitAll();
        assertThat(answered(opened)).isEqualTo(Errors.NONE);

        context.advance(100_000);
        context.commitAll();

        assertThat(lastWritten(TX)).as("a tombstone").isNull();
        assertThat(shard.describe(TX).error()).isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND);
        assertThat(shard.describe("busy-tx").error()).as("an open transaction does not expire; it times out")
                .isEqualTo(Errors.NONE);
    }

    @Test
    void replayRebuildsEveryTransactionalIdAndResumesTheMarkersOfPreparedTransactions() {
        InitResult producer = init(TX, 30_000);
        add(producer, ORDERS_0, ORDERS_1);
        end(producer, true);
        init("gone-tx", 30_000);
        context.log.add(CoordinatorRecord.tombstone(TransactionRecords.key("gone-tx")));
        InitResult idle = init("idle-tx", 30_000);

        HandCoordinatorContext after = new HandCoordinatorContext();
        List<TransactionMarkerJob> resumed = new ArrayList<>();
        TransactionCoordinatorShard loaded = new TransactionCoordinatorShard(after, config,
                producerIds::getAndIncrement, job -> {
                    resumed.add(job);
                    return true;
                }, 8);
        for (int offset = 0; offset < context.log.size(); offset++) {
            loaded.replay(offset, context.log.get(offset));
        }
        loaded.onLoaded();

        Description described = loaded.describe(TX);
        assertThat(described.state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(described.producerId()).isEqualTo(producer.producerId());
        assertThat(loaded.describe("gone-tx").error()).isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND);
        assertThat(loaded.describe("idle-tx").producerId()).isEqualTo(idle.producerId());
        assertThat(resumed).hasSize(1);
        assertThat(resumed.get(0).commit).isTrue();
        assertThat(resumed.get(0).coordinatorEpoch).as("the new coordinator's epoch").isEqualTo(8);
        assertThat(resumed.get(0).partitions).containsExactlyInAnyOrder(ORDERS_0, ORDERS_1);

        loaded.onMarkersWritten(resumed.get(0));
        after.commitAll();
        assertThat(loaded.describe(TX).state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
    }

    @Test
    void markersOfAnUnloadedShardDoNotCompleteTheTransaction() {
        InitResult producer = init(TX, 30_000);
        add(producer, ORDERS_0);
        end(producer, true);
        TransactionMarkerJob job = jobs.get(0);

        shard.onUnloaded();

        assertThat(job.isCancelled()).isTrue();
        shard.onMarkersWritten(job);
        assertThat(context.pending).isEmpty();
    }

    @Test
    void aJobTheSenderRefusesIsOfferedAgainLater() {
        List<TransactionMarkerJob> offered = new ArrayList<>();
        boolean[] accept = {false};
        TransactionCoordinatorShard busy = new TransactionCoordinatorShard(context, config,
                producerIds::getAndIncrement, job -> {
                    offered.add(job);
                    return accept[0];
                }, 7);
        CompletableFuture<InitResult> init = busy.initProducerId(TX, 30_000, -1, (short) -1);
        context.commitAll();
        InitResult producer = answered(init);
        busy.addPartitions(TX, producer.producerId(), producer.producerEpoch(), Set.of(ORDERS_0));
        context.commitAll();
        busy.endTransaction(TX, producer.producerId(), producer.producerEpoch(), true);
        context.commitAll();
        assertThat(offered).hasSize(1);

        accept[0] = true;
        context.advance(TransactionCoordinatorShard.MARKERS_RETRY_MS);

        assertThat(offered).hasSize(2).allMatch(job -> job == offered.get(0));
    }

    @Test
    void describeShowsOnlyPartitionsStillWaitingForTheirMarkers() {
        InitResult producer = init(TX, 30_000);
        add(producer, ORDERS_0, ORDERS_1);
        end(producer, true);

        jobs.get(0).done(ORDERS_0);

        assertThat(shard.describe(TX).partitions()).containsExactly(ORDERS_1);
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.PREPARE_COMMIT);
    }

    @Test
    void listFiltersByPredicate() {
        InitResult producer = init(TX, 30_000);
        add(producer, ORDERS_0);
        init("idle-tx", 30_000);

        assertThat(shard.list(metadata -> metadata.state == TransactionState.ONGOING))
                .extracting(TransactionCoordinator.Listing::transactionalId).containsExactly(TX);
        assertThat(shard.list(metadata -> true)).hasSize(2);
    }
}

package io.strata.broker.transaction;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.coordinator.HandCoordinatorContext;
import io.strata.broker.transaction.TransactionCoordinator.EndResult;
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
 * Transaction protocol version 2 (KIP-890) in the state machine of one {@code __transaction_state} partition: an
 * epoch bump at every EndTxn, retries answered as the first, a new producer id when the epoch is exhausted,
 * partitions added by their leaders, and the leaders' verification of version 1 producers. Single-threaded, with a
 * hand-driven context and a marker sender that only records its jobs.
 */
@Timeout(30)
class TransactionCoordinatorShardV2Test {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    private static final String TX = "payments-tx";

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.TRANSACTION_MAX_TIMEOUT_MS, 60_000));
    private final AtomicLong producerIds = new AtomicLong(5000);
    private final List<TransactionMarkerJob> jobs = new ArrayList<>();
    private final TransactionCoordinatorShard shard = new TransactionCoordinatorShard(context, config,
            producerIds::getAndIncrement, job -> {
                jobs.add(job);
                return true;
            }, 7);

    private static <T> T answered(CompletableFuture<T> future) {
        assertThat(future).as("answered").isDone();
        return future.join();
    }

    private Stored lastWritten() {
        CoordinatorRecord record = context.log.get(context.log.size() - 1);
        return TransactionRecords.decodeValue(record.value());
    }

    private InitResult init() {
        CompletableFuture<InitResult> result = shard.initProducerId(TX, 30_000, -1, (short) -1);
        context.commitAll();
        return answered(result);
    }

    private Errors addByLeader(long producerId, short epoch, TopicPartition... partitions) {
        CompletableFuture<Errors> result = shard.addPartitions(TX, producerId, epoch, Set.of(partitions), true);
        context.commitAll();
        return answered(result);
    }

    private EndResult end(long producerId, short epoch, boolean commit) {
        CompletableFuture<EndResult> result = shard.endTransactionV2(TX, producerId, epoch, commit);
        context.commitAll();
        return answered(result);
    }

    private void markersWritten() {
        shard.onMarkersWritten(jobs.get(jobs.size() - 1));
        context.commitAll();
    }

    @Test
    void everyCommitBumpsTheEpochWritesTheMarkersAtItAndHandsItToTheProducer() {
        InitResult producer = init();
        short epoch = producer.producerEpoch();
        for (int transaction = 1; transaction <= 3; transaction++) {
            assertThat(addByLeader(producer.producerId(), epoch, ORDERS_0, ORDERS_1)).isEqualTo(Errors.NONE);
            assertThat(lastWritten().transactionVersion()).isEqualTo((short) 2);

            EndResult ended = end(producer.producerId(), epoch, true);

            assertThat(ended).isEqualTo(new EndResult(Errors.NONE, producer.producerId(), (short) (epoch + 1)));
            assertThat(lastWritten().state()).isEqualTo(TransactionState.PREPARE_COMMIT);
            assertThat(lastWritten().producerEpoch()).isEqualTo((short) (epoch + 1));
            TransactionMarkerJob job = jobs.get(jobs.size() - 1);
            assertThat(job.producerEpoch).as("markers carry the bumped epoch").isEqualTo((short) (epoch + 1));
            markersWritten();
            assertThat(lastWritten().state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
            epoch = ended.producerEpoch();
        }
        assertThat(epoch).isEqualTo((short) (producer.producerEpoch() + 3));
    }

    @Test
    void theIdIsSettledWhenEachStateChangeIsStoredSoThatALeaderToldConcurrentTransactionsAsksAgain() {
        List<String> settled = new ArrayList<>();
        TransactionCoordinatorShard watched = new TransactionCoordinatorShard(context, config,
                producerIds::getAndIncrement, job -> {
                    jobs.add(job);
                    return true;
                }, settled::add, 7);
        CompletableFuture<InitResult> initialised = watched.initProducerId(TX, 30_000, -1, (short) -1);
        assertThat(settled).as("nothing stored yet").isEmpty();
        context.commitAll();
        InitResult producer = answered(initialised);
        assertThat(settled).containsExactly(TX);
        watched.addPartitions(TX, producer.producerId(), producer.producerEpoch(), Set.of(ORDERS_0), true);
        context.commitAll();
        CompletableFuture<EndResult> ended = watched.endTransactionV2(TX, producer.producerId(),
                producer.producerEpoch(), true);
        context.commitAll();
        short next = answered(ended).producerEpoch();
        settled.clear();

        CompletableFuture<Errors> early = watched.addPartitions(TX, producer.producerId(), next, Set.of(ORDERS_0),
                true);
        assertThat(answered(early)).as("the markers are being written").isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        watched.onMarkersWritten(jobs.get(jobs.size() - 1));
        assertThat(settled).as("not before CompleteCommit is stored").isEmpty();
        context.commitAll();

        assertThat(settled).containsExactly(TX);
        CompletableFuture<Errors> again = watched.addPartitions(TX, producer.producerId(), next, Set.of(ORDERS_0),
                true);
        context.commitAll();
        assertThat(answered(again)).isEqualTo(Errors.NONE);
    }

    @Test
    void aRetriedEndTxnIsAnsweredAsTheFirstWasAndTheOldEpochIsFencedAfterwards() {
        InitResult producer = init();
        long id = producer.producerId();
        short epoch = producer.producerEpoch();
        addByLeader(id, epoch, ORDERS_0);
        EndResult first = end(id, epoch, true);

        assertThat(end(id, epoch, true).error()).as("retried while the markers are written")
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(end(id, epoch, false).error()).isEqualTo(Errors.INVALID_TXN_STATE);
        markersWritten();
        assertThat(end(id, epoch, true)).as("retried once complete").isEqualTo(first);
        assertThat(end(id, epoch, false).error()).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(addByLeader(id, epoch, ORDERS_0)).as("the old epoch cannot open a transaction")
                .isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(end(id, (short) (epoch - 1), true).error()).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(addByLeader(id, first.producerEpoch(), ORDERS_0)).isEqualTo(Errors.NONE);
    }

    @Test
    void anAbortWithNothingAddedBumpsTheEpochAndMarksNothing() {
        InitResult producer = init();

        EndResult aborted = end(producer.producerId(), producer.producerEpoch(), false);

        assertThat(aborted.error()).isEqualTo(Errors.NONE);
        assertThat(aborted.producerEpoch()).isEqualTo((short) (producer.producerEpoch() + 1));
        assertThat(jobs.get(0).partitions).isEmpty();
        markersWritten();
        assertThat(lastWritten().state()).isEqualTo(TransactionState.COMPLETE_ABORT);
        assertThat(end(producer.producerId(), aborted.producerEpoch(), true).error())
                .as("a commit with nothing added").isEqualTo(Errors.INVALID_TXN_STATE);
    }

    @Test
    void anExhaustedEpochMovesToANewProducerIdOnceTheMarkersAreWrittenAndARetryStillGetsIt() {
        short lastUsable = Short.MAX_VALUE - 1;
        context.log.add(new CoordinatorRecord(TransactionRecords.key(TX), TransactionRecords.value(new Stored(42,
                lastUsable, 30_000, TransactionState.COMPLETE_COMMIT, Set.of(), 1, 1, -1, -1, (short) 2))));
        shard.replay(0, context.log.get(0));
        assertThat(addByLeader(42, lastUsable, ORDERS_0)).isEqualTo(Errors.NONE);

        EndResult ended = end(42, lastUsable, true);

        assertThat(ended).isEqualTo(new EndResult(Errors.NONE, 5000, (short) 0));
        Stored prepared = lastWritten();
        assertThat(prepared.producerId()).isEqualTo(42);
        assertThat(prepared.producerEpoch()).isEqualTo(Short.MAX_VALUE);
        assertThat(prepared.nextProducerId()).isEqualTo(5000);
        assertThat(jobs.get(0).producerId).as("the old id's markers").isEqualTo(42);
        assertThat(addByLeader(5000, (short) 0, ORDERS_0)).as("the new id waits for the markers")
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(end(42, lastUsable, true).error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);

        markersWritten();

        Stored complete = lastWritten();
        assertThat(complete.producerId()).isEqualTo(5000);
        assertThat(complete.producerEpoch()).isZero();
        assertThat(complete.previousProducerId()).isEqualTo(42);
        assertThat(complete.nextProducerId()).isEqualTo(-1);
        assertThat(end(42, lastUsable, true)).as("a retry naming the exhausted id").isEqualTo(ended);
        assertThat(addByLeader(5000, (short) 0, ORDERS_0)).isEqualTo(Errors.NONE);
        assertThat(addByLeader(42, lastUsable, ORDERS_1)).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
    }

    @Test
    void theStateOfVersion2SurvivesAReload() {
        short lastUsable = Short.MAX_VALUE - 1;
        context.log.add(new CoordinatorRecord(TransactionRecords.key(TX), TransactionRecords.value(new Stored(42,
                lastUsable, 30_000, TransactionState.ONGOING, Set.of(ORDERS_0), 1, 1, -1, -1, (short) 2))));
        shard.replay(0, context.log.get(0));
        end(42, lastUsable, true);
        markersWritten();

        TransactionCoordinatorShard reloaded = new TransactionCoordinatorShard(context, config,
                producerIds::getAndIncrement, job -> true, 8);
        for (int offset = 0; offset < context.log.size(); offset++) {
            reloaded.replay(offset, context.log.get(offset));
        }

        CompletableFuture<EndResult> retried = reloaded.endTransactionV2(TX, 42, lastUsable, true);
        assertThat(answered(retried)).isEqualTo(new EndResult(Errors.NONE, 5000, (short) 0));
    }

    @Test
    void aTimedOutTransactionOfVersion2IsFencedTwoEpochsOnSoItsProducersEndTxnIsFenced() {
        InitResult producer = init();
        addByLeader(producer.producerId(), producer.producerEpoch(), ORDERS_0);
        context.nowMs += 31_000;

        shard.abortTimedOutTransactions();
        context.commitAll();
        markersWritten();

        assertThat(lastWritten().producerEpoch()).isEqualTo((short) (producer.producerEpoch() + 2));
        assertThat(end(producer.producerId(), producer.producerEpoch(), false).error())
                .isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(end(producer.producerId(), producer.producerEpoch(), true).error())
                .isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void verificationFindsOnlyPartitionsOfTheOpenTransactionAndWritesNothing() {
        InitResult producer = init();
        long id = producer.producerId();
        short epoch = producer.producerEpoch();
        CompletableFuture<Errors> added = shard.addPartitions(TX, id, epoch, Set.of(ORDERS_0));
        context.commitAll();
        assertThat(answered(added)).isEqualTo(Errors.NONE);
        int written = context.log.size();

        assertThat(shard.verifyPartitions(TX, id, epoch, Set.of(ORDERS_0, ORDERS_1)))
                .containsEntry(ORDERS_0, Errors.NONE).containsEntry(ORDERS_1, Errors.INVALID_TXN_STATE);
        assertThat(shard.verifyPartitions(TX, id, (short) (epoch - 1), Set.of(ORDERS_0)))
                .containsEntry(ORDERS_0, Errors.PRODUCER_FENCED);
        assertThat(shard.verifyPartitions(TX, id + 1, epoch, Set.of(ORDERS_0)))
                .containsEntry(ORDERS_0, Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(shard.verifyPartitions("unknown", id, epoch, Set.of(ORDERS_0)))
                .containsEntry(ORDERS_0, Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(context.log).hasSize(written);
    }
}

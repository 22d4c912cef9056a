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
 * Strata's Prepared state (the first phase of a two-phase commit) in the state machine of one
 * {@code __transaction_state} partition: stored at the producer's id and epoch, untouched by the timeout, by
 * InitProducerId without KeepPreparedTxn and by the expiry of idle ids, rebuilt by replay, kept for and handed to
 * another process by KeepPreparedTxn, and ended by EndTxn commit or abort. Single-threaded, with a hand-driven
 * context and a marker sender that only records its jobs.
 */
@Timeout(30)
class TransactionCoordinatorShardPrepareTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final String TX = "strata-xa:1:0a:0b";
    private static final int TIMEOUT_MS = 5_000;

    private final HandCoordinatorContext context = new HandCoordinatorContext();
    private final BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.TRANSACTION_MAX_TIMEOUT_MS, 60_000,
            BrokerConfig.TRANSACTIONAL_ID_EXPIRATION_MS, 10_000,
            BrokerConfig.TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS, 1_000));
    private final AtomicLong producerIds = new AtomicLong(7000);
    private final List<TransactionMarkerJob> jobs = new ArrayList<>();
    private final TransactionCoordinatorShard shard = newShard(context);

    private TransactionCoordinatorShard newShard(HandCoordinatorContext on) {
        return new TransactionCoordinatorShard(on, config, producerIds::getAndIncrement, job -> {
            jobs.add(job);
            return true;
        }, 3);
    }

    private static <T> T answered(CompletableFuture<T> future) {
        assertThat(future).as("answered").isDone();
        return future.join();
    }

    private Stored lastWritten() {
        CoordinatorRecord record = context.log.get(context.log.size() - 1);
        return TransactionRecords.decodeValue(record.value());
    }

    private InitResult init(boolean keepPrepared) {
        CompletableFuture<InitResult> result = shard.initProducerId(TX, TIMEOUT_MS, -1, (short) -1, keepPrepared);
        context.commitAll();
        return answered(result);
    }

    /** A producer with an open transaction that its leader added {@link #ORDERS_0} to, then prepared. */
    private InitResult prepared() {
        shard.onLoaded();
        InitResult producer = init(false);
        CompletableFuture<Errors> added = shard.addPartitions(TX, producer.producerId(), producer.producerEpoch(),
                Set.of(ORDERS_0), true);
        context.commitAll();
        assertThat(answered(added)).isEqualTo(Errors.NONE);
        EndResult prepared = prepare(producer.producerId(), producer.producerEpoch());
        assertThat(prepared).as("prepared at the producer's id and epoch")
                .isEqualTo(new EndResult(Errors.NONE, producer.producerId(), producer.producerEpoch()));
        return producer;
    }

    private EndResult prepare(long producerId, short epoch) {
        CompletableFuture<EndResult> result = shard.prepareTransaction(TX, producerId, epoch);
        context.commitAll();
        return answered(result);
    }

    private EndResult end(long producerId, short epoch, boolean commit) {
        CompletableFuture<EndResult> result = shard.endTransactionV2(TX, producerId, epoch, commit);
        context.commitAll();
        return answered(result);
    }

    @Test
    void aPrepareIsStoredAsPreparedAtTheSameEpochWithItsPartitionsAndAnsweredOnlyOnceStored() {
        shard.onLoaded();
        InitResult producer = init(false);
        shard.addPartitions(TX, producer.producerId(), producer.producerEpoch(), Set.of(ORDERS_0), true);
        context.commitAll();

        CompletableFuture<EndResult> result = shard.prepareTransaction(TX, producer.producerId(),
                producer.producerEpoch());
        assertThat(result).as("not before the record is committed").isNotDone();
        context.commitAll();

        assertThat(answered(result).error()).isEqualTo(Errors.NONE);
        Stored stored = lastWritten();
        assertThat(stored.state()).isEqualTo(TransactionState.PREPARED);
        assertThat(stored.producerEpoch()).isEqualTo(producer.producerEpoch());
        assertThat(stored.partitions()).containsExactly(ORDERS_0);
        assertThat(jobs).as("no marker: the transaction stays open").isEmpty();
        assertThat(prepare(producer.producerId(), producer.producerEpoch())).as("a repeat is answered the same")
                .isEqualTo(answered(result));
    }

    @Test
    void aPreparedTransactionOutlivesItsTimeoutAndTheExpiryOfIdleIds() {
        InitResult producer = prepared();
        int written = context.log.size();

        context.advance(TIMEOUT_MS * 10L);
        context.commitAll();

        assertThat(context.log).as("nothing aborted, nothing deleted").hasSize(written);
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.PREPARED);
        assertThat(shard.describe(TX).producerEpoch()).isEqualTo(producer.producerEpoch());
    }

    @Test
    void initProducerIdWithoutKeepPreparedTxnIsRefusedAndLeavesItPrepared() {
        prepared();
        int written = context.log.size();

        assertThat(init(false).error()).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(context.log).hasSize(written);
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.PREPARED);
    }

    @Test
    void keepPreparedTxnHandsItsProducerIdAndEpochToAnotherProcessWhichCommitsIt() {
        InitResult producer = prepared();
        int written = context.log.size();

        InitResult recovering = init(true);

        assertThat(recovering).isEqualTo(new InitResult(Errors.NONE, producer.producerId(), producer.producerEpoch(),
                producer.producerId(), producer.producerEpoch()));
        assertThat(context.log).as("nothing written").hasSize(written);
        EndResult committed = end(recovering.ongoingProducerId(), recovering.ongoingProducerEpoch(), true);
        assertThat(committed).isEqualTo(new EndResult(Errors.NONE, producer.producerId(),
                (short) (producer.producerEpoch() + 1)));
        assertThat(lastWritten().state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).commit).isTrue();
        assertThat(jobs.get(0).partitions).containsExactly(ORDERS_0);
        shard.onMarkersWritten(jobs.get(0));
        context.commitAll();
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
        assertThat(end(recovering.ongoingProducerId(), recovering.ongoingProducerEpoch(), true).error())
                .as("a retried commit").isEqualTo(Errors.NONE);
    }

    @Test
    void anAbortFromPreparedWritesPrepareAbortWithTheMarkers() {
        InitResult producer = prepared();

        EndResult aborted = end(producer.producerId(), producer.producerEpoch(), false);

        assertThat(aborted.error()).isEqualTo(Errors.NONE);
        assertThat(lastWritten().state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(jobs.get(0).commit).isFalse();
    }

    @Test
    void aPreparedTransactionTakesNoMorePartitionsAndAnOtherEpochIsFenced() {
        InitResult producer = prepared();

        CompletableFuture<Errors> added = shard.addPartitions(TX, producer.producerId(), producer.producerEpoch(),
                Set.of(new TopicPartition("orders", 1)), true);
        context.commitAll();

        assertThat(answered(added)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(end(producer.producerId(), (short) (producer.producerEpoch() - 1), true).error())
                .isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(shard.describe(TX).state()).isEqualTo(TransactionState.PREPARED);
    }

    @Test
    void nothingOpenCannotBePrepared() {
        shard.onLoaded();
        InitResult producer = init(false);

        assertThat(prepare(producer.producerId(), producer.producerEpoch()).error())
                .isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(prepare(producer.producerId() + 1, producer.producerEpoch()).error())
                .isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
    }

    @Test
    void replayRebuildsAPreparedTransactionWithoutSendingMarkersAndItCanThenBeCommitted() {
        InitResult producer = prepared();

        HandCoordinatorContext after = new HandCoordinatorContext();
        TransactionCoordinatorShard loaded = newShard(after);
        for (int offset = 0; offset < context.log.size(); offset++) {
            loaded.replay(offset, context.log.get(offset));
        }
        loaded.onLoaded();

        assertThat(loaded.describe(TX).state()).isEqualTo(TransactionState.PREPARED);
        assertThat(loaded.describe(TX).partitions()).containsExactly(ORDERS_0);
        assertThat(loaded.list(metadata -> metadata.state == TransactionState.PREPARED))
                .extracting(TransactionCoordinator.Listing::transactionalId).containsExactly(TX);
        assertThat(jobs).isEmpty();
        CompletableFuture<EndResult> committed = loaded.endTransactionV2(TX, producer.producerId(),
                producer.producerEpoch(), true);
        after.commitAll();
        assertThat(answered(committed).error()).isEqualTo(Errors.NONE);
        assertThat(jobs).hasSize(1);
    }

    @Test
    void thePreparedStateIsStoredWithItsOwnCodeAndReadBack() {
        prepared();
        Stored stored = lastWritten();

        assertThat(TransactionRecords.decodeValue(TransactionRecords.value(stored))).isEqualTo(stored);
        assertThat(TransactionState.ofCode((byte) TransactionState.PREPARED_CODE))
                .isEqualTo(TransactionState.PREPARED);
        assertThat(TransactionState.ofDisplay("Prepared")).isEqualTo(TransactionState.PREPARED);
    }
}

package io.strata.broker.producer;

import io.strata.broker.producer.ProducerStateManager.BatchMetadata;
import io.strata.broker.producer.ProducerStateManager.CompletedTransaction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The producer state's tracking of transactions: open, commit, abort, fencing, snapshots. */
class ProducerStateTransactionsTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final long PRODUCER = 7000L;
    private static final long OTHER = 8000L;
    private static final short EPOCH = 3;

    private final ProducerStateManager producers = new ProducerStateManager(TP);

    private static BatchMetadata batch(int firstSequence, long firstOffset, int records) {
        return new BatchMetadata(firstSequence, firstSequence + records - 1, firstOffset, firstOffset + records - 1,
                1_700_000_000_000L);
    }

    @Test
    void aTransactionalBatchOpensATransactionAtItsFirstOffsetAndLaterOnesKeepIt() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        producers.update(PRODUCER, EPOCH, batch(3, 20, 2), true);

        assertThat(producers.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(10);
        assertThat(producers.firstUnstableOffset()).isEqualTo(10);
        assertThat(producers.ongoingTransactionCount()).isEqualTo(1);
    }

    @Test
    void anIdempotentBatchOpensNoTransaction() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), false);

        assertThat(producers.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(-1);
        assertThat(producers.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aCommitEndsTheTransactionWhichStaysUnstableUntilTheHighWatermarkPassesTheMarker() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);

        CompletedTransaction completed = producers.completeTransaction(PRODUCER, EPOCH, 1, true, 13, 0);

        assertThat(completed).isEqualTo(new CompletedTransaction(PRODUCER, 10, 13, false));
        assertThat(producers.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(-1);
        assertThat(producers.firstUnstableOffset()).isEqualTo(10);
        producers.onHighWatermark(13);
        assertThat(producers.firstUnstableOffset()).as("the marker itself is not replicated yet").isEqualTo(10);
        producers.onHighWatermark(14);
        assertThat(producers.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void anAbortReportsTheRangeAndTheLastStableOffsetTheIndexRecords() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        producers.update(OTHER, EPOCH, batch(0, 13, 2), true);

        CompletedTransaction aborted = producers.completeTransaction(PRODUCER, EPOCH, 1, false, 15, 0);

        assertThat(aborted).isEqualTo(new CompletedTransaction(PRODUCER, 10, 15, true));
        // The other producer's transaction from 13 is still open: nothing past it is stable.
        assertThat(producers.lastStableOffsetAfter(aborted)).isEqualTo(13);
        CompletedTransaction second = producers.completeTransaction(OTHER, EPOCH, 1, false, 16, 0);
        assertThat(producers.lastStableOffsetAfter(second)).isEqualTo(17);
    }

    @Test
    void afterAMarkerAtABumpedEpochTheNextTransactionMustStartAtSequenceZero() {
        // Transactions v2: every EndTxn bumps the epoch and the marker carries the new one, so the producer's entry
        // is at the new epoch with no batch yet. A pipelined batch behind a refused first one must not be taken.
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        short bumped = EPOCH + 1;
        producers.completeTransaction(PRODUCER, bumped, 1, true, 13, 0);

        assertThatThrownBy(() -> producers.checkBeforeAppend(PRODUCER, bumped, 5, 9))
                .isInstanceOf(OutOfOrderSequenceException.class)
                .hasMessageContaining("5 (incoming seq. number)");
        assertThat(producers.checkBeforeAppend(PRODUCER, bumped, 0, 4)).isNull();
    }

    @Test
    void aMarkerWithoutDataHereCoversOnlyItself() {
        CompletedTransaction aborted = producers.completeTransaction(PRODUCER, EPOCH, 1, false, 40, 0);

        assertThat(aborted).isEqualTo(new CompletedTransaction(PRODUCER, 40, 40, true));
    }

    @Test
    void aMarkerFromAnOlderProducerEpochIsRefused() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);

        assertThatThrownBy(() -> producers.checkEndTransaction(PRODUCER, (short) (EPOCH - 1), 1))
                .isInstanceOf(InvalidProducerEpochException.class).hasMessageContaining("epoch 2");
        producers.checkEndTransaction(PRODUCER, EPOCH, 1);
    }

    @Test
    void aMarkerFromAnOlderCoordinatorEpochThanTheLastIsFenced() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        producers.completeTransaction(PRODUCER, EPOCH, 5, true, 13, 0);

        assertThatThrownBy(() -> producers.checkEndTransaction(PRODUCER, EPOCH, 4))
                .isInstanceOf(TransactionCoordinatorFencedException.class).hasMessageContaining("4");
        producers.checkEndTransaction(PRODUCER, EPOCH, 5);
        assertThat(producers.coordinatorEpochOf(PRODUCER)).isEqualTo(5);
    }

    @Test
    void aNonTransactionalWriteInsideAnOpenTransactionIsRefused() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);

        assertThatThrownBy(() -> producers.checkTransactionState(PRODUCER, false))
                .isInstanceOf(InvalidTxnStateException.class);
        producers.checkTransactionState(PRODUCER, true);
        producers.checkTransactionState(OTHER, false);
    }

    @Test
    void aProducerWithAnOpenTransactionDoesNotExpire() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        producers.update(OTHER, EPOCH, batch(0, 13, 3), false);

        assertThat(producers.expire(1_800_000_000_000L, 1000)).isEqualTo(1);

        assertThat(producers.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(10);
        assertThat(producers.producerCount()).isEqualTo(1);
    }

    @Test
    void openTransactionsAndCoordinatorEpochsSurviveASnapshot(@TempDir Path dir) throws IOException {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        producers.update(OTHER, EPOCH, batch(0, 13, 2), true);
        producers.completeTransaction(OTHER, EPOCH, 6, false, 15, 0);
        producers.writeSnapshot(dir, 16);

        ProducerStateManager loaded = new ProducerStateManager(TP);
        assertThat(loaded.loadSnapshot(dir, 16)).isEqualTo(16);

        assertThat(loaded.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(10);
        assertThat(loaded.ongoingTransactionFirstOffset(OTHER)).isEqualTo(-1);
        assertThat(loaded.firstUnstableOffset()).isEqualTo(10);
        assertThat(loaded.coordinatorEpochOf(OTHER)).isEqualTo(6);
        assertThatThrownBy(() -> loaded.checkEndTransaction(OTHER, EPOCH, 5))
                .isInstanceOf(TransactionCoordinatorFencedException.class);
        // The sequence state came back too.
        assertThat(loaded.checkBeforeAppend(PRODUCER, EPOCH, 0, 2)).isNotNull();
    }

    @Test
    void aDamagedSnapshotWithTransactionsIsRefusedByItsChecksum(@TempDir Path dir) throws IOException {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        producers.writeSnapshot(dir, 16);
        Path file = dir.resolve("00000000000000000016.snapshot");
        String text = Files.readString(file).replace(" 10 ", " 11 ");
        Files.writeString(file, text);

        ProducerStateManager loaded = new ProducerStateManager(TP);

        assertThat(loaded.loadSnapshot(dir, 16)).isEqualTo(-1);
        assertThat(loaded.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aVersionOneSnapshotIsStillRead(@TempDir Path dir) throws IOException {
        String body = "strata-producer-snapshot-v1 1\n7000 3 1700000000000 0:2:10:12:1700000000000\n";
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("00000000000000000013.snapshot"),
                body + "crc32c " + Long.toHexString(crc.getValue()) + "\n");

        ProducerStateManager loaded = new ProducerStateManager(TP);

        assertThat(loaded.loadSnapshot(dir, 13)).isEqualTo(13);
        assertThat(loaded.checkBeforeAppend(PRODUCER, EPOCH, 0, 2)).isNotNull();
        assertThat(loaded.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(-1);
    }

    @Test
    void truncationBelowATransactionsFirstOffsetForgetsIt() {
        producers.update(PRODUCER, EPOCH, batch(0, 10, 3), true);
        producers.update(OTHER, EPOCH, batch(0, 20, 3), true);

        producers.truncateTo(15);

        assertThat(producers.ongoingTransactionFirstOffset(PRODUCER)).isEqualTo(10);
        assertThat(producers.ongoingTransactionFirstOffset(OTHER)).isEqualTo(-1);
        assertThat(producers.firstUnstableOffset()).isEqualTo(10);
    }
}

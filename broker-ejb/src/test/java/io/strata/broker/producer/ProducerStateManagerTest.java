package io.strata.broker.producer;

import io.strata.broker.producer.ProducerStateManager.BatchMetadata;
import io.strata.storage.batch.BatchInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProducerStateManagerTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final long PRODUCER = 7000L;
    private static final short EPOCH = 3;

    private final ProducerStateManager producers = new ProducerStateManager(TP);

    /**
     * A batch of {@code records} records from {@code firstSequence} at {@code firstOffset}, with its last sequence
     * as the leader used to compute it: {@code firstSequence + (lastOffset - firstOffset)}, which overflows to a
     * negative number when the sequence wraps.
     */
    private static BatchMetadata leaderPathBatch(int firstSequence, long firstOffset, int records) {
        long lastOffset = firstOffset + records - 1;
        return new BatchMetadata(firstSequence, firstSequence + (int) (lastOffset - firstOffset), firstOffset,
                lastOffset, 1_700_000_000_000L);
    }

    @Test
    void theSequenceAfterIntegerMaxValueIsZeroWhicheverWayTheLastSequenceWasComputed() {
        // Sequences MAX-1, MAX, 0, 1 at offsets 100..103: the batch wraps.
        producers.update(PRODUCER, EPOCH, leaderPathBatch(Integer.MAX_VALUE - 1, 100, 4));

        assertThat(producers.checkBeforeAppend(PRODUCER, EPOCH, 2, 4)).as("the batch after the wrap").isNull();
        assertThatThrownBy(() -> producers.checkBeforeAppend(PRODUCER, EPOCH, 3, 5))
                .isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void aRetryOfABatchThatWrappedIsRecognisedAsADuplicate() {
        producers.update(PRODUCER, EPOCH, leaderPathBatch(Integer.MAX_VALUE - 1, 100, 4));

        // The client's batch computes its last sequence with the wrap (DefaultRecordBatch.lastSequence): 1.
        BatchMetadata duplicate = producers.checkBeforeAppend(PRODUCER, EPOCH, Integer.MAX_VALUE - 1, 1);

        assertThat(duplicate).isNotNull();
        assertThat(duplicate.firstOffset()).isEqualTo(100);
        assertThat(duplicate.lastOffset()).isEqualTo(103);
    }

    @Test
    void aBatchEndingExactlyAtIntegerMaxValueIsFollowedByZero() {
        producers.update(PRODUCER, EPOCH, leaderPathBatch(Integer.MAX_VALUE - 2, 0, 3));

        assertThat(producers.checkBeforeAppend(PRODUCER, EPOCH, 0, 9)).isNull();
        assertThatThrownBy(() -> producers.checkBeforeAppend(PRODUCER, EPOCH, Integer.MIN_VALUE, 0))
                .isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void leaderAndFollowerComputeTheSameLastSequenceForABatchThatWraps() {
        MemoryRecords records = MemoryRecords.withIdempotentRecords(100L, Compression.NONE, PRODUCER, EPOCH,
                Integer.MAX_VALUE - 1, 0, new SimpleRecord("a".getBytes()), new SimpleRecord("b".getBytes()),
                new SimpleRecord("c".getBytes()), new SimpleRecord("d".getBytes()));
        MutableRecordBatch stored = records.batches().iterator().next();
        BatchInfo validated = new BatchInfo(0, stored.sizeInBytes(), 100, 103, stored.maxTimestamp(), 4, PRODUCER,
                EPOCH, Integer.MAX_VALUE - 1, 0);

        assertThat(stored.lastSequence()).isEqualTo(1);
        assertThat(ProducerStateManager.lastSequence(Integer.MAX_VALUE - 1, 100, 103)).isEqualTo(1);
        assertThat(BatchMetadata.of(validated)).isEqualTo(BatchMetadata.of(stored));
        assertThat(BatchMetadata.of(validated).lastSequence()).isEqualTo(1);
    }

    // ---------------------------------------------------------------------------------------------------- snapshots

    @TempDir
    Path dir;

    /** Batch 0 (sequences 0-4, offsets 0-4), snapshot at 5, batch 1 (5-9, 5-9), snapshot at 10. */
    private void twoSnapshots() throws IOException {
        producers.update(PRODUCER, EPOCH, new BatchMetadata(0, 4, 0, 4, 1_700_000_000_000L));
        producers.writeSnapshot(dir, 5);
        producers.update(PRODUCER, EPOCH, new BatchMetadata(5, 9, 5, 9, 1_700_000_000_001L));
        producers.writeSnapshot(dir, 10);
    }

    private static Path snapshotFile(Path dir, long offset) {
        return dir.resolve(String.format("%020d.snapshot", offset));
    }

    @Test
    void aSnapshotWrittenIsLoadedWithEveryProducerBatch() throws IOException {
        twoSnapshots();
        ProducerStateManager reloaded = new ProducerStateManager(TP);

        assertThat(reloaded.loadSnapshot(dir, 10)).isEqualTo(10);

        assertThat(reloaded.epochOf(PRODUCER)).isEqualTo(EPOCH);
        assertThat(reloaded.checkBeforeAppend(PRODUCER, EPOCH, 0, 4)).isNotNull();
        assertThat(reloaded.checkBeforeAppend(PRODUCER, EPOCH, 5, 9)).isNotNull();
        assertThat(reloaded.checkBeforeAppend(PRODUCER, EPOCH, 10, 12)).isNull();
        try (var files = Files.list(dir)) {
            assertThat(files.map(file -> file.getFileName().toString())).as("no temporary file is left")
                    .allMatch(name -> name.endsWith(".snapshot"));
        }
    }

    @Test
    void anEmptyNewestSnapshotFallsBackToTheOlderOneSoARetryIsStillADuplicate() throws IOException {
        twoSnapshots();
        // What a crash leaves of a file created but never forced to disk.
        Files.write(snapshotFile(dir, 10), new byte[0]);
        ProducerStateManager reloaded = new ProducerStateManager(TP);

        long from = reloaded.loadSnapshot(dir, 10);

        assertThat(from).as("the older snapshot, from which the log is replayed").isEqualTo(5);
        assertThat(snapshotFile(dir, 10)).doesNotExist();
        assertThat(reloaded.checkBeforeAppend(PRODUCER, EPOCH, 0, 4)).as("a retry of the first batch")
                .isNotNull();
    }

    @Test
    void aTornNewestSnapshotFallsBackToTheOlderOne() throws IOException {
        twoSnapshots();
        Path newest = snapshotFile(dir, 10);
        byte[] whole = Files.readAllBytes(newest);
        Files.write(newest, Arrays.copyOf(whole, whole.length / 2));
        ProducerStateManager reloaded = new ProducerStateManager(TP);

        assertThat(reloaded.loadSnapshot(dir, 10)).isEqualTo(5);
        assertThat(reloaded.checkBeforeAppend(PRODUCER, EPOCH, 0, 4)).isNotNull();
    }

    @Test
    void aSnapshotWithAChangedByteFailsItsChecksumAndIsNotUsed() throws IOException {
        twoSnapshots();
        Path newest = snapshotFile(dir, 10);
        String text = Files.readString(newest);
        // The producer's epoch 3 becomes 4: still a well-formed line, but not what was written.
        Files.writeString(newest, text.replace("7000 3 ", "7000 4 "));
        ProducerStateManager reloaded = new ProducerStateManager(TP);

        assertThat(reloaded.loadSnapshot(dir, 10)).isEqualTo(5);
        assertThat(reloaded.epochOf(PRODUCER)).isEqualTo(EPOCH);
    }

    @Test
    void withEverySnapshotDamagedTheLogIsReplayedFromItsStart() throws IOException {
        twoSnapshots();
        Files.write(snapshotFile(dir, 10), new byte[0]);
        Files.write(snapshotFile(dir, 5), new byte[0]);
        ProducerStateManager reloaded = new ProducerStateManager(TP);

        assertThat(reloaded.loadSnapshot(dir, 10)).isEqualTo(-1);
        assertThat(reloaded.producerCount()).isZero();
        assertThat(snapshotFile(dir, 5)).doesNotExist();
    }
}

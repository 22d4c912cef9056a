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
}

package io.strata.jms.share;

import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData.AcknowledgementBatch;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Acknowledgement batches as the wire has them, and the record buffer's bounds, without a broker. */
class AcknowledgementsAndBufferTest {

    private static final TopicIdPartition JOBS = new TopicIdPartition(Uuid.randomUuid(), 0, "jobs");

    @Test
    void consecutiveOffsetsMakeOneBatchWithOneTypeWhenTheyShareIt() {
        Acknowledgements acknowledgements = new Acknowledgements();
        for (long offset = 10; offset <= 12; offset++) {
            acknowledgements.add(JOBS, offset, AcknowledgeType.ACCEPT.id);
        }
        acknowledgements.add(JOBS, 13, Acknowledgements.GAP);
        acknowledgements.add(JOBS, 20, AcknowledgeType.REJECT.id);

        List<AcknowledgementBatch> batches = acknowledgements.toAcknowledgeBatches().get(JOBS);

        assertThat(batches).hasSize(2);
        assertThat(batches.get(0).firstOffset()).isEqualTo(10);
        assertThat(batches.get(0).lastOffset()).isEqualTo(13);
        assertThat(batches.get(0).acknowledgeTypes()).containsExactly((byte) 1, (byte) 1, (byte) 1, (byte) 0);
        assertThat(batches.get(1).firstOffset()).isEqualTo(20);
        assertThat(batches.get(1).lastOffset()).isEqualTo(20);
        assertThat(batches.get(1).acknowledgeTypes()).containsExactly((byte) 3);
    }

    @Test
    void theLastTypeGivenForAnOffsetCountsOnce() {
        Acknowledgements acknowledgements = new Acknowledgements();
        acknowledgements.add(JOBS, 5, AcknowledgeType.RELEASE.id);
        acknowledgements.add(JOBS, 5, AcknowledgeType.ACCEPT.id);

        assertThat(acknowledgements.size()).isEqualTo(1);
        assertThat(acknowledgements.toFetchBatches().get(JOBS)).singleElement()
                .satisfies(batch -> assertThat(batch.acknowledgeTypes()).containsExactly((byte) 1));
    }

    @Test
    void theBufferRefusesARecordPastItsBoundAndDropsRecordsWhoseLockRanOut() throws Exception {
        RecordBuffer buffer = new RecordBuffer(2, 1 << 20);
        buffer.add(new RecordBuffer.Entry(record(0), Long.MAX_VALUE, 1));
        buffer.add(new RecordBuffer.Entry(record(1), 0, 1)); // its lock ran out at time 0

        assertThat(buffer.roomRecords()).isZero();
        assertThat(buffer.fits(100)).isFalse();
        assertThatThrownBy(() -> buffer.add(new RecordBuffer.Entry(record(2), Long.MAX_VALUE, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("goes past its bounds");
        assertThat(buffer.poll(10, 0, () -> 1)).extracting(ShareRecord::offset).containsExactly(0L);
        assertThat(buffer.roomRecords()).isEqualTo(2);
    }

    @Test
    void recordsOfALostSessionLeaveTheBuffer() {
        RecordBuffer buffer = new RecordBuffer(10, 1 << 20);
        buffer.add(new RecordBuffer.Entry(record(0), Long.MAX_VALUE, 1));
        buffer.add(new RecordBuffer.Entry(record(1), Long.MAX_VALUE, 2));

        assertThat(buffer.dropSessions(id -> id == 1)).isEqualTo(1);
        assertThat(buffer.size()).isEqualTo(1);
    }

    private static ShareRecord record(long offset) {
        return new ShareRecord(JOBS, offset, 0, null, new byte[10], List.of(), 1);
    }
}

package io.strata.jms.share;

import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The priority buffer's order, alone and as the engine's record buffer uses it, without a broker. */
class PriorityBufferTest {

    private static final TopicIdPartition JOBS = new TopicIdPartition(Uuid.randomUuid(), 0, "jobs");

    @Test
    void higherPrioritiesLeaveFirstAndOnePriorityKeepsItsOrder() {
        PriorityBuffer<String> buffer = new PriorityBuffer<>(PriorityBuffer.JMS_LEVELS);
        int[] priorities = {1, 8, 4, 1, 8, 4, 8, 1};
        for (int i = 0; i < priorities.length; i++) {
            buffer.add(priorities[i] + ":" + i, priorities[i]);
        }

        assertThat(drain(buffer)).containsExactly("8:1", "8:4", "8:6", "4:2", "4:5", "1:0", "1:3", "1:7");
        assertThat(buffer.isEmpty()).isTrue();
        assertThat(buffer.poll()).isNull();
    }

    @Test
    void oneLevelIsFirstInFirstOut() {
        PriorityBuffer<Integer> buffer = new PriorityBuffer<>(1);
        for (int i = 0; i < 5; i++) {
            buffer.add(i, 0);
        }

        assertThat(drain(buffer)).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void anElementGivenBackComesBeforeTheOthersOfItsPriorityOnly() {
        PriorityBuffer<String> buffer = new PriorityBuffer<>(PriorityBuffer.JMS_LEVELS);
        buffer.add("high-2", 8);
        buffer.add("low-2", 1);
        buffer.addFirst("low-1", 1); // given back in their order: the last first
        buffer.addFirst("high-1", 8);

        assertThat(drain(buffer)).containsExactly("high-1", "high-2", "low-1", "low-2");
    }

    @Test
    void removeIfTakesOutWhatItMatchesFromEveryLane() {
        PriorityBuffer<Integer> buffer = new PriorityBuffer<>(PriorityBuffer.JMS_LEVELS);
        for (int i = 0; i < 10; i++) {
            buffer.add(i, i);
        }

        assertThat(buffer.removeIf(i -> i % 2 == 0)).isEqualTo(5);
        assertThat(buffer.size()).isEqualTo(5);
        assertThat(drain(buffer)).containsExactly(9, 7, 5, 3, 1);
    }

    @Test
    void aPriorityOutsideTheLevelsIsRefused() {
        PriorityBuffer<String> buffer = new PriorityBuffer<>(PriorityBuffer.JMS_LEVELS);

        assertThatThrownBy(() -> buffer.add("x", 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("priority 10 is not within 0 to 9");
        assertThatThrownBy(() -> buffer.addFirst("x", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(buffer.size()).isZero();
    }

    @Test
    void theRecordBufferHandsOutTheHighestPriorityFirstAndStillDropsRecordsWhoseLockRanOut() throws Exception {
        RecordBuffer buffer = new RecordBuffer(10, 1 << 20, PriorityBufferTest::priority);
        buffer.add(new RecordBuffer.Entry(record(0, "1"), Long.MAX_VALUE, 1));
        buffer.add(new RecordBuffer.Entry(record(1, "8"), Long.MAX_VALUE, 1));
        buffer.add(new RecordBuffer.Entry(record(2, "8"), 0, 1)); // its lock ran out at time 0
        buffer.add(new RecordBuffer.Entry(record(3, "4"), Long.MAX_VALUE, 2));
        buffer.add(new RecordBuffer.Entry(record(4, "8"), Long.MAX_VALUE, 1));
        buffer.add(new RecordBuffer.Entry(record(5, "1"), Long.MAX_VALUE, 1));

        assertThat(buffer.dropSessions(id -> id == 2)).isEqualTo(1);
        assertThat(buffer.poll(2, 0, () -> 1)).extracting(ShareRecord::offset).containsExactly(1L, 4L);
        assertThat(buffer.poll(10, 0, () -> 1)).extracting(ShareRecord::offset).containsExactly(0L, 5L);
        assertThat(buffer.roomRecords()).isEqualTo(10);
    }

    @Test
    void aFetchIsBufferedAllAtOnceAndWhatDoesNotFitComesBack() throws Exception {
        RecordBuffer buffer = new RecordBuffer(3, 1 << 20, PriorityBufferTest::priority);

        List<ShareRecord> excess = buffer.addFitting(List.of(record(0, "1"), record(1, "1"), record(2, "8"),
                record(3, "9")), Long.MAX_VALUE, 1, 0);

        assertThat(excess).extracting(ShareRecord::offset).containsExactly(3L);
        assertThat(buffer.poll(10, 0, () -> 1)).extracting(ShareRecord::offset).containsExactly(2L, 0L, 1L);
    }

    @Test
    void withoutAPriorityTheRecordBufferKeepsFetchOrder() throws Exception {
        RecordBuffer buffer = new RecordBuffer(10, 1 << 20);
        buffer.add(new RecordBuffer.Entry(record(0, "1"), Long.MAX_VALUE, 1));
        buffer.add(new RecordBuffer.Entry(record(1, "8"), Long.MAX_VALUE, 1));

        assertThat(buffer.poll(10, 0, () -> 1)).extracting(ShareRecord::offset).containsExactly(0L, 1L);
    }

    private static int priority(ShareRecord record) {
        return record.lastHeader("JMSPriority").value()[0] - '0';
    }

    private static ShareRecord record(long offset, String priority) {
        List<Header> headers = List.of(new RecordHeader("JMSPriority", priority.getBytes(StandardCharsets.UTF_8)));
        return new ShareRecord(JOBS, offset, 0, null, new byte[10], headers, 1);
    }

    private static <E> List<E> drain(PriorityBuffer<E> buffer) {
        List<E> out = new ArrayList<>();
        for (E element = buffer.poll(); element != null; element = buffer.poll()) {
            out.add(element);
        }
        return out;
    }
}

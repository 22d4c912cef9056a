package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class FailoverResultTest {

    private static final long KILL = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    @Test
    void anAckTheOldLeaderSentBeforeItDiedDoesNotCountAsTheNewLeaders() {
        List<FailoverProbe.Ack> acks = List.of(
                ok(0, KILL - 20 * MS, KILL - 10 * MS, 100),
                // Written by the old leader, read by the producer just after the kill.
                ok(1, KILL - 5 * MS, KILL + MS, 101),
                // Retried to the new leader, then a record sent after the kill.
                ok(2, KILL - 2 * MS, KILL + 3_200 * MS, 102),
                ok(3, KILL + 100 * MS, KILL + 3_201 * MS, 103));
        Map<Long, Integer> epochs = Map.of(100L, 4, 101L, 4, 102L, 5, 103L, 5);

        FailoverResult result = FailoverResult.of(1, 2, Optional.of(false), "leader 3", acks, KILL, KILL + 3_100 * MS,
                epochs);

        assertThat(result.ok()).isTrue();
        assertThat(result.failoverMs()).isEqualTo(3_200.0);
        assertThat(result.newLeaderKnownMs()).isEqualTo(3_100.0);
        assertThat(result.firstAckAfterKillMs()).isEqualTo(1.0);
        assertThat(result.offset()).isEqualTo(102);
        assertThat(result.epochBefore()).isEqualTo(4);
        assertThat(result.epochAfter()).isEqualTo(5);
        assertThat(result.describe()).contains("killed node 2 (not the controller)", "new leader at +3100 ms",
                "first ack +3200 ms (offset 102, leader epoch 5, before the kill 4)");
    }

    @Test
    void aRetriedRecordTheNewLeaderAcknowledgesUnderTheOldEpochCountsOnceTheProducerKnowsTheNewLeader() {
        List<FailoverProbe.Ack> acks = List.of(
                ok(0, KILL - 20 * MS, KILL - 10 * MS, 100),
                // The old leader wrote and replicated 101 but died before answering; the new leader dedups the retry.
                ok(1, KILL - 5 * MS, KILL + 3_150 * MS, 101),
                ok(2, KILL + 100 * MS, KILL + 3_180 * MS, 102));
        Map<Long, Integer> epochs = Map.of(100L, 4, 101L, 4, 102L, 5);

        FailoverResult result = FailoverResult.of(1, 2, Optional.empty(), "leader 3", acks, KILL, KILL + 3_100 * MS,
                epochs);

        assertThat(result.failoverMs()).isEqualTo(3_150.0);
        assertThat(result.offset()).isEqualTo(101);
    }

    @Test
    void anAckBeforeTheProducerKnewTheNewLeaderWithTheOldEpochIsNotTheNewLeaders() {
        List<FailoverProbe.Ack> acks = List.of(ok(0, KILL - 2 * MS, KILL - MS, 7), ok(1, KILL + MS, KILL + 900 * MS,
                8));

        FailoverResult result = FailoverResult.of(1, 1, Optional.empty(), "?", acks, KILL, KILL + 1_000 * MS,
                Map.of(7L, 0, 8L, 0));

        assertThat(result.ok()).isFalse();
        assertThat(result.failoverMs()).isNaN();
        assertThat(result.failure()).contains("none once the producer knew the new leader nor with a leader epoch"
                + " newer than 0");
        assertThat(result.firstAckAfterKillMs()).isEqualTo(900.0);
    }

    @Test
    void theProducersErrorsAreCountedAndTheFirstKept() {
        List<FailoverProbe.Ack> acks = List.of(ok(0, KILL - 2 * MS, KILL - MS, 7),
                new FailoverProbe.Ack(1, KILL, KILL + 50 * MS, -1, "OutOfOrderSequenceException"),
                ok(2, KILL + MS, KILL + 900 * MS, 8));

        FailoverResult result = FailoverResult.of(1, 1, Optional.empty(), "?", acks, KILL, KILL + 800 * MS,
                Map.of(7L, 0, 8L, 1));

        assertThat(result.producerErrors()).isEqualTo(1);
        assertThat(result.firstError()).isEqualTo("OutOfOrderSequenceException");
        assertThat(result.failoverMs()).isEqualTo(900.0);
    }

    @Test
    void theMedianLeavesOutFailedRunsAndAveragesTheMiddlePair() {
        FailoverResult failed = FailoverResult.failed(2, 1, "timed out");

        assertThat(FailoverResult.medianMs(List.of(run(1, 300), failed, run(3, 100), run(4, 200))))
                .isEqualTo(200.0);
        assertThat(FailoverResult.medianMs(List.of(run(1, 300), run(2, 100)))).isEqualTo(200.0);
        assertThat(FailoverResult.medianMs(List.of(failed))).isNaN();
    }

    static FailoverResult run(int run, double failoverMs) {
        return new FailoverResult(run, 1, Optional.of(false), "leader 2", failoverMs, failoverMs, failoverMs, 10, 0, 1,
                0, null, null);
    }

    private static FailoverProbe.Ack ok(long sequence, long sendNanos, long ackNanos, long offset) {
        return new FailoverProbe.Ack(sequence, sendNanos, ackNanos, offset, null);
    }
}

package io.strata.broker.delayed;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Waiting fetches woken by appends, as their readiness judges them, without a broker. */
@Timeout(30)
class FetchPurgatoryTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final long WAIT_MS = 60_000;

    private final FetchPurgatory purgatory = new FetchPurgatory(Executors.defaultThreadFactory());

    @AfterEach
    void close() {
        purgatory.close();
    }

    @Test
    void aFetchIsWokenOnceTheBytesAppendedReachMinBytes() {
        AtomicInteger reads = new AtomicInteger();
        DelayedFetch fetch = new DelayedFetch(List.of(ORDERS_0), 100, 10, reads::incrementAndGet);
        purgatory.watch(fetch, WAIT_MS);

        purgatory.onAppend(ORDERS_0, 50);
        assertThat(reads).hasValue(0);
        purgatory.onAppend(ORDERS_0, 40);

        assertThat(reads).as("10 readable before, 90 appended since").hasValue(1);
        assertThat(purgatory.waiting()).isZero();
    }

    @Test
    void aFetchWhoseReadinessSaysNoIsNotWokenHoweverMuchIsAppended() {
        AtomicInteger reads = new AtomicInteger();
        AtomicBoolean stableOffsetMoved = new AtomicBoolean();
        DelayedFetch fetch = new DelayedFetch(List.of(ORDERS_0), 1, 0,
                (bytesCounted, minBytes) -> stableOffsetMoved.get() && bytesCounted >= minBytes,
                reads::incrementAndGet);
        purgatory.watch(fetch, WAIT_MS);

        for (int i = 0; i < 100; i++) {
            purgatory.onAppend(ORDERS_0, 1_000);
        }
        assertThat(reads).as("records behind an open transaction read nothing").hasValue(0);
        assertThat(purgatory.waiting()).isEqualTo(1);

        stableOffsetMoved.set(true);
        purgatory.onAppend(ORDERS_0, 80);

        assertThat(reads).as("the marker moved the last stable offset").hasValue(1);
        assertThat(purgatory.waiting()).isZero();
    }
}

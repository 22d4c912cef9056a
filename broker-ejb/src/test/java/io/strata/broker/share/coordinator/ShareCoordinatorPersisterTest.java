package io.strata.broker.share.coordinator;

import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState;
import io.strata.broker.share.SharePersister;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The persister's routing on its own: retries while no coordinator is known, its deadline, and its bound. */
class ShareCoordinatorPersisterTest {

    private static final Uuid TOPIC = Uuid.randomUuid();
    private ShareCoordinatorPersister persister;

    @AfterEach
    void close() {
        if (persister != null) {
            persister.close();
        }
    }

    @Test
    void anOperationWithoutACoordinatorIsRetriedUntilItsTimeoutThenAnsweredCoordinatorNotAvailable()
            throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        persister = new ShareCoordinatorPersister(null, key -> {
            lookups.incrementAndGet();
            return -1;
        }, -100, id -> null, Executors.defaultThreadFactory(), 300, 20, 1000, 10);

        long startNanos = System.nanoTime();
        Errors error = persister.write("g", TOPIC, 0, 1, new SharePartitionState(1, 0, List.of()))
                .get(10, TimeUnit.SECONDS);

        assertThat(error).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(lookups.get()).as("asked again after each backoff").isGreaterThan(3);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos)).isGreaterThanOrEqualTo(250);
        assertThat(persister.operationsInFlight()).isZero();
    }

    @Test
    void operationsBeyondTheBoundAreRefusedAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        persister = new ShareCoordinatorPersister(null, key -> {
            try {
                release.await(10, TimeUnit.SECONDS); // holds the scheduler: operations stay in flight
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return -1;
        }, -100, id -> null, Executors.defaultThreadFactory(), 200, 20, 1000, 2);
        CompletableFuture<SharePersister.ReadResult> first = persister.read("g", TOPIC, 0, 0);
        CompletableFuture<SharePersister.ReadResult> second = persister.read("g", TOPIC, 1, 0);

        SharePersister.ReadResult third = persister.read("g", TOPIC, 2, 0).get(1, TimeUnit.SECONDS);

        assertThat(third.error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(first).isNotDone();
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(second.get(10, TimeUnit.SECONDS).error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
    }

    @Test
    void aPersisterWithoutACoordinatorOfItsOwnAnswersRatherThanHangWhenTheStateIsLocal() throws Exception {
        persister = new ShareCoordinatorPersister(null, key -> 7, 7, id -> null, Executors.defaultThreadFactory(),
                200, 20, 1000, 2);

        assertThat(persister.delete("g", TOPIC, 0).get(5, TimeUnit.SECONDS)).isEqualTo(Errors.UNKNOWN_SERVER_ERROR);
    }

    @Test
    void initializeWithBatchesIsRefusedSinceTheProtocolCannotCarryThem() throws Exception {
        persister = new ShareCoordinatorPersister(null, key -> -1, -100, id -> null,
                Executors.defaultThreadFactory(), 200, 20, 1000, 2);
        SharePartitionState withBatches = new SharePartitionState(1, 0, List.of(
                new SharePartitionState.StateBatch(0, 1, RecordState.ACKNOWLEDGED, 1)));

        assertThat(persister.initialize("g", TOPIC, 0, withBatches).get(1, TimeUnit.SECONDS))
                .isEqualTo(Errors.INVALID_REQUEST);
    }
}

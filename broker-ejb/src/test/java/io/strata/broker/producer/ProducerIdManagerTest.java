package io.strata.broker.producer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Producer ids come from reserved blocks, never twice, and the next block is reserved before the current runs out. */
@Timeout(30)
class ProducerIdManagerTest {

    private final AtomicLong nextBlock = new AtomicLong(5_000);
    private final AtomicInteger reservations = new AtomicInteger();
    private final ProducerIdManager ids = new ProducerIdManager(size -> {
        reservations.incrementAndGet();
        return nextBlock.getAndAdd(size);
    });

    @Test
    void idsAreNeverGivenTwiceAcrossBlocks() {
        Set<Long> given = new HashSet<>();
        for (int i = 0; i < 3 * ProducerIdManager.BLOCK_SIZE; i++) {
            assertThat(given.add(ids.nextProducerId())).isTrue();
        }
        assertThat(given).allMatch(id -> id >= 5_000);
    }

    @Test
    void theNextBlockIsReservedInTheBackgroundBeforeTheCurrentOneRunsOut() {
        for (int i = 0; i < ProducerIdManager.BLOCK_SIZE - 50; i++) {
            ids.nextProducerId();
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> reservations.get() == 2);
        for (int i = 0; i < 50; i++) {
            ids.nextProducerId();
        }
        assertThat(ids.nextProducerId()).as("the first id of the block reserved ahead")
                .isEqualTo(5_000 + ProducerIdManager.BLOCK_SIZE);
        assertThat(reservations.get()).isEqualTo(2);
    }
}

package io.strata.broker.producer;

import java.util.function.IntToLongFunction;

/**
 * Hands out producer ids for idempotent producers, from blocks reserved durably through the controller, so that an
 * id is never given twice, even across restarts (a restart merely skips the rest of a block).
 *
 * <p>Thread-safe.
 */
public final class ProducerIdManager {

    static final int BLOCK_SIZE = 1000;

    private final IntToLongFunction reserveBlock;
    private long next;
    private long blockEnd;

    /** @param reserveBlock reserves the given number of ids and returns the first */
    public ProducerIdManager(IntToLongFunction reserveBlock) {
        this.reserveBlock = reserveBlock;
    }

    public synchronized long nextProducerId() {
        if (next >= blockEnd) {
            next = reserveBlock.applyAsLong(BLOCK_SIZE);
            blockEnd = next + BLOCK_SIZE;
        }
        return next++;
    }
}

package io.strata.broker.producer;

import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntToLongFunction;

/**
 * Hands out producer ids for idempotent and transactional producers, from blocks reserved durably through the
 * controller, so that an id is never given twice, even across restarts (a restart merely skips the rest of a block).
 * The next block is reserved in the background once a tenth of the current one is left, so that a caller (the
 * transaction coordinator's thread among them) waits for the controller only if ids are taken faster than a block is
 * reserved.
 *
 * <p>Thread-safe.
 */
public final class ProducerIdManager {

    static final int BLOCK_SIZE = 1000;
    private static final int PREFETCH_WHEN_LEFT = BLOCK_SIZE / 10;
    private static final System.Logger LOG = System.getLogger(ProducerIdManager.class.getName());

    private final IntToLongFunction reserveBlock;
    private long next;
    private long blockEnd;
    /** The next block being reserved, or {@code null}. */
    private CompletableFuture<Long> prefetch;

    /** @param reserveBlock reserves the given number of ids and returns the first */
    public ProducerIdManager(IntToLongFunction reserveBlock) {
        this.reserveBlock = reserveBlock;
    }

    public synchronized long nextProducerId() {
        if (next >= blockEnd) {
            next = takePrefetchedOrReserve();
            blockEnd = next + BLOCK_SIZE;
        }
        if (prefetch == null && blockEnd - next <= PREFETCH_WHEN_LEFT) {
            prefetch = CompletableFuture.supplyAsync(() -> reserveBlock.applyAsLong(BLOCK_SIZE));
        }
        return next++;
    }

    private long takePrefetchedOrReserve() {
        CompletableFuture<Long> reserved = prefetch;
        prefetch = null;
        if (reserved != null) {
            try {
                return reserved.join();
            } catch (CompletionException e) {
                LOG.log(Level.WARNING, "Reserving producer ids in the background failed ({0}); reserving again",
                        String.valueOf(e.getCause()));
            }
        }
        return reserveBlock.applyAsLong(BLOCK_SIZE);
    }
}

package io.strata.broker.share;

/**
 * Records acquired by one member in one acquisition, as ShareFetch answers them: offsets {@code firstOffset} to
 * {@code lastOffset} (both included), each delivered for the {@code deliveryCount}-th time. Immutable.
 */
public record AcquiredRecords(long firstOffset, long lastOffset, int deliveryCount) {

    public AcquiredRecords {
        if (firstOffset < 0 || lastOffset < firstOffset || deliveryCount < 1) {
            throw new IllegalArgumentException("bad acquired records " + firstOffset + ".." + lastOffset
                    + " delivery " + deliveryCount);
        }
    }
}

package io.strata.broker.metadata;

import java.util.List;

/**
 * One partition's entry of a leader's AlterPartition request: the ISR it asks for, and the leader epoch and partition
 * epoch of the assignment it bases the change on, so that the controller can refuse a change from an older state.
 *
 * @param isr the ISR asked for; copied
 */
public record IsrChange(String topic, int partition, int leaderId, int leaderEpoch, int partitionEpoch,
                        List<Integer> isr) {

    /**
     * The most entries one request carries. A leader drains its queued changes up to this bound per request, and the
     * controller refuses a longer request, so that one metadata commit and one forwarded message stay bounded (a
     * thousand entries are about 250 KB as forwarded properties).
     */
    public static final int MAX_PER_REQUEST = 1_000;

    public IsrChange {
        if (topic == null) {
            throw new IllegalArgumentException("an ISR change names its topic");
        }
        isr = List.copyOf(isr);
    }

    /** Throws if {@code changes} is longer than one request may be. */
    public static void checkRequestSize(List<IsrChange> changes) {
        if (changes.size() > MAX_PER_REQUEST) {
            throw new IllegalArgumentException("An AlterPartition request of " + changes.size()
                    + " partitions is over the limit of " + MAX_PER_REQUEST);
        }
    }

    @Override
    public String toString() {
        return topic + "-" + partition + " ISR " + isr + " (leader " + leaderId + ", leader epoch " + leaderEpoch
                + ", partition epoch " + partitionEpoch + ")";
    }
}

package io.strata.bench.kafka;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One leader kill and what the failover producer saw: the time from the SIGKILL to the first acks=all write
 * acknowledged by the new leader. An acknowledgement that arrives just after the kill may still be the old leader's,
 * written to the socket before it died; the new leader's first is the first to arrive after the kill that either
 * arrived once the producer's metadata named the new leader (see {@link FailoverProbe#awaitNewLeaderKnown}) or is
 * of a record whose batch carries a leader epoch newer than that of the last record acknowledged before the kill. The
 * epoch alone would miss a retried record the old leader had already replicated: the new leader acknowledges it at
 * its old offset, under the old epoch. Immutable.
 *
 * @param killedNode          node id of the leader that was killed
 * @param killedController    whether it was also the active controller (the KRaft quorum leader); empty if the
 *                            cluster does not say
 * @param newLeader           partition 0 as DescribeTopics showed it after the failover
 * @param failoverMs          kill to the new leader's first acknowledgement; NaN if the run failed
 * @param firstAckAfterKillMs kill to the first acknowledgement of any kind after it; NaN if none
 * @param newLeaderKnownMs    kill to the moment the producer's metadata named the new leader; NaN if unknown
 * @param offset              offset of the new leader's first acknowledged record, -1 if none
 * @param epochBefore         leader epoch of the last record acknowledged before the kill, -1 if unknown
 * @param epochAfter          leader epoch of the new leader's first acknowledged record, -1 if none
 * @param producerErrors      records the producer gave up on (its callback saw an exception)
 * @param firstError          the first of those errors, or null
 * @param failure             why the run produced no figure, or null
 */
record FailoverResult(int run, int killedNode, Optional<Boolean> killedController, String newLeader,
                      double failoverMs, double firstAckAfterKillMs, double newLeaderKnownMs, long offset,
                      int epochBefore, int epochAfter,
                      long producerErrors, String firstError, String failure) {

    boolean ok() {
        return failure == null;
    }

    static FailoverResult failed(int run, int killedNode, String failure) {
        return new FailoverResult(run, killedNode, Optional.empty(), "?", Double.NaN, Double.NaN, Double.NaN, -1, -1,
                -1, 0, null, failure);
    }

    /**
     * Reads the failover out of the producer's acknowledgements.
     *
     * @param acks                 every record's fate, in any order
     * @param killNanos            {@link System#nanoTime} just before the SIGKILL
     * @param newLeaderKnownNanos  {@link System#nanoTime} when the producer's metadata first named the new leader
     * @param epochs               leader epoch per acknowledged offset, as read back
     */
    static FailoverResult of(int run, int killedNode, Optional<Boolean> killedController, String newLeader,
                             List<FailoverProbe.Ack> acks, long killNanos, long newLeaderKnownNanos,
                             Map<Long, Integer> epochs) {
        List<FailoverProbe.Ack> byAckTime = new ArrayList<>(acks);
        byAckTime.sort(Comparator.comparingLong(FailoverProbe.Ack::ackNanos));
        List<FailoverProbe.Ack> errors = byAckTime.stream().filter(ack -> !ack.ok()).toList();
        String firstError = errors.isEmpty() ? null : errors.get(0).error();
        Optional<FailoverProbe.Ack> lastBefore = byAckTime.stream()
                .filter(ack -> ack.ok() && ack.ackNanos() - killNanos <= 0).reduce((first, second) -> second);
        List<FailoverProbe.Ack> after = byAckTime.stream().filter(ack -> ack.ok() && ack.ackNanos() - killNanos > 0)
                .toList();
        double firstAckAfterKillMs = after.isEmpty() ? Double.NaN : millis(after.get(0).ackNanos() - killNanos);
        double newLeaderKnownMs = millis(newLeaderKnownNanos - killNanos);
        int epochBefore = lastBefore.map(ack -> epochs.getOrDefault(ack.offset(), -1)).orElse(-1);
        if (lastBefore.isEmpty()) {
            return new FailoverResult(run, killedNode, killedController, newLeader, Double.NaN, firstAckAfterKillMs,
                    newLeaderKnownMs, -1, -1, -1, errors.size(), firstError,
                    "no record was acknowledged before the kill");
        }
        for (FailoverProbe.Ack ack : after) {
            int epoch = epochs.getOrDefault(ack.offset(), -1);
            boolean newerEpoch = epochBefore >= 0 && epoch > epochBefore;
            if (newerEpoch || ack.ackNanos() - newLeaderKnownNanos >= 0) {
                return new FailoverResult(run, killedNode, killedController, newLeader,
                        millis(ack.ackNanos() - killNanos), firstAckAfterKillMs, newLeaderKnownMs, ack.offset(),
                        epochBefore, epoch, errors.size(), firstError, null);
            }
        }
        return new FailoverResult(run, killedNode, killedController, newLeader, Double.NaN, firstAckAfterKillMs,
                newLeaderKnownMs, -1, epochBefore, -1, errors.size(), firstError, after.size() + " records were"
                        + " acknowledged after the kill, none once the producer knew the new leader nor with a"
                        + " leader epoch newer than " + epochBefore);
    }

    /** The median of the runs that produced a figure; NaN if none did. */
    static double medianMs(List<FailoverResult> results) {
        double[] sorted = results.stream().filter(FailoverResult::ok).mapToDouble(FailoverResult::failoverMs).sorted()
                .toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** One line for the report: what was killed and what the producer saw. */
    String describe() {
        String killed = "killed node " + killedNode + killedController.map(controller -> controller
                ? " (also the active controller)" : " (not the controller)").orElse("");
        if (!ok()) {
            return String.format(Locale.ROOT, "run %d: %s; FAILED: %s%s", run, killed, failure,
                    Double.isNaN(firstAckAfterKillMs) ? ""
                            : String.format(Locale.ROOT, " (first ack after the kill at +%.0f ms)",
                                    firstAckAfterKillMs));
        }
        return String.format(Locale.ROOT, "run %d: %s; producer knew the new leader at +%.0f ms, its first ack"
                        + " +%.0f ms (offset %d, leader epoch %d, before the kill %d); first ack of any kind +%.0f ms;"
                        + " then %s; producer errors %d%s", run, killed, newLeaderKnownMs, failoverMs, offset,
                epochAfter, epochBefore, firstAckAfterKillMs, newLeader, producerErrors,
                firstError == null ? "" : " (first: " + firstError + ")");
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}

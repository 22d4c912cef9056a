package io.strata.bench.kafka;

/**
 * One tool run against one broker: what the tool reported (null if it failed) and the CPU seconds the broker's
 * process tree used while the tool ran. Immutable.
 *
 * @param records the records the run moved, as the tool counted them
 */
record ToolRun<T>(T figures, long records, double brokerCpuSeconds, String failure) {

    static <T> ToolRun<T> succeeded(T figures, long records, double brokerCpuSeconds) {
        return new ToolRun<>(figures, records, brokerCpuSeconds, null);
    }

    static <T> ToolRun<T> failed(String failure) {
        return new ToolRun<>(null, 0, Double.NaN, failure);
    }

    /** A tool that does not apply to the case, e.g. EndToEndLatency to a transactional one; its figures print "-". */
    static <T> ToolRun<T> notApplicable(String reason) {
        return new ToolRun<>(null, 0, Double.NaN, "not applicable: " + reason);
    }

    boolean ok() {
        return figures != null;
    }

    /** Broker CPU seconds per million records moved; NaN if the run failed or moved nothing. */
    double brokerCpuSecondsPerMillionRecords() {
        return ok() && records > 0 ? brokerCpuSeconds / records * 1_000_000.0 : Double.NaN;
    }
}

package io.strata.bench.kafka;

/**
 * What ProducerPerformance reports in its summary line. Its latencies are from send to acknowledgement, so with an
 * unthrottled producer they include the time a record waits in the producer's buffer. Percentiles are whole
 * milliseconds, as the tool prints them. Immutable.
 */
record ProducerFigures(long records, double recordsPerSecond, double mbPerSecond, double latencyMsAvg,
                       double latencyMsMax, long latencyMsP50, long latencyMsP95, long latencyMsP99,
                       long latencyMsP999) {
}

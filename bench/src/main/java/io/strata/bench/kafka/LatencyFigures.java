package io.strata.bench.kafka;

/**
 * What EndToEndLatency reports: the time from sending one record (acknowledged) until a consumer polled it back.
 * The tool truncates each latency to whole milliseconds before taking percentiles; the average is exact. Immutable.
 */
record LatencyFigures(double latencyMsAvg, long latencyMsP50, long latencyMsP99, long latencyMsP999) {
}

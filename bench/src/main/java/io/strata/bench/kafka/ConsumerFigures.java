package io.strata.bench.kafka;

/**
 * What ConsumerPerformance reports. The {@code fetch*} figures leave out the time spent joining the consumer group
 * ({@code rebalanceMs}); the others include it. MB are the tool's (2^20 bytes). Immutable.
 */
record ConsumerFigures(long records, double mbPerSecond, double recordsPerSecond, long rebalanceMs, long fetchMs,
                       double fetchMbPerSecond, double fetchRecordsPerSecond) {
}

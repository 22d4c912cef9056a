package io.strata.cli.perf;

import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code strata perf produce}: sends --num-records records of --record-size bytes (random letters, keyless) as fast
 * as the producer and broker allow, or at --throughput records/s, and reports records/s, MB/s and the latency from
 * send to acknowledgement (average, median, 99th percentile, maximum). A progress line is printed every
 * --reporting-interval-ms. Memory stays bounded however many records are sent: one payload is reused and latencies
 * go into a fixed-size histogram.
 *
 * <p>One instance per run; not thread-safe. Acknowledgements arrive on the producer's I/O thread and are counted
 * in atomics and the thread-safe {@link LatencyHistogram}.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Send records as fast as possible (or at --throughput) and report throughput and latency.")
public final class PerfProduceCommand extends StrataCommand {

    private static final Set<String> ACKS = Set.of("0", "1", "all", "-1");
    /** Bounded so one payload, reused for every record, cannot exhaust memory by a typo. */
    private static final int RECORD_BYTES_MAX = 64 * 1024 * 1024;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to send to.")
    private String topic;

    @Option(names = "--num-records", required = true, paramLabel = "N", description = "Records to send.")
    private long numRecords;

    @Option(names = "--record-size", paramLabel = "BYTES", defaultValue = "100",
            description = "Value size of each record. Default: ${DEFAULT-VALUE}.")
    private int recordBytes;

    @Option(names = "--acks", paramLabel = "0|1|all", defaultValue = "all",
            description = "Acknowledgement to wait for. Default: ${DEFAULT-VALUE}.")
    private String acks;

    @Option(names = "--throughput", paramLabel = "RECORDS/S", defaultValue = "-1",
            description = "Limit the send rate; -1 for none. Default: ${DEFAULT-VALUE}.")
    private long recordsPerSecondMax;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
            description = "A producer setting such as linger.ms=5 or batch.size=65536 (repeatable).")
    private Map<String, String> producerProperties = new LinkedHashMap<>();

    @Option(names = "--reporting-interval-ms", paramLabel = "MS", defaultValue = "5000",
            description = "Print progress this often. Default: ${DEFAULT-VALUE}.")
    private long reportingIntervalMs;

    @Override
    protected int run() {
        validate();
        Map<String, Object> overrides = new HashMap<>(producerProperties);
        overrides.put(ProducerConfig.ACKS_CONFIG, acks);
        byte[] payload = payload(recordBytes);
        LatencyHistogram latencies = new LatencyHistogram();
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long startNanos;
        long sent = 0;
        try (KafkaProducer<byte[], byte[]> producer = clients().createProducer(overrides)) {
            try (Admin admin = clients().createAdmin()) {
                TopicLookup.partitionCountForProducing(admin, producer, topic, null);
            }
            startNanos = System.nanoTime();
            Throttle throttle = new Throttle(recordsPerSecondMax, startNanos);
            Progress progress = new Progress(out(), startNanos, reportingIntervalMs, recordBytes);
            for (; sent < numRecords && firstFailure.get() == null; sent++) {
                throttle.awaitTurn(sent);
                long sendNanos = System.nanoTime();
                producer.send(new ProducerRecord<>(topic, payload), (metadata, exception) -> {
                    if (exception != null) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, exception);
                    } else {
                        latencies.record(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sendNanos));
                        acknowledged.incrementAndGet();
                    }
                });
                progress.maybePrint(acknowledged.get());
            }
            producer.flush();
        }
        long elapsedNanos = System.nanoTime() - startNanos;
        printSummary(out(), acknowledged.get(), elapsedNanos, latencies);
        if (firstFailure.get() != null) {
            throw new CliException(failed.get() + " of " + sent + " records failed; the first with: "
                    + firstFailure.get().getMessage(), firstFailure.get());
        }
        return 0;
    }

    private void validate() {
        if (numRecords < 1) {
            throw usageError("--num-records must be at least 1, got " + numRecords);
        }
        if (recordBytes < 0 || recordBytes > RECORD_BYTES_MAX) {
            throw usageError("--record-size must be between 0 and " + RECORD_BYTES_MAX + ", got " + recordBytes);
        }
        if (!ACKS.contains(acks)) {
            throw usageError("--acks must be 0, 1 or all, got '" + acks + "'");
        }
        if (recordsPerSecondMax == 0 || recordsPerSecondMax < -1) {
            throw usageError("--throughput must be positive, or -1 for no limit, got " + recordsPerSecondMax);
        }
        if (reportingIntervalMs < 1) {
            throw usageError("--reporting-interval-ms must be at least 1, got " + reportingIntervalMs);
        }
    }

    private void printSummary(PrintWriter out, long records, long elapsedNanos, LatencyHistogram latencies) {
        double recordsPerSecond = Rates.perSecond(records, elapsedNanos);
        double mbPerSecond = Rates.perSecond(records * (double) recordBytes, elapsedNanos) / Rates.BYTES_PER_MB;
        out.println(Rates.format("%d records sent in %.2f s: %.1f records/s, %.2f MB/s; latency avg %.2f ms, "
                        + "p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                records, Rates.seconds(elapsedNanos), recordsPerSecond, mbPerSecond,
                Rates.millis(latencies.meanMicros()), Rates.millis(latencies.percentileMicros(50)),
                Rates.millis(latencies.percentileMicros(99)), Rates.millis(latencies.maxMicros())));
        out.flush();
    }

    /** Random upper-case letters, as Kafka's producer perf test sends, so compression sees text, not zeros. */
    private static byte[] payload(int size) {
        byte[] payload = new byte[size];
        Random random = new Random();
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) ('A' + random.nextInt(26));
        }
        return payload;
    }

    /** The progress line every interval: what was acknowledged in that interval and at what rate. */
    private static final class Progress {

        private final PrintWriter out;
        private final long intervalNanos;
        private final int recordBytes;
        private long windowStartNanos;
        private long windowStartRecords;

        Progress(PrintWriter out, long startNanos, long intervalMs, int recordBytes) {
            this.out = out;
            this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
            this.recordBytes = recordBytes;
            this.windowStartNanos = startNanos;
        }

        void maybePrint(long acknowledged) {
            long now = System.nanoTime();
            long windowNanos = now - windowStartNanos;
            if (windowNanos < intervalNanos) {
                return;
            }
            long records = acknowledged - windowStartRecords;
            out.println(Rates.format("%d records acknowledged, %.1f records/s (%.2f MB/s)", records,
                    Rates.perSecond(records, windowNanos),
                    Rates.perSecond(records * (double) recordBytes, windowNanos) / Rates.BYTES_PER_MB));
            out.flush();
            windowStartNanos = now;
            windowStartRecords = acknowledged;
        }
    }
}

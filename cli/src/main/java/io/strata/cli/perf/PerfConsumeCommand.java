package io.strata.cli.perf;

import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code strata perf consume}: reads --num-records records of a topic from its beginning and reports records/s and
 * MB/s (key and value bytes), timed from the first poll (so connecting and, with --group, joining the group are
 * included) to the last record. It commits nothing, so every run reads the same records. If fewer records arrive
 * before --timeout-ms passes without one, it prints what it measured and fails.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Read records from the beginning of a topic and report throughput.")
public final class PerfConsumeCommand extends StrataCommand {

    private static final long POLL_MS_MAX = 500;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to read.")
    private String topic;

    @Option(names = "--num-records", required = true, paramLabel = "N", description = "Records to read.")
    private long numRecords;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Read as a member of this group (nothing is committed). Default: no group.")
    private String group;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "10000",
            description = "Give up when no record arrives for MS. Default: ${DEFAULT-VALUE}.")
    private long timeoutMs;

    @Option(names = "--consumer-property", paramLabel = "KEY=VALUE",
            description = "A consumer setting such as fetch.min.bytes=65536 (repeatable).")
    private Map<String, String> consumerProperties = new LinkedHashMap<>();

    @Override
    protected int run() {
        if (numRecords < 1) {
            throw usageError("--num-records must be at least 1, got " + numRecords);
        }
        if (timeoutMs < 1) {
            throw usageError("--timeout-ms must be at least 1, got " + timeoutMs);
        }
        int partitionCount;
        try (Admin admin = clients().createAdmin()) {
            partitionCount = TopicLookup.partitionCount(admin, topic, null);
        }
        Map<String, Object> overrides = new HashMap<>(consumerProperties);
        overrides.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        if (group != null) {
            overrides.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        long records = 0;
        long bytes = 0;
        long startNanos;
        long lastRecordNanos;
        try (KafkaConsumer<byte[], byte[]> consumer = clients().createConsumer(overrides)) {
            subscribe(consumer, partitionCount);
            startNanos = System.nanoTime();
            lastRecordNanos = startNanos;
            while (records < numRecords) {
                long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastRecordNanos);
                if (idleMs >= timeoutMs) {
                    break;
                }
                ConsumerRecords<byte[], byte[]> batch =
                        consumer.poll(Duration.ofMillis(Math.min(POLL_MS_MAX, timeoutMs - idleMs)));
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    if (records == numRecords) {
                        break;
                    }
                    records++;
                    bytes += Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
                }
                if (!batch.isEmpty()) {
                    lastRecordNanos = System.nanoTime();
                }
            }
        }
        long elapsedNanos = lastRecordNanos - startNanos;
        out().println(Rates.format("%d records (%.2f MB) in %.2f s: %.1f records/s, %.2f MB/s",
                records, bytes / Rates.BYTES_PER_MB, Rates.seconds(elapsedNanos),
                Rates.perSecond(records, elapsedNanos), Rates.perSecond(bytes, elapsedNanos) / Rates.BYTES_PER_MB));
        out().flush();
        if (records < numRecords) {
            throw new CliException("only " + records + " of " + numRecords + " records arrived before " + timeoutMs
                    + " ms passed without one");
        }
        return 0;
    }

    private void subscribe(KafkaConsumer<byte[], byte[]> consumer, int partitionCount) {
        if (group != null) {
            consumer.subscribe(List.of(topic));
            return;
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < partitionCount; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }
}

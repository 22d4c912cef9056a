package io.strata.cli.consume;

import io.strata.cli.StrataCommand;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code strata consume}: prints the records of a topic, one a line, until --max-messages were printed, no record
 * came for --timeout-ms, or the process is interrupted (Ctrl-C). With --group the consumer joins that group (or,
 * with --partition, reads that partition on the group's behalf) and commits exactly the records it printed after
 * each batch, so the next run with the same group continues after the last printed record. Without --group no
 * offsets are kept.
 *
 * <p>One instance per run; not thread-safe. A shutdown hook only wakes the consumer, which KafkaConsumer allows
 * from another thread, and waits for it to close.
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {"Print the records of a topic, which must exist, one a line.",
                "Each line is the value, preceded by the fields asked for with --print-*, tab-separated, in this "
                        + "order:",
                "CreateTime:TS  Partition:P  Offset:O  HEADERS  KEY  VALUE"})
public final class ConsumeCommand extends StrataCommand {

    /** How long one poll may block, so that --timeout-ms is noticed soon after it passes. */
    private static final long POLL_MS_MAX = 500;
    /** How long a shutdown hook waits for the consumer to commit and leave its group. */
    private static final long CLOSE_WAIT_MS_MAX = 10_000;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to read.")
    private String topic;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Consumer group: start from its committed offsets and commit what is printed.")
    private String group;

    @Option(names = "--from-beginning",
            description = "Where no committed offset applies, start at the earliest record instead of the end.")
    private boolean fromBeginning;

    @Option(names = "--partition", paramLabel = "P", description = "Read only this partition.")
    private Integer partition;

    @Option(names = "--offset", paramLabel = "O", description = "Start at this offset (needs --partition).")
    private Long offset;

    @Option(names = "--max-messages", paramLabel = "N", description = "Exit after printing N records.")
    private Long maxMessages;

    @Option(names = "--timeout-ms", paramLabel = "MS", description = "Exit when no record arrives for MS.")
    private Long timeoutMs;

    @Option(names = "--print-key", description = "Print the key.")
    private boolean printKey;

    @Option(names = "--print-partition", description = "Print the partition.")
    private boolean printPartition;

    @Option(names = "--print-offset", description = "Print the offset.")
    private boolean printOffset;

    @Option(names = "--print-timestamp", description = "Print the timestamp type and timestamp (ms since epoch).")
    private boolean printTimestamp;

    @Option(names = "--print-headers", description = "Print the headers as k:v,k:v.")
    private boolean printHeaders;

    @Override
    protected int run() {
        validate();
        int partitionCount;
        try (Admin admin = clients().createAdmin()) {
            partitionCount = TopicLookup.partitionCount(admin, topic, partition);
        }
        Map<String, Object> overrides = new HashMap<>();
        overrides.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        if (group != null) {
            overrides.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        RecordFormatter formatter = new RecordFormatter(printTimestamp, printPartition, printOffset, printHeaders,
                printKey);
        CountDownLatch closed = new CountDownLatch(1);
        long consumed;
        try (KafkaConsumer<byte[], byte[]> consumer = clients().createConsumer(overrides)) {
            Thread hook = new Thread(() -> wakeAndAwait(consumer, closed), "strata-consume-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                position(consumer, partitionCount);
                consumed = consume(consumer, formatter, out());
            } finally {
                removeHook(hook);
            }
        } finally {
            closed.countDown();
        }
        err().println("Processed a total of " + consumed + (consumed == 1 ? " message" : " messages"));
        return 0;
    }

    private void validate() {
        if (offset != null && partition == null) {
            throw usageError("--offset needs --partition");
        }
        if (offset != null && (offset < 0 || fromBeginning)) {
            throw usageError(offset < 0 ? "--offset must not be negative, got " + offset
                    : "--offset and --from-beginning exclude each other");
        }
        if (maxMessages != null && maxMessages < 1) {
            throw usageError("--max-messages must be at least 1, got " + maxMessages);
        }
        if (timeoutMs != null && timeoutMs < 1) {
            throw usageError("--timeout-ms must be at least 1, got " + timeoutMs);
        }
    }

    private void position(KafkaConsumer<byte[], byte[]> consumer, int partitionCount) {
        if (group != null && partition == null) {
            consumer.subscribe(List.of(topic));
            return;
        }
        List<TopicPartition> partitions = new ArrayList<>();
        if (partition != null) {
            partitions.add(new TopicPartition(topic, partition));
        } else {
            for (int p = 0; p < partitionCount; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
        }
        consumer.assign(partitions);
        if (offset != null) {
            consumer.seek(partitions.get(0), offset);
        }
    }

    private long consume(KafkaConsumer<byte[], byte[]> consumer, RecordFormatter formatter, PrintWriter out) {
        long limit = maxMessages == null ? Long.MAX_VALUE : maxMessages;
        long consumed = 0;
        long idleSinceNanos = System.nanoTime();
        Map<TopicPartition, OffsetAndMetadata> printed = new HashMap<>();
        try {
            while (consumed < limit) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(pollMs(idleSinceNanos)));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (consumed == limit) {
                        break;
                    }
                    out.println(formatter.format(record));
                    consumed++;
                    printed.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                }
                out.flush();
                commit(consumer, printed);
                if (!records.isEmpty()) {
                    idleSinceNanos = System.nanoTime();
                } else if (timeoutMs != null && elapsedMs(idleSinceNanos) >= timeoutMs) {
                    break;
                }
            }
        } catch (WakeupException e) {
            // Interrupted by Ctrl-C: the records printed so far are still committed.
            out.flush();
            commit(consumer, printed);
        }
        return consumed;
    }

    /** Commits what was printed and forgets it; without a group there is nowhere to commit to. */
    private void commit(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, OffsetAndMetadata> printed) {
        if (group != null && !printed.isEmpty()) {
            consumer.commitSync(printed);
            printed.clear();
        }
    }

    private long pollMs(long idleSinceNanos) {
        if (timeoutMs == null) {
            return POLL_MS_MAX;
        }
        return Math.max(1, Math.min(POLL_MS_MAX, timeoutMs - elapsedMs(idleSinceNanos)));
    }

    private static long elapsedMs(long sinceNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
    }

    private static void wakeAndAwait(KafkaConsumer<byte[], byte[]> consumer, CountDownLatch closed) {
        consumer.wakeup();
        try {
            closed.await(CLOSE_WAIT_MS_MAX, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down and the hook is running: it waits for this thread to close the consumer.
        }
    }
}

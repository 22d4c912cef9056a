package io.strata.storage.log;

import io.strata.storage.ManualClock;
import io.strata.storage.TestBatches;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class LogDirectoryTest {

    @TempDir
    Path root;
    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    LogDirectory directory;

    @AfterEach
    void tearDown() {
        if (directory != null) {
            directory.close();
        }
    }

    private LogDirectory open(Object... settings) {
        Map<String, Object> map = new HashMap<>();
        map.put(LogDirectoryConfig.LOG_DIR, root.toString());
        for (int i = 0; i < settings.length; i += 2) {
            map.put((String) settings[i], settings[i + 1]);
        }
        directory = LogDirectory.open(LogDirectoryConfig.of(map), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), clock);
        return directory;
    }

    private void append(PartitionLog log, int records) {
        log.append(TestBatches.records(records).timestamp(clock.millis()).build(), 0, AppendOrigin.CLIENT);
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFailsClearly() {
        open();

        assertThatThrownBy(() -> LogDirectory.open(LogDirectoryConfig.forDirectory(root), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), clock))
                .isInstanceOf(KafkaStorageException.class)
                .hasMessageContaining("already open");
    }

    @Test
    void partitionsAndTheirOffsetsSurviveACleanRestart() {
        open();
        for (int p = 0; p < 5; p++) {
            PartitionLog log = directory.getOrCreate(new TopicPartition("events", p), LogConfig.defaults());
            append(log, 10 + p);
        }
        directory.get(new TopicPartition("events", 2)).orElseThrow().deleteRecordsBefore(4);
        directory.close();
        assertThat(root.resolve(LogDirectory.CLEAN_SHUTDOWN_FILE)).exists();

        open();

        assertThat(root.resolve(LogDirectory.CLEAN_SHUTDOWN_FILE)).doesNotExist();
        assertThat(directory.all()).hasSize(5);
        for (int p = 0; p < 5; p++) {
            PartitionLog log = directory.get(new TopicPartition("events", p)).orElseThrow();
            assertThat(log.logEndOffset()).isEqualTo(10 + p);
            assertThat(log.recoveryPoint()).isEqualTo(10 + p);
        }
        assertThat(directory.get(new TopicPartition("events", 2)).orElseThrow().logStartOffset()).isEqualTo(4);
    }

    @Test
    void aDeletedPartitionVanishesAtOnceAndItsFilesFollow() throws IOException {
        open();
        TopicPartition tp = new TopicPartition("doomed", 0);
        PartitionLog log = directory.getOrCreate(tp, LogConfig.defaults());
        append(log, 5);
        Path partitionDir = log.dir();

        assertThat(directory.delete(tp)).isTrue();

        assertThat(partitionDir).doesNotExist();
        assertThat(directory.get(tp)).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (var children = Files.list(root)) {
                return children.noneMatch(p -> p.getFileName().toString().startsWith("doomed-0"));
            }
        });
        PartitionLog recreated = directory.getOrCreate(tp, LogConfig.defaults());
        assertThat(recreated.logEndOffset()).isZero();
    }

    @Test
    void retentionRunsInTheBackground() {
        open(LogDirectoryConfig.RETENTION_CHECK_INTERVAL_MS, 50L);
        LogConfig shortRetention = LogConfig.of(Map.of(LogConfig.RETENTION_MS, 1000L, LogConfig.SEGMENT_BYTES, 200,
                LogConfig.FILE_DELETE_DELAY_MS, 0L));
        PartitionLog log = directory.getOrCreate(new TopicPartition("short", 0), shortRetention);
        for (int i = 0; i < 10; i++) {
            append(log, 1);
        }
        clock.advance(5000);

        await().atMost(Duration.ofSeconds(10)).until(() -> log.logStartOffset() == 10);
    }

    @Test
    void flushMsForcesOldUnflushedRecordsInTheBackground() {
        open(LogDirectoryConfig.FLUSH_SCHEDULER_INTERVAL_MS, 20L);
        LogConfig flushEverySecond = LogConfig.of(Map.of(LogConfig.FLUSH_MS, 1000L));
        PartitionLog log = directory.getOrCreate(new TopicPartition("timed", 0), flushEverySecond);
        append(log, 3);
        assertThat(log.recoveryPoint()).isZero();

        clock.advance(1500);

        await().atMost(Duration.ofSeconds(10)).until(() -> log.recoveryPoint() == 3);
    }

    /**
     * Ten thousand idle partitions fit in one JVM: open files stay within log.open.files.max and each idle partition
     * costs a few kilobytes of heap. Prints the measured cost per partition.
     */
    @Test
    void tenThousandIdlePartitionsStayWithinBounds() {
        int partitions = 10_000;
        open(LogDirectoryConfig.OPEN_FILES_MAX, 256);
        long before = usedHeap();
        for (int p = 0; p < partitions; p++) {
            PartitionLog log = directory.getOrCreate(new TopicPartition("idle", p), LogConfig.defaults());
            append(log, 1);
        }
        long after = usedHeap();
        long perPartition = (after - before) / partitions;
        System.out.printf("Idle partition cost: %d bytes of heap each over %d partitions; %d files open of %d "
                + "allowed; %d opens%n", perPartition, partitions, directory.resources().files().openFiles(),
                directory.resources().files().openFilesMax(), directory.resources().files().opensTotal());

        assertThat(directory.resources().files().openFiles()).isLessThanOrEqualTo(256);
        assertThat(perPartition).isLessThan(8 * 1024);
        for (int p = 0; p < partitions; p += 97) {
            try (LogReadResult read = directory.get(new TopicPartition("idle", p)).orElseThrow()
                    .read(0, 1 << 20, Long.MAX_VALUE, true)) {
                assertThat(read.records().sizeInBytes()).isPositive();
            }
        }
        assertThat(directory.resources().files().openFiles()).isLessThanOrEqualTo(256);
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }
}

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
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class LogDirectoryFailureTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final TopicPartition OTHER = new TopicPartition("payments", 0);

    @TempDir
    Path root;
    final ManualClock clock = new ManualClock(1_700_000_000_000L);
    final FaultyFileChannel.Disk disk = new FaultyFileChannel.Disk();
    final List<LogDirectoryHealth.Failure> heard = new CopyOnWriteArrayList<>();
    LogDirectory directory;

    @AfterEach
    void tearDown() {
        if (directory != null) {
            directory.close();
        }
    }

    private LogDirectory openOnFaultyDisk() {
        directory = LogDirectory.open(config(), tp -> LogConfig.defaults(), Executors.defaultThreadFactory(), clock,
                disk::open);
        directory.onOffline(heard::add);
        return directory;
    }

    private LogDirectoryConfig config() {
        return LogDirectoryConfig.of(Map.of(LogDirectoryConfig.LOG_DIR, root.toString(),
                LogDirectoryConfig.CLEANER_ENABLE, false));
    }

    private ByteBuffer batch(int records) {
        return TestBatches.records(records).timestamp(clock.millis()).build();
    }

    private AppendInfo append(PartitionLog log, int records) {
        return log.append(batch(records), 0, AppendOrigin.CLIENT);
    }

    @Test
    void aFailedWriteTakesTheDirectoryOfflineAndLaterAppendsAndReadsFailWithKafkaStorageException() {
        openOnFaultyDisk();
        PartitionLog log = directory.getOrCreate(TP, LogConfig.defaults());
        PartitionLog other = directory.getOrCreate(OTHER, LogConfig.defaults());
        append(log, 5);
        append(other, 2);
        log.flush(log.logEndOffset());
        other.flush(other.logEndOffset());

        disk.failWrites.set(true);
        assertThatThrownBy(() -> append(log, 3)).isInstanceOf(KafkaStorageException.class)
                .hasMessageContaining("injected");

        assertThat(directory.isOffline()).isTrue();
        assertThat(directory.offlineFailure()).hasValueSatisfying(failure -> {
            assertThat(failure.dir()).isEqualTo(root);
            assertThat(failure.operation()).contains(TP.toString());
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 1);
        assertThat(heard.get(0).cause()).hasMessageContaining("injected");

        // The disk answering again does not bring the directory back: what it lost is not known.
        disk.failWrites.set(false);
        assertThatThrownBy(() -> append(log, 1)).isInstanceOf(KafkaStorageException.class)
                .hasMessageContaining("offline");
        assertThatThrownBy(() -> append(other, 1)).as("every log of the directory")
                .isInstanceOf(KafkaStorageException.class);
        assertThatThrownBy(() -> log.read(0, 1 << 20, Long.MAX_VALUE, true))
                .isInstanceOf(KafkaStorageException.class);
        assertThatThrownBy(() -> directory.getOrCreate(new TopicPartition("new", 0), LogConfig.defaults()))
                .isInstanceOf(KafkaStorageException.class);
        assertThat(heard).as("listeners hear once").hasSize(1);
    }

    @Test
    void aFailedFsyncTakesTheDirectoryOfflineInsteadOfBeingRetried() {
        openOnFaultyDisk();
        PartitionLog log = directory.getOrCreate(TP, LogConfig.defaults());
        append(log, 4);
        long recoveryPointBefore = log.recoveryPoint();

        disk.failForces.set(true);
        assertThatThrownBy(() -> log.flush(log.logEndOffset())).isInstanceOf(KafkaStorageException.class);

        assertThat(directory.isOffline()).isTrue();
        assertThat(log.recoveryPoint()).as("nothing counts as forced").isEqualTo(recoveryPointBefore);
        disk.failForces.set(false);
        assertThatThrownBy(() -> log.flush(log.logEndOffset())).isInstanceOf(KafkaStorageException.class);
        assertThatThrownBy(() -> append(log, 1)).isInstanceOf(KafkaStorageException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 1);
    }

    @Test
    void dataWrittenBeforeTheFailureIsIntactWhenTheDirectoryIsOpenedAgain() throws IOException {
        openOnFaultyDisk();
        PartitionLog log = directory.getOrCreate(TP, LogConfig.defaults());
        append(log, 5);
        append(log, 7);
        log.flush(log.logEndOffset());
        disk.failWrites.set(true);
        assertThatThrownBy(() -> append(log, 3)).isInstanceOf(KafkaStorageException.class);
        directory.close();
        assertThat(root.resolve(LogDirectory.CLEAN_SHUTDOWN_FILE)).as("an offline directory closes unclean")
                .doesNotExist();
        directory = null;
        disk.failWrites.set(false);

        directory = LogDirectory.open(config(), tp -> LogConfig.defaults(), Executors.defaultThreadFactory(), clock);

        PartitionLog reopened = directory.get(TP).orElseThrow();
        assertThat(directory.isOffline()).isFalse();
        assertThat(reopened.logEndOffset()).isEqualTo(12);
        try (LogReadResult read = reopened.read(0, 1 << 20, Long.MAX_VALUE, true)) {
            assertThat(read.records().readAll().remaining()).as("both batches read back").isPositive();
        }
        assertThat(append(reopened, 1).firstOffset()).isEqualTo(12);
    }

    @Test
    void aListenerRegisteredAfterTheFailureStillHearsOfIt() {
        openOnFaultyDisk();
        PartitionLog log = directory.getOrCreate(TP, LogConfig.defaults());
        disk.failWrites.set(true);
        assertThatThrownBy(() -> append(log, 1)).isInstanceOf(KafkaStorageException.class);
        List<LogDirectoryHealth.Failure> late = new CopyOnWriteArrayList<>();

        directory.onOffline(late::add);

        await().atMost(Duration.ofSeconds(10)).until(() -> late.size() == 1);
    }
}

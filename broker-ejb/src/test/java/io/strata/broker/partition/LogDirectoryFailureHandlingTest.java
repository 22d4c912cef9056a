package io.strata.broker.partition;

import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.FaultyFileChannel;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What the broker does when its disk fails under a running partition: the log directory goes offline, the partition
 * answers KAFKA_STORAGE_ERROR, produces waiting for the ISR are answered at once, and with every directory offline
 * the broker is told to stop so that its partitions move elsewhere.
 */
@Timeout(60)
class LogDirectoryFailureHandlingTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    @TempDir
    Path dir;

    /** The disk the segment files are on, which the test can make fail every write. */
    private final FaultyFileChannel.Disk disk = new FaultyFileChannel.Disk();
    private LogDirectory directory;
    private ReplicaManager manager;

    @BeforeEach
    void start() {
        directory = LogDirectory.open(LogDirectoryConfig.forDirectory(dir), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), Clock.systemUTC(), disk::open);
        manager = new ReplicaManager(1, List.of(directory), LogConfig::of, Clock.systemUTC());
        MetadataImage image = MetadataImage.EMPTY.withTopic(new TopicImage("orders", Uuid.randomUuid(),
                List.of(new PartitionAssignment(List.of(1, 2), List.of(1, 2), 1, 0, 0)), Map.of(), false));
        manager.onMetadataUpdate(MetadataImage.EMPTY, image);
    }

    @AfterEach
    void stop() {
        manager.close();
        directory.close();
    }

    private static MemoryRecords record(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes()));
    }

    private void failDisk() {
        disk.failWrites.set(true);
    }

    @Test
    void aFailedDiskTakesItsPartitionsOfflineAnswersWaitingProducesAndAsksTheBrokerToStop() throws Exception {
        AtomicReference<Boolean> allOffline = new AtomicReference<>();
        manager.addLogDirectoryFailureListener((failed, all) -> allOffline.set(all));
        Partition leader = manager.partition(ORDERS_0);
        AppendResult first = leader.appendAsLeader(record("before"), (short) -1, AppendOrigin.CLIENT);
        CompletableFuture<Void> waiting = leader.awaitReplication(first.lastOffset());

        failDisk();

        assertThatThrownBy(() -> leader.appendAsLeader(record("after"), (short) 1, AppendOrigin.CLIENT))
                .isInstanceOf(KafkaStorageException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> allOffline.get() != null);
        assertThat(allOffline.get()).as("its only log directory is offline").isTrue();
        assertThat(directory.isOffline()).isTrue();
        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(NotLeaderOrFollowerException.class).hasMessageContaining("offline");
        assertThatThrownBy(() -> leader.appendAsLeader(record("again"), (short) 1, AppendOrigin.CLIENT))
                .isInstanceOf(KafkaStorageException.class).hasMessageContaining("offline");
    }
}

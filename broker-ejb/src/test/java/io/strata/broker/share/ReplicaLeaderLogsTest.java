package io.strata.broker.share;

import io.strata.broker.partition.Partition;
import io.strata.broker.partition.TestPartitions;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The search a new share-partition leader runs for the marker that decides acknowledgements stored pending: the
 * producer's first COMMIT or ABORT at or after the stored offset, in a real partition's log, whatever else lies around
 * it (other producers' markers, its own earlier ones, reads that take several steps).
 */
class ReplicaLeaderLogsTest {

    private static final TopicPartition JOBS_0 = new TopicPartition("jobs", 0);
    private static final long PRODUCER = 7000L;
    private static final long OTHER = 8000L;
    private static final short EPOCH = 3;

    @TempDir
    Path root;

    private LogDirectory directory;
    private Partition leader;

    @BeforeEach
    void open() {
        directory = LogDirectory.open(LogDirectoryConfig.forDirectory(root), tp -> LogConfig.defaults(),
                Executors.defaultThreadFactory(), Clock.systemUTC());
        leader = TestPartitions.soleLeader(directory, JOBS_0, Uuid.randomUuid());
    }

    @AfterEach
    void close() {
        directory.close();
    }

    private void transactional(long producerId, int sequence, String value) {
        leader.appendAsLeader(MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, EPOCH, sequence,
                new SimpleRecord(value.getBytes())), (short) -1, AppendOrigin.CLIENT);
    }

    private long marker(long producerId, boolean commit) {
        long offset = leader.log().logEndOffset();
        leader.appendTransactionMarker(producerId, EPOCH, 0, commit, System.currentTimeMillis());
        return offset;
    }

    private void plain(String value) {
        leader.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes())),
                (short) 1, AppendOrigin.CLIENT);
    }

    @Test
    void theProducersFirstMarkerAtOrAfterTheOffsetDecidesAndOthersMarkersDoNot() {
        transactional(PRODUCER, 0, "a");
        long earlierAbort = marker(PRODUCER, false);
        long from = leader.log().logEndOffset();
        transactional(OTHER, 0, "x");
        transactional(PRODUCER, 1, "b");
        marker(OTHER, false);
        long commit = marker(PRODUCER, true);
        marker(PRODUCER, false);

        assertThat(ReplicaLeaderLogs.firstMarker(leader, PRODUCER, from))
                .isEqualTo(new SharePartitionManager.TransactionMarker(commit, true));
        assertThat(ReplicaLeaderLogs.firstMarker(leader, PRODUCER, 0))
                .as("from the start, the earlier abort comes first")
                .isEqualTo(new SharePartitionManager.TransactionMarker(earlierAbort, false));
        assertThat(ReplicaLeaderLogs.firstMarker(leader, OTHER, from).commit()).isFalse();
    }

    @Test
    void noMarkerYetIsNullAndSoIsAnOffsetPastTheHighWatermark() {
        transactional(PRODUCER, 0, "a");
        plain("p");
        marker(OTHER, true);

        assertThat(ReplicaLeaderLogs.firstMarker(leader, PRODUCER, 0)).isNull();
        assertThat(ReplicaLeaderLogs.firstMarker(leader, PRODUCER, leader.highWatermark() + 10)).isNull();
    }

    @Test
    void aMarkerBeyondSeveralReadsIsFound() {
        byte[] big = new byte[64 * 1024];
        int batches = 2 * io.strata.broker.partition.TransactionMarkerSearch.READ_BYTES / big.length;
        transactional(PRODUCER, 0, "a");
        for (int i = 0; i < batches; i++) {
            leader.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(big)), (short) 1,
                    AppendOrigin.CLIENT);
        }
        long abort = marker(PRODUCER, false);

        assertThat(ReplicaLeaderLogs.firstMarker(leader, PRODUCER, 1))
                .isEqualTo(new SharePartitionManager.TransactionMarker(abort, false));
    }
}

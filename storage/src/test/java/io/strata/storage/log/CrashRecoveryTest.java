package io.strata.storage.log;

import io.strata.storage.batch.BatchHeader;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.strata.storage.TestBatches.batchesOf;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a writing process with SIGKILL at random moments, again and again, and checks after every restart that each
 * batch it acknowledged (after forcing it to disk) is present, byte for byte and in order, and that no partial batch
 * is visible.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CrashRecoveryTest {

    private static final int KILLS = Integer.getInteger("strata.crash.kills", 15);

    @TempDir
    Path root;

    @Test
    void everyAcknowledgedBatchSurvivesRepeatedSigkill() throws Exception {
        long seed = Long.getLong("strata.crash.seed", System.nanoTime());
        // The seed picks when each kill lands; printed so that a failing run can be repeated.
        System.out.println("CrashRecoveryTest seed " + seed + " (repeat with -Dstrata.crash.seed=" + seed + ")");
        Random random = new Random(seed);
        Map<Integer, Long> acknowledged = new ConcurrentHashMap<>();
        int nextBatch = 0;
        int recoveredTotal = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Process child = startWriter(nextBatch);
            CountDownLatch firstAck = new CountDownLatch(1);
            Thread reader = readAcks(child, acknowledged, firstAck);
            assertThat(firstAck.await(60, TimeUnit.SECONDS)).as("the writer acknowledged a batch").isTrue();
            TimeUnit.MILLISECONDS.sleep(random.nextInt(400));
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(10_000);

            nextBatch = verifyLog(acknowledged);
            recoveredTotal = nextBatch;
        }
        assertThat(acknowledged).hasSizeGreaterThan(KILLS);
        assertThat(recoveredTotal).isGreaterThanOrEqualTo(acknowledged.size());
    }

    /** Opens the log after a kill; returns how many batches it holds, which is where the writer goes on. */
    private int verifyLog(Map<Integer, Long> acknowledged) throws IOException {
        try (LogDirectory directory = LogDirectory.open(CrashingWriter.directoryConfig(root.toString()),
                tp -> CrashingWriter.CONFIG, Executors.defaultThreadFactory(), Clock.systemUTC())) {
            PartitionLog log = directory.get(CrashingWriter.TP).orElseThrow();
            List<MutableRecordBatch> batches = new ArrayList<>();
            long next = 0;
            while (next < log.logEndOffset()) {
                try (LogReadResult result = log.read(next, 1 << 20, Long.MAX_VALUE, true)) {
                    ByteBuffer bytes = result.records().readAll();
                    List<MutableRecordBatch> read = batchesOf(bytes);
                    assertThat(read.stream().mapToInt(MutableRecordBatch::sizeInBytes).sum())
                            .as("a read holds whole batches only").isEqualTo(bytes.limit());
                    batches.addAll(read);
                    next = read.get(read.size() - 1).lastOffset() + 1;
                }
            }
            long expectedBase = 0;
            for (int n = 0; n < batches.size(); n++) {
                MutableRecordBatch stored = batches.get(n);
                stored.ensureValid();
                ByteBuffer expected = CrashingWriter.batch(n);
                expected.putLong(BatchHeader.BASE_OFFSET_OFFSET, expectedBase);
                expected.putInt(BatchHeader.PARTITION_LEADER_EPOCH_OFFSET, 0);
                ByteBuffer actual = ByteBuffer.allocate(stored.sizeInBytes());
                stored.writeTo(actual);
                assertThat(actual.flip()).as("batch %d", n).isEqualTo(expected);
                Long acked = acknowledged.get(n);
                if (acked != null) {
                    assertThat(stored.baseOffset()).isEqualTo(acked);
                }
                expectedBase = stored.lastOffset() + 1;
            }
            int highestAcked = acknowledged.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
            assertThat(batches.size()).as("every acknowledged batch is present").isGreaterThan(highestAcked);
            return batches.size();
        }
    }

    private Process startWriter(int firstBatch) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                CrashingWriter.class.getName(), root.toString(), String.valueOf(firstBatch))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private static Thread readAcks(Process child, Map<Integer, Long> acknowledged, CountDownLatch firstAck) {
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    String[] parts = line.split(" ");
                    if (parts.length == 3 && parts[0].equals("ACK")) {
                        acknowledged.put(Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
                        firstAck.countDown();
                    }
                }
            } catch (IOException e) {
                // The child was killed mid-line: what it printed whole was read.
            }
        });
        reader.start();
        return reader;
    }
}

package io.strata.storage.log;

import io.strata.storage.log.LeaderEpochCache.EpochEndOffset;
import io.strata.storage.log.LeaderEpochCache.Entry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import static io.strata.storage.log.LeaderEpochCache.UNDEFINED_EPOCH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The epoch history's semantics, pinned to Kafka's {@code LeaderEpochFileCacheTest} where Kafka defines them. */
class LeaderEpochCacheTest {

    private static final TopicPartition TP = new TopicPartition("orders", 3);

    @TempDir
    Path dir;

    private LeaderEpochCache empty() {
        return LeaderEpochCache.of(TP, dir, List.of());
    }

    private LeaderEpochCache withEpochs(int... epochsAndOffsets) {
        LeaderEpochCache cache = empty();
        for (int i = 0; i < epochsAndOffsets.length; i += 2) {
            cache.assign(epochsAndOffsets[i], epochsAndOffsets[i + 1]);
        }
        return cache;
    }

    private static EpochEndOffset end(int epoch, long offset) {
        return new EpochEndOffset(epoch, offset);
    }

    // ---------------------------------------------------------------------------------------------------- endOffsetFor

    @Test
    void theLatestEpochEndsAtTheLogEnd() {
        LeaderEpochCache cache = withEpochs(2, 11, 2, 12);

        assertThat(cache.endOffsetFor(2, 14)).isEqualTo(end(2, 14));
    }

    @Test
    void anEarlierEpochEndsWhereTheNextStarts() {
        LeaderEpochCache cache = withEpochs(1, 11, 1, 12, 2, 13, 2, 14, 3, 15, 3, 16);

        assertThat(cache.endOffsetFor(2, 17)).isEqualTo(end(2, 15));
        assertThat(cache.endOffsetFor(1, 17)).isEqualTo(end(1, 13));
    }

    @Test
    void anEpochWithoutItsOwnEntryAnswersTheLargestEpochBelowIt() {
        LeaderEpochCache cache = withEpochs(0, 10, 2, 13, 4, 17);

        assertThat(cache.endOffsetFor(1, 0)).isEqualTo(end(0, 13));
        assertThat(cache.endOffsetFor(2, 0)).isEqualTo(end(2, 17));
        assertThat(cache.endOffsetFor(3, 0)).isEqualTo(end(2, 17));
    }

    @Test
    void anEpochBelowEveryKnownOneEndsWhereTheFirstKnownEpochStarts() {
        LeaderEpochCache cache = withEpochs(5, 11, 6, 12, 7, 13);

        assertThat(cache.endOffsetFor(4, 0)).isEqualTo(end(4, 11));
    }

    @Test
    void anEpochAboveTheLatestIsUndefined() {
        LeaderEpochCache cache = withEpochs(2, 100);

        assertThat(cache.endOffsetFor(3, 100)).isEqualTo(EpochEndOffset.UNDEFINED);
    }

    @Test
    void theUndefinedEpochIsUndefined() {
        assertThat(withEpochs(2, 11, 3, 12).endOffsetFor(UNDEFINED_EPOCH, 0)).isEqualTo(EpochEndOffset.UNDEFINED);
        assertThat(empty().endOffsetFor(UNDEFINED_EPOCH, 73)).isEqualTo(EpochEndOffset.UNDEFINED);
        assertThat(EpochEndOffset.UNDEFINED).isEqualTo(end(-1, -1));
    }

    @Test
    void anEmptyCacheAnswersUndefinedForEveryEpoch() {
        LeaderEpochCache cache = empty();

        assertThat(cache.endOffsetFor(0, 0)).isEqualTo(EpochEndOffset.UNDEFINED);
        assertThat(cache.endOffsetFor(7, 42)).isEqualTo(EpochEndOffset.UNDEFINED);
        assertThat(cache.latestEpoch()).isEmpty();
    }

    @Test
    void epochsTrackLeaderChangesThatWroteNothing() {
        LeaderEpochCache cache = withEpochs(0, 0, 1, 0);

        assertThat(cache.entries()).containsExactly(new Entry(1, 0));
        assertThat(cache.endOffsetFor(1, 5)).isEqualTo(end(1, 5));
        assertThat(cache.endOffsetFor(0, 5)).isEqualTo(end(0, 0));

        cache.assign(2, 5);

        assertThat(cache.endOffsetFor(2, 10)).isEqualTo(end(2, 10));
        assertThat(cache.endOffsetFor(1, 10)).isEqualTo(end(1, 5));
        assertThat(cache.endOffsetFor(0, 10)).isEqualTo(end(0, 0));
    }

    // ---------------------------------------------------------------------------------------------------- assign

    @Test
    void anEpochKeepsTheStartOffsetItWasFirstAssigned() {
        LeaderEpochCache cache = withEpochs(2, 6, 2, 10);

        assertThat(cache.entries()).containsExactly(new Entry(2, 6));
    }

    @Test
    void theLatestEpochAssignedEarlierReplacesTheEntriesItOverlaps() {
        LeaderEpochCache cache = withEpochs(5, 11, 6, 12, 7, 13);

        cache.assign(7, 12);

        assertThat(cache.entries()).containsExactly(new Entry(5, 11), new Entry(7, 12));
        assertThat(cache.endOffsetFor(5, 0)).isEqualTo(end(5, 12));
        assertThat(cache.endOffsetFor(6, 0)).isEqualTo(end(5, 12));
    }

    @Test
    void aHigherEpochAtTheSameStartReplacesTheLowerOne() {
        LeaderEpochCache cache = withEpochs(2, 9, 3, 9);

        assertThat(cache.entries()).containsExactly(new Entry(3, 9));
    }

    @Test
    void aLowerEpochRemovesEveryEntryAtOrAboveIt() {
        LeaderEpochCache cache = withEpochs(1, 5, 2, 6, 1, 7);

        assertThat(cache.entries()).containsExactly(new Entry(1, 7));
        assertThat(cache.latestEpoch()).hasValue(1);
        assertThat(cache.endOffsetFor(1, 8)).isEqualTo(end(1, 8));
        assertThat(cache.endOffsetFor(2, 8)).isEqualTo(EpochEndOffset.UNDEFINED);
    }

    @Test
    void aHigherEpochStartingEarlierRemovesEntriesStartingAtOrAfterIt() {
        LeaderEpochCache cache = withEpochs(2, 6, 3, 5);

        assertThat(cache.entries()).containsExactly(new Entry(3, 5));
    }

    @Test
    void negativeEpochsAndOffsetsAreRefused() {
        LeaderEpochCache cache = empty();

        assertThatThrownBy(() -> cache.assign(-1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epoch -1");
        assertThatThrownBy(() -> cache.assign(0, -5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset -5");
        assertThat(cache.entries()).isEmpty();
    }

    @Test
    void previousEpochIsTheOneBeforeTheLatest() {
        LeaderEpochCache cache = empty();
        assertThat(cache.previousEpoch()).isEmpty();

        cache.assign(2, 10);
        assertThat(cache.previousEpoch()).isEmpty();
        cache.assign(4, 15);
        assertThat(cache.previousEpoch()).isEqualTo(OptionalInt.of(2));
        cache.assign(10, 20);
        assertThat(cache.previousEpoch()).isEqualTo(OptionalInt.of(4));

        cache.truncateFromEnd(18);
        assertThat(cache.previousEpoch()).isEqualTo(OptionalInt.of(2));
    }

    // ---------------------------------------------------------------------------------------------------- truncation

    @Test
    void truncatingFromTheEndDropsEpochsStartingAtOrAfterTheNewEnd() {
        LeaderEpochCache atBoundary = withEpochs(2, 6, 3, 8, 4, 11);
        LeaderEpochCache inside = withEpochs(2, 6, 3, 8, 4, 11);

        atBoundary.truncateFromEnd(8);
        inside.truncateFromEnd(9);

        assertThat(atBoundary.entries()).containsExactly(new Entry(2, 6));
        assertThat(inside.entries()).containsExactly(new Entry(2, 6), new Entry(3, 8));
        assertThat(inside.latestEpoch()).hasValue(3);
    }

    @Test
    void truncatingFromTheStartMovesTheCoveringEpochUpToTheNewStart() {
        assertThat(truncatedFromStart(1)).containsExactly(new Entry(2, 6), new Entry(3, 8), new Entry(4, 11));
        assertThat(truncatedFromStart(6)).containsExactly(new Entry(2, 6), new Entry(3, 8), new Entry(4, 11));
        assertThat(truncatedFromStart(8)).containsExactly(new Entry(3, 8), new Entry(4, 11));
        assertThat(truncatedFromStart(9)).containsExactly(new Entry(3, 9), new Entry(4, 11));
        assertThat(truncatedFromStart(11)).containsExactly(new Entry(4, 11));
        assertThat(truncatedFromStart(15)).containsExactly(new Entry(4, 15));

        LeaderEpochCache fromZero = withEpochs(0, 0, 1, 7, 2, 10);
        fromZero.truncateFromStart(5);
        assertThat(fromZero.entries()).containsExactly(new Entry(0, 5), new Entry(1, 7), new Entry(2, 10));
    }

    private List<Entry> truncatedFromStart(long startOffset) {
        LeaderEpochCache cache = withEpochs(2, 6, 3, 8, 4, 11);
        cache.truncateFromStart(startOffset);
        return cache.entries();
    }

    @Test
    void truncatingAnEmptyCacheChangesNothing() {
        LeaderEpochCache cache = empty();

        cache.truncateFromStart(7);
        cache.truncateFromEnd(7);
        cache.clear();

        assertThat(cache.entries()).isEmpty();
        assertThat(cache.path()).doesNotExist();
    }

    @Test
    void negativeTruncationOffsetsAreRefused() {
        LeaderEpochCache cache = withEpochs(2, 6, 3, 8);

        assertThatThrownBy(() -> cache.truncateFromEnd(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cache.truncateFromStart(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(cache.entries()).hasSize(2);
    }

    @Test
    void clearRemovesEveryEntryFromMemoryAndFile() throws IOException {
        LeaderEpochCache cache = withEpochs(2, 6, 3, 8, 4, 11);

        cache.clear();

        assertThat(cache.entries()).isEmpty();
        assertThat(LeaderEpochCache.load(TP, dir).orElseThrow().entries()).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------- persistence

    @Test
    void everyChangeIsWrittenInKafkasCheckpointFormat() throws IOException {
        LeaderEpochCache cache = withEpochs(2, 6, 3, 8, 4, 11);

        assertThat(cache.path()).isEqualTo(dir.resolve("leader-epoch-checkpoint"));
        assertThat(Files.readAllLines(cache.path())).containsExactly("0", "3", "2 6", "3 8", "4 11");

        cache.truncateFromStart(9);

        assertThat(Files.readAllLines(cache.path())).containsExactly("0", "2", "3 9", "4 11");
    }

    @Test
    void entriesReadBackAfterReopening() throws IOException {
        LeaderEpochCache cache = withEpochs(0, 0, 1, 7, 5, 100);
        cache.truncateFromEnd(100);

        LeaderEpochCache reopened = LeaderEpochCache.load(TP, dir).orElseThrow();

        assertThat(reopened.entries()).containsExactly(new Entry(0, 0), new Entry(1, 7));
        assertThat(reopened.endOffsetFor(0, 50)).isEqualTo(end(0, 7));
    }

    @Test
    void aMissingFileLoadsAsNoCache() throws IOException {
        assertThat(LeaderEpochCache.load(TP, dir)).isEmpty();
    }

    @Test
    void aMalformedFileIsReportedWithTheProblem() throws IOException {
        Path file = dir.resolve(LeaderEpochCache.FILE_NAME);

        Files.writeString(file, "0\n2\n1 5\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(TP, dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("says 2 entries but has 1");
        Files.writeString(file, "0\n1\n1 five\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(TP, dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("bad number");
        Files.writeString(file, "0\n1\n1 5 7\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(TP, dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("is not '<epoch> <startOffset>'");
        Files.writeString(file, "0\n1\n-3 5\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(TP, dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("negative");
        Files.writeString(file, "1\n0\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(TP, dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("unknown version");
        Files.writeString(file, "");
        assertThatThrownBy(() -> LeaderEpochCache.load(TP, dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("fewer than two lines");
    }

    @Test
    void entriesThatDoNotAscendAreReportedAsMalformed() throws IOException {
        Files.writeString(dir.resolve(LeaderEpochCache.FILE_NAME), "0\n2\n3 10\n2 20\n");

        assertThatThrownBy(() -> LeaderEpochCache.load(TP, dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("must ascend");
    }

    @Test
    void aFailedWriteLeavesTheCacheAsItWas() throws IOException {
        LeaderEpochCache cache = withEpochs(2, 6);
        // A directory where the temporary file should go makes every write fail.
        Files.createDirectory(dir.resolve(LeaderEpochCache.FILE_NAME + ".tmp"));

        assertThatThrownBy(() -> cache.assign(3, 8)).isInstanceOf(KafkaStorageException.class)
                .hasMessageContaining("orders-3");

        assertThat(cache.entries()).containsExactly(new Entry(2, 6));
        assertThat(cache.endOffsetFor(2, 9)).isEqualTo(end(2, 9));
    }
}

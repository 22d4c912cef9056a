package io.strata.storage.segment;

import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransactionIndexTest {

    @TempDir
    Path dir;

    private Path file() {
        return SegmentFiles.transactionIndex(dir, 100, "");
    }

    @Test
    void entriesAreWrittenInKafkasThirtyFourByteVersionZeroFormat() throws IOException {
        TransactionIndex index = new TransactionIndex(file());
        index.append(new AbortedTransaction(7L, 100, 105, 106));

        byte[] bytes = Files.readAllBytes(file());
        ByteBuffer expected = ByteBuffer.allocate(34).putShort((short) 0).putLong(7L).putLong(100).putLong(105)
                .putLong(106);
        assertThat(bytes).isEqualTo(expected.array());
        assertThat(file().getFileName().toString()).isEqualTo("00000000000000000100.txnindex");
    }

    @Test
    void noFileExistsUntilATransactionAborts() throws IOException {
        TransactionIndex index = new TransactionIndex(file());
        assertThat(index.entries()).isZero();
        assertThat(index.lastOffset()).isEqualTo(-1);
        assertThat(Files.exists(file())).isFalse();
        List<AbortedTransaction> found = new ArrayList<>();
        assertThat(index.collect(0, Long.MAX_VALUE, found)).isFalse();
        assertThat(found).isEmpty();
    }

    @Test
    void searchFindsTheTransactionsOverlappingTheRangeAndStopsAtTheLastStableOffset() throws IOException {
        TransactionIndex index = new TransactionIndex(file());
        AbortedTransaction a = new AbortedTransaction(1, 100, 110, 111);
        AbortedTransaction b = new AbortedTransaction(2, 105, 120, 121);
        AbortedTransaction c = new AbortedTransaction(3, 130, 140, 141);
        index.append(a);
        index.append(b);
        index.append(c);

        List<AbortedTransaction> found = new ArrayList<>();
        boolean complete = index.collect(112, 125, found);
        // a ended before the range; c starts after it, and its last stable offset passes the bound.
        assertThat(found).containsExactly(b);
        assertThat(complete).isTrue();

        found.clear();
        assertThat(index.collect(0, 200, found)).isFalse();
        assertThat(found).containsExactly(a, b, c);
    }

    @Test
    void entriesMustComeInMarkerOrder() throws IOException {
        TransactionIndex index = new TransactionIndex(file());
        index.append(new AbortedTransaction(1, 100, 110, 111));
        assertThatThrownBy(() -> index.append(new AbortedTransaction(2, 100, 110, 111)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("110");
    }

    @Test
    void truncationDropsTheEntriesWhoseMarkerIsAtOrAfterTheOffset() throws IOException {
        TransactionIndex index = new TransactionIndex(file());
        index.append(new AbortedTransaction(1, 100, 110, 111));
        index.append(new AbortedTransaction(2, 105, 120, 121));
        index.append(new AbortedTransaction(3, 130, 140, 141));

        index.truncateTo(120);

        assertThat(index.all()).containsExactly(new AbortedTransaction(1, 100, 110, 111));
        assertThat(index.lastOffset()).isEqualTo(110);
        assertThat(Files.size(file())).isEqualTo(34);
        assertThat(new TransactionIndex(file()).all()).containsExactly(new AbortedTransaction(1, 100, 110, 111));
    }

    @Test
    void aTornEntryIsCutWhenTheIndexIsOpened() throws IOException {
        TransactionIndex index = new TransactionIndex(file());
        index.append(new AbortedTransaction(1, 100, 110, 111));
        try (FileChannel channel = FileChannel.open(file(), StandardOpenOption.APPEND)) {
            channel.write(ByteBuffer.wrap(new byte[20]));
        }

        TransactionIndex reopened = new TransactionIndex(file());

        assertThat(reopened.all()).containsExactly(new AbortedTransaction(1, 100, 110, 111));
        assertThat(Files.size(file())).isEqualTo(34);
    }

    @Test
    void anUnknownEntryVersionIsReportedAsCorrupt() throws IOException {
        Files.write(file(), ByteBuffer.allocate(34).putShort((short) 9).array());
        assertThatThrownBy(() -> new TransactionIndex(file()))
                .isInstanceOf(IndexCorruptException.class).hasMessageContaining("version 9");
    }

    @Test
    void renamingAndDeletingMoveTheFile() throws IOException {
        TransactionIndex index = new TransactionIndex(file());
        index.append(new AbortedTransaction(1, 100, 110, 111));
        Path deleted = SegmentFiles.transactionIndex(dir, 100, SegmentFiles.DELETED);

        index.renameTo(deleted);
        assertThat(Files.exists(file())).isFalse();
        assertThat(index.all()).hasSize(1);

        index.delete();
        assertThat(Files.exists(deleted)).isFalse();
        assertThat(index.entries()).isZero();
    }
}

package io.strata.storage.checkpoint;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OffsetCheckpointFileTest {

    @TempDir
    Path dir;

    @Test
    void writtenOffsetsReadBack() throws IOException {
        OffsetCheckpointFile file = new OffsetCheckpointFile(dir.resolve("recovery-point-offset-checkpoint"));
        Map<TopicPartition, Long> offsets = Map.of(new TopicPartition("a", 0), 5L,
                new TopicPartition("b.c-d", 12), 1_000_000_000_000L);

        file.write(offsets);

        assertThat(file.read()).isEqualTo(offsets);
        assertThat(Files.readAllLines(file.path())).startsWith("0", "2");
    }

    @Test
    void aMissingFileHoldsNothing() throws IOException {
        assertThat(new OffsetCheckpointFile(dir.resolve("none")).read()).isEmpty();
    }

    @Test
    void aMalformedFileIsReportedWithTheProblem() throws IOException {
        Path path = dir.resolve("bad");
        OffsetCheckpointFile file = new OffsetCheckpointFile(path);
        Files.writeString(path, "0\n2\na 0 5\n");
        assertThatThrownBy(file::read).isInstanceOf(IOException.class).hasMessageContaining("says 2 entries but has 1");
        Files.writeString(path, "0\n1\na zero 5\n");
        assertThatThrownBy(file::read).isInstanceOf(IOException.class).hasMessageContaining("bad number");
        Files.writeString(path, "9\n0\n");
        assertThatThrownBy(file::read).isInstanceOf(IOException.class).hasMessageContaining("unknown version");
    }
}

package io.strata.storage.checkpoint;

import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A file of one offset per partition, in Kafka's checkpoint format: a version line ({@code 0}), a count line, then
 * one {@code <topic> <partition> <offset>} line per partition. Used for recovery points, log start offsets and the
 * cleaner's progress.
 *
 * <p>Written whole through {@link CheckpointFile}, so a crash leaves either the old or the new content. Thread-safe:
 * reads and writes are serialised.
 */
public final class OffsetCheckpointFile {

    private static final int VERSION = 0;

    private static final CheckpointFile.Format<Map.Entry<TopicPartition, Long>> FORMAT = new CheckpointFile.Format<>() {
        @Override
        public String toLine(Map.Entry<TopicPartition, Long> entry) {
            return entry.getKey().topic() + ' ' + entry.getKey().partition() + ' ' + entry.getValue();
        }

        @Override
        public Map.Entry<TopicPartition, Long> fromLine(String line) {
            String[] parts = line.split(" ");
            if (parts.length != 3) {
                throw new IllegalArgumentException("is not '<topic> <partition> <offset>'");
            }
            try {
                return Map.entry(new TopicPartition(parts[0], Integer.parseInt(parts[1])), Long.parseLong(parts[2]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("has a bad number");
            }
        }
    };

    private final CheckpointFile<Map.Entry<TopicPartition, Long>> file;

    public OffsetCheckpointFile(Path file) {
        this.file = new CheckpointFile<>(file, VERSION, FORMAT);
    }

    public Path path() {
        return file.path();
    }

    public void write(Map<TopicPartition, Long> offsets) throws IOException {
        List<Map.Entry<TopicPartition, Long>> sorted = new ArrayList<>(offsets.entrySet());
        sorted.sort(Comparator.comparing((Map.Entry<TopicPartition, Long> e) -> e.getKey().topic())
                .thenComparingInt(e -> e.getKey().partition()));
        file.write(sorted);
    }

    /**
     * The offsets in the file; none if it does not exist.
     *
     * @throws IOException naming the file and the line if it is malformed
     */
    public Map<TopicPartition, Long> read() throws IOException {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> entry : file.read().orElse(List.of())) {
            offsets.put(entry.getKey(), entry.getValue());
        }
        return offsets;
    }
}

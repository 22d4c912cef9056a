package io.strata.storage.checkpoint;

import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A file of one offset per partition, in Kafka's checkpoint format: a version line ({@code 0}), a count line, then
 * one {@code <topic> <partition> <offset>} line per partition. Used for recovery points, log start offsets and the
 * cleaner's progress.
 *
 * <p>Written whole to a temporary file, forced, and renamed over the old one, so a crash leaves either the old or
 * the new content. Thread-safe: writes are serialised.
 */
public final class OffsetCheckpointFile {

    private static final int VERSION = 0;

    private final Path file;

    public OffsetCheckpointFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    public synchronized void write(Map<TopicPartition, Long> offsets) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n').append(offsets.size()).append('\n');
        Map<String, Long> sorted = new TreeMap<>();
        for (Map.Entry<TopicPartition, Long> entry : offsets.entrySet()) {
            TopicPartition tp = entry.getKey();
            sorted.put(tp.topic() + ' ' + tp.partition(), entry.getValue());
        }
        sorted.forEach((key, offset) -> text.append(key).append(' ').append(offset).append('\n'));
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    /**
     * The offsets in the file; none if it does not exist.
     *
     * @throws IOException naming the file and the line if it is malformed
     */
    public synchronized Map<TopicPartition, Long> read() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        if (lines.size() < 2) {
            throw malformed("fewer than two lines");
        }
        if (!lines.get(0).trim().equals(String.valueOf(VERSION))) {
            throw malformed("unknown version '" + lines.get(0) + "'");
        }
        int count;
        try {
            count = Integer.parseInt(lines.get(1).trim());
        } catch (NumberFormatException e) {
            throw malformed("count '" + lines.get(1) + "' is not a number");
        }
        if (lines.size() - 2 != count) {
            throw malformed("says " + count + " entries but has " + (lines.size() - 2));
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (int i = 2; i < lines.size(); i++) {
            String[] parts = lines.get(i).trim().split(" ");
            if (parts.length != 3) {
                throw malformed("line " + (i + 1) + " '" + lines.get(i) + "' is not '<topic> <partition> <offset>'");
            }
            try {
                offsets.put(new TopicPartition(parts[0], Integer.parseInt(parts[1])), Long.parseLong(parts[2]));
            } catch (NumberFormatException e) {
                throw malformed("line " + (i + 1) + " '" + lines.get(i) + "' has a bad number");
            }
        }
        return offsets;
    }

    private IOException malformed(String problem) {
        return new IOException("Checkpoint file " + file + " is malformed: " + problem);
    }
}

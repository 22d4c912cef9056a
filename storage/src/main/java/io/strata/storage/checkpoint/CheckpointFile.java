package io.strata.storage.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A text file in Kafka's checkpoint format: a version line, a count line, then one line per entry, each written and
 * parsed by a {@link Format}. What the entries are (offsets per partition, leader epochs) is the caller's business;
 * this class owns the framing and the safe replacement of the file.
 *
 * <p>Written whole to a temporary file ({@code <name>.tmp}, overwritten by the next write if a crash leaves it),
 * forced, and renamed over the old one, after which the directory is forced: a crash leaves either the old or the
 * new content. Thread-safe: reads and writes are serialised.
 *
 * @param <T> the entry type
 */
public final class CheckpointFile<T> {

    /** How one entry is written as a line and read back. */
    public interface Format<T> {

        String toLine(T entry);

        /**
         * The entry on {@code line}.
         *
         * @throws IllegalArgumentException saying what is wrong with the line, completing "line N '...' ..."
         */
        T fromLine(String line);
    }

    private final Path file;
    private final int version;
    private final Format<T> format;

    public CheckpointFile(Path file, int version, Format<T> format) {
        this.file = file;
        this.version = version;
        this.format = format;
    }

    public Path path() {
        return file;
    }

    public synchronized void write(Collection<T> entries) throws IOException {
        StringBuilder text = new StringBuilder();
        text.append(version).append('\n').append(entries.size()).append('\n');
        for (T entry : entries) {
            text.append(format.toLine(entry)).append('\n');
        }
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
     * The entries in the file, in file order; empty if the file does not exist.
     *
     * @throws IOException naming the file and the line if it is malformed
     */
    public synchronized Optional<List<T>> read() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (lines.size() < 2) {
            throw malformed("fewer than two lines");
        }
        if (!lines.get(0).trim().equals(String.valueOf(version))) {
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
        List<T> entries = new ArrayList<>(count);
        for (int i = 2; i < lines.size(); i++) {
            try {
                entries.add(format.fromLine(lines.get(i).trim()));
            } catch (IllegalArgumentException e) {
                throw malformed("line " + (i + 1) + " '" + lines.get(i) + "' " + e.getMessage());
            }
        }
        return Optional.of(entries);
    }

    /** An exception naming this file and {@code problem}, for what the entries read show only together. */
    public IOException malformed(String problem) {
        return new IOException("Checkpoint file " + file + " is malformed: " + problem);
    }
}

package io.strata.storage.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Reading and atomically replacing the small index files. Stateless; thread-safe. */
final class IndexFiles {

    private IndexFiles() {
    }

    /** Writes {@code content} to a temporary file, forces it, and renames it over {@code file}. */
    static void replace(Path file, ByteBuffer content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            while (content.hasRemaining()) {
                channel.write(content);
            }
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    /** The whole file, checked to hold whole entries. */
    static ByteBuffer readAll(Path file, int entryBytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size % entryBytes != 0) {
                throw new IndexCorruptException(file + ": " + size + " bytes is not a whole number of "
                        + entryBytes + "-byte entries");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, buffer.position()) < 0) {
                    throw new IndexCorruptException(file + ": shorter than its size");
                }
            }
            return buffer.flip();
        }
    }
}

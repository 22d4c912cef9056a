package io.strata.broker.server;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * {@code meta.properties} in each log directory, as Kafka keeps it: the node id and cluster id the directory belongs
 * to, so that a directory is never served by another broker or joined to another cluster by mistake.
 */
final class MetaProperties {

    static final String FILE = "meta.properties";

    private MetaProperties() {
    }

    /** Creates the directory and its meta.properties, or checks that an existing one names {@code nodeId}. */
    static void checkOrCreate(Path dir, int nodeId) {
        try {
            Files.createDirectories(dir);
            Properties properties = read(dir);
            String recorded = properties.getProperty("node.id");
            if (recorded == null) {
                properties.setProperty("version", "1");
                properties.setProperty("node.id", String.valueOf(nodeId));
                write(dir, properties);
            } else if (!recorded.equals(String.valueOf(nodeId))) {
                throw new IllegalStateException("The log directory " + dir.toAbsolutePath() + " belongs to node "
                        + recorded + ", but this broker is node " + nodeId + ": set node.id=" + recorded
                        + " or give this broker another log.dirs");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot use the log directory " + dir.toAbsolutePath() + ": "
                    + e.getMessage() + " (check that it exists and is writable)", e);
        }
    }

    /** Records the cluster id, or checks it matches the recorded one. */
    static void recordClusterId(Path dir, String clusterId) {
        try {
            Properties properties = read(dir);
            String recorded = properties.getProperty("cluster.id");
            if (recorded == null) {
                properties.setProperty("cluster.id", clusterId);
                write(dir, properties);
            } else if (!recorded.equals(clusterId)) {
                throw new IllegalStateException("The log directory " + dir.toAbsolutePath() + " belongs to cluster "
                        + recorded + ", not to this cluster " + clusterId);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    private static Properties read(Path dir) throws IOException {
        Properties properties = new Properties();
        Path file = dir.resolve(FILE);
        if (Files.exists(file)) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            }
        }
        return properties;
    }

    private static void write(Path dir, Properties properties) throws IOException {
        Path temporary = dir.resolve(FILE + ".tmp");
        try (Writer writer = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            properties.store(writer, "Strata broker identity; do not edit");
        }
        Files.move(temporary, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}

package io.strata.broker.metadata;

import java.util.Map;

/**
 * Where the cluster metadata lives for one broker: the image it has applied, the listeners told of each change, and
 * the way the controller makes a change durable. A cluster of one keeps it in the broker's {@link MetadataLog}
 * ({@link LocalMetadataStore}); a cluster keeps it in every broker's log and in the cluster's shared map, so that
 * each broker applies every change the controller commits. Implementations are thread-safe.
 */
public interface MetadataStore extends AutoCloseable {

    /** The metadata this broker has applied. */
    MetadataImage image();

    void addListener(MetadataListener listener);

    /**
     * Makes {@code records} (a {@code null} value deletes the key) durable, as one change, and applies them; returns
     * once this broker's image includes them. Only the controller commits.
     */
    void commit(Map<String, byte[]> records);

    @Override
    void close();
}

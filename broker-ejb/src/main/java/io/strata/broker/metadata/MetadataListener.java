package io.strata.broker.metadata;

/** Told of every metadata change, in order, after it is durable. */
@FunctionalInterface
public interface MetadataListener {
    void onMetadataUpdate(MetadataImage previous, MetadataImage current);
}

package io.strata.broker.coordinator;

import java.util.Objects;

/**
 * One record a coordinator writes to its internal topic: a key and a value, or a tombstone ({@code value} null) that
 * compaction uses to forget the key.
 *
 * <p>Immutable once built; the arrays are not copied, so their owner must not change them.
 */
public record CoordinatorRecord(byte[] key, byte[] value) {

    public CoordinatorRecord {
        Objects.requireNonNull(key, "a coordinator record needs a key");
    }

    public static CoordinatorRecord tombstone(byte[] key) {
        return new CoordinatorRecord(key, null);
    }
}

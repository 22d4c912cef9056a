package io.strata.broker.metadata;

import io.strata.broker.metadata.VersionedRecords.Versioned;

import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The metadata as this broker keeps it on its own disk: every record with its version in the {@link MetadataLog},
 * the image they make, and the listeners told of each change. On its own it is the store of a cluster of one, whose
 * broker is its controller; in a cluster, {@code ClusterMetadataStore} feeds it the changes the controller commits.
 *
 * <p>Thread-safe: changes are serialised by the object's monitor; readers take the current image without locking.
 */
public final class LocalMetadataStore implements MetadataStore {

    private static final System.Logger LOG = System.getLogger(LocalMetadataStore.class.getName());

    private final MetadataLog log;
    private final Map<String, Versioned> records;
    private final List<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    private volatile MetadataImage image;
    private long maxVersion;

    public LocalMetadataStore(MetadataLog log) {
        this.log = log;
        this.records = VersionedRecords.decodeAll(log.readAll());
        this.image = VersionedRecords.image(records);
        for (Versioned record : records.values()) {
            maxVersion = Math.max(maxVersion, record.version());
        }
    }

    @Override
    public MetadataImage image() {
        return image;
    }

    @Override
    public void addListener(MetadataListener listener) {
        listeners.add(listener);
    }

    /** The highest version of any record this broker holds: how recent its metadata is. */
    public synchronized long maxVersion() {
        return maxVersion;
    }

    /** Every record with its version, tombstones included. */
    public synchronized Map<String, Versioned> records() {
        return new LinkedHashMap<>(records);
    }

    @Override
    public synchronized void commit(Map<String, byte[]> changes) {
        Map<String, Versioned> versioned = new LinkedHashMap<>();
        long version = maxVersion + 1;
        for (Map.Entry<String, byte[]> change : changes.entrySet()) {
            versioned.put(change.getKey(), new Versioned(version, change.getValue()));
        }
        applyNewer(versioned);
    }

    /**
     * Applies the records that are newer than this broker's copy of them: writes them to the log, forced to disk,
     * then updates the image and tells the listeners. Returns whether anything changed.
     */
    public synchronized boolean applyNewer(Map<String, Versioned> incoming) {
        Map<String, byte[]> toWrite = new LinkedHashMap<>();
        MetadataImage next = image;
        for (Map.Entry<String, Versioned> record : incoming.entrySet()) {
            Versioned mine = records.get(record.getKey());
            Versioned theirs = record.getValue();
            if (mine != null && mine.version() >= theirs.version()) {
                continue;
            }
            toWrite.put(record.getKey(), VersionedRecords.encode(theirs.version(), theirs.value()));
            records.put(record.getKey(), theirs);
            maxVersion = Math.max(maxVersion, theirs.version());
            next = VersionedRecords.apply(next, record.getKey(), theirs.value());
        }
        if (toWrite.isEmpty()) {
            return false;
        }
        log.write(toWrite);
        MetadataImage previous = image;
        image = next;
        for (MetadataListener listener : listeners) {
            try {
                listener.onMetadataUpdate(previous, next);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "A metadata listener failed on a change", e);
            }
        }
        return true;
    }

    @Override
    public void close() {
        log.close();
    }
}

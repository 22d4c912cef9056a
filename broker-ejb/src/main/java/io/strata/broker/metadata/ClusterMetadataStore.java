package io.strata.broker.metadata;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.transaction.TransactionContext;
import com.hazelcast.transaction.TransactionOptions;
import com.hazelcast.transaction.TransactionalMap;
import io.strata.broker.cluster.ControllerElection;
import io.strata.broker.metadata.VersionedRecords.Versioned;
import org.apache.kafka.common.errors.NotControllerException;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * The metadata of a cluster: every broker keeps all of it on its own disk ({@link LocalMetadataStore}), and the
 * cluster shares it in the Hazelcast map {@code strata.metadata}, from which each broker applies every change the
 * controller commits, as it happens.
 *
 * <p>A record's version is {@code controllerEpoch << 32 | sequence}: a record committed by a newer controller always
 * wins over one from an older, and among one controller's changes the later wins. Each key in the map is only ever
 * replaced by a newer version (compare-and-set), so a controller that lost its election cannot overwrite what its
 * successor wrote. The map is held in memory only: when the whole cluster restarts, every broker publishes what it
 * stored, and the newest version of each record wins, so a broker that was down catches up and none goes back.
 *
 * <p>Thread-safe.
 */
public final class ClusterMetadataStore implements MetadataStore {

    private static final System.Logger LOG = System.getLogger(ClusterMetadataStore.class.getName());
    public static final String METADATA_MAP = "strata.metadata";

    private final LocalMetadataStore local;
    private static final TransactionOptions TRANSACTION = new TransactionOptions()
            .setTransactionType(TransactionOptions.TransactionType.TWO_PHASE).setTimeout(15, TimeUnit.SECONDS);

    private final HazelcastInstance hazelcast;
    private final IMap<String, String> shared;
    private volatile int writerEpoch = -1;
    private volatile IntPredicate stillController = epoch -> false;
    private UUID registration;

    public ClusterMetadataStore(LocalMetadataStore local, HazelcastInstance hazelcast) {
        this.local = local;
        this.hazelcast = hazelcast;
        this.shared = hazelcast.getMap(METADATA_MAP);
    }

    /** Follows the shared map, catches up from it, and publishes whatever this broker has that is newer. */
    public void start() {
        registration = shared.addEntryListener(new Changes(), true);
        catchUp();
        publishNewer();
    }

    private final class Changes implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            apply(event.getKey(), event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            apply(event.getKey(), event.getValue());
        }
    }

    private void apply(String key, String value) {
        Map<String, Versioned> one = new LinkedHashMap<>();
        one.put(key, VersionedRecords.decode(value.getBytes(StandardCharsets.UTF_8)));
        try {
            local.applyNewer(one);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Applying the metadata change of " + key + " failed", e);
        }
    }

    /** Applies every shared record newer than this broker's copy. */
    public void catchUp() {
        Map<String, Versioned> all = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : shared.entrySet()) {
            all.put(entry.getKey(), VersionedRecords.decode(entry.getValue().getBytes(StandardCharsets.UTF_8)));
        }
        local.applyNewer(all);
    }

    /** Puts each stored record the shared map lacks or holds an older version of. */
    private void publishNewer() {
        int published = 0;
        for (Map.Entry<String, Versioned> record : local.records().entrySet()) {
            if (putIfNewer(record.getKey(), record.getValue())) {
                published++;
            }
        }
        if (published > 0) {
            LOG.log(Level.INFO, "Published {0} metadata record(s) the cluster did not have", published);
        }
    }

    /** Returns whether {@code record} went in; false if the map holds the same or a newer version. */
    private boolean putIfNewer(String key, Versioned record) {
        String encoded = new String(VersionedRecords.encode(record.version(), record.value()), StandardCharsets.UTF_8);
        while (true) {
            String existing = shared.putIfAbsent(key, encoded);
            if (existing == null) {
                return true;
            }
            long theirs = VersionedRecords.decode(existing.getBytes(StandardCharsets.UTF_8)).version();
            if (theirs >= record.version()) {
                return false;
            }
            if (shared.replace(key, existing, encoded)) {
                return true;
            }
        }
    }

    /**
     * Lets this broker commit, as controller of {@code epoch}, while {@code stillController} says the epoch is
     * current; first takes in everything in the shared map.
     */
    public void becomeWriter(int epoch, IntPredicate stillController) {
        catchUp();
        publishNewer();
        this.stillController = stillController;
        this.writerEpoch = epoch;
    }

    public void stopWriting() {
        writerEpoch = -1;
    }

    /** The highest controller epoch among the stored records. */
    public int storedEpoch() {
        return (int) (local.maxVersion() >>> 32);
    }

    @Override
    public MetadataImage image() {
        return local.image();
    }

    @Override
    public void addListener(MetadataListener listener) {
        local.addListener(listener);
    }

    /**
     * Commits {@code records} in one Hazelcast transaction that first locks the shared controller epoch and finds it
     * still this broker's: the election raises the epoch under the same lock, so once a new controller's term has
     * begun the cluster refuses every change of the old one, even to records the new one has not touched; and every
     * record is locked and only replaced by a newer version. While it holds the epoch, the controller confirms (with
     * the CP Subsystem, through Raft) that it still holds the controller lock of its term.
     *
     * @throws NotControllerException if this broker is not the controller, or a newer controller has been elected
     */
    @Override
    public synchronized void commit(Map<String, byte[]> records) {
        int epoch = writerEpoch;
        if (epoch < 0) {
            throw new NotControllerException("This broker is not the controller");
        }
        long version = Math.max(local.maxVersion() + 1, (long) epoch << 32);
        if (version >>> 32 != epoch) {
            // This broker has applied a change from a later controller: its own term is over.
            throw staleController(epoch, (int) (version >>> 32));
        }
        Map<String, Versioned> versioned = new LinkedHashMap<>();
        TransactionContext transaction = hazelcast.newTransactionContext(TRANSACTION);
        transaction.beginTransaction();
        boolean committed = false;
        try {
            String current = transaction.<String, String>getMap(ControllerElection.CONTROLLER_MAP)
                    .getForUpdate(ControllerElection.EPOCH_KEY);
            int currentEpoch = current == null ? -1 : Integer.parseInt(current);
            if (currentEpoch != epoch) {
                throw staleController(epoch, currentEpoch);
            }
            TransactionalMap<String, String> map = transaction.getMap(METADATA_MAP);
            for (Map.Entry<String, byte[]> record : records.entrySet()) {
                String existing = map.getForUpdate(record.getKey());
                if (existing != null && VersionedRecords.decode(existing.getBytes(StandardCharsets.UTF_8))
                        .version() >= version) {
                    throw new NotControllerException("A newer controller has changed " + record.getKey()
                            + "; this broker's term (epoch " + epoch + ") is over");
                }
                Versioned next = new Versioned(version, record.getValue());
                map.set(record.getKey(), new String(VersionedRecords.encode(version, record.getValue()),
                        StandardCharsets.UTF_8));
                versioned.put(record.getKey(), next);
            }
            if (!stillController.test(epoch)) {
                throw new NotControllerException("This broker no longer holds the controller lock of epoch "
                        + epoch);
            }
            transaction.commitTransaction();
            committed = true;
        } finally {
            if (!committed) {
                rollBack(transaction);
            }
        }
        local.applyNewer(versioned);
    }

    private static NotControllerException staleController(int epoch, int current) {
        return new NotControllerException("A newer controller (epoch " + current + ") has been elected; this"
                + " broker's term (epoch " + epoch + ") is over, and the cluster refuses its changes");
    }

    private static void rollBack(TransactionContext transaction) {
        try {
            transaction.rollbackTransaction();
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Rolling back a metadata transaction failed: {0}", e.toString());
        }
    }

    @Override
    public void close() {
        try {
            if (registration != null) {
                shared.removeEntryListener(registration);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Removing the metadata listener failed: {0}", e.toString());
        }
        local.close();
    }
}

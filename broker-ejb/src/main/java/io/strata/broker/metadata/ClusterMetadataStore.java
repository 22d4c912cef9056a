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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
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
 * <p>Hazelcast's entry events are the fast path, not the only one: Hazelcast may drop them when a member fails over or
 * its event queue overflows. So the events only note the changed records, coalesced by key (a bound: one entry per
 * metadata record), and one applier thread of this store applies them in batches, off Hazelcast's event threads;
 * every {@code catchUpIntervalMs} it also compares the newest committed version, which every commit writes beside
 * the controller epoch ({@link #COMMITTED_VERSION_KEY}), with its own, and reads the whole map when it is behind, and
 * once every {@link #FULL_CATCH_UP_EVERY} checks in any case (an event lost for one record of a commit whose other
 * records arrived leaves the versions equal). A broker therefore converges on the latest metadata within
 * {@code catchUpIntervalMs} of a lost event for the newest commit, and within {@code FULL_CATCH_UP_EVERY} intervals
 * at worst.
 *
 * <p>Thread-safe.
 */
public final class ClusterMetadataStore implements MetadataStore {

    private static final System.Logger LOG = System.getLogger(ClusterMetadataStore.class.getName());
    public static final String METADATA_MAP = "strata.metadata";

    /** The key, in the controller map, of the newest committed metadata version. */
    public static final String COMMITTED_VERSION_KEY = "metadata-version";
    /** How often the applier checks that it has missed no commit, by default. */
    public static final long CATCH_UP_INTERVAL_MS_DEFAULT = 1000;
    /** Every this many checks, the applier reads the whole shared map even when the versions agree. */
    static final int FULL_CATCH_UP_EVERY = 30;

    private final LocalMetadataStore local;
    private static final TransactionOptions TRANSACTION = new TransactionOptions()
            .setTransactionType(TransactionOptions.TransactionType.TWO_PHASE).setTimeout(15, TimeUnit.SECONDS);

    private final HazelcastInstance hazelcast;
    private final IMap<String, String> shared;
    private final IMap<String, String> controllerMap;
    private final ThreadFactory threads;
    private final long catchUpIntervalMs;
    private final boolean followEvents;
    /** Records announced by events and not applied yet, the newest version of each: at most one per record. */
    private final ConcurrentHashMap<String, Versioned> pending = new ConcurrentHashMap<>();
    private final Object applierSignal = new Object();
    private volatile int writerEpoch = -1;
    private volatile IntPredicate stillController = epoch -> false;
    private volatile boolean running;
    private UUID registration;
    private Thread applier;

    public ClusterMetadataStore(LocalMetadataStore local, HazelcastInstance hazelcast) {
        this(local, hazelcast, Executors.defaultThreadFactory(), CATCH_UP_INTERVAL_MS_DEFAULT);
    }

    /**
     * @param threads           makes the one thread that applies the cluster's changes
     * @param catchUpIntervalMs how often to check that no commit was missed
     */
    public ClusterMetadataStore(LocalMetadataStore local, HazelcastInstance hazelcast, ThreadFactory threads,
                                long catchUpIntervalMs) {
        this(local, hazelcast, threads, catchUpIntervalMs, true);
    }

    /** {@code followEvents} false: a broker whose every Hazelcast event is lost, as tests need one. */
    ClusterMetadataStore(LocalMetadataStore local, HazelcastInstance hazelcast, ThreadFactory threads,
                         long catchUpIntervalMs, boolean followEvents) {
        if (catchUpIntervalMs < 1) {
            throw new IllegalArgumentException("catchUpIntervalMs must be at least 1, got " + catchUpIntervalMs);
        }
        this.local = local;
        this.hazelcast = hazelcast;
        this.shared = hazelcast.getMap(METADATA_MAP);
        this.controllerMap = hazelcast.getMap(ControllerElection.CONTROLLER_MAP);
        this.threads = threads;
        this.catchUpIntervalMs = catchUpIntervalMs;
        this.followEvents = followEvents;
    }

    /**
     * Follows the shared map, catches up from it, publishes whatever this broker has that is newer, and starts the
     * thread that applies later changes.
     */
    public void start() {
        if (followEvents) {
            registration = shared.addEntryListener(new Changes(), true);
        }
        catchUp();
        publishNewer();
        running = true;
        applier = threads.newThread(this::applyChanges);
        applier.setName("strata-metadata-applier");
        applier.setDaemon(true);
        applier.start();
    }

    /** Runs on Hazelcast's event threads: only notes the change, so that they are never held up by disk or listeners. */
    private final class Changes implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            note(event.getKey(), event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            note(event.getKey(), event.getValue());
        }
    }

    private void note(String key, String value) {
        Versioned record;
        try {
            record = VersionedRecords.decode(value.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "The shared metadata record " + key + " cannot be read; the catch-up will retry", e);
            return;
        }
        pending.merge(key, record, (older, newer) -> newer.version() >= older.version() ? newer : older);
        synchronized (applierSignal) {
            applierSignal.notifyAll();
        }
    }

    /** The applier thread: applies noted changes in batches, and checks every interval that none was missed. */
    private void applyChanges() {
        long nextCheckNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(catchUpIntervalMs);
        int checks = 0;
        boolean failing = false;
        while (running) {
            try {
                awaitChangeOrCheck(nextCheckNanos);
                applyPending();
                if (System.nanoTime() - nextCheckNanos >= 0) {
                    nextCheckNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(catchUpIntervalMs);
                    checks++;
                    if (checks % FULL_CATCH_UP_EVERY == 0 || committedVersion() > local.maxVersion()) {
                        catchUp();
                    }
                }
                if (failing) {
                    LOG.log(Level.INFO, "Following the cluster metadata again");
                    failing = false;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Hazelcast refuses calls while a member fails over or the cluster is split; the next round retries.
                if (!failing && running) {
                    LOG.log(Level.WARNING, "Following the cluster metadata failed; retrying every {0} ms: {1}",
                            catchUpIntervalMs, e.toString());
                }
                failing = true;
            }
        }
    }

    private void awaitChangeOrCheck(long nextCheckNanos) throws InterruptedException {
        synchronized (applierSignal) {
            long waitNanos = nextCheckNanos - System.nanoTime();
            if (pending.isEmpty() && waitNanos > 0 && running) {
                TimeUnit.NANOSECONDS.timedWait(applierSignal, waitNanos);
            }
        }
    }

    private void applyPending() {
        if (pending.isEmpty()) {
            return;
        }
        Map<String, Versioned> batch = new LinkedHashMap<>();
        for (String key : pending.keySet()) {
            Versioned record = pending.remove(key);
            if (record != null) {
                batch.put(key, record);
            }
        }
        local.applyNewer(batch);
    }

    /** The newest version any controller has committed, as the shared controller map says (-1: none known). */
    private long committedVersion() {
        String value = controllerMap.get(COMMITTED_VERSION_KEY);
        return value == null ? -1 : Long.parseLong(value);
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
        raiseCommittedVersion(local.maxVersion());
    }

    /** Makes the shared committed version at least {@code version}, so that the others' checks see what they lack. */
    private void raiseCommittedVersion(long version) {
        if (version < 0) {
            return;
        }
        String encoded = String.valueOf(version);
        while (true) {
            String existing = controllerMap.putIfAbsent(COMMITTED_VERSION_KEY, encoded);
            if (existing == null || Long.parseLong(existing) >= version
                    || controllerMap.replace(COMMITTED_VERSION_KEY, existing, encoded)) {
                return;
            }
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
            TransactionalMap<String, String> controllerState = transaction.getMap(ControllerElection.CONTROLLER_MAP);
            String current = controllerState.getForUpdate(ControllerElection.EPOCH_KEY);
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
            // Beside the records, for brokers whose events were lost: they compare it with their own newest version.
            controllerState.set(COMMITTED_VERSION_KEY, String.valueOf(version));
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
        running = false;
        try {
            if (registration != null) {
                shared.removeEntryListener(registration);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Removing the metadata listener failed: {0}", e.toString());
        }
        Thread thread = applier;
        if (thread != null) {
            // Woken, not interrupted: an interrupt while it writes the metadata log would close the log's file.
            synchronized (applierSignal) {
                applierSignal.notifyAll();
            }
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        local.close();
    }
}

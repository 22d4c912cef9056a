package io.strata.broker.cluster;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.cp.lock.FencedLock;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;

import java.lang.System.Logger.Level;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Chooses the one broker that acts as controller, and numbers each term with a controller epoch that only grows,
 * even across a restart of the whole cluster (it starts above every epoch in the brokers' stored metadata).
 *
 * <p>With the CP Subsystem (three or more CP members) the controller is the holder of the Raft-backed
 * {@code FencedLock} {@code strata-controller}: at most one holder at a time, even when the network splits, and a
 * holder whose JVM dies loses it when its CP session expires. Without it (a cluster of one or two brokers, where Raft
 * cannot keep a majority through one failure) the controller is the broker of the oldest Hazelcast member, which every
 * member derives from the same member list; a network split can then give each side its own controller, whose changes
 * are told apart by the epoch (a change from a higher epoch always wins).
 *
 * <p>The current controller and epoch are published in the map {@code strata.controller}, which every broker reads
 * for Metadata and DescribeCluster.
 *
 * <p>Thread-safe. The election runs on its own thread; {@link Callbacks} are called on it, one at a time.
 */
public final class ControllerElection implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ControllerElection.class.getName());
    static final String CONTROLLER_MAP = "strata.controller";
    private static final String EPOCH_KEY = "epoch";
    private static final String CURRENT_KEY = "current";

    /** What the local broker does when it becomes or stops being controller. */
    public interface Callbacks {
        void onElected(int epoch);

        void onResigned();
    }

    private final HazelcastCluster cluster;
    private final int localBrokerId;
    private final boolean useCpSubsystem;
    private final IntSupplier storedEpoch;
    private final Callbacks callbacks;
    private final IMap<String, String> controllerMap;
    private final Semaphore wakeUp = new Semaphore(0);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int controllerId = -1;
    private volatile int controllerEpoch = -1;
    private volatile boolean isController;
    private UUID registration;

    /**
     * @param storedEpoch the highest controller epoch in this broker's stored metadata
     */
    public ControllerElection(HazelcastCluster cluster, int localBrokerId, boolean useCpSubsystem,
                              IntSupplier storedEpoch, Callbacks callbacks, ThreadFactory threads) {
        this.cluster = cluster;
        this.localBrokerId = localBrokerId;
        this.useCpSubsystem = useCpSubsystem;
        this.storedEpoch = storedEpoch;
        this.callbacks = callbacks;
        this.controllerMap = cluster.hazelcast().getMap(CONTROLLER_MAP);
        this.thread = threads.newThread(useCpSubsystem ? this::runLockElection : this::runOldestMemberElection);
        thread.setName("strata-controller-election");
        thread.setDaemon(true);
    }

    public void start() {
        registration = controllerMap.addEntryListener(new CurrentController(), true);
        readCurrent(controllerMap.get(CURRENT_KEY));
        cluster.addListener(wakeUp::release);
        thread.start();
    }

    private final class CurrentController implements EntryAddedListener<String, String>,
            EntryUpdatedListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            onEntry(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            onEntry(event);
        }

        private void onEntry(EntryEvent<String, String> event) {
            if (event.getKey().equals(CURRENT_KEY)) {
                readCurrent(event.getValue());
            }
        }
    }

    private synchronized void readCurrent(String value) {
        if (value == null) {
            return;
        }
        String[] parts = value.split(",");
        int broker = Integer.parseInt(parts[0]);
        int epoch = Integer.parseInt(parts[1]);
        if (epoch >= controllerEpoch) {
            controllerEpoch = epoch;
            controllerId = broker;
        }
    }

    /** The broker acting as controller, or -1 while none is elected. */
    public int controllerId() {
        int id = controllerId;
        if (id >= 0 && cluster.liveBrokers().stream().anyMatch(b -> b.id() == id)) {
            return id;
        }
        return -1;
    }

    /** The epoch of the current controller's term. */
    public int controllerEpoch() {
        return controllerEpoch;
    }

    public boolean isController() {
        return isController;
    }

    // ------------------------------------------------------------------------------------------ oldest member

    private void runOldestMemberElection() {
        while (running) {
            try {
                boolean oldest = cluster.hazelcast().getCluster().getMembers().iterator().next().localMember();
                if (oldest && !isController) {
                    becomeController();
                } else if (!oldest && isController) {
                    resign();
                }
                wakeUp.tryAcquire(1, TimeUnit.SECONDS);
                wakeUp.drainPermits();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(Level.WARNING, "Controller election failed; trying again: {0}", e.toString());
                    sleepQuietly(1000);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ CP FencedLock

    private void runLockElection() {
        while (running) {
            FencedLock lock = null;
            try {
                promoteToCpMemberIfMissing();
                lock = cluster.hazelcast().getCPSubsystem().getLock("strata-controller");
                if (!lock.tryLock(1, TimeUnit.SECONDS)) {
                    continue;
                }
                LOG.log(Level.INFO, "Broker {0} holds the controller lock (fence {1})", localBrokerId,
                        lock.getFence());
                becomeController();
                while (running && lock.isLockedByCurrentThread()) {
                    sleepQuietly(500);
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(Level.WARNING, "Controller election through the CP Subsystem failed; trying again: {0}",
                            e.toString());
                }
            } finally {
                if (isController) {
                    resign();
                }
                if (lock != null && !running) {
                    try {
                        if (lock.isLockedByCurrentThread()) {
                            lock.unlock();
                        }
                    } catch (RuntimeException e) {
                        LOG.log(Level.DEBUG, "Releasing the controller lock failed: {0}", e.toString());
                    }
                }
            }
            if (running) {
                sleepQuietly(200);
            }
        }
    }

    /**
     * A broker that restarts comes back as a new Hazelcast member, outside the CP Subsystem; once the member it
     * replaces has been removed, it joins the CP Subsystem so that Raft keeps its majority through the next failure.
     */
    private void promoteToCpMemberIfMissing() {
        var cp = cluster.hazelcast().getCPSubsystem();
        if (cp.getLocalCPMember() != null) {
            return;
        }
        try {
            cp.getCPSubsystemManagementService().promoteToCPMember().toCompletableFuture().get(5, TimeUnit.SECONDS);
            LOG.log(Level.INFO, "Broker {0} joined the CP Subsystem", localBrokerId);
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "Not promoted to CP member yet: {0}", e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------ both

    private void becomeController() {
        int epoch = nextEpoch();
        controllerMap.put(CURRENT_KEY, localBrokerId + "," + epoch);
        readCurrent(localBrokerId + "," + epoch);
        isController = true;
        LOG.log(Level.INFO, "Broker {0} is controller, epoch {1}", localBrokerId, epoch);
        callbacks.onElected(epoch);
    }

    private void resign() {
        isController = false;
        LOG.log(Level.INFO, "Broker {0} is no longer controller", localBrokerId);
        callbacks.onResigned();
    }

    /** Raises the shared epoch above every epoch seen, atomically. */
    private int nextEpoch() {
        while (true) {
            String current = controllerMap.get(EPOCH_KEY);
            int base = Math.max(current == null ? 0 : Integer.parseInt(current), storedEpoch.getAsInt());
            String next = String.valueOf(base + 1);
            if (current == null ? controllerMap.putIfAbsent(EPOCH_KEY, next) == null
                    : controllerMap.replace(EPOCH_KEY, current, next)) {
                return base + 1;
            }
        }
    }

    /** Whether {@code epoch} is still the newest: a controller checks before each change it commits. */
    public boolean isCurrent(int epoch) {
        String current = controllerMap.get(EPOCH_KEY);
        return isController && current != null && Integer.parseInt(current) == epoch;
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        wakeUp.release();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (registration != null && cluster.hazelcast().getLifecycleService().isRunning()) {
                controllerMap.removeEntryListener(registration);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Removing the controller listener failed: {0}", e.toString());
        }
    }
}

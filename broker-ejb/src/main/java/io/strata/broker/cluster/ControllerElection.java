package io.strata.broker.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.cp.CPGroup;
import com.hazelcast.cp.CPMember;
import com.hazelcast.cp.CPSubsystem;
import com.hazelcast.cp.CPSubsystemManagementService;
import com.hazelcast.cp.IAtomicLong;
import com.hazelcast.cp.lock.FencedLock;
import com.hazelcast.cp.session.CPSession;
import com.hazelcast.cp.session.CPSessionManagementService;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.transaction.TransactionContext;
import com.hazelcast.transaction.TransactionOptions;
import com.hazelcast.transaction.TransactionalMap;

import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * Chooses the one broker that acts as controller, and numbers each term with a controller epoch that only grows,
 * even across a restart of the whole cluster (it starts above every epoch in the brokers' stored metadata).
 *
 * <p>With the CP Subsystem (three or more CP members) the controller is the holder of the Raft-backed
 * {@code FencedLock} {@code strata-controller}: at most one holder at a time, even when the network splits, and a
 * holder whose JVM dies loses it as soon as its Hazelcast member is declared gone: the brokers waiting for the lock
 * close the dead member's CP sessions then, rather than wait for them to expire (Payara's Hazelcast keeps a session for
 * five minutes). The lock's fencing token is the controller epoch (plus an offset that keeps epochs growing when the
 * tokens start over with new CP groups), and before each commit the controller confirms through Raft that it still
 * holds the lock with the fencing token of its term. Without it (a cluster of one or two brokers, where Raft cannot keep a majority through one failure)
 * the controller is the broker of the oldest Hazelcast member, which every member derives from the same member list; a
 * network split can then give each side its own controller, whose changes are told apart by the epoch (a change from a
 * higher epoch always wins).
 *
 * <p>The CP Subsystem keeps nothing on disk, and a restarted broker comes back as a new CP identity: when two of three
 * brokers die together its majority is lost for good, and {@link CpSubsystemRecovery} resets it once they are back,
 * as a KRaft quorum recovers by itself; the next term's epoch is still above every epoch a broker has stored.
 *
 * <p>The current controller and epoch are published in the map {@code strata.controller}, which every broker reads
 * for Metadata and DescribeCluster. A new term sets the epoch there in a Hazelcast transaction that locks it, and every
 * metadata commit locks it too and must find its own term's epoch ({@code ClusterMetadataStore}): so once a term has
 * begun, the cluster refuses every change of an older controller.
 *
 * <p>Thread-safe. The election runs on its own thread; {@link Callbacks} are called on it, one at a time.
 */
public final class ControllerElection implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ControllerElection.class.getName());
    public static final String CONTROLLER_MAP = "strata.controller";
    /** The key of the current controller epoch in {@link #CONTROLLER_MAP}, locked by every metadata commit. */
    public static final String EPOCH_KEY = "epoch";
    /**
     * With the CP Subsystem: what the epoch adds to the controller lock's fencing token (an IAtomicLong in the CP
     * Subsystem, 0 at first), so that epochs keep growing when a restart of the whole cluster or a CP reset starts the
     * fencing tokens over.
     */
    private static final String EPOCH_OFFSET = "strata-controller-epoch-offset";
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
    /** With the CP Subsystem: resets it when its majority is lost for good; else null. */
    private final CpSubsystemRecovery recovery;
    private final IMap<String, String> controllerMap;
    private final Semaphore wakeUp = new Semaphore(0);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int controllerId = -1;
    private volatile int controllerEpoch = -1;
    private volatile boolean isController;
    /** With the CP Subsystem: whether this broker's member is in every CP group, so that it counts for Raft. */
    private volatile boolean inCpGroups;
    private long cpMaintainedNanos;
    /**
     * Fence checks asked of the election thread, which holds the controller lock: a FencedLock answers its fencing
     * token only to the thread that holds it.
     */
    private final BlockingQueue<CompletableFuture<Long>> fenceChecks =
            new LinkedBlockingQueue<>();
    /** The fencing token of the controller lock this broker holds, or -1. */
    private volatile long heldFence = -1;
    private volatile FencedLock heldLock;
    private UUID registration;
    /** CP members seen missing from the Hazelcast cluster, with when they were first missed (election thread). */
    private final Map<UUID, Long> missingCpMembersSince = new HashMap<>();

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
        this.recovery = useCpSubsystem ? new CpSubsystemRecovery(cluster, storedEpoch, EPOCH_OFFSET, threads) : null;
        this.thread = threads.newThread(useCpSubsystem ? this::runLockElection : this::runOldestMemberElection);
        thread.setName("strata-controller-election");
        thread.setDaemon(true);
    }

    public void start() {
        registration = controllerMap.addEntryListener(new CurrentController(), true);
        readCurrent(controllerMap.get(CURRENT_KEY));
        cluster.addListener(wakeUp::release);
        thread.start();
        if (recovery != null) {
            recovery.start();
        }
    }

    /**
     * Resets the CP Subsystem now, through the broker of the oldest Hazelcast member, for an operator who knows that
     * its majority is lost: see {@link CpSubsystemRecovery}.
     *
     * @return what was done, for the operator
     * @throws IllegalStateException without a CP Subsystem, or if the reset failed
     */
    public String resetCpSubsystem() {
        return recovery().requestReset();
    }

    /**
     * What {@link #resetCpSubsystem} would do, without doing it.
     *
     * @throws IllegalStateException without a CP Subsystem
     */
    public String describeCpReset() {
        return recovery().describeReset();
    }

    private CpSubsystemRecovery recovery() {
        if (recovery == null) {
            throw new IllegalStateException("This cluster has no CP Subsystem (fewer than three CP members): its"
                    + " controller is the broker of the oldest Hazelcast member, and there is nothing to reset");
        }
        return recovery;
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
        if (id >= 0 && cluster.isLive(id)) {
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

    /** With the CP Subsystem, the fencing token of the controller lock while this broker holds it, else -1. */
    public long fencingToken() {
        return heldFence;
    }

    // ------------------------------------------------------------------------------------------ oldest member

    private void runOldestMemberElection() {
        while (running) {
            try {
                boolean oldest = cluster.hazelcast().getCluster().getMembers().iterator().next().localMember();
                if (isController && (!oldest || outdated(controllerEpoch))) {
                    resign();
                }
                if (oldest && !isController) {
                    becomeController(-1);
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
                    maintainCpMembership();
                    continue;
                }
                long fence = lock.getFence();
                heldFence = fence;
                heldLock = lock;
                int epoch = becomeController(epochOfFence(fence));
                LOG.log(Level.INFO, "Broker {0} holds the controller lock with fencing token {1} for epoch {2}",
                        localBrokerId, fence, epoch);
                while (running && lock.isLockedByCurrentThread() && !outdated(epoch)) {
                    maintainCpMembership();
                    var check = fenceChecks.poll(500, TimeUnit.MILLISECONDS);
                    for (; check != null; check = fenceChecks.poll()) {
                        answerFenceCheck(lock, check);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(Level.WARNING, "Controller election through the CP Subsystem failed; trying again: {0}",
                            e.toString());
                }
            } finally {
                heldFence = -1;
                heldLock = null;
                for (var check = fenceChecks.poll(); check != null; check = fenceChecks.poll()) {
                    check.complete(-1L);
                }
                if (isController) {
                    resign();
                }
                if (lock != null) {
                    // Stopping, failed, or outdated: the next term needs the lock free.
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
     * A broker that restarts comes back as a new Hazelcast member, outside the CP Subsystem. It first removes the CP
     * member of its previous run (same address, no longer in the cluster) if no one has yet: two CP members on one
     * address confuse Raft, and the new one would stop answering its groups when the old one is removed. Then it
     * joins the CP Subsystem, so that Raft keeps its majority through the next failure.
     */
    private void promoteToCpMemberIfMissing() {
        CPSubsystem cp = cluster.hazelcast().getCPSubsystem();
        if (cp.getLocalCPMember() != null) {
            return;
        }
        CPSubsystemManagementService management = cp.getCPSubsystemManagementService();
        if (!management.isDiscoveryCompleted()) {
            // The initial discovery makes this member a CP member, or it learns that discovery is over.
            return;
        }
        try {
            // Not a CP member itself, so a CP member on its address is its previous run's.
            Address self = cluster.hazelcast().getCluster().getLocalMember().getAddress();
            for (CPMember member : management.getCPMembers().toCompletableFuture().get(5, TimeUnit.SECONDS)) {
                if (member.getAddress().equals(self)) {
                    management.removeCPMember(member.getUuid()).toCompletableFuture().get(5, TimeUnit.SECONDS);
                    LOG.log(Level.INFO, "Broker {0} removed CP member {1}, its own before it restarted",
                            localBrokerId, member.getUuid());
                }
            }
            management.promoteToCPMember().toCompletableFuture().get(5, TimeUnit.SECONDS);
            LOG.log(Level.INFO, "Broker {0} joined the CP Subsystem", localBrokerId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "Not promoted to CP member yet: {0}", e.toString());
        }
    }

    /**
     * Whether this broker is in the CP Subsystem's groups, so that it counts toward the Raft majority that elects the
     * controller; always true without the CP Subsystem. A restarted broker is not until it has been promoted again
     * and added to the groups: until then the cluster survives no further failure, and the broker is not ready.
     */
    public boolean inControllerQuorum() {
        return !useCpSubsystem || inCpGroups;
    }

    /**
     * Whether live broker {@code brokerId} counts toward the controller quorum: with the CP Subsystem, whether it is a
     * CP member (as it published); always without it. A restarted broker that does not yet is not back, so the
     * controller keeps it out of every ISR until it does: a failure before then would leave no quorum.
     */
    public boolean countsTowardQuorum(int brokerId) {
        if (recovery == null) {
            return true;
        }
        UUID member = cluster.memberOf(brokerId);
        return member != null && recovery.isCpMember(member);
    }

    /**
     * At most once a second, on the election thread: joins the CP Subsystem if this broker is outside it, frees what
     * departed members held, and looks at this one's place.
     */
    private void maintainCpMembership() {
        long now = System.nanoTime();
        if (cpMaintainedNanos != 0 && now - cpMaintainedNanos < TimeUnit.SECONDS.toNanos(1)) {
            return;
        }
        cpMaintainedNanos = now;
        // Also while this broker holds the controller lock: it may have won it before the CP Subsystem's discovery
        // ended, as a member outside it.
        promoteToCpMemberIfMissing();
        releaseWhatDepartedMembersHeld();
        checkCpGroups();
    }

    /**
     * Looks whether this member counts toward the controller quorum: it is in the METADATA and DEFAULT CP groups, or,
     * in a cluster of more brokers than a CP group has members, it is a CP member standing by while both groups have
     * all their members present (Hazelcast puts a standby into a group when a member of it is removed).
     */
    private void checkCpGroups() {
        boolean member;
        try {
            CPSubsystem cp = cluster.hazelcast().getCPSubsystem();
            CPMember local = cp.getLocalCPMember();
            member = local != null;
            if (member) {
                Set<Address> present = cluster.hazelcast().getCluster().getMembers().stream()
                        .map(Member::getAddress).collect(Collectors.toSet());
                boolean inEveryGroup = true;
                boolean everyGroupFull = true;
                for (String name : new String[] {CPGroup.METADATA_CP_GROUP_NAME, CPGroup.DEFAULT_GROUP_NAME}) {
                    CPGroup group = cp.getCPSubsystemManagementService().getCPGroup(name).toCompletableFuture()
                            .get(5, TimeUnit.SECONDS);
                    if (group == null) {
                        inEveryGroup = false;
                        everyGroupFull = false;
                        break;
                    }
                    inEveryGroup &= group.members().stream().anyMatch(m -> m.getUuid().equals(local.getUuid()));
                    everyGroupFull &= group.members().size() >= cpGroupSize()
                            && group.members().stream().allMatch(m -> present.contains(m.getAddress()));
                }
                member = inEveryGroup || (everyGroupFull && isActiveCpMember(cp, local));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "Reading the CP groups failed: {0}", e.toString());
            member = false;
        }
        if (member != inCpGroups) {
            inCpGroups = member;
            LOG.log(member ? Level.INFO : Level.WARNING, member
                    ? "Broker {0} is in every CP group, or stands by for full ones: it counts toward the controller"
                    + " quorum"
                    : "Broker {0} is not in every CP group: it does not count toward the controller quorum",
                    localBrokerId);
        }
    }

    /**
     * Closes the CP sessions of members that have left the Hazelcast cluster, which frees the controller lock of a
     * controller that died at once; and, once no member has had a CP member's address for a heartbeat timeout more,
     * removes it from the CP Subsystem so that another broker can take its place, when there is one: in a cluster
     * of three a missing CP member stays, so that it counts again as soon as its links heal. (A broker restarted on the same
     * address removes its previous run's CP member itself, before it joins again.)
     */
    private void releaseWhatDepartedMembersHeld() {
        CPSubsystem cp = cluster.hazelcast().getCPSubsystem();
        CPSubsystemManagementService management = cp.getCPSubsystemManagementService();
        if (!management.isDiscoveryCompleted()) {
            return;
        }
        // A CP member's UUID is its own, not its Hazelcast member's: members are matched by address.
        Set<Address> addresses = cluster.hazelcast().getCluster().getMembers().stream().map(Member::getAddress)
                .collect(Collectors.toSet());
        try {
            CPSessionManagementService sessions = cp.getCPSessionManagementService();
            for (CPSession session : sessions.getAllSessions(CPGroup.DEFAULT_GROUP_NAME).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS)) {
                if (session.endpointType() == CPSession.CPSessionOwnerType.SERVER
                        && !addresses.contains(session.endpoint())) {
                    boolean closed = sessions.forceCloseSession(CPGroup.DEFAULT_GROUP_NAME, session.id())
                            .toCompletableFuture().get(5, TimeUnit.SECONDS);
                    if (closed) {
                        LOG.log(Level.INFO, "Closed the CP session of {0}, which left the cluster",
                                session.endpoint());
                    }
                }
            }
            long now = System.nanoTime();
            Collection<CPMember> cpMembers = management.getCPMembers().toCompletableFuture().get(5, TimeUnit.SECONDS);
            long present = cpMembers.stream().filter(member -> addresses.contains(member.getAddress())).count();
            for (CPMember member : cpMembers) {
                if (addresses.contains(member.getAddress())) {
                    missingCpMembersSince.remove(member.getUuid());
                    continue;
                }
                long since = missingCpMembersSince.computeIfAbsent(member.getUuid(), uuid -> now);
                // Only when the members present can fill the CP groups without it: removing it from three gains
                // nothing, and a member cut off by the network, not dead, could not come back once removed
                // (Hazelcast promotes no member that still holds its old CP identity).
                if (present >= cpGroupSize() && now - since > TimeUnit.SECONDS.toNanos(heartbeatTimeoutSeconds())) {
                    management.removeCPMember(member.getUuid()).toCompletableFuture().get(5, TimeUnit.SECONDS);
                    missingCpMembersSince.remove(member.getUuid());
                    LOG.log(Level.INFO, "Removed CP member {0} ({1}), gone from the cluster", member.getUuid(),
                            member.getAddress());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Another broker may have done it first, or the CP Subsystem has no majority now: try again later.
            LOG.log(Level.DEBUG, "Releasing what departed members held failed: {0}", e.toString());
        }
    }

    /** Whether the CP Subsystem lists {@code local} among its active members (a removed member still knows itself). */
    private static boolean isActiveCpMember(CPSubsystem cp, CPMember local) throws Exception {
        return cp.getCPSubsystemManagementService().getCPMembers().toCompletableFuture().get(5, TimeUnit.SECONDS)
                .stream().anyMatch(m -> m.getUuid().equals(local.getUuid()));
    }

    /** How many CP members each CP group has. */
    private int cpGroupSize() {
        var config = cluster.hazelcast().getConfig().getCPSubsystemConfig();
        return config.getGroupSize() > 0 ? config.getGroupSize() : config.getCPMemberCount();
    }

    /** Hazelcast's heartbeat timeout of this member: set in its configuration or by a system property (Payara). */
    private int heartbeatTimeoutSeconds() {
        String configured = cluster.hazelcast().getConfig().getProperty(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS
                .getName());
        if (configured == null) {
            configured = System.getProperty(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getName(),
                    ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getDefaultValue());
        }
        return Integer.parseInt(configured.trim());
    }

    // ------------------------------------------------------------------------------------------ both

    /** @param epoch the epoch of the new term, or -1 for one above every epoch seen */
    private int becomeController(int epoch) {
        epoch = raiseEpoch(epoch);
        controllerMap.put(CURRENT_KEY, localBrokerId + "," + epoch);
        readCurrent(localBrokerId + "," + epoch);
        isController = true;
        LOG.log(Level.INFO, "Broker {0} is controller, epoch {1}", localBrokerId, epoch);
        callbacks.onElected(epoch);
        return epoch;
    }

    private void resign() {
        isController = false;
        LOG.log(Level.INFO, "Broker {0} is no longer controller", localBrokerId);
        callbacks.onResigned();
    }

    /**
     * Sets the shared epoch to {@code epoch} (or, for -1, to one above every epoch seen) in a Hazelcast transaction
     * that locks it: a commit of the previous controller, which holds the same lock, finishes first, and every later
     * one finds the new epoch and is refused.
     *
     * @throws IllegalStateException if the shared epoch is already {@code epoch} or higher
     */
    private int raiseEpoch(int epoch) {
        TransactionContext transaction = cluster.hazelcast().newTransactionContext(new TransactionOptions()
                .setTransactionType(TransactionOptions.TransactionType.TWO_PHASE).setTimeout(30, TimeUnit.SECONDS));
        transaction.beginTransaction();
        boolean committed = false;
        try {
            TransactionalMap<String, String> map = transaction.getMap(CONTROLLER_MAP);
            String current = map.getForUpdate(EPOCH_KEY);
            int highest = Math.max(current == null ? 0 : Integer.parseInt(current), storedEpoch.getAsInt());
            int next = epoch < 0 ? highest + 1 : epoch;
            if (next <= highest) {
                throw new IllegalStateException("Controller epoch " + next + " is not above the highest epoch seen, "
                        + highest);
            }
            map.set(EPOCH_KEY, String.valueOf(next));
            transaction.commitTransaction();
            committed = true;
            return next;
        } finally {
            if (!committed) {
                try {
                    transaction.rollbackTransaction();
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, "Rolling back the epoch transaction failed: {0}", e.toString());
                }
            }
        }
    }

    /**
     * Whether this broker has taken in metadata committed under an epoch above {@code epoch}: written before a
     * restart of the whole cluster by a broker that returned after this one was elected. Its term ends, so that the
     * next one is numbered above it.
     */
    private boolean outdated(int epoch) {
        int stored = storedEpoch.getAsInt();
        if (stored > epoch) {
            LOG.log(Level.WARNING, "Broker {0} has metadata of controller epoch {1}, above its own term''s {2}: it"
                    + " starts a new term", localBrokerId, stored, epoch);
            return true;
        }
        return false;
    }

    /**
     * With the CP Subsystem, the epoch of a term is the controller lock's fencing token plus an offset kept in the CP
     * Subsystem. The offset only grows: it is raised whenever the token alone would not be above every epoch seen
     * before, as after a restart of the whole cluster (or a CP reset), which starts the tokens over.
     */
    private int epochOfFence(long fence) {
        IAtomicLong offset = cluster.hazelcast().getCPSubsystem().getAtomicLong(EPOCH_OFFSET);
        String current = controllerMap.get(EPOCH_KEY);
        // The shared epoch is in an AP map, which loses entries when two of three members die together: the epochs
        // the brokers published from their disks keep the new term above every one before it.
        long highest = Math.max(current == null ? 0 : Integer.parseInt(current),
                Math.max(storedEpoch.getAsInt(), recovery.highestPublishedEpoch()));
        long needed = highest + 1 - fence;
        long stored = offset.get();
        while (stored < needed && !offset.compareAndSet(stored, needed)) {
            stored = offset.get();
        }
        long epoch = Math.max(stored, needed) + fence;
        if (epoch > Integer.MAX_VALUE) {
            throw new IllegalStateException("Controller epoch " + epoch + " (fencing token " + fence
                    + ") overflows; reset the CP Subsystem");
        }
        return (int) epoch;
    }

    /**
     * Whether this broker still is the controller of {@code epoch}: a controller checks before each change it
     * commits, while it holds the shared epoch locked.
     */
    public boolean isCurrent(int epoch) {
        return isController && controllerEpoch == epoch && stillHoldsTheLock();
    }

    /**
     * With the CP Subsystem: whether this broker still holds the controller lock with the fencing token of its term,
     * asked of Raft (linearizable) just before a change is committed, so that a controller whose lock was taken over,
     * e.g. after its session was closed while it was cut off, commits nothing more. Always true without it.
     */
    private boolean stillHoldsTheLock() {
        if (!useCpSubsystem) {
            return true;
        }
        long expected = heldFence;
        if (expected < 0) {
            return false;
        }
        if (Thread.currentThread() == thread) {
            // Taking over: the election thread commits the first changes itself.
            FencedLock lock = heldLock;
            try {
                return lock != null && fenceIfHeld(lock) == expected;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Could not confirm the controller lock: {0}", e.toString());
                return false;
            }
        }
        CompletableFuture<Long> check = new CompletableFuture<>();
        fenceChecks.add(check);
        try {
            return check.get(10, TimeUnit.SECONDS) == expected;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.WARNING, "Could not confirm the controller lock: {0}", e.toString());
            return false;
        }
    }

    /** On the election thread: the lock's fencing token if this thread still holds it, else -1. */
    private static long fenceIfHeld(FencedLock lock) {
        return lock.isLockedByCurrentThread() ? lock.getFence() : -1L;
    }

    private static void answerFenceCheck(FencedLock lock, CompletableFuture<Long> check) {
        try {
            check.complete(fenceIfHeld(lock));
        } catch (RuntimeException e) {
            check.completeExceptionally(e);
        }
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
        if (recovery != null) {
            recovery.close();
        }
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

package io.strata.broker.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.cp.CPSubsystemConfig;
import com.hazelcast.cp.CPGroup;
import com.hazelcast.cp.CPMember;
import com.hazelcast.cp.CPSubsystem;
import com.hazelcast.cp.CPSubsystemManagementService;
import com.hazelcast.cp.IAtomicLong;
import com.hazelcast.map.IMap;

import java.lang.System.Logger.Level;
import java.util.Iterator;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * Brings the controller quorum back when Hazelcast's CP Subsystem has lost its majority for good: it keeps nothing on
 * disk and gives a restarted member a new identity, so two of three CP members killed together never count again, and
 * without this every election would wait on Raft groups that cannot make progress. Kafka's KRaft quorum recovers from
 * the same loss by itself, from its disks; Strata does by resetting the CP Subsystem, which Hazelcast lets only its
 * master (the oldest member) do, and then numbering controller epochs above every epoch a broker has persisted.
 *
 * <p>Every broker publishes, once a second, in the map {@value #MEMBERS_MAP} (key: its Hazelcast member), whether it
 * is a CP member and the highest controller epoch in its stored metadata (the master folds the entries of departed
 * members into one, so the map stays as small as the cluster). The broker of the oldest member resets the
 * CP Subsystem when, for {@link #STUCK_MS} in a row: every configured member has joined (the {@code tcpip} list, and
 * no fewer than the CP member count) and published, fewer of them are CP members than a CP group's majority, and the
 * METADATA CP group does not answer. An operator can ask for a reset too ({@link #requestReset}), through any broker:
 * the request travels in the map {@value #RESET_MAP} to the broker of the oldest member, which answers there.
 *
 * <p>A reset destroys the controller lock and the epoch offset; the fencing still holds, because the new controller's
 * epoch is above every persisted one (the offset is raised to that right after the reset, and every election also
 * looks at the epochs published here) and every commit locks the shared epoch in {@code strata.controller}.
 *
 * <p>Thread-safe: the checks run on one thread of their own.
 */
public final class CpSubsystemRecovery implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CpSubsystemRecovery.class.getName());
    static final String MEMBERS_MAP = "strata.cp-members";
    static final String RESET_MAP = "strata.cp-reset";
    /** The key in {@link #MEMBERS_MAP} of the highest epoch that members no longer present published. */
    private static final String DEPARTED_KEY = "departed";
    private static final String REQUEST_KEY = "request";
    private static final String RESULT_KEY_PREFIX = "result.";
    /** How long the CP Subsystem must look stuck before the master resets it: longer than a Raft election here. */
    static final long STUCK_MS = 2_000;
    /** How long a METADATA group query may take before the group counts as not answering. */
    private static final long PROBE_TIMEOUT_MS = 2_000;
    /** After a reset, the new CP discovery has this long before the CP Subsystem may count as stuck again. */
    private static final long AFTER_RESET_QUIET_MS = 30_000;
    /** How long an operator's reset waits for the master's answer. */
    private static final long REQUEST_TIMEOUT_MS = 60_000;

    private final HazelcastCluster cluster;
    private final IntSupplier storedEpoch;
    private final String epochOffsetName;
    private final IMap<String, String> members;
    private final IMap<String, String> resets;
    private final ScheduledExecutorService executor;
    /** Since when the CP Subsystem has looked stuck (check thread), or 0. */
    private long stuckSinceNanos;
    /** When this broker last reset the CP Subsystem (check thread), or 0. */
    private long resetAtNanos;

    /**
     * @param storedEpoch     the highest controller epoch in this broker's stored metadata
     * @param epochOffsetName the CP IAtomicLong that the election adds to the controller lock's fencing token
     */
    CpSubsystemRecovery(HazelcastCluster cluster, IntSupplier storedEpoch, String epochOffsetName,
                        ThreadFactory threads) {
        this.cluster = cluster;
        this.storedEpoch = storedEpoch;
        this.epochOffsetName = epochOffsetName;
        this.members = cluster.hazelcast().getMap(MEMBERS_MAP);
        this.resets = cluster.hazelcast().getMap(RESET_MAP);
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-cp-recovery");
            thread.setDaemon(true);
            return thread;
        });
    }

    void start() {
        executor.scheduleWithFixedDelay(this::check, 0, 1, TimeUnit.SECONDS);
    }

    private void check() {
        try {
            publish();
            if (!isMaster()) {
                stuckSinceNanos = 0;
                return;
            }
            forgetDepartedMembers();
            String request = resets.get(REQUEST_KEY);
            if (request != null) {
                answer(request);
                return;
            }
            if (!looksStuck()) {
                stuckSinceNanos = 0;
                return;
            }
            long now = System.nanoTime();
            if (stuckSinceNanos == 0) {
                stuckSinceNanos = now;
                LOG.log(Level.WARNING, "The CP Subsystem has no majority of reachable CP members ({0}); every"
                        + " configured broker is back, so it is reset in {1} ms unless it recovers",
                        describeCpMembers(), STUCK_MS);
            } else if (now - stuckSinceNanos >= TimeUnit.MILLISECONDS.toNanos(STUCK_MS)) {
                reset("every configured broker is back and the CP groups have no majority");
            }
        } catch (RuntimeException e) {
            // Maps answer again once Hazelcast's partitions are assigned: try again at the next check.
            LOG.log(Level.DEBUG, "Checking the CP Subsystem failed: {0}", e.toString());
        }
    }

    /** Publishes whether this member is a CP member now, and the highest epoch this broker has stored. */
    private void publish() {
        CPMember local = cluster.hazelcast().getCPSubsystem().getLocalCPMember();
        String value = "cp=" + (local == null ? "" : local.getUuid()) + "\nepoch=" + storedEpoch.getAsInt() + "\n";
        String key = cluster.localMember().toString();
        if (!value.equals(members.get(key))) {
            members.set(key, value);
        }
    }

    /**
     * On the master: folds the epochs that departed members published into one entry and removes theirs, so that the
     * map holds one entry per member present (plus that one) however often brokers restart.
     */
    private void forgetDepartedMembers() {
        Set<String> present = cluster.hazelcast().getCluster().getMembers().stream()
                .map(member -> member.getUuid().toString()).collect(Collectors.toSet());
        for (String key : members.keySet()) {
            if (key.equals(DEPARTED_KEY) || present.contains(key)) {
                continue;
            }
            String published = members.get(key);
            if (published != null) {
                int epoch = epochOf(published);
                String departed = members.get(DEPARTED_KEY);
                if (departed == null || epochOf(departed) < epoch) {
                    members.set(DEPARTED_KEY, "cp=\nepoch=" + epoch + "\n");
                }
            }
            members.remove(key);
        }
    }

    private static int epochOf(String published) {
        return Integer.parseInt(properties(published).getProperty("epoch", "0"));
    }

    private boolean isMaster() {
        Iterator<Member> oldest = cluster.hazelcast().getCluster().getMembers().iterator();
        return oldest.hasNext() && oldest.next().localMember();
    }

    /**
     * Whether every configured member is here and published, fewer than a CP group's majority of them are CP
     * members, and the METADATA group does not answer, on the master: each alone could be a passing state.
     */
    private boolean looksStuck() {
        if (resetAtNanos != 0
                && System.nanoTime() - resetAtNanos < TimeUnit.MILLISECONDS.toNanos(AFTER_RESET_QUIET_MS)) {
            return false;
        }
        CPSubsystemManagementService management = cluster.hazelcast().getCPSubsystem()
                .getCPSubsystemManagementService();
        if (!management.isDiscoveryCompleted()) {
            // The first discovery (or the one after a reset) is still forming the CP Subsystem.
            return false;
        }
        Set<Member> present = cluster.hazelcast().getCluster().getMembers();
        if (present.size() < expectedMembers()) {
            return false;
        }
        int cpMembers = 0;
        for (Member member : present) {
            String published = members.get(member.getUuid().toString());
            if (published == null) {
                return false;
            }
            if (!properties(published).getProperty("cp", "").isEmpty()) {
                cpMembers++;
            }
        }
        if (cpMembers >= groupSize() / 2 + 1) {
            return false;
        }
        return !metadataGroupAnswers(management);
    }

    private static boolean metadataGroupAnswers(CPSubsystemManagementService management) {
        try {
            management.getCPGroup(CPGroup.METADATA_CP_GROUP_NAME).toCompletableFuture()
                    .get(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * How many members make the cluster whole: the {@code tcpip} members configured (an operator's list of the
     * brokers), and never fewer than the CP member count, which Hazelcast needs for a reset.
     */
    private int expectedMembers() {
        Config config = cluster.hazelcast().getConfig();
        int configured = config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()
                ? config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers().size() : 0;
        return Math.max(configured, config.getCPSubsystemConfig().getCPMemberCount());
    }

    private int groupSize() {
        CPSubsystemConfig cp = cluster.hazelcast().getConfig().getCPSubsystemConfig();
        return cp.getGroupSize() > 0 ? cp.getGroupSize() : cp.getCPMemberCount();
    }

    /** On the master: carries out an operator's reset request, and leaves the answer for the broker that asked. */
    private void answer(String request) {
        String result;
        try {
            reset("an operator asked for it (request " + request + ")");
            result = "ok";
        } catch (RuntimeException e) {
            result = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        resets.set(RESULT_KEY_PREFIX + request, result, 10, TimeUnit.MINUTES);
        resets.remove(REQUEST_KEY, request);
    }

    /**
     * Resets the CP Subsystem (on the master), then raises the epoch offset in the new one above every epoch a broker
     * has persisted.
     *
     * @throws IllegalStateException if Hazelcast refuses or the reset does not finish in time
     */
    private void reset(String why) {
        long highest = highestPublishedEpoch();
        LOG.log(Level.WARNING, "Resetting the CP Subsystem: {0}; controller epochs continue above {1}", why, highest);
        CPSubsystemManagementService management = cluster.hazelcast().getCPSubsystem()
                .getCPSubsystemManagementService();
        try {
            management.reset().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while resetting the CP Subsystem", e);
        } catch (Exception e) {
            throw new IllegalStateException("The CP Subsystem reset failed: " + rootMessage(e), e);
        } finally {
            resetAtNanos = System.nanoTime();
            stuckSinceNanos = 0;
        }
        raiseEpochOffset(highest);
        LOG.log(Level.WARNING, "The CP Subsystem was reset; the next controller epoch is above {0}", highest);
    }

    /** Raises the new CP Subsystem's epoch offset to {@code highest}, waiting for the new CP groups to form. */
    private void raiseEpochOffset(long highest) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                CPSubsystem cp = cluster.hazelcast().getCPSubsystem();
                IAtomicLong offset = cp.getAtomicLong(epochOffsetName);
                long current = offset.get();
                while (current < highest && !offset.compareAndSet(current, highest)) {
                    current = offset.get();
                }
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    // The election also looks at the published epochs, so fencing holds without the seed.
                    LOG.log(Level.WARNING, "Raising the controller epoch offset after the reset failed: {0}",
                            e.toString());
                    return;
                }
                sleepQuietly(200);
            }
        }
    }

    /** The highest controller epoch that any broker (present now or before) published, or that this one stored. */
    int highestPublishedEpoch() {
        int highest = storedEpoch.getAsInt();
        try {
            for (String published : members.values()) {
                highest = Math.max(highest, epochOf(published));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Reading the published epochs failed: {0}", e.toString());
        }
        return highest;
    }

    /**
     * Asks the broker of the oldest Hazelcast member to reset the CP Subsystem now, whatever state it is in, and
     * waits for its answer: for an operator who knows the controller quorum is lost and will not come back by itself.
     *
     * @return what was done, for the operator
     * @throws IllegalStateException if the reset failed or no answer came in time
     */
    public String requestReset() {
        String request = UUID.randomUUID().toString();
        String earlier = resets.putIfAbsent(REQUEST_KEY, request);
        if (earlier != null) {
            request = earlier;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REQUEST_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            String result = resets.get(RESULT_KEY_PREFIX + request);
            if (result != null) {
                if (!result.equals("ok")) {
                    throw new IllegalStateException(result);
                }
                String master = cluster.hazelcast().getCluster().getMembers().iterator().next().getAddress()
                        .toString();
                return "The CP Subsystem was reset by the oldest Hazelcast member (" + master + "); controller"
                        + " epochs continue above " + highestPublishedEpoch();
            }
            sleepQuietly(200);
        }
        resets.remove(REQUEST_KEY, request);
        throw new IllegalStateException("No answer to the CP Subsystem reset in " + REQUEST_TIMEOUT_MS
                + " ms from the oldest Hazelcast member; is it a Strata broker?");
    }

    /** Whether the broker of Hazelcast member {@code member} published that it is a CP member. */
    boolean isCpMember(UUID member) {
        String published = members.get(member.toString());
        return published != null && !properties(published).getProperty("cp", "").isEmpty();
    }

    /** What {@link #requestReset} would do now, for an operator who has not confirmed yet. */
    String describeReset() {
        return "The oldest Hazelcast member (" + cluster.hazelcast().getCluster().getMembers().iterator().next()
                .getAddress() + ") would reset the CP Subsystem of members " + describeCpMembers() + ": the controller"
                + " lock and every CP session are wiped, a controller is elected again, and controller epochs continue"
                + " above " + highestPublishedEpoch();
    }

    /** The members whose brokers published that they are CP members, for logs. */
    String describeCpMembers() {
        return cluster.hazelcast().getCluster().getMembers().stream().map(member -> {
            String published = members.get(member.getUuid().toString());
            String cp = published == null ? "?" : properties(published).getProperty("cp", "");
            return member.getAddress() + (cp.isEmpty() ? " (not a CP member)" : " (CP member)");
        }).collect(Collectors.joining(", "));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.toString();
    }

    private static Properties properties(String encoded) {
        Properties properties = new Properties();
        for (String line : encoded.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                properties.setProperty(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return properties;
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
        executor.shutdownNow();
    }
}

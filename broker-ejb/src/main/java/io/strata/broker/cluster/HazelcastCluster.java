package io.strata.broker.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.cp.CPSubsystemConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Membership of a Strata cluster through Hazelcast: each broker registers its id, its Hazelcast member and its
 * advertised endpoints in the map {@code strata.brokers}; the live brokers are those whose member is in the Hazelcast
 * cluster now, so a broker whose JVM dies disappears as soon as Hazelcast's failure detector removes its member
 * ({@code broker.session.timeout.ms}). Listeners hear of every change of the live set.
 *
 * <p>Everything stored in Hazelcast is a {@code String}, so that members whose classes come from different class
 * loaders (Payara's own instance, an application's) read each other's entries.
 *
 * <p>Thread-safe: Hazelcast's event threads refresh the view; readers take the current list without locking.
 */
public final class HazelcastCluster implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(HazelcastCluster.class.getName());
    /** The Raft leader election timeout of Strata's own members: see {@link #memberConfig}. */
    static final long RAFT_ELECTION_TIMEOUT_MS = 1000;
    static final String BROKERS_MAP = "strata.brokers";

    private final HazelcastInstance hazelcast;
    private final boolean ownsInstance;
    private final IMap<String, String> brokers;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile List<Registered> live = List.of();
    private UUID membershipRegistration;
    private UUID entryRegistration;
    private final java.util.concurrent.ScheduledExecutorService refresher;
    private volatile BrokerInfo registered;

    /**
     * This broker's incarnation: drawn once per start, so that a broker that restarts (and may have lost what it had
     * not flushed) is told apart from one that only lost touch and merged back under a new Hazelcast member UUID.
     */
    private final String incarnation = UUID.randomUUID().toString();

    /** A live broker, the member it runs in, and the incarnation it runs as. */
    record Registered(BrokerInfo broker, UUID member, String incarnation) {
    }

    private HazelcastCluster(HazelcastInstance hazelcast, boolean ownsInstance) {
        this.hazelcast = hazelcast;
        this.ownsInstance = ownsInstance;
        this.brokers = hazelcast.getMap(BROKERS_MAP);
        this.refresher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "strata-cluster-membership");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A cluster over an instance someone else owns and closes, such as the Payara server's. */
    /** Every broker this one has seen live, as last registered: a bound of one entry per broker id. */
    private final Map<Integer, BrokerInfo> everLive = new java.util.concurrent.ConcurrentHashMap<>();

    public static HazelcastCluster over(HazelcastInstance hazelcast) {
        return new HazelcastCluster(hazelcast, false).listen();
    }

    /** How many times a broker tries to start its Hazelcast member before it gives up (see {@link #newMember}). */
    static final int MEMBER_START_ATTEMPTS = 6;
    /** How long a broker waits before it tries again to start a member the cluster refused, in ms. */
    static final long MEMBER_START_BACKOFF_MS = 5_000;

    /** Starts this broker's own Hazelcast member, joined as {@code cluster.join} says, and the cluster over it. */
    public static HazelcastCluster start(BrokerConfig config) {
        HazelcastInstance instance = newMember(config, MEMBER_START_ATTEMPTS, MEMBER_START_BACKOFF_MS);
        try {
            return new HazelcastCluster(instance, true).listen();
        } catch (RuntimeException e) {
            instance.shutdown();
            throw e;
        }
    }

    /**
     * Starts a Hazelcast member, trying again up to {@code attempts} times, {@code backoffMs} apart, when it does not
     * start. The cluster refuses a joining member while a split-brain merge is under way (its state is FROZEN for the
     * merge), and Hazelcast then shuts the new member down ("Node failed to start!"): a broker restarted at that moment
     * (seen in the chaos test, when two members that had lost each other's heartbeats were merging) would exit instead
     * of joining a few seconds later. A start that keeps failing, as from a bad configuration, still fails, after the
     * last attempt, with the last error.
     */
    static HazelcastInstance newMember(BrokerConfig config, int attempts, long backoffMs) {
        for (int attempt = 1; ; attempt++) {
            try {
                return Hazelcast.newHazelcastInstance(memberConfig(config));
            } catch (IllegalStateException e) {
                if (attempt >= attempts) {
                    throw e;
                }
                LOG.log(Level.WARNING, "Broker {0}''s Hazelcast member did not start ({1}; the cluster may be merging"
                        + " after a split); trying again in {2} ms, attempt {3} of {4}", config.nodeId, e.getMessage(),
                        backoffMs, attempt + 1, attempts);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** How long a Hazelcast invocation waits for its target's answer or heartbeat, in ms (see memberConfig). */
    static final long OPERATION_CALL_TIMEOUT_MS = 15_000;

    /** The Hazelcast configuration of a standalone broker's member. */
    static Config memberConfig(BrokerConfig config) {
        Config hz = new Config();
        hz.setClusterName(config.clusterName);
        hz.setInstanceName("strata-broker-" + config.nodeId + "-" + UUID.randomUUID());
        hz.setProperty("hazelcast.logging.type", "jdk");
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.health.monitoring.level", "OFF");
        // A broker's data is on its own disk; leaving the cluster need not wait long for Hazelcast's migrations (or,
        // when the CP Subsystem has lost its majority, for a Raft membership change that cannot happen).
        hz.setProperty("hazelcast.graceful.shutdown.max.wait",
                String.valueOf(wholeSeconds(config.clusterShutdownTimeoutMs)));
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        hz.setProperty("hazelcast.max.no.heartbeat.seconds",
                String.valueOf(Math.max(2, config.brokerSessionTimeoutMs / 1000)));
        // An invocation whose target never answers nor heartbeats fails after twice this (Hazelcast's default: 60 s,
        // so 2 minutes). After a split-brain merge renewed a member, a metadata read and a CP query issued meanwhile
        // were lost that way and held the broker out of the quorum for 2 minutes; callers retry, so fail sooner.
        hz.setProperty("hazelcast.operation.call.timeout.millis", String.valueOf(OPERATION_CALL_TIMEOUT_MS));
        hz.setProperty("hazelcast.wait.seconds.before.join", "1");
        hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        hz.getNetworkConfig().setPort(config.clusterPort).setPortAutoIncrement(true);
        JoinConfig join = hz.getNetworkConfig().getJoin();
        join.getAutoDetectionConfig().setEnabled(false);
        join.getMulticastConfig().setEnabled(false);
        if (config.clusterJoin.equals("multicast")) {
            join.getMulticastConfig().setEnabled(true);
        } else if (config.clusterJoin.startsWith("tcpip:")) {
            List<String> members = tcpipMembers(config);
            boolean allLoopback = true;
            for (String member : members) {
                String host = member.replaceFirst(":\\d+$", "");
                allLoopback &= host.equals("127.0.0.1") || host.equals("localhost");
            }
            join.getTcpIpConfig().setEnabled(true).setMembers(members)
                    .setConnectionTimeoutSeconds(wholeSeconds(config.clusterJoinTimeoutMs));
            if (allLoopback && config.clusterHost.isEmpty()) {
                // Members on one machine talk over loopback, whatever interface Hazelcast would pick.
                hz.setProperty("hazelcast.local.localAddress", "127.0.0.1");
            }
        }
        if (!config.clusterHost.isEmpty()) {
            // Listen on that address only, and connect to the others from it, so that the cluster's traffic stays
            // on the network it names.
            hz.setProperty("hazelcast.local.localAddress", config.clusterHost);
            hz.setProperty("hazelcast.socket.bind.any", "false");
            hz.setProperty("hazelcast.socket.client.bind.any", "false");
        }
        if (!config.clusterAdvertisedAddress.isEmpty()) {
            hz.getNetworkConfig().setPublicAddress(config.clusterAdvertisedAddress);
        }
        int cpMembers = cpMemberCount(config);
        if (cpMembers >= 3) {
            int ttlSeconds = Math.max(6, config.brokerSessionTimeoutMs / 1000);
            hz.getCPSubsystemConfig()
                    .setCPMemberCount(cpMembers)
                    .setSessionHeartbeatIntervalSeconds(1)
                    .setSessionTimeToLiveSeconds(ttlSeconds)
                    // Not ttlSeconds: a member that Hazelcast removed while the network cut it off holds on to its
                    // old CP identity and can never be promoted again. The controller election removes a missing CP
                    // member itself once another broker can take its place; this is Hazelcast's default, 4 h.
                    .setMissingCPMemberAutoRemovalSeconds(
                            CPSubsystemConfig.DEFAULT_MISSING_CP_MEMBER_AUTO_REMOVAL_SECONDS)
                    // When a Raft leader's member leaves, the others call an election at once; the two survivors
                    // often split the first vote, and wait this long before the next (default 2 s). A dead leader is
                    // still only suspected after missed heartbeats (5 x 5 s) or its member leaving, not sooner.
                    .getRaftAlgorithmConfig().setLeaderElectionTimeoutInMillis(RAFT_ELECTION_TIMEOUT_MS);
        }
        return hz;
    }

    /** {@code ms} in the whole seconds Hazelcast's settings take, rounded up. */
    private static int wholeSeconds(int ms) {
        return (int) ((ms + 999L) / 1000);
    }

    /**
     * The CP Subsystem's size: as configured, or, by default, 3 for a tcpip cluster of three or more listed members
     * (a Raft majority survives one failure) and none for fewer or for multicast, whose size is not known up front.
     */
    static int cpMemberCount(BrokerConfig config) {
        if (config.clusterCpMemberCount >= 0) {
            return config.clusterCpMemberCount;
        }
        return tcpipMembers(config).size() >= 3 ? 3 : 0;
    }

    /** The members {@code cluster.join=tcpip:h:p,...} lists; none for another way of joining. */
    private static List<String> tcpipMembers(BrokerConfig config) {
        if (!config.clusterJoin.startsWith("tcpip:")) {
            return List.of();
        }
        List<String> members = new ArrayList<>();
        for (String member : config.clusterJoin.substring("tcpip:".length()).split(",")) {
            if (!member.isBlank()) {
                members.add(member.trim());
            }
        }
        return members;
    }

    private HazelcastCluster listen() {
        membershipRegistration = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                refresh();
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                refresh();
            }
        });
        entryRegistration = brokers.addEntryListener(new BrokerEntries(), false);
        refresh();
        // Events can be missed while partitions migrate after a member leaves: look again every second, and put
        // this broker's registration back if the map lost it.
        refresher.scheduleWithFixedDelay(this::check, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        return this;
    }

    private void check() {
        try {
            BrokerInfo mine = registered;
            if (mine != null && hazelcast.getLifecycleService().isRunning()) {
                String key = String.valueOf(mine.id());
                String current = brokers.get(key);
                UUID me = localMember();
                if (current == null) {
                    LOG.log(Level.WARNING, "The registration of broker {0} was lost; registering again", mine.id());
                    brokers.putIfAbsent(key, encode(mine, me, incarnation));
                } else if (!memberOf(current).equals(me) && !isMember(memberOf(current))) {
                    // After a split brain this member merged back into the cluster under a new UUID.
                    LOG.log(Level.WARNING, "Broker {0} is Hazelcast member {1} now (it was {2}); registering again",
                            mine.id(), me, memberOf(current));
                    brokers.replace(key, current, encode(mine, me, incarnation));
                }
            }
            refresh();
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Checking the membership failed: {0}", e.toString());
        }
    }

    private final class BrokerEntries implements EntryAddedListener<String, String>,
            EntryUpdatedListener<String, String>, EntryRemovedListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            refresh();
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            refresh();
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> event) {
            refresh();
        }
    }

    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    /** This JVM's Hazelcast member. */
    public UUID localMember() {
        return hazelcast.getCluster().getLocalMember().getUuid();
    }

    /** The incarnation this broker runs as: the same from start to stop, across split-brain merges. */
    public String localIncarnation() {
        return incarnation;
    }

    /** Hears of every change in the live brokers; called on a Hazelcast event thread, so it must not block. */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    /**
     * Registers {@code broker} as running in this member.
     *
     * @throws IllegalStateException if a live broker in another member has the same id
     */
    public void register(BrokerInfo broker) {
        String key = String.valueOf(broker.id());
        UUID me = localMember();
        String encoded = encode(broker, me, incarnation);
        while (true) {
            String existing = brokers.putIfAbsent(key, encoded);
            if (existing == null) {
                break;
            }
            UUID owner = memberOf(existing);
            if (!owner.equals(me) && isMember(owner)) {
                throw new IllegalStateException("node.id " + broker.id() + " is already used by a live broker ("
                        + "Hazelcast member " + owner + "); give every broker its own node.id");
            }
            if (brokers.replace(key, existing, encoded)) {
                break;
            }
        }
        registered = broker;
        LOG.log(Level.INFO, "Broker {0} joined cluster {1} as Hazelcast member {2}", broker.id(),
                hazelcast.getConfig().getClusterName(), me);
        refresh();
    }

    /** Removes this broker's registration, so that the others see it leave without waiting for Hazelcast. */
    public void deregister(int brokerId) {
        registered = null;
        String key = String.valueOf(brokerId);
        String existing = brokers.get(key);
        if (existing != null && memberOf(existing).equals(localMember())) {
            brokers.remove(key, existing);
        }
    }

    /** The live brokers, in id order. */
    public List<BrokerInfo> liveBrokers() {
        return live.stream().map(Registered::broker).toList();
    }

    /**
     * The brokers Metadata responses name: the live ones, or, while this broker sees fewer than a majority of the
     * brokers it has ever seen live (it is likely cut off), every one of those (see
     * {@link ClusterMembership#brokersForClients}).
     */
    public List<BrokerInfo> brokersForClients() {
        List<BrokerInfo> now = liveBrokers();
        if (now.size() * 2 > everLive.size()) {
            return now;
        }
        List<BrokerInfo> known = new ArrayList<>(everLive.values());
        known.sort(Comparator.comparingInt(BrokerInfo::id));
        return known;
    }

    /** Whether broker {@code brokerId} is live; allocates nothing, for the produce path. */
    public boolean isLive(int brokerId) {
        for (Registered registered : live) {
            if (registered.broker().id() == brokerId) {
                return true;
            }
        }
        return false;
    }

    /** The Hazelcast member that live broker {@code brokerId} runs in, or null if it is not live. */
    public UUID memberOf(int brokerId) {
        for (Registered registered : live) {
            if (registered.broker().id() == brokerId) {
                return registered.member();
            }
        }
        return null;
    }

    /** The incarnation live broker {@code brokerId} runs as, or null if it is not live. */
    public String incarnationOf(int brokerId) {
        for (Registered registered : live) {
            if (registered.broker().id() == brokerId) {
                return registered.incarnation();
            }
        }
        return null;
    }

    private boolean isMember(UUID uuid) {
        for (Member member : hazelcast.getCluster().getMembers()) {
            if (member.getUuid().equals(uuid)) {
                return true;
            }
        }
        return false;
    }

    private synchronized void refresh() {
        if (!hazelcast.getLifecycleService().isRunning()) {
            return;
        }
        Set<UUID> members = new HashSet<>();
        for (Member member : hazelcast.getCluster().getMembers()) {
            members.add(member.getUuid());
        }
        List<Registered> now = new ArrayList<>();
        try {
            for (Map.Entry<String, String> entry : brokers.entrySet()) {
                UUID member = memberOf(entry.getValue());
                if (members.contains(member)) {
                    now.add(new Registered(decode(Integer.parseInt(entry.getKey()), entry.getValue()), member,
                            incarnationOf(entry.getValue())));
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Reading the registered brokers failed: {0}", e.toString());
            return;
        }
        now.sort(Comparator.comparingInt(registered -> registered.broker().id()));
        for (Registered registered : now) {
            everLive.put(registered.broker().id(), registered.broker());
        }
        if (!now.equals(live)) {
            live = List.copyOf(now);
            LOG.log(Level.INFO, "Live brokers: {0}", liveBrokers().stream().map(BrokerInfo::id).toList());
            for (Runnable listener : listeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "A membership listener failed", e);
                }
            }
        }
    }

    static String encode(BrokerInfo broker, UUID member, String incarnation) {
        StringBuilder endpoints = new StringBuilder();
        StringBuilder protocols = new StringBuilder();
        for (Endpoint endpoint : broker.endpoints()) {
            if (endpoints.length() > 0) {
                endpoints.append(',');
                protocols.append(',');
            }
            endpoints.append(endpoint);
            protocols.append(endpoint.listenerName()).append(':').append(endpoint.protocol().name);
        }
        return "member=" + member + "\nincarnation=" + incarnation + "\nendpoints=" + endpoints + "\nprotocols="
                + protocols + "\nrack=" + (broker.rack() == null ? "" : broker.rack()) + "\n";
    }

    static UUID memberOf(String encoded) {
        return UUID.fromString(properties(encoded).getProperty("member"));
    }

    /** The incarnation in a registration; a registration without one names its member's. */
    static String incarnationOf(String encoded) {
        Properties properties = properties(encoded);
        return properties.getProperty("incarnation", properties.getProperty("member"));
    }

    static BrokerInfo decode(int id, String encoded) {
        Properties properties = properties(encoded);
        String rack = properties.getProperty("rack", "");
        // Listener names map to their protocols as the registering broker's listener.security.protocol.map said.
        String protocols = properties.getProperty("protocols", "");
        return new BrokerInfo(id, Endpoint.parseList("endpoints", properties.getProperty("endpoints"),
                Endpoint.parseProtocolMap("protocols", protocols.isEmpty() ? Endpoint.DEFAULT_PROTOCOL_MAP : protocols)),
                rack.isEmpty() ? null : rack);
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

    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            if (hazelcast.getLifecycleService().isRunning()) {
                if (membershipRegistration != null) {
                    hazelcast.getCluster().removeMembershipListener(membershipRegistration);
                }
                if (entryRegistration != null) {
                    brokers.removeEntryListener(entryRegistration);
                }
            }
        } finally {
            if (ownsInstance) {
                hazelcast.shutdown();
            }
        }
    }
}

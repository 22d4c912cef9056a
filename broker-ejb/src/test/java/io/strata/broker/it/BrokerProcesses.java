package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Three (or more) Strata brokers, each a {@code StrataServer} in a JVM of its own on loopback, that a test kills with
 * SIGKILL and starts again on the same ports and data directories, as an operator's process supervisor would. Each
 * broker's output is appended to {@code target/<logFolder>/broker-N.log}, kept after the test, with a mark before
 * each start; a new instance starts the logs over.
 *
 * <p>Public for the JMS provider's failover tests (jms-adapter), which drive a cluster of these from another package.
 *
 * <p>Not thread-safe; one test drives it.
 */
public final class BrokerProcesses implements AutoCloseable {

    /** Written to a broker's log before each start of it. */
    static final String START_MARK = "--- start";

    private final Path dataDir;
    private final String logFolder;
    private final int count;
    private final String clusterName = "strata-processes-" + UUID.randomUUID();
    private final Map<Integer, Process> processes = new HashMap<>();
    private final Map<Integer, Integer> kafkaPorts = new HashMap<>();
    private final Map<Integer, Integer> hazelcastPorts = new HashMap<>();
    private final Map<String, Object> overrides;

    public BrokerProcesses(Path dataDir, String logFolder, int count) throws IOException {
        this(dataDir, logFolder, count, Map.of());
    }

    /** Brokers with {@code overrides} on top of the settings every test here uses. */
    public BrokerProcesses(Path dataDir, String logFolder, int count, Map<String, Object> overrides)
            throws IOException {
        this.overrides = Map.copyOf(overrides);
        this.dataDir = dataDir;
        this.logFolder = logFolder;
        this.count = count;
        for (int id = 1; id <= count; id++) {
            kafkaPorts.put(id, freePort());
            hazelcastPorts.put(id, freePort());
            // A log holds this run only, so that what a test reads in it is this run's.
            Files.deleteIfExists(logOf(id));
        }
    }

    /** Starts broker {@code id} on its ports and data directory. */
    public void start(int id) throws IOException {
        StringBuilder members = new StringBuilder("tcpip:");
        for (int other = 1; other <= count; other++) {
            members.append(other == 1 ? "" : ",").append("127.0.0.1:").append(hazelcastPorts.get(other));
        }
        Path log = logOf(id);
        Files.createDirectories(log.getParent());
        // C1 only: a broker here lives a minute or two, and three start at once on a machine of two cores, where the
        // C2 compiler's work would cost more CPU than its code saves (each broker's start took about 60% longer).
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "io.strata.broker.server.StrataServer"));
        Map<String, Object> settings = new HashMap<>();
        settings.put("node.id", id);
        settings.put("listeners", "PLAINTEXT://127.0.0.1:" + kafkaPorts.get(id));
        settings.put("log.dirs", dataDirOf(id).toString());
        settings.put("cluster.join", members.toString());
        settings.put("cluster.port", hazelcastPorts.get(id));
        settings.put("cluster.name", clusterName);
        settings.put("broker.session.timeout.ms", 3000);
        // Brokers on loopback that start together reach each other within a second of their JVMs' start; a graceful
        // leave takes about 2 s (see TestCluster).
        settings.put("cluster.join.timeout.ms", 1000);
        settings.put("cluster.shutdown.timeout.ms", 3000);
        settings.put("replica.lag.time.max.ms", 5000);
        settings.put("replica.fetch.backoff.ms", 200);
        settings.put("group.initial.rebalance.delay.ms", 0);
        settings.put("offsets.topic.num.partitions", 3);
        settings.put("num.io.threads", 4);
        settings.put("num.network.threads", 2);
        settings.putAll(overrides);
        settings.forEach((key, value) -> {
            command.add("--override");
            command.add(key + "=" + value);
        });
        Files.writeString(log, START_MARK + " " + java.time.LocalTime.now() + "\n", StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        processes.put(id, new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
    }

    /**
     * Starts every broker and waits until each is in the controller quorum and a client sees all of them: the cluster
     * a test begins from.
     */
    public void startAll(Duration atMost) throws IOException {
        for (int id = 1; id <= count; id++) {
            start(id);
        }
        for (int id = 1; id <= count; id++) {
            awaitInControllerQuorum(id, atMost);
        }
        try (Admin admin = admin()) {
            await().atMost(atMost).ignoreExceptions().until(() ->
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == count);
        }
    }

    /** Creates {@code topics}, each with {@code partitions} partitions on every broker and {@code configs}. */
    public void createTopics(int partitions, Map<String, String> configs, String... topics) throws Exception {
        List<NewTopic> newTopics = new ArrayList<>();
        for (String topic : topics) {
            newTopics.add(new NewTopic(topic, partitions, (short) count).configs(configs));
        }
        try (Admin admin = admin()) {
            admin.createTopics(newTopics).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Stops every broker with SIGTERM and waits until their JVMs exited (and freed their ports). */
    void stopAll(Duration atMost) throws InterruptedException {
        List<Process> stopping = new ArrayList<>(processes.values());
        processes.clear();
        stopping.forEach(Process::destroy);
        for (Process process : stopping) {
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("a broker did not stop on SIGTERM within " + atMost);
            }
        }
    }

    /** Kills broker {@code id} with SIGKILL and waits until its JVM is gone. */
    public void kill(int id) throws InterruptedException {
        Process process = processes.remove(id);
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("broker " + id + " did not die of SIGKILL");
        }
    }

    /** Kills the brokers {@code ids} with SIGKILL together, then waits until their JVMs are gone. */
    public void killTogether(int... ids) throws InterruptedException {
        List<Process> dying = new ArrayList<>();
        for (int id : ids) {
            Process process = processes.remove(id);
            process.destroyForcibly();
            dying.add(process);
        }
        for (Process process : dying) {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("a broker did not die of SIGKILL");
            }
        }
    }

    Path dataDirOf(int id) {
        return dataDir.resolve("data-" + id);
    }

    Path logOf(int id) {
        return Path.of("target", logFolder, "broker-" + id + ".log");
    }

    /** Waits until broker {@code id}, since its last start, logged that it is in every CP group. */
    public void awaitInControllerQuorum(int id, Duration atMost) {
        String line = "Broker " + id + " is in every CP group";
        await("broker " + id + " in every CP group").atMost(atMost).until(() -> {
            String log = Files.readString(logOf(id));
            return log.indexOf(line, log.lastIndexOf(START_MARK)) >= 0;
        });
    }

    /** The highest controller epoch that any broker logged it was elected for, in this run; -1 if none. */
    int highestControllerEpochLogged() throws IOException {
        // The log formats numbers with grouping separators; epochs follow the lock's fencing tokens, Raft log indexes.
        java.util.regex.Pattern elected = java.util.regex.Pattern.compile("is controller, epoch ([\\d,]+)");
        int highest = -1;
        for (int id = 1; id <= count; id++) {
            if (Files.exists(logOf(id))) {
                java.util.regex.Matcher matcher = elected.matcher(Files.readString(logOf(id)));
                while (matcher.find()) {
                    highest = Math.max(highest, Integer.parseInt(matcher.group(1).replace(",", "")));
                }
            }
        }
        return highest;
    }

    public String bootstrapServers() {
        StringBuilder servers = new StringBuilder();
        for (int id = 1; id <= count; id++) {
            servers.append(id == 1 ? "" : ",").append("127.0.0.1:").append(kafkaPorts.get(id));
        }
        return servers.toString();
    }

    public Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", bootstrapServers(), "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 20_000));
    }

    @Override
    public void close() {
        processes.values().forEach(Process::destroyForcibly);
        processes.clear();
    }

    /**
     * A port free now, below Linux's ephemeral range (32768 and up): a broker that is killed and started again binds
     * the same port, and one from the ephemeral range may meanwhile be taken as the local port of any outgoing
     * connection on the machine (another test's clients), which would keep the broker from starting.
     */
    private int freePort() throws IOException {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = random.nextInt(20_000, 32_000);
            if (kafkaPorts.containsValue(port) || hazelcastPorts.containsValue(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // Try another.
            }
        }
        throw new IOException("No free port between 20000 and 32000 after 100 attempts");
    }
}

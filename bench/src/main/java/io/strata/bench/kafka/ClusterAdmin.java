package io.strata.bench.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnsupportedVersionException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The harness's Admin client for a {@link BrokerCluster}: waits until every broker is in the cluster, creates topics
 * of replication factor {@value ClusterSettings#REPLICATION_FACTOR} with min.insync.replicas
 * {@value ClusterSettings#MIN_IN_SYNC_REPLICAS}, and tells which broker leads a partition and which are in sync.
 * Every wait is a bounded poll. Not thread-safe.
 */
final class ClusterAdmin implements AutoCloseable {

    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(60);

    private final BrokerCluster cluster;
    private final Admin admin;

    private ClusterAdmin(BrokerCluster cluster, Admin admin) {
        this.cluster = cluster;
        this.admin = admin;
    }

    /**
     * Waits until every node accepts connections and DescribeCluster lists all of them, then returns an Admin client
     * bootstrapped from all of them. Fails at once, with the dead node's last output, if a node exits first.
     */
    static ClusterAdmin awaitReady(BrokerCluster cluster, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        cluster.nodes().forEach(node -> awaitListening(node, deadlineNanos));
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "bench-vs-kafka-cluster");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        ClusterAdmin clusterAdmin = new ClusterAdmin(cluster, Admin.create(config));
        try {
            clusterAdmin.awaitAllNodes(timeout);
            clusterAdmin.awaitControllerQuorum(timeout);
            return clusterAdmin;
        } catch (RuntimeException e) {
            clusterAdmin.close();
            throw e;
        }
    }

    /** Waits until {@code node} accepts connections on its Kafka listener; fails if it exits or the deadline passes. */
    static void awaitListening(ClusterNode node, long deadlineNanos) {
        String[] hostPort = node.bootstrapServer().split(":");
        InetSocketAddress address = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        while (true) {
            requireAlive(node);
            try (Socket socket = new Socket()) {
                socket.connect(address, (int) POLL_INTERVAL.toMillis());
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new IllegalStateException(node + " did not accept connections in time (its output: "
                            + node.process().logFiles() + ")\n" + node.process().tail(40));
                }
                sleep(POLL_INTERVAL);
            }
        }
    }

    /** Waits until every node counts toward the cluster's controller quorum, e.g. after one was restarted. */
    void awaitControllerQuorum(Duration timeout) {
        poll("every broker of " + cluster.name() + " in the controller quorum", timeout, () -> {
            cluster.nodes().forEach(ClusterAdmin::requireAlive);
            return cluster.nodes().stream().allMatch(ClusterNode::inControllerQuorum);
        });
    }

    /** Waits until DescribeCluster lists every node of the cluster, e.g. after one was restarted. */
    void awaitAllNodes(Duration timeout) {
        int expected = cluster.nodes().size();
        poll("DescribeCluster to list all " + expected + " brokers of " + cluster.name(), timeout, () -> {
            cluster.nodes().forEach(ClusterAdmin::requireAlive);
            Collection<Node> nodes = get(admin.describeCluster(new DescribeClusterOptions()
                    .timeoutMs((int) REQUEST_TIMEOUT.toMillis())).nodes());
            return nodes != null && nodes.size() == expected;
        });
    }

    /**
     * Creates {@code topic} with replication factor {@value ClusterSettings#REPLICATION_FACTOR} and
     * min.insync.replicas {@value ClusterSettings#MIN_IN_SYNC_REPLICAS}, and waits until every partition has a leader
     * and all its replicas in sync, so that a measurement starts on a healthy topic.
     */
    void createTopic(String topic, int partitions) {
        create(new NewTopic(topic, partitions, (short) ClusterSettings.REPLICATION_FACTOR), partitions);
    }

    /**
     * The active controller's node id: the KRaft quorum's leader where the cluster answers DescribeQuorum (a Kafka
     * broker's DescribeCluster names a random broker instead), else DescribeCluster's controller; empty if unknown.
     */
    Optional<Integer> controller() {
        try {
            return Optional.of(admin.describeMetadataQuorum().quorumInfo()
                    .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).leaderId());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnsupportedVersionException)) {
                return Optional.empty();
            }
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing the quorum", e);
        }
        Node controller = get(admin.describeCluster(new DescribeClusterOptions()
                .timeoutMs((int) REQUEST_TIMEOUT.toMillis())).controller());
        return controller == null || controller.id() < 0 ? Optional.empty() : Optional.of(controller.id());
    }

    private void create(NewTopic unconfigured, int partitions) {
        String topic = unconfigured.name();
        NewTopic newTopic = unconfigured.configs(Map.of("min.insync.replicas",
                Integer.toString(ClusterSettings.MIN_IN_SYNC_REPLICAS)));
        try {
            admin.createTopics(List.of(newTopic)).all().get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("CreateTopics " + topic + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("CreateTopics " + topic + " did not complete in "
                    + TOPIC_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating " + topic, e);
        }
        poll("every partition of " + topic + " to have a leader and " + ClusterSettings.REPLICATION_FACTOR
                + " in-sync replicas", TOPIC_TIMEOUT, () -> {
            List<TopicPartitionInfo> infos = partitions(topic);
            return infos != null && infos.size() == partitions && infos.stream().allMatch(info -> info.leader() != null
                    && info.isr().size() == ClusterSettings.REPLICATION_FACTOR);
        });
    }

    /**
     * Creates {@code topic} with one partition on {@code replicas} (its preferred leader first), or where the cluster
     * puts it if empty, as {@link #createTopic(String, int)} does otherwise.
     */
    void createTopic(String topic, Optional<List<Integer>> replicas) {
        NewTopic newTopic = replicas.map(assigned -> new NewTopic(topic, Map.of(0, assigned)))
                .orElseGet(() -> new NewTopic(topic, 1, (short) ClusterSettings.REPLICATION_FACTOR));
        create(newTopic, 1);
    }

    /** The node id of the leader of partition 0 of {@code topic}; fails if it has none. */
    int leaderOf(String topic) {
        List<TopicPartitionInfo> infos = partitions(topic);
        if (infos == null || infos.isEmpty() || infos.get(0).leader() == null) {
            throw new IllegalStateException("DescribeTopics shows no leader for " + topic + "-0: " + infos);
        }
        return infos.get(0).leader().id();
    }

    /** Partition 0 of {@code topic} as DescribeTopics shows it now, for the report; "?" if it cannot be described. */
    String describePartition(String topic) {
        List<TopicPartitionInfo> infos = partitions(topic);
        if (infos == null || infos.isEmpty()) {
            return "?";
        }
        TopicPartitionInfo info = infos.get(0);
        return "leader " + (info.leader() == null ? "none" : info.leader().id()) + ", isr "
                + info.isr().stream().map(Node::id).toList();
    }

    /** Waits until {@code nodeId} is back among the in-sync replicas of partition 0 of {@code topic}. */
    void awaitInSync(String topic, int nodeId, Duration timeout) {
        poll("node " + nodeId + " to rejoin the ISR of " + topic + "-0", timeout, () -> {
            List<TopicPartitionInfo> infos = partitions(topic);
            return infos != null && !infos.isEmpty()
                    && infos.get(0).isr().stream().anyMatch(node -> node.id() == nodeId);
        });
    }

    @Override
    public void close() {
        admin.close(REQUEST_TIMEOUT);
    }

    /** The partitions of {@code topic}, or null if the request failed or timed out (callers poll). */
    private List<TopicPartitionInfo> partitions(String topic) {
        Map<String, TopicDescription> described = get(admin.describeTopics(List.of(topic)).allTopicNames());
        return described == null ? null : described.get(topic).partitions();
    }

    /** The future's value, or null if it failed or took longer than the request timeout. */
    private static <T> T get(KafkaFuture<T> future) {
        try {
            return future.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException notYet) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void poll(String what, Duration timeout, Supplier<Boolean> condition) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new IllegalStateException("gave up waiting for " + what + " after " + timeout.toSeconds()
                        + " s (broker output: " + cluster.logFiles() + ")");
            }
            sleep(POLL_INTERVAL);
        }
    }

    private static void requireAlive(ClusterNode node) {
        if (!node.isAlive()) {
            throw new IllegalStateException(node + " exited (its output: " + node.process().logFiles() + ")\n"
                    + node.process().tail(40));
        }
    }

    private static void sleep(Duration interval) {
        try {
            Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}

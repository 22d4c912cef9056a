package io.strata.bench.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The harness's Admin client for one broker: waits until the broker answers, and creates the benchmark topics with
 * replication factor 1. Every wait is a bounded poll. Not thread-safe.
 */
final class BenchAdmin implements AutoCloseable {

    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(60);

    private final Admin admin;

    private BenchAdmin(Admin admin) {
        this.admin = admin;
    }

    /**
     * Waits until {@code broker} accepts connections and answers DescribeCluster with at least one node, then returns
     * an Admin client for it. Fails at once, with the broker's last output, if the broker exits first.
     */
    static BenchAdmin awaitReady(BrokerUnderTest broker, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        awaitListening(broker, deadlineNanos);
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "bench-vs-kafka");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        BenchAdmin benchAdmin = new BenchAdmin(Admin.create(config));
        try {
            benchAdmin.awaitClusterNode(broker, deadlineNanos, timeout);
            return benchAdmin;
        } catch (RuntimeException e) {
            benchAdmin.close();
            throw e;
        }
    }

    /** Creates {@code topic} and waits until every partition has a leader. */
    void createTopic(String topic, int partitions) {
        try {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all()
                    .get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("CreateTopics " + topic + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("CreateTopics " + topic + " did not complete in "
                    + TOPIC_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating " + topic, e);
        }
        awaitLeaders(topic, partitions);
    }

    /**
     * Makes share group {@code group} start at the earliest offset, as {@code kafka-configs.sh --entity-type groups
     * --alter --add-config share.auto.offset.reset=earliest} does: a share group starts at the log end by default,
     * and would read none of the records written before it.
     */
    void startShareGroupAtEarliest(String group) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        AlterConfigOp earliest = new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"),
                AlterConfigOp.OpType.SET);
        try {
            admin.incrementalAlterConfigs(Map.of(resource, List.of(earliest))).all()
                    .get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("IncrementalAlterConfigs share.auto.offset.reset=earliest of group "
                    + group + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("IncrementalAlterConfigs of group " + group + " did not complete in "
                    + TOPIC_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while configuring group " + group, e);
        }
    }

    @Override
    public void close() {
        admin.close(REQUEST_TIMEOUT);
    }

    private static void awaitListening(BrokerUnderTest broker, long deadlineNanos) {
        String[] hostPort = broker.bootstrapServers().split(":");
        InetSocketAddress address = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        while (true) {
            requireAlive(broker);
            try (Socket socket = new Socket()) {
                socket.connect(address, (int) POLL_INTERVAL.toMillis());
                return;
            } catch (IOException notYet) {
                pause(broker, deadlineNanos, "accept connections on " + broker.bootstrapServers());
            }
        }
    }

    private void awaitClusterNode(BrokerUnderTest broker, long deadlineNanos, Duration timeout) {
        while (true) {
            requireAlive(broker);
            try {
                if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) REQUEST_TIMEOUT.toMillis()))
                        .nodes().get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).isEmpty()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException notYet) {
                // The broker listens but does not answer yet: a KRaft node is still catching up on its metadata.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + broker, e);
            }
            pause(broker, deadlineNanos, "answer DescribeCluster within " + timeout.toSeconds() + " s");
        }
    }

    private void awaitLeaders(String topic, int partitions) {
        long deadlineNanos = System.nanoTime() + TOPIC_TIMEOUT.toNanos();
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                List<TopicPartitionInfo> infos = described.get(topic).partitions();
                if (infos.size() == partitions && infos.stream().allMatch(info -> info.leader() != null)) {
                    return;
                }
            } catch (ExecutionException | TimeoutException notYet) {
                // Metadata of a new topic reaches the broker a moment after CreateTopics answers.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for leaders of " + topic, e);
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new IllegalStateException("topic " + topic + " has no leader for each of its " + partitions
                        + " partitions after " + TOPIC_TIMEOUT.toSeconds() + " s");
            }
            sleep(POLL_INTERVAL);
        }
    }

    private static void requireAlive(BrokerUnderTest broker) {
        if (!broker.isAlive()) {
            throw new IllegalStateException(broker.name() + " exited before it was ready (its output: "
                    + broker.logFiles() + ")\n" + broker.logTail(40));
        }
    }

    private static void pause(BrokerUnderTest broker, long deadlineNanos, String what) {
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new IllegalStateException(broker + " did not " + what + " (its output: " + broker.logFiles()
                    + ")\n" + broker.logTail(40));
        }
        sleep(POLL_INTERVAL);
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

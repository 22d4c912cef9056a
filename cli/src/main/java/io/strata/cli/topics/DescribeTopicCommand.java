package io.strata.cli.topics;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code strata topics describe}: for each topic a summary line with its id, partition count, replication factor
 * and the settings set on the topic itself (not the defaults it inherits), then one line per partition with its
 * leader, replicas and in-sync replicas. The layout is kafka-topics.sh's, so operators read it at a glance.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "describe", mixinStandardHelpOptions = true,
        description = "Show partitions (leader, replicas, in-sync replicas) and non-default settings of topics.")
public final class DescribeTopicCommand extends StrataCommand {

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Topic to describe (repeatable). Default: all.")
    private List<String> topics = new ArrayList<>();

    @Override
    protected int run() {
        try (Admin admin = clients().createAdmin()) {
            List<String> names = topics.isEmpty() ? new ArrayList<>(new TreeSet<>(Await.result(admin.listTopics().names())))
                    : topics;
            if (names.isEmpty()) {
                return 0;
            }
            Map<String, TopicDescription> descriptions = describeTopics(admin, names);
            Map<ConfigResource, Config> configs = Await.result(admin.describeConfigs(names.stream()
                    .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList()).all());
            for (String name : names) {
                print(out(), descriptions.get(name), configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name)));
            }
        }
        return 0;
    }

    private static Map<String, TopicDescription> describeTopics(Admin admin, List<String> names) {
        Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(names).topicNameValues();
        Map<String, TopicDescription> descriptions = new HashMap<>();
        for (String name : names) {
            try {
                descriptions.put(name, Await.result(futures.get(name)));
            } catch (UnknownTopicOrPartitionException e) {
                throw CliException.unknownTopic(name, e);
            }
        }
        return descriptions;
    }

    private static void print(PrintWriter out, TopicDescription topic, Config config) {
        List<TopicPartitionInfo> partitions = topic.partitions();
        int replicationFactor = partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
        out.println("Topic: " + topic.name() + "\tTopicId: " + topic.topicId()
                + "\tPartitionCount: " + partitions.size() + "\tReplicationFactor: " + replicationFactor
                + "\tConfigs: " + topicOverrides(config));
        for (TopicPartitionInfo partition : partitions) {
            out.println("\tTopic: " + topic.name() + "\tPartition: " + partition.partition()
                    + "\tLeader: " + (partition.leader() == null || partition.leader().isEmpty() ? "none"
                    : partition.leader().idString())
                    + "\tReplicas: " + ids(partition.replicas()) + "\tIsr: " + ids(partition.isr()));
        }
    }

    /** Only what was set on this topic: defaults, whether Kafka's or the broker's log.* ones, are left out. */
    private static String topicOverrides(Config config) {
        if (config == null) {
            return "";
        }
        return config.entries().stream()
                .filter(entry -> entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                .sorted(Comparator.comparing(ConfigEntry::name))
                .map(entry -> entry.name() + "=" + (entry.isSensitive() ? "(sensitive)" : entry.value()))
                .collect(Collectors.joining(","));
    }

    private static String ids(List<Node> nodes) {
        return nodes.stream().map(Node::idString).collect(Collectors.joining(","));
    }
}

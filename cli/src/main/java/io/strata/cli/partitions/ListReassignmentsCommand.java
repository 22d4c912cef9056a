package io.strata.cli.partitions;

import io.strata.cli.Await;
import io.strata.cli.StrataCommand;
import io.strata.cli.Table;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code strata partitions reassignments}: the partition moves under way (Admin.listPartitionReassignments), one row
 * per partition with all its replicas during the move, the ones being added (still copying) and the ones to be
 * removed once the added ones have caught up. An empty table means nothing is moving.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "reassignments", mixinStandardHelpOptions = true,
        description = "List the partition moves under way.")
public final class ListReassignmentsCommand extends StrataCommand {

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Only this topic's partitions. Default: all.")
    private String topic;

    @Override
    protected int run() {
        Map<TopicPartition, PartitionReassignment> ongoing;
        try (Admin admin = clients().createAdmin()) {
            if (topic == null) {
                ongoing = Await.result(admin.listPartitionReassignments().reassignments());
            } else {
                Set<TopicPartition> partitions = new HashSet<>();
                for (TopicPartitionInfo info : TopicLookup.describe(admin, topic).partitions()) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
                ongoing = Await.result(admin.listPartitionReassignments(partitions).reassignments());
            }
        }
        Map<TopicPartition, PartitionReassignment> sorted = new TreeMap<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        sorted.putAll(ongoing);
        Table table = new Table("TOPIC", "PARTITION", "REPLICAS", "ADDING", "REMOVING");
        sorted.forEach((tp, move) -> table.row(tp.topic(), tp.partition(),
                ReassignPartitionCommand.brokers(move.replicas()),
                emptyAsDash(ReassignPartitionCommand.brokers(move.addingReplicas())),
                emptyAsDash(ReassignPartitionCommand.brokers(move.removingReplicas()))));
        table.print(out());
        return 0;
    }

    private static String emptyAsDash(String ids) {
        return ids.isEmpty() ? null : ids;
    }
}
